package booking

import (
	"context"
	"errors"
	"testing"
)

// Erase finds someone's bookings by address, person key or number, cancels
// what is still to come, clears every personal field and frees the limits.
func TestErase(t *testing.T) {
	s, clock, _ := newStore(t, testOffice, monday)
	ctx := context.Background()
	past, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: at(2026, 11, 23, 8, 30), Name: "Erika Beispiel", Email: "erika@example.org",
		PersonKey: "mail:erika@example.org", Channel: "email", ChatID: "erika@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(at(2026, 11, 23, 10, 0)) // that one is over
	future, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: at(2026, 11, 24, 9, 0), Name: "Erika Beispiel", Email: "ERIKA@example.org",
		PersonKey: "tg:4711", Channel: "telegram", ChatID: "4711"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := book(t, s, "ausweis", at(2026, 11, 24, 9, 0), "max")
	if _, err := s.Erase(ctx, Someone{}, "admin"); !errors.Is(err, ErrNobodyNamed) {
		t.Fatalf("naming nobody: %v", err)
	}
	got, err := s.Erase(ctx, Someone{Email: "erika@example.org"}, "admin:amtsleitung")
	if err != nil || got.Bookings != 2 || got.Cancelled != 1 || len(got.Chats) != 2 {
		t.Fatalf("erase: %+v %v, want both bookings cleared, the future one cancelled, two chats", got, err)
	}
	for _, id := range []uint64{past.ID, future.ID} {
		b, _ := s.Get(ctx, id)
		if b.Name != "" || b.Email != "" || b.PersonKey != "" || b.ChatID != "" || b.PIN != nil {
			t.Errorf("%s keeps personal data: %+v", b.Number, b)
		}
	}
	if b, _ := s.Get(ctx, future.ID); b.Status != StatusCancelled {
		t.Errorf("the future booking is %s, want cancelled", b.Status)
	}
	if held, _, _ := s.ActiveHeld(ctx, "tg:4711", ""); held.Bookings != 0 {
		t.Errorf("the person still holds %+v", held)
	}
	if b, _ := s.Get(ctx, other.ID); b.Name == "" {
		t.Error("another citizen's booking was cleared")
	}
	if got, err := s.Erase(ctx, Someone{Number: other.Number}, "admin"); err != nil || got.Bookings != 1 || got.Cancelled != 1 {
		t.Fatalf("erase by number: %+v %v", got, err)
	}
}
