package booking

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestGuessingAcrossBookingsLocksThePerson: a few wrong PINs on each of many
// bookings stay under every booking's own limit, but lock the person.
func TestGuessingAcrossBookingsLocksThePerson(t *testing.T) {
	s, clock, _ := newStore(t, testOffice, monday)
	var numbers []string
	var owner, ownerPIN string
	for i := range 6 {
		b, pin := book(t, s, "ausweis", at(2026, 11, 24, 8, 0).Add(time.Duration(i)*30*time.Minute), fmt.Sprint("citizen", i))
		numbers = append(numbers, b.Number)
		owner, ownerPIN = b.Number, pin
	}
	// 10 tries per hour are allowed: two on each of five bookings (each
	// booking allows 3), one number that does not exist is a try too.
	tries := 0
	for _, n := range numbers[:5] {
		for range 2 {
			if tries == 9 {
				n = "T-9999"
			}
			_, err := s.LookupAs(ctx, Guesser{Person: "tg:evil"}, n, "000000")
			if !errors.Is(err, ErrWrongPIN) && !errors.Is(err, ErrNotFound) {
				t.Fatalf("try %d: %v", tries+1, err)
			}
			tries++
		}
	}
	_, err := s.LookupAs(ctx, Guesser{Person: "tg:evil"}, numbers[5], "000000")
	var ge *GuessError
	if !errors.Is(err, ErrTooManyGuesses) || !errors.As(err, &ge) || !ge.Until.Equal(monday.Add(time.Hour)) {
		t.Fatalf("11th try: %v, want the person locked for an hour", err)
	}
	// Even the right PIN of a booking is refused to the locked person...
	if _, err := s.LookupAs(ctx, Guesser{Person: "tg:evil"}, owner, ownerPIN); !errors.Is(err, ErrTooManyGuesses) {
		t.Fatalf("right PIN while locked: %v", err)
	}
	// ...but not to its owner, and no booking was locked by the sweep.
	if _, err := s.LookupAs(ctx, Guesser{Person: "tg:owner"}, owner, ownerPIN); err != nil {
		t.Fatalf("owner: %v", err)
	}
	clock.Advance(time.Hour)
	if _, err := s.LookupAs(ctx, Guesser{Person: "tg:evil"}, numbers[0], "000000"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("after the lock-out: %v", err)
	}
}

// TestRightPINsDoNotCountAgainstAPerson: someone who keeps checking their
// own booking is never locked.
func TestRightPINsDoNotCountAgainstAPerson(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	b, pin := book(t, s, "ausweis", at(2026, 11, 24, 9, 0), "me")
	for range 30 {
		if _, err := s.LookupAs(ctx, Guesser{Person: "me"}, b.Number, pin); err != nil {
			t.Fatal(err)
		}
	}
}

// TestActiveBookingLimitUnderConcurrency: one person racing for twenty
// different times gets exactly one.
func TestActiveBookingLimitUnderConcurrency(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, limited := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := at(2026, 11, 24, 8, 0).Add(time.Duration(i%8) * 30 * time.Minute)
			if i >= 8 {
				start = at(2026, 11, 23, 13, 0).Add(time.Duration(i%4) * 30 * time.Minute)
			}
			_, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start, Name: "Hoarder", PersonKey: "tg:hoarder"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrLimitReached):
				limited++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	mine, _ := s.PersonBookings(ctx, "tg:hoarder")
	if ok != 1 || limited != 19 || len(mine) != 1 {
		t.Fatalf("booked %d, limited %d, stored %d; want 1, 19, 1", ok, limited, len(mine))
	}
}
