package booking

import (
	"errors"
	"testing"
	"time"
)

func TestOwnerOperations(t *testing.T) {
	s, clock, _ := newStore(t, testOffice, monday)
	me := Owner{Channel: "telegram", ChatID: "42"}
	b, _, err := s.Book(ctx, Request{Concerns: one("kfz"), Start: at(2026, 11, 24, 10, 0), Name: "Erika", PersonKey: "tg:42", Channel: "telegram", ChatID: "42"})
	if err != nil {
		t.Fatal(err)
	}
	others := []Owner{{Channel: "telegram", ChatID: "43"}, {Channel: "email", ChatID: "42"}, {}}
	for _, o := range others {
		if _, err := s.CancelByOwner(ctx, b.ID, o, nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("cancel by %+v: %v, want ErrNotFound", o, err)
		}
		if _, err := s.MoveByOwner(ctx, b.ID, o, at(2026, 11, 24, 8, 0), nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("move by %+v: %v, want ErrNotFound", o, err)
		}
	}
	moved, err := s.MoveByOwner(ctx, b.ID, me, at(2026, 11, 24, 8, 0), nil)
	if err != nil || !moved.Start.Equal(at(2026, 11, 24, 8, 0)) || moved.Number != b.Number {
		t.Fatalf("move by the owner: %v %+v", err, moved)
	}
	if _, err := s.CheckIn(ctx, b.ID, me, ""); !errors.Is(err, ErrNotActive) {
		t.Errorf("check-in the day before: %v, want ErrNotActive", err)
	}
	clock.Set(at(2026, 11, 24, 7, 50))
	in, err := s.CheckIn(ctx, b.ID, me, "")
	if err != nil || !in.CheckedInAt.Equal(clock.Now()) {
		t.Fatalf("check-in on the day: %v %+v", err, in)
	}
	if _, err := s.CheckIn(ctx, b.ID, Owner{}, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("check-in by nobody: %v, want ErrNotFound", err)
	}
	other, _, _ := s.Book(ctx, Request{Concerns: one("ausweis"), Start: at(2026, 11, 24, 9, 0), Name: "Otto", PersonKey: "o"})
	if desk, err := s.CheckIn(ctx, other.ID, Owner{}, "infotheke"); err != nil || desk.CheckedInAt.IsZero() {
		t.Errorf("check-in at the info desk: %v %+v", err, desk)
	}
	mine, err := s.PersonBookings(ctx, "tg:42")
	if err != nil || len(mine) != 1 || mine[0].ID != b.ID {
		t.Fatalf("person's bookings: %v %+v", err, mine)
	}
	gone, err := s.CancelByOwner(ctx, b.ID, me, nil)
	if err != nil || gone.Status != StatusCancelled {
		t.Fatalf("cancel by the owner: %v %+v", err, gone)
	}
	if _, err := s.CancelByOwner(ctx, b.ID, me, nil); !errors.Is(err, ErrNotActive) {
		t.Errorf("second cancel: %v, want ErrNotActive", err)
	}
	all, _ := s.Between(ctx, at(2026, 11, 23, 0, 0), at(2026, 11, 24, 0, 0).Add(time.Hour))
	if len(all) != 2 {
		t.Errorf("Between found %d bookings, want 2", len(all))
	}
}
