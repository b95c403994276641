package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the load tool's tests only without the race detector.
// They measure speed and failover times of a service built without it
// (env.go builds the binary), against etcd members in this process: under
// -race those members run several times slower and, beside the other
// packages' tests, starve until their leases run out, which measures the
// machine, not the service. The README's test command runs this package a
// second time, alone and without -race.
func TestMain(m *testing.M) {
	if raceDetector {
		fmt.Println("cmd/loadtest: skipped under -race (it measures speed); run: go test ./cmd/loadtest")
		os.Exit(0)
	}
	os.Exit(m.Run())
}
