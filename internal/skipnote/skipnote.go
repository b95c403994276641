// Package skipnote skips a test that needs a program the machine lacks
// (Chromium, dovecot, axe-core) and says so where the developer looks.
// `go test ./...` shows nothing of a passing package's output, so a skip
// would go unnoticed; the note goes to the terminal (/dev/tty) instead, one
// line per package and reason. In CI the programs are installed and a skip
// is a failure (the environment variable named).
package skipnote

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Skip skips t because what is missing; how tells how to get it, and
// require names the environment variable that turns the skip into a
// failure.
func Skip(t testing.TB, what, how, require string) {
	t.Helper()
	if os.Getenv(require) != "" {
		t.Fatalf("%s is missing: %s", what, how)
	}
	if firstTime(what) {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			dir, _ := os.Getwd()
			fmt.Fprintf(tty, "note: %s: tests skipped, %s is missing; %s\n", filepath.Base(dir), what, how)
			tty.Close()
		}
	}
	t.Skipf("%s is missing: %s (%s=1 makes this a failure)", what, how, require)
}

// firstTime reports whether this test process has not told of what yet: a
// marker file per process and reason (no state in the package).
func firstTime(what string) bool {
	name := filepath.Join(os.TempDir(), fmt.Sprintf("buergerbuero-skipnote-%d-%x", os.Getpid(), what))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
