package booking

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"buergerbuero/storage"
)

// heldTime is Thursday 26.11. 08:00: "kfz" is served only at counter C, so
// the time has one place for it.
var heldTime = at(2026, 11, 26, 8, 0)

func holdKfz(s *Store, holder, person string) error {
	_, err := s.SetHold(context.Background(), holder, &HoldRequest{Concerns: one("kfz"), Start: heldTime, PersonKey: person})
	return err
}

func kfzFree(t *testing.T, s *Store) bool {
	t.Helper()
	days, err := s.FreeSlots(context.Background(), ForCitizen, one("kfz"), heldTime, heldTime)
	if err != nil {
		t.Fatal(err)
	}
	return len(days) > 0 && slices.ContainsFunc(days[0].Times, heldTime.Equal)
}

// A held time is taken for everybody else, free for its holder to book,
// and gone with the booking.
func TestHoldKeepsTheTimeForItsHolder(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	ctx := context.Background()
	if err := holdKfz(s, "chat-a", "anna"); err != nil {
		t.Fatal(err)
	}
	if kfzFree(t, s) {
		t.Fatal("a held time is offered to others")
	}
	if err := holdKfz(s, "chat-b", "ben"); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("a second hold of the one place: %v, want ErrSlotTaken", err)
	}
	if _, _, err := s.Book(ctx, Request{Concerns: one("kfz"), Start: heldTime, Name: "Ben Beispiel", PersonKey: "ben", Holder: "chat-b"}); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("a booking of a time held by another: %v, want ErrSlotTaken", err)
	}
	if _, _, err := s.Book(ctx, Request{Concerns: one("kfz"), Start: heldTime, Name: "Anna Beispiel", PersonKey: "anna", Holder: "chat-a"}); err != nil {
		t.Fatalf("the holder books the held time: %v", err)
	}
	if n := countHolds(t, s); n != 0 {
		t.Fatalf("%d hold keys left after the booking", n)
	}
}

// A hold ends when its holder lets go or chooses another time, and when
// its time is up, across a restart too.
func TestHoldEnds(t *testing.T) {
	ctx := context.Background()
	t.Run("let go", func(t *testing.T) {
		s, _, _ := newStore(t, testOffice, monday)
		if err := holdKfz(s, "chat-a", "anna"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetHold(ctx, "chat-a", nil); err != nil {
			t.Fatal(err)
		}
		if !kfzFree(t, s) {
			t.Fatal("the time is still held after its holder let go")
		}
	})
	t.Run("another time", func(t *testing.T) {
		s, _, _ := newStore(t, testOffice, monday)
		if err := holdKfz(s, "chat-a", "anna"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetHold(ctx, "chat-a", &HoldRequest{Concerns: one("kfz"), Start: heldTime.Add(30 * time.Minute), PersonKey: "anna"}); err != nil {
			t.Fatal(err)
		}
		if !kfzFree(t, s) {
			t.Fatal("the first time is still held after the holder chose another")
		}
	})
	t.Run("time up, after a restart", func(t *testing.T) {
		s, clock, path := newStore(t, testOffice, monday)
		until, err := s.SetHold(ctx, "chat-a", &HoldRequest{Concerns: one("kfz"), Start: heldTime, PersonKey: "anna"})
		if err != nil || until.Sub(monday) != 10*time.Minute {
			t.Fatalf("hold until %s (%v), want 10 minutes from now", until, err)
		}
		s.Close()
		s2, err := Open(path, s.cfg, Options{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if kfzFree(t, s2) {
			t.Fatal("a hold was lost in the restart")
		}
		clock.Advance(10 * time.Minute)
		if !kfzFree(t, s2) {
			t.Fatal("a hold outlived its time")
		}
		if err := holdKfz(s2, "chat-b", "ben"); err != nil {
			t.Fatalf("another cannot hold an expired hold's time: %v", err)
		}
		if _, err := s2.Forget(ctx, monday.AddDate(0, 0, -30)); err != nil {
			t.Fatal(err)
		}
		if n := countHolds(t, s2); n != 3 { // ben's: by holder, day and person
			t.Fatalf("%d hold keys after Forget, want ben's 3 (anna's expired one dropped)", n)
		}
	})
}

// A hold counts against the person's limits like a booking: holding is no
// way to hoard. A held time's person cannot hold or book a second one.
func TestHoldCountsAgainstTheLimits(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	ctx := context.Background()
	if err := holdKfz(s, "chat-a", "anna"); err != nil {
		t.Fatal(err)
	}
	other := &HoldRequest{Concerns: one("ausweis"), Start: at(2026, 11, 24, 9, 0), PersonKey: "anna"}
	if _, err := s.SetHold(ctx, "chat-a2", other); !errors.Is(err, ErrLimitReached) {
		t.Fatalf("a second hold of one person from another chat: %v, want ErrLimitReached", err)
	}
	if _, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: other.Start, Name: "Anna Beispiel", PersonKey: "anna"}); !errors.Is(err, ErrLimitReached) {
		t.Fatalf("a booking besides a hold: %v, want ErrLimitReached", err)
	}
	persons, _, err := s.ActiveHeld(ctx, "anna", "")
	if err != nil || persons.Bookings != 1 || persons.Minutes != 30 {
		t.Fatalf("held by anna, for a town's other offices: %+v %v, want the hold's 30 minutes", persons, err)
	}
}

// With hold_for 0s the office keeps no holds.
func TestNoHoldsWhenOff(t *testing.T) {
	s, _, _ := newStore(t, strings.Replace(testOffice, "release_delay: 15m", "release_delay: 15m, hold_for: 0s", 1), monday)
	if err := holdKfz(s, "chat-a", "anna"); err != nil {
		t.Fatal(err)
	}
	if !kfzFree(t, s) {
		t.Fatal("held with hold_for 0s")
	}
}

func countHolds(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	err := s.read(func(tx storage.Tx) error {
		c := tx.Bucket(bucketHolds).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A hold for a move takes the moved booking's place in the limits: the
// person holding one booking may hold a new time for it, and the move
// ends the hold.
func TestHoldForAMove(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	ctx := context.Background()
	b, _ := book(t, s, "kfz", at(2026, 11, 24, 8, 0), "anna")
	move := &HoldRequest{Concerns: one("kfz"), Start: heldTime, PersonKey: "anna", Replaces: b.ID}
	if _, err := s.SetHold(ctx, "chat-a", move); err != nil {
		t.Fatalf("a hold for moving the person's one booking: %v", err)
	}
	if err := holdKfz(s, "chat-b", "ben"); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("another's hold of the time held for a move: %v", err)
	}
	if _, err := s.MoveByID(ctx, b.ID, heldTime, "", "chat-a", nil); err != nil {
		t.Fatalf("the move into its own hold: %v", err)
	}
	if n := countHolds(t, s); n != 0 {
		t.Fatalf("%d hold keys left after the move", n)
	}
}
