package booking

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// Every kind of record the dialogue and the channels keep, a booking with
// all its personal data and the guess records: after the retention period,
// Forget and Compact leave none of it anywhere in the file, free pages
// included.
func TestForgetLeavesNoPersonalDatumInTheFile(t *testing.T) {
	s, clock, path := newStore(t, testOffice, monday)
	b, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: at(2026, 11, 24, 9, 0), Name: "Hedwig Vergessmeinnicht",
		Email: "hedwig@vergiss.example", PersonKey: "tg:7777777", Source: "net:203.0.113.0/24", Channel: "telegram", ChatID: "chat-7777777"})
	if err != nil {
		t.Fatal(err)
	}
	s.LookupAs(ctx, Guesser{Person: "web:guesser-4242", Source: "net:198.51.100.0/24"}, "T-999", "000000")
	kinds := []string{"dialogues", "watches", "reminders", "email_processed", "email_rate", "email_threads", "mattermost"}
	for i, kind := range kinds {
		r, err := s.Records(kind)
		if err != nil {
			t.Fatal(err)
		}
		datum := fmt.Sprintf("datum-of-%s-%d@person.example", kind, i)
		if err := r.Put(ctx, datum, []byte("about "+datum)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(at(2026, 11, 24, 9, 0).AddDate(0, 0, 31))
	if _, err := s.Forget(ctx, clock.Now().AddDate(0, 0, -30)); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gone := []string{"Vergessmeinnicht", "vergiss.example", "7777777", "203.0.113", "guesser-4242", "198.51.100", "person.example"}
	for _, datum := range gone {
		if bytes.Contains(raw, []byte(datum)) {
			t.Errorf("%q is still in the file", datum)
		}
	}
	if !bytes.Contains(raw, []byte(b.Number)) {
		t.Error("the booking's number (no personal datum, the statistics need it) is gone too")
	}
}
