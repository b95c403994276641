// Package storetest opens booking stores for tests: a fresh file in the
// test's temporary folder, a fake clock, closed when the test ends.
package storetest

import (
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Berlin works on machines without zoneinfo

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
	"buergerbuero/storage"
)

// Open opens a store for cfg (the demo office when cfg is nil) whose clock
// stands at now.
func Open(tb testing.TB, cfg *office.Config, now time.Time) (*booking.Store, *fakeclock.Clock) {
	tb.Helper()
	if cfg == nil {
		var err error
		if cfg, err = office.DemoConfig(); err != nil {
			tb.Fatal(err)
		}
	}
	clock := fakeclock.New(now)
	store, err := booking.Open(filepath.Join(tb.TempDir(), "bb.db"), cfg, booking.Options{Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store, clock
}

// Berlin is the wall-clock time in Europe/Berlin, the zone of the demo office.
func Berlin(year int, month time.Month, day, hour, min int) time.Time {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err) // time/tzdata is linked in
	}
	return time.Date(year, month, day, hour, min, 0, 0, loc)
}

// ErrInjected is the failure a Faults backend gives when told to.
var ErrInjected = errors.New("storetest: injected storage failure")

// Faults wraps a real backend and fails its writes while FailWrites is set,
// as a full disk or a lost etcd quorum would.
type Faults struct {
	storage.Backend
	FailWrites atomic.Bool
}

// Update fails with ErrInjected while FailWrites is set, without running fn.
func (f *Faults) Update(fn func(storage.Tx) error) error {
	if f.FailWrites.Load() {
		return ErrInjected
	}
	return f.Backend.Update(fn)
}

// OpenFaulty opens a store like Open, on a bbolt file whose writes can be
// made to fail.
func OpenFaulty(tb testing.TB, cfg *office.Config, now time.Time) (*booking.Store, *fakeclock.Clock, *Faults) {
	tb.Helper()
	if cfg == nil {
		var err error
		if cfg, err = office.DemoConfig(); err != nil {
			tb.Fatal(err)
		}
	}
	file, err := storage.OpenFile(filepath.Join(tb.TempDir(), "bb.db"), time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	faults := &Faults{Backend: file}
	clock := fakeclock.New(now)
	store, err := booking.New(faults, cfg, booking.Options{Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store, clock, faults
}

// TwoOffices is a town of two offices for tests. Mitte opens Mondays and
// does everything; Ohligs opens every weekday afternoon and does ID cards
// and certificates of registration, not vehicles.
const TwoOffices = `
office: {name: Bürgerbüros Musterstadt, timezone: Europe/Berlin, state: NW, phone: "02175 1"}
concerns:
  - {id: personalausweis, name: {de: Personalausweis beantragen}, keywords: [perso, ausweis], minutes: 15}
  - {id: fahrzeug-abmelden, name: {de: Fahrzeug abmelden}, keywords: [kfz, auto abmelden], minutes: 15}
  - {id: meldebescheinigung, name: {de: Meldebescheinigung}, minutes: 5}
closed: {public_holidays: false}
booking: {horizon_days: 21, lead_time: 1h, slot_step: 10m, walk_in_share: 0, max_active_per_person: 1}
offices:
  - id: mitte
    office: {name: Bürgerbüro Mitte, address: "Am Markt 1"}
    counters: [{id: "1"}, {id: "2"}]
    opening_hours: {monday: ["08:00-12:00"]}
  - id: ohligs
    office: {name: Bürgerbüro Ohligs, address: "Düsseldorfer Str. 9"}
    counters: [{id: "1"}]
    opening_hours: {monday: ["14:00-18:00"], tuesday: ["14:00-18:00"], wednesday: ["14:00-18:00"], thursday: ["14:00-18:00"], friday: ["14:00-18:00"]}
    concerns: [{id: personalausweis}, {id: meldebescheinigung}]
`

// OpenTown opens the stores of a town's offices (cfg lists them) in one
// fresh file, each in its own part as serve keeps them, with one clock
// standing at now; opts' clock is replaced by it.
func OpenTown(tb testing.TB, cfg *office.Config, now time.Time, opts booking.Options) ([]*booking.Store, *fakeclock.Clock) {
	tb.Helper()
	file, err := storage.OpenFile(filepath.Join(tb.TempDir(), "bb.db"), time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { file.Close() })
	clock := fakeclock.New(now)
	opts.Clock = clock
	var stores []*booking.Store
	for i, oc := range cfg.OfficeConfigs() {
		store, err := booking.New(storage.Shared(storage.Within(file, cfg.OfficePart(i))), oc, opts)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { store.Close() })
		stores = append(stores, store)
	}
	return stores, clock
}
