package booking

import (
	"errors"
	"testing"
)

func TestWalkIns(t *testing.T) {
	s, clock, _ := newStore(t, testOffice, at(2026, 11, 23, 8, 5))
	var numbers []string
	for _, c := range []string{"ausweis", "kfz", "kfz"} {
		b, err := s.IssueWalkIn(ctx, WalkInRequest{Concerns: one(c), Actor: "infotheke"})
		if err != nil {
			t.Fatal(err)
		}
		if b.Kind != KindWalkIn || b.Status != StatusBooked || b.PIN != nil {
			t.Fatalf("walk-in %+v", b)
		}
		numbers = append(numbers, b.Number)
	}
	if numbers[0] != "W-001" || numbers[1] != "W-002" || numbers[2] != "W-003" {
		t.Fatalf("numbers %v, want W-001..W-003", numbers)
	}
	t.Run("contingent per concern group", func(t *testing.T) {
		if _, err := s.IssueWalkIn(ctx, WalkInRequest{Concerns: one("kfz")}); !errors.Is(err, ErrContingentExhausted) {
			t.Fatalf("third kfz walk-in: %v, want ErrContingentExhausted", err)
		}
		if _, err := s.IssueWalkIn(ctx, WalkInRequest{Concerns: one("pass")}); err != nil {
			t.Fatalf("other concerns are not limited: %v", err)
		}
	})
	t.Run("walk-ins do not take appointment capacity", func(t *testing.T) {
		if got := dayTimes(t, s, one("kfz"), clock.Now()); got == "" {
			t.Fatal("walk-ins used up kfz appointments")
		}
	})
	t.Run("numbers start again the next day", func(t *testing.T) {
		clock.Set(at(2026, 11, 24, 8, 0))
		b, err := s.IssueWalkIn(ctx, WalkInRequest{Concerns: one("kfz")})
		if err != nil || b.Number != "W-001" {
			t.Fatalf("next day's first walk-in: %v %s", err, b.Number)
		}
	})
	t.Run("no numbers after closing time", func(t *testing.T) {
		clock.Set(at(2026, 11, 24, 23, 0))
		if _, err := s.IssueWalkIn(ctx, WalkInRequest{Concerns: one("kfz")}); !errors.Is(err, ErrClosed) {
			t.Fatalf("walk-in at 23:00: %v, want ErrClosed", err)
		}
	})
	t.Run("no numbers on a closed day", func(t *testing.T) {
		clock.Set(at(2026, 11, 25, 8, 0))
		if _, err := s.IssueWalkIn(ctx, WalkInRequest{Concerns: one("kfz")}); !errors.Is(err, ErrClosed) {
			t.Fatalf("walk-in on a Wednesday without hours: %v, want ErrClosed", err)
		}
	})
	n := 0
	s.Events(ctx, 0, func(e Event) bool {
		if e.Type == EventWalkIn {
			n++
		}
		return true
	})
	if n != 5 {
		t.Errorf("%d walk-in events, want 5", n)
	}
}

func TestPriorityIsStaffsToSet(t *testing.T) {
	s, _, _ := newStore(t, testOffice, at(2026, 11, 23, 8, 5))
	b, err := s.IssueWalkIn(ctx, WalkInRequest{Concerns: one("pass")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SetPriority(ctx, b.ID, true, "clerk1")
	if err != nil || !got.Priority {
		t.Fatalf("set priority: %v %+v", err, got)
	}
	var last Event
	s.Events(ctx, 0, func(e Event) bool { last = e; return true })
	if last.Type != EventPriority || last.Actor != "clerk1" {
		t.Errorf("last event %+v", last)
	}
	if _, err := s.SetPriority(ctx, 999, true, "clerk1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown booking: %v", err)
	}
}
