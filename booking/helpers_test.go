package booking

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
)

// testOffice is a small office to reason about in tests: three counters, all
// open for appointments; "kfz" only at counter C, "pass" only at A and B.
const testOffice = `
office: {name: Testamt, timezone: Europe/Berlin, state: NW}
counters: [{id: A}, {id: B}, {id: C}]
concerns:
  - {id: ausweis, name: {de: Ausweis, en: ID card}, minutes: 10, max_count: 3}
  - {id: pass, name: {de: Pass}, minutes: 20, counters: [A, B]}
  - {id: kfz, name: {de: Kfz abmelden}, minutes: 30, counters: [C]}
  - {id: lang, name: {de: Lang}, minutes: 60}
opening_hours:
  monday: ["08:00-12:00", "13:00-15:00"]
  tuesday: ["08:00-12:00"]
  thursday: ["08:00-09:00"]
closed: {public_holidays: true, dates: ["2026-11-30"]}
booking: {horizon_days: 21, lead_time: 1h, slot_step: 30m, walk_in_share: 0, max_active_per_person: 1,
  release_delay: 15m, pin_max_attempts: 3, pin_lockout: 1h}
walk_ins:
  contingents: [{name: Kfz, concerns: [kfz], per_day: 2}]
`

var berlin = mustLoc("Europe/Berlin")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a wall-clock time in Berlin.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, berlin)
}

// monday is Monday 2026-11-23 07:00, the tests' usual now.
var monday = at(2026, 11, 23, 7, 0)

func mustConfig(t testing.TB, yaml string) *office.Config {
	t.Helper()
	cfg, err := office.ParseConfig("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newStore opens a store in a temporary file with a fake clock at now.
func newStore(t testing.TB, yaml string, now time.Time) (*Store, *fakeclock.Clock, string) {
	t.Helper()
	clock := fakeclock.New(now)
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path, mustConfig(t, yaml), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clock, path
}

func one(id string) []ConcernCount { return []ConcernCount{{ID: id, Count: 1}} }

func book(t testing.TB, s *Store, id string, start time.Time, person string) (Booking, string) {
	t.Helper()
	b, pin, err := s.Book(context.Background(), Request{Concerns: one(id), Start: start, Name: "Erika Mustermann", PersonKey: person})
	if err != nil {
		t.Fatalf("book %s at %s: %v", id, start, err)
	}
	return b, pin
}
