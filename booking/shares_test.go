package booking

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// shareOffice has four counters open for appointments; half of each time's
// places are for citizens online, the other half kept for staff; "kfz"
// (at every counter) is only for staff to book.
var shareOffice = strings.NewReplacer(
	"walk_in_share: 0,", "walk_in_share: 0, online_share: 0.5, share_opens_before: 24h,",
	"counters: [{id: A}, {id: B}, {id: C}]", "counters: [{id: A}, {id: B}, {id: C}, {id: D}]",
	"{id: kfz, name: {de: Kfz abmelden}, minutes: 30, counters: [C]}", "{id: kfz, name: {de: Kfz abmelden}, minutes: 30, online_share: 0}",
).Replace(testOffice)

// Citizens online take only their share of a time's places; staff booking
// for a caller may take every place; the staff share opens to citizens a
// day ahead of the time.
func TestSharesPerBooker(t *testing.T) {
	s, clock, _ := newStore(t, shareOffice, monday)
	ctx := context.Background()
	start := at(2026, 11, 24, 9, 0) // Tuesday, more than a day ahead
	citizen := func(i int) error {
		_, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start, Name: "Erika Beispiel", PersonKey: string(rune('a' + i))})
		return err
	}
	staff := func() error {
		_, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start, Name: "Anrufer Beispiel", Actor: "clerk"})
		return err
	}
	for i := range 2 {
		if err := citizen(i); err != nil {
			t.Fatalf("citizen %d: %v", i, err)
		}
	}
	if err := citizen(2); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("a third citizen at a time with two online places: %v, want ErrSlotTaken", err)
	}
	if offered(t, s, ForCitizen, "ausweis", start) {
		t.Fatal("a time whose online share is used is offered to citizens")
	}
	if !offered(t, s, ForStaff, "ausweis", start) {
		t.Fatal("a time with staff places left is not offered to staff")
	}
	if err := staff(); err != nil {
		t.Fatalf("staff into their share: %v", err)
	}
	clock.Set(start.Add(-24 * time.Hour)) // a day ahead: what staff left opens to all
	if err := citizen(3); err != nil {
		t.Fatalf("a citizen a day ahead, into the staff share left: %v", err)
	}
	if err := staff(); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("a fifth booking at four counters: %v, want ErrSlotTaken", err)
	}
}

// A concern with an online share of 0 is booked only through staff, and
// a citizen's hold takes the online share like a booking.
func TestConcernShareAndHolds(t *testing.T) {
	s, _, _ := newStore(t, shareOffice, monday)
	ctx := context.Background()
	start := at(2026, 11, 24, 9, 0)
	if offered(t, s, ForCitizen, "kfz", start) {
		t.Fatal("a concern kept for staff is offered to citizens")
	}
	if !offered(t, s, ForStaff, "kfz", start) {
		t.Fatal("a concern kept for staff is not offered to staff")
	}
	for i, holder := range []string{"chat-a", "chat-b"} {
		if _, err := s.SetHold(ctx, holder, &HoldRequest{Concerns: one("ausweis"), Start: start, PersonKey: holder}); err != nil {
			t.Fatalf("hold %d: %v", i, err)
		}
	}
	if _, err := s.SetHold(ctx, "chat-c", &HoldRequest{Concerns: one("ausweis"), Start: start, PersonKey: "chat-c"}); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("a third citizen's hold at two online places: %v, want ErrSlotTaken", err)
	}
	if _, err := s.SetHold(ctx, "clerk", &HoldRequest{Concerns: one("ausweis"), Start: start, Staff: true}); err != nil {
		t.Fatalf("staff's hold into their share: %v", err)
	}
}

// offered reports whether start is among the free times for concern.
func offered(t *testing.T, s *Store, by For, concern string, start time.Time) bool {
	t.Helper()
	days, err := s.FreeSlots(context.Background(), by, one(concern), start, start)
	if err != nil {
		t.Fatal(err)
	}
	return len(days) > 0 && slices.ContainsFunc(days[0].Times, start.Equal)
}
