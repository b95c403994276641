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
