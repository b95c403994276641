package booking

import (
	"path/filepath"

	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
	"strings"
	"testing"
	"time"
)

// The demo's day has people to call at once, at any hour, and is filled
// only once.
func TestSeedDemoDay(t *testing.T) {
	for _, now := range []time.Time{at(2026, 11, 24, 9, 3), at(2026, 11, 28, 22, 40)} { // a Tuesday morning, a Saturday night
		cfg, err := office.DemoConfig()
		if err != nil {
			t.Fatal(err)
		}
		s, _, _ := newStoreCfg(t, cfg, now)
		n, err := s.SeedDemoDay(ctx)
		if err != nil || n != 6 {
			t.Fatalf("%s: seeded %d (%v)", now, n, err)
		}
		day, _ := s.DayBookings(ctx, now)
		due, walkIns := 0, 0
		for _, b := range day {
			if !strings.HasPrefix(b.Name, DemoNamePrefix) {
				t.Errorf("%s is not marked as demo data: %q", b.Number, b.Name)
			}
			switch {
			case b.Kind == KindWalkIn:
				walkIns++
			case !b.Start.After(now):
				due++
			}
		}
		if due < 2 || walkIns < 2 {
			t.Errorf("%s: %d due appointments, %d walk-ins", now, due, walkIns)
		}
		if again, _ := s.SeedDemoDay(ctx); again != 0 {
			t.Errorf("seeded again: %d", again)
		}
	}
}

// newStoreCfg opens a store for cfg with a fake clock at now.
func newStoreCfg(t *testing.T, cfg *office.Config, now time.Time) (*Store, *fakeclock.Clock, string) {
	t.Helper()
	clock := fakeclock.New(now)
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path, cfg, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clock, path
}
