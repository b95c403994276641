package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version is the release, stamped by the release build:
//
//	go build -ldflags "-X main.version=1.4.0" ./cmd/buergerbuero
//
// The commit and its time come from the build's own VCS stamp.
var version = "dev"

// buildInfo says which build this is: version, commit (marked when the
// tree had changes), the commit's time and the Go version.
func buildInfo() string {
	commit, when, dirty := "unknown", "unknown", ""
	goVersion := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = " (with changes not committed)"
				}
			}
		}
	}
	return fmt.Sprintf("buergerbuero %s, commit %s%s of %s, %s", version, commit, dirty, when, goVersion)
}

// printVersion is the version command.
func printVersion(stdout io.Writer) error {
	_, err := fmt.Fprintln(stdout, buildInfo())
	return err
}
