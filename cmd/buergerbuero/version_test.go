package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The version command names the release (the test binary's: dev), the
// commit and the Go version, and exits 0.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var out bytes.Buffer
		if code := run(context.Background(), []string{arg}, &out, &out); code != 0 || !strings.HasPrefix(out.String(), "buergerbuero dev, commit ") || !strings.Contains(out.String(), "go1.") {
			t.Errorf("%s: %d %q", arg, code, out.String())
		}
	}
}
