package booking_test

import (
	"path/filepath"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/booking/backendtest"
)

// The bbolt file passes the conformance suite every backend must pass.
func TestBoltFileConformance(t *testing.T) {
	backendtest.TestBackend(t, func(dir string) (booking.Backend, error) {
		return booking.OpenFile(filepath.Join(dir, "bb.db"), time.Second)
	})
}

// Every function the store runs in a write transaction may run twice (a
// batching backend retries): the suite passes on a backend that always
// does so.
func TestBoltFileConformanceWhenWritesRunTwice(t *testing.T) {
	backendtest.TestBackend(t, func(dir string) (booking.Backend, error) {
		b, err := booking.OpenFile(filepath.Join(dir, "bb.db"), time.Second)
		if err != nil {
			return nil, err
		}
		return backendtest.Retrying(b), nil
	})
}
