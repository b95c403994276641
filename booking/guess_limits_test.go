package booking

import (
	"buergerbuero/office"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

// bookFromChat books for a citizen writing from a chat.
func bookFromChat(t *testing.T, s *Store, start time.Time, chat string) (Booking, string) {
	t.Helper()
	b, pin, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start, Name: "Erika Mustermann", PersonKey: "tg:" + chat, Channel: "telegram", ChatID: chat})
	if err != nil {
		t.Fatal(err)
	}
	return b, pin
}

// Strangers who read a number off the display lock it with wrong PINs; the
// chat that booked still acts, with the right PIN, a wrong one or none.
func TestTheOwnerActsWhileStrangersLockedTheBooking(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	b, pin := bookFromChat(t, s, at(2026, 11, 24, 9, 0), "42")
	for i := range s.cfg.Booking.PINMaxAttempts {
		s.LookupAs(ctx, Guesser{Person: fmt.Sprint("tg:stranger", i)}, b.Number, "000000")
	}
	if _, err := s.LookupAs(ctx, Guesser{Person: "web:other-device"}, b.Number, pin); !errors.Is(err, ErrPINLocked) {
		t.Fatalf("a stranger (even with the right PIN) while locked: %v", err)
	}
	owner := Guesser{Person: "tg:42", Owner: Owner{Channel: "telegram", ChatID: "42"}}
	for _, typed := range []string{pin, "000000", ""} {
		if got, err := s.LookupAs(ctx, owner, b.Number, typed); err != nil || got.ID != b.ID {
			t.Fatalf("the owner with PIN %q: %v", typed, err)
		}
	}
	// Another chat of the same channel is a stranger.
	if _, err := s.LookupAs(ctx, Guesser{Owner: Owner{Channel: "telegram", ChatID: "43"}}, b.Number, pin); !errors.Is(err, ErrPINLocked) {
		t.Fatalf("another chat: %v", err)
	}
	if _, err := s.CancelByID(ctx, b.ID, "anna.schmidt", nil); err != nil {
		t.Fatalf("staff: %v", err)
	}
}

// An unknown number costs as much time as a wrong PIN: both run the slow
// hash, so timing does not tell which numbers exist.
func TestUnknownNumberTakesAsLongAsAWrongPIN(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	s.cfg.Booking.PINMaxAttempts, s.cfg.Booking.PINGuessesPerPerson, s.cfg.Booking.PINGuessesTotal = 1000, 1000, 1000
	b, _ := book(t, s, "ausweis", at(2026, 11, 24, 9, 0), "me")
	median := func(number string) time.Duration {
		var d []time.Duration
		for range 15 {
			start := time.Now()
			s.Lookup(ctx, number, "000000")
			d = append(d, time.Since(start))
		}
		slices.Sort(d)
		return d[len(d)/2]
	}
	// The same work: one hash check each.
	for _, number := range []string{b.Number, "T-999"} {
		before := s.hasher.checks.Load()
		s.Lookup(ctx, number, "000000")
		if n := s.hasher.checks.Load() - before; n != 1 {
			t.Errorf("%s: %d hash checks, want 1", number, n)
		}
	}
	// And about the same time (loosely: the machine is shared).
	known, unknown := median(b.Number), median("T-999")
	if ratio := float64(unknown) / float64(known); ratio < 0.33 || ratio > 3 {
		t.Errorf("unknown number %v, wrong PIN %v: a ratio of %.2f tells them apart", unknown, known, ratio)
	}
}

// A script with a fresh identity and network for every try is bounded by
// the total: after PINGuessesTotal wrong tries in an hour, strangers' PIN
// checks pause; staff are alerted at half and at the pause; owners and
// staff still act.
func TestGuessingIsBoundedInTotal(t *testing.T) {
	s, clock, path := newStore(t, testOffice, monday)
	s.Close()
	var mu sync.Mutex
	var alerts []Alert
	cfg := mustConfig(t, testOffice)
	cfg.Booking.PINGuessesTotal = 20
	s, err := Open(path, cfg, Options{Clock: clock, Alert: func(_ context.Context, a Alert) {
		mu.Lock()
		defer mu.Unlock()
		alerts = append(alerts, a)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, pin := bookFromChat(t, s, at(2026, 11, 24, 9, 0), "42")
	for i := range 20 {
		number := "T-999"
		if i%2 == 0 {
			number = b.Number
		}
		_, err := s.LookupAs(ctx, Guesser{Person: fmt.Sprint("web:", i), Source: fmt.Sprintf("10.0.%d.0/24", i)}, number, "000000")
		if !errors.Is(err, ErrWrongPIN) && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrPINLocked) {
			t.Fatalf("try %d: %v", i+1, err)
		}
	}
	_, err = s.LookupAs(ctx, Guesser{Person: "web:fresh", Source: "10.9.9.0/24"}, "T-998", "123456")
	var ge *GuessError
	if !errors.As(err, &ge) || ge.Scope != ScopeAll || !ge.Until.Equal(monday.Add(time.Hour)) {
		t.Fatalf("the 21st try from a fresh identity: %v, want checks paused for an hour", err)
	}
	if _, err := s.LookupAs(ctx, Guesser{Person: "web:honest"}, b.Number, pin); !errors.Is(err, ErrTooManyGuesses) {
		t.Fatalf("a stranger with the right PIN during the pause: %v", err)
	}
	if _, err := s.LookupAs(ctx, Guesser{Owner: Owner{Channel: "telegram", ChatID: "42"}}, b.Number, ""); err != nil {
		t.Fatalf("the owner during the pause: %v", err)
	}
	mu.Lock()
	if len(alerts) != 2 || alerts[0].Paused || alerts[0].Tries != 10 || !alerts[1].Paused || !alerts[1].Until.Equal(monday.Add(time.Hour)) {
		t.Errorf("alerts %+v, want one at half and one at the pause", alerts)
	}
	mu.Unlock()
	clock.Advance(time.Hour)
	if _, err := s.LookupAs(ctx, Guesser{Person: "web:honest"}, b.Number, pin); err != nil {
		t.Fatalf("after the pause: %v", err)
	}
}

// Fresh person keys from one network share the network's tries.
func TestGuessingIsBoundedPerNetwork(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	limit := s.cfg.Booking.PINGuessesPerSource
	for i := range limit {
		if _, err := s.LookupAs(ctx, Guesser{Person: fmt.Sprint("web:", i), Source: "198.51.100.0/24"}, "T-999", "000000"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	var ge *GuessError
	if _, err := s.LookupAs(ctx, Guesser{Person: "web:new", Source: "198.51.100.0/24"}, "T-999", "000000"); !errors.As(err, &ge) || ge.Scope != ScopeSource {
		t.Fatalf("one more from the network: %v", err)
	}
	if _, err := s.LookupAs(ctx, Guesser{Person: "web:new", Source: "203.0.113.0/24"}, "T-999", "000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another network: %v", err)
	}
}

// The README's promise, from the default limits: at the highest rate the
// service allows, the expected time to take over any one of 1,000 active
// bookings is at least a year.
func TestDefaultLimitsKeepBookingsSafeForAYear(t *testing.T) {
	r := office.Defaults().Booking
	pins := math.Pow10(PINDigits)
	// Each wrong try names one (number, PIN); at best every number it names
	// is in use, so one try in pins hits. At most PINGuessesTotal tries an
	// hour get a check at all.
	years := pins / float64(r.PINGuessesTotal) / (24 * 365.25)
	t.Logf("%d tries/hour in total against %g PINs: %.2f years expected", r.PINGuessesTotal, pins, years)
	if years < 1 {
		t.Errorf("%.2f years", years)
	}
}
