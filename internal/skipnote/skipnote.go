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
	"sync"
	"testing"
)

// noted holds the reasons this test binary told of: one line each.
var noted sync.Map

// Skip skips t because what is missing; how tells how to get it, and
// require names the environment variable that turns the skip into a
// failure.
func Skip(t testing.TB, what, how, require string) {
	t.Helper()
	if os.Getenv(require) != "" {
		t.Fatalf("%s is missing: %s", what, how)
	}
	if _, told := noted.LoadOrStore(what, true); !told {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			dir, _ := os.Getwd()
			fmt.Fprintf(tty, "note: %s: tests skipped, %s is missing; %s\n", filepath.Base(dir), what, how)
			tty.Close()
		}
	}
	t.Skipf("%s is missing: %s (%s=1 makes this a failure)", what, how, require)
}
