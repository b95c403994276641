package booking_test

import (
	"path/filepath"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
	"buergerbuero/storage"
	"buergerbuero/storage/backendtest"
)

// The bbolt file passes the conformance suite every backend must pass.
func TestBoltFileConformance(t *testing.T) {
	backendtest.TestBackend(t, func(dir string) (storage.Backend, error) {
		return storage.OpenFile(filepath.Join(dir, "bb.db"), time.Second)
	})
}

// Every function the store runs in a write transaction may run twice (a
// batching backend retries): the suite passes on a backend that always
// does so.
func TestBoltFileConformanceWhenWritesRunTwice(t *testing.T) {
	backendtest.TestBackend(t, func(dir string) (storage.Backend, error) {
		b, err := storage.OpenFile(filepath.Join(dir, "bb.db"), time.Second)
		if err != nil {
			return nil, err
		}
		return backendtest.Retrying(b), nil
	})
}

// A store within a namespace of the file (an office of a town) passes the
// same suite.
func TestNamespaceConformance(t *testing.T) {
	backendtest.TestBackend(t, func(dir string) (storage.Backend, error) {
		b, err := storage.OpenFile(filepath.Join(dir, "bb.db"), time.Second)
		if err != nil {
			return nil, err
		}
		return storage.Within(b, "office/ohligs/"), nil
	})
}

// Two offices in one file keep apart: each books its own places, and one
// office's bookings are not found in the other; the first office is the
// file as a single office left it.
func TestOfficesInOneFileKeepApart(t *testing.T) {
	cfg, err := office.DemoConfig()
	if err != nil {
		t.Fatal(err)
	}
	file, err := storage.OpenFile(filepath.Join(t.TempDir(), "bb.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, cfg.Location())
	clock := fakeclock.New(now)
	open := func(ns string) *booking.Store {
		s, err := booking.New(storage.Shared(storage.Within(file, ns)), cfg, booking.Options{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	mitte, ohligs := open(""), open("office/ohligs/")
	ctx := t.Context()
	days, err := mitte.FreeSlots(ctx, booking.ForCitizen, []booking.ConcernCount{{ID: "personalausweis", Count: 1}}, now, now.AddDate(0, 0, 7))
	if err != nil || len(days) == 0 {
		t.Fatalf("no free time: %v", err)
	}
	req := booking.Request{Concerns: []booking.ConcernCount{{ID: "personalausweis", Count: 1}}, Start: days[0].Times[0], Name: "Erika Mustermann", PersonKey: "tg:1"}
	a, pinA, err := mitte.Book(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	req.Name = "Max Mustermann"
	if _, _, err := ohligs.Book(ctx, req); err != nil { // the same person, the same time, another office's places
		t.Fatalf("the other office: %v", err)
	}
	if got, err := ohligs.Lookup(ctx, a.Number, pinA); err == nil && got.Name == a.Name {
		t.Fatal("one office's booking is found in the other")
	}
	if got, err := mitte.Get(ctx, a.ID); err != nil || got.Number != a.Number {
		t.Fatalf("the first office's booking: %+v %v", got, err)
	}
	var names [][]byte
	if err := storage.Within(file, "office/ohligs/").View(func(tx storage.Tx) error {
		var err error
		names, err = tx.Buckets()
		return err
	}); err != nil || len(names) == 0 {
		t.Fatalf("the second office's buckets: %q %v", names, err)
	}
	for _, n := range names {
		if string(n) == "office/ohligs/bookings" {
			t.Fatalf("bucket names within a namespace carry it: %q", n)
		}
	}
}
