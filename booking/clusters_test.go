package booking

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestSourceLimitAndClusters(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	start := at(2026, 11, 24, 8, 0)
	bookAs := func(i int, source, name string) error {
		_, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start.Add(time.Duration(i%8) * 30 * time.Minute),
			Name: name, PersonKey: fmt.Sprint("web:", i), Source: source})
		return err
	}
	// Fresh identities from one source: at most MaxActivePerSource.
	for i := range 5 {
		err := bookAs(i, "net:127.0.0.0/24", fmt.Sprintf("Bot Nummer %d", i))
		if want := i >= s.cfg.Booking.MaxActivePerSource; errors.Is(err, ErrSourceLimitReached) != want || (err != nil && !want) {
			t.Fatalf("booking %d from one source: %v", i, err)
		}
	}
	// Scripted names from many sources form a name cluster.
	for i := 5; i < 8; i++ {
		if err := bookAs(i, fmt.Sprintf("net:10.0.%d.0/24", i), fmt.Sprintf("Max Müller-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := bookAs(9, "", "Erika Mustermann"); err != nil {
		t.Fatal(err)
	}
	clusters, err := s.Clusters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range clusters {
		got[c.Key] = len(c.Bookings)
	}
	want := map[string]int{"source:net:127.0.0.0/24": 3, "name:bot nummer": 3, "name:max mueller": 3}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("clusters %v, want %v", got, want)
	}
	cancelled, err := s.CancelCluster(ctx, "name:max mueller", "anna.schmidt", nil)
	if err != nil || len(cancelled) != 3 {
		t.Fatalf("cancel cluster: %d %v", len(cancelled), err)
	}
	for _, b := range cancelled {
		if got, _ := s.Get(ctx, b.ID); got.Status != StatusCancelled {
			t.Errorf("%s still %s", b.Number, got.Status)
		}
	}
	if _, err := s.CancelCluster(ctx, "name:max mueller", "anna.schmidt", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("a cluster already gone: %v", err)
	}
	// The source's places are free again once its bookings are cancelled.
	if _, err := s.CancelCluster(ctx, "source:net:127.0.0.0/24", "anna.schmidt", nil); err != nil {
		t.Fatal(err)
	}
	if err := bookAs(10, "net:127.0.0.0/24", "Jemand Anderes"); err != nil {
		t.Errorf("after the cancel: %v", err)
	}
}
