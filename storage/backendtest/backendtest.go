// Package backendtest is the conformance suite every storage.Backend must
// pass, in the spirit of testing/fstest: one call runs the storage contract
// (buckets, order, atomic and durable transactions, isolation under
// concurrency, backups) and then the booking rules on top of it (racing
// bookings, capacity matching, the release delay, PIN limits, retention,
// effects stored with their change, sealed records).
// The bbolt file passes it (booking's own tests); another backend, such as
// one on etcd, must only pass the same suite.
package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // the test office's zone on machines without zoneinfo

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
	"buergerbuero/storage"
)

// Opener opens the backend kept in dir. Called again with the same dir
// after Close, it must find what was committed before.
type Opener func(dir string) (storage.Backend, error)

// TestBackend runs the whole suite against the backends open makes.
func TestBackend(t *testing.T, open Opener) {
	t.Run("buckets", func(t *testing.T) { testBuckets(t, open) })
	t.Run("empty values", func(t *testing.T) { testEmptyValues(t, open) })
	t.Run("atomic", func(t *testing.T) { testAtomic(t, open) })
	t.Run("durable", func(t *testing.T) { testDurable(t, open) })
	t.Run("isolated", func(t *testing.T) { testIsolated(t, open) })
	t.Run("backup", func(t *testing.T) { testBackup(t, open) })
	t.Run("booking race", func(t *testing.T) { testBookingRace(t, open) })
	t.Run("person limit", func(t *testing.T) { testPersonLimit(t, open) })
	t.Run("capacity matching", func(t *testing.T) { testCapacityMatching(t, open) })
	t.Run("release delay", func(t *testing.T) { testReleaseDelay(t, open) })
	t.Run("PIN limits", func(t *testing.T) { testPINLimits(t, open) })
	t.Run("retention", func(t *testing.T) { testRetention(t, open) })
	t.Run("effects", func(t *testing.T) { testEffects(t, open) })
	t.Run("sealed", func(t *testing.T) { testSealed(t, open) })
	t.Run("copy", func(t *testing.T) { testCopy(t, open) })
}

// check fails the test on a storage error.
func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustOpen(t *testing.T, open Opener, dir string) storage.Backend {
	t.Helper()
	b, err := open(dir)
	if err != nil {
		t.Fatalf("open backend: %v", err)
	}
	return b
}

var bucket = []byte("conformance")

// walk is bk's keys as a cursor walks them from the first.
func walk(bk storage.Bucket) []string {
	var keys []string
	c := bk.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		keys = append(keys, string(k))
	}
	return keys
}

func testBuckets(t *testing.T, open Opener) {
	b := mustOpen(t, open, t.TempDir())
	defer b.Close()
	err := b.Update(func(tx storage.Tx) error {
		bk, err := tx.CreateBucket(bucket)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucket); err != nil {
			return fmt.Errorf("creating a bucket twice: %w", err)
		}
		for _, k := range []string{"b", "d", "a", "c"} {
			if err := bk.Put([]byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		if n1, _ := bk.NextSequence(); n1 != 1 {
			return fmt.Errorf("first sequence %d, want 1", n1)
		}
		if n2, _ := bk.NextSequence(); n2 != 2 {
			return fmt.Errorf("second sequence %d, want 2", n2)
		}
		return bk.Delete([]byte("d"))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = b.View(func(tx storage.Tx) error {
		bk := tx.Bucket(bucket)
		if v := bk.Get([]byte("a")); string(v) != "va" {
			return fmt.Errorf("get a = %q", v)
		}
		if v := bk.Get([]byte("d")); v != nil {
			return fmt.Errorf("a deleted key reads %q", v)
		}
		keys := walk(bk)
		c := bk.Cursor()
		if fmt.Sprint(keys) != "[a b c]" {
			return fmt.Errorf("cursor order %v", keys)
		}
		if k, _ := c.Seek([]byte("bb")); string(k) != "c" {
			return fmt.Errorf("seek bb lands on %q, want c", k)
		}
		if k, _ := c.Last(); string(k) != "c" {
			return fmt.Errorf("last %q", k)
		}
		if k, _ := c.Prev(); string(k) != "b" {
			return fmt.Errorf("prev of last %q", k)
		}
		if k, _ := c.Seek([]byte("z")); k != nil {
			return fmt.Errorf("seek past the end lands on %q", k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx storage.Tx) error { return tx.DeleteBucket(bucket) })
	if err != nil {
		t.Fatal(err)
	}
	check(t, b.View(func(tx storage.Tx) error {
		if v := tx.Bucket(bucket).Get([]byte("a")); v != nil {
			t.Errorf("a deleted bucket still reads %q", v)
		}
		return nil
	}))
}

// A key put with an empty value (nil or not) is there, as in bbolt: a
// cursor walks it, in the transaction that put it, after its commit and
// after a reopening (Get reads it empty; bbolt's Get gives nil for it in
// the transaction that put it). The indexes (a person's bookings) are such
// keys: an etcd store that took a nil value for a delete kept no index and
// let a person book twice.
func testEmptyValues(t *testing.T, open Opener) {
	dir := t.TempDir()
	b := mustOpen(t, open, dir)
	present := func(tx storage.Tx) error {
		bk := tx.Bucket(bucket)
		for _, k := range []string{"nil", "empty"} {
			if v := bk.Get([]byte(k)); len(v) != 0 {
				return fmt.Errorf("%s: Get reads %q, want an empty value", k, v)
			}
		}
		if keys := walk(bk); fmt.Sprint(keys) != "[empty nil]" {
			return fmt.Errorf("the cursor walks %v, want [empty nil]", keys)
		}
		return nil
	}
	check(t, b.Update(func(tx storage.Tx) error {
		bk, err := tx.CreateBucket(bucket)
		if err != nil {
			return err
		}
		if err := bk.Put([]byte("nil"), nil); err != nil {
			return err
		}
		if err := bk.Put([]byte("empty"), []byte{}); err != nil {
			return err
		}
		return present(tx)
	}))
	check(t, b.View(present))
	check(t, b.Update(present)) // a write transaction reads them too (the etcd store's cache)
	check(t, b.Close())
	b = mustOpen(t, open, dir)
	defer b.Close()
	check(t, b.View(present))
	check(t, b.Update(present))
}

// An error in a write transaction leaves nothing of it behind.
func testAtomic(t *testing.T, open Opener) {
	b := mustOpen(t, open, t.TempDir())
	defer b.Close()
	if err := b.Update(func(tx storage.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		t.Fatal(err)
	}
	failure := errors.New("half-way failure")
	err := b.Update(func(tx storage.Tx) error {
		if err := tx.Bucket(bucket).Put([]byte("half"), []byte("written")); err != nil {
			return err
		}
		return failure
	})
	if !errors.Is(err, failure) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	check(t, b.View(func(tx storage.Tx) error {
		if v := tx.Bucket(bucket).Get([]byte("half")); v != nil {
			t.Errorf("a rolled-back write reads %q", v)
		}
		return nil
	}))
}

// What a write transaction committed is there after a reopen.
func testDurable(t *testing.T, open Opener) {
	dir := t.TempDir()
	b := mustOpen(t, open, dir)
	err := b.Update(func(tx storage.Tx) error {
		bk, err := tx.CreateBucket(bucket)
		if err != nil {
			return err
		}
		return bk.Put([]byte("kept"), []byte("yes"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = mustOpen(t, open, dir)
	defer b.Close()
	check(t, b.View(func(tx storage.Tx) error {
		if v := tx.Bucket(bucket).Get([]byte("kept")); string(v) != "yes" {
			t.Errorf("after a reopen: %q", v)
		}
		return nil
	}))
}

// Concurrent read-modify-write transactions never lose an update.
func testIsolated(t *testing.T, open Opener) {
	b := mustOpen(t, open, t.TempDir())
	defer b.Close()
	check(t, b.Update(func(tx storage.Tx) error { _, err := tx.CreateBucket(bucket); return err }))
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				err := b.Update(func(tx storage.Tx) error {
					bk := tx.Bucket(bucket)
					n := 0
					fmt.Sscan(string(bk.Get([]byte("n"))), &n)
					return bk.Put([]byte("n"), []byte(fmt.Sprint(n+1)))
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	check(t, b.View(func(tx storage.Tx) error {
		if v := string(tx.Bucket(bucket).Get([]byte("n"))); v != fmt.Sprint(writers*each) {
			t.Errorf("counter %s after %d increments", v, writers*each)
		}
		return nil
	}))
}

// A backup holds what was committed.
func testBackup(t *testing.T, open Opener) {
	b := mustOpen(t, open, t.TempDir())
	defer b.Close()
	marker := []byte("a-value-to-find-in-the-backup")
	check(t, b.Update(func(tx storage.Tx) error {
		bk, err := tx.CreateBucket(bucket)
		if err != nil {
			return err
		}
		return bk.Put([]byte("k"), marker)
	}))
	var copy bytes.Buffer
	if n, err := b.WriteTo(&copy); err != nil || n != int64(copy.Len()) || !bytes.Contains(copy.Bytes(), marker) {
		t.Fatalf("backup of %d bytes (%v) without the value", n, err)
	}
}

// officeYAML is a small office: Tuesdays 08:00-12:00 with three counters, one
// of which alone deregisters vehicles.
const officeYAML = `
office: {name: Konformitätsamt, timezone: Europe/Berlin, state: NW}
counters: [{id: A}, {id: B}, {id: C}]
concerns:
  - {id: ausweis, name: {de: Ausweis}, minutes: 30}
  - {id: kfz, name: {de: Kfz abmelden}, minutes: 30, counters: [C]}
opening_hours:
  tuesday: ["08:00-12:00"]
booking: {horizon_days: 21, lead_time: 1h, slot_step: 30m, walk_in_share: 0, max_active_per_person: 1,
  release_delay: 15m, pin_max_attempts: 3, pin_lockout: 1h, pin_guesses_total: 20}
`

var berlin, _ = time.LoadLocation("Europe/Berlin")

// monday 2026-11-23 07:00; tuesday9 the next day at nine.
var (
	monday   = time.Date(2026, 11, 23, 7, 0, 0, 0, berlin)
	tuesday9 = time.Date(2026, 11, 24, 9, 0, 0, 0, berlin)
)

func openStore(t *testing.T, open Opener, opts booking.Options) (*booking.Store, *fakeclock.Clock) {
	t.Helper()
	cfg, err := office.ParseConfig("office.yaml", []byte(officeYAML))
	if err != nil {
		t.Fatal(err)
	}
	clock := fakeclock.New(monday)
	opts.Clock = clock
	s, err := booking.New(mustOpen(t, open, t.TempDir()), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clock
}

func request(concern string, start time.Time, person string) booking.Request {
	return booking.Request{Concerns: []office.ConcernCount{{ID: concern, Count: 1}}, Start: start, Name: "Erika Mustermann", PersonKey: person}
}

// Forty people racing for one time with three counters: exactly three get it.
func testBookingRace(t *testing.T, open Opener) {
	s, _ := openStore(t, open, booking.Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	booked, taken := 0, 0
	for i := range 40 {
		wg.Go(func() {
			_, _, err := s.Book(context.Background(), request("ausweis", tuesday9, fmt.Sprint("p", i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				booked++
			case errors.Is(err, booking.ErrSlotTaken):
				taken++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if booked != 3 || taken != 37 {
		t.Fatalf("booked %d, taken %d; want 3 and 37", booked, taken)
	}
}

// A person holds one booking at most (the office allows one): a second is
// refused, also when the person asks for two at once (a message sent twice
// to two instances), so the person's index must be stored and read.
func testPersonLimit(t *testing.T, open Opener) {
	s, _ := openStore(t, open, booking.Options{})
	ctx := context.Background()
	if _, _, err := s.Book(ctx, request("ausweis", tuesday9, "erika")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Book(ctx, request("ausweis", tuesday9.Add(time.Hour), "erika")); !errors.Is(err, booking.ErrLimitReached) {
		t.Fatalf("a second booking of the same person: %v, want ErrLimitReached", err)
	}
	var wg sync.WaitGroup
	var booked atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			_, _, err := s.Book(ctx, request("ausweis", tuesday9.Add(time.Duration(i%4)*30*time.Minute), "max"))
			switch {
			case err == nil:
				booked.Add(1)
			case !errors.Is(err, booking.ErrLimitReached) && !errors.Is(err, booking.ErrSlotTaken):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := booked.Load(); n != 1 {
		t.Fatalf("one person asking for 8 times at once got %d bookings, want 1", n)
	}
}

// The only counter for vehicles is busy: a vehicle cannot be booked then,
// an ID card still can.
func testCapacityMatching(t *testing.T, open Opener) {
	s, _ := openStore(t, open, booking.Options{})
	ctx := context.Background()
	if _, _, err := s.Book(ctx, request("kfz", tuesday9, "car1")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Book(ctx, request("kfz", tuesday9, "car2")); !errors.Is(err, booking.ErrSlotTaken) {
		t.Fatalf("a second vehicle at the same time: %v", err)
	}
	for i := range 2 {
		if _, _, err := s.Book(ctx, request("ausweis", tuesday9, fmt.Sprint("id", i))); err != nil {
			t.Fatalf("ID card %d beside the vehicle: %v", i, err)
		}
	}
	if _, _, err := s.Book(ctx, request("ausweis", tuesday9, "id3")); !errors.Is(err, booking.ErrSlotTaken) {
		t.Fatalf("a fourth appointment with three counters: %v", err)
	}
}

// A cancelled time is bookable again only after the release delay.
func testReleaseDelay(t *testing.T, open Opener) {
	s, clock := openStore(t, open, booking.Options{})
	ctx := context.Background()
	var mine booking.Booking
	var pin string
	for i := range 3 {
		b, p, err := s.Book(ctx, request("ausweis", tuesday9, fmt.Sprint("p", i)))
		if err != nil {
			t.Fatal(err)
		}
		mine, pin = b, p
	}
	if _, err := s.Cancel(ctx, mine.Number, pin, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Book(ctx, request("ausweis", tuesday9, "trader")); !errors.Is(err, booking.ErrSlotTaken) {
		t.Fatalf("right after the cancel: %v", err)
	}
	clock.Set(monday.Add(15 * time.Minute))
	if _, _, err := s.Book(ctx, request("ausweis", tuesday9, "later")); err != nil {
		t.Fatalf("after the release delay: %v", err)
	}
}

// Wrong PINs lock a booking for strangers, not for its chat; the total
// bound pauses strangers and alerts.
func testPINLimits(t *testing.T, open Opener) {
	var alerts []booking.Alert
	var mu sync.Mutex
	s, _ := openStore(t, open, booking.Options{Alert: func(_ context.Context, a booking.Alert) {
		mu.Lock()
		defer mu.Unlock()
		alerts = append(alerts, a)
	}})
	ctx := context.Background()
	req := request("ausweis", tuesday9, "owner")
	req.Channel, req.ChatID = "telegram", "42"
	b, pin, err := s.Book(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s.LookupAs(ctx, booking.Guesser{Person: fmt.Sprint("stranger", i)}, b.Number, "000000")
	}
	if _, err := s.LookupAs(ctx, booking.Guesser{Person: "other"}, b.Number, pin); !errors.Is(err, booking.ErrPINLocked) {
		t.Fatalf("a stranger while locked: %v", err)
	}
	if _, err := s.LookupAs(ctx, booking.Guesser{Owner: booking.Owner{Channel: "telegram", ChatID: "42"}}, b.Number, ""); err != nil {
		t.Fatalf("the owner while locked: %v", err)
	}
	for i := range 20 {
		s.LookupAs(ctx, booking.Guesser{Person: fmt.Sprint("script", i), Source: fmt.Sprint("net:", i)}, "T-999", "123456")
	}
	var ge *booking.GuessError
	if _, err := s.LookupAs(ctx, booking.Guesser{Person: "fresh"}, "T-998", "123456"); !errors.As(err, &ge) || ge.Scope != booking.ScopeAll {
		t.Fatalf("beyond the total: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(alerts) == 0 || !alerts[len(alerts)-1].Paused {
		t.Errorf("alerts %+v, want the pause told", alerts)
	}
}

// Forget leaves no personal datum of old bookings or old records; the
// backup after Compact holds none of them either.
func testRetention(t *testing.T, open Opener) {
	s, clock := openStore(t, open, booking.Options{})
	ctx := context.Background()
	req := request("ausweis", tuesday9, "tg:forget-me")
	req.Name, req.Email, req.Channel, req.ChatID, req.Source = "Hedwig Vergessmeinnicht", "hedwig@vergiss.example", "telegram", "chat-forget-me", "net:203.0.113.0/24"
	if _, _, err := s.Book(ctx, req); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Records("conformance")
	if err != nil {
		t.Fatal(err)
	}
	if err := recs.Put(ctx, "hedwig@vergiss.example", []byte("Hedwig Vergessmeinnicht's dialogue")); err != nil {
		t.Fatal(err)
	}
	s.LookupAs(ctx, booking.Guesser{Person: "tg:guesser-forget-me"}, "T-999", "000000")
	clock.Set(tuesday9.AddDate(0, 0, 31))
	if _, err := s.Forget(ctx, clock.Now().AddDate(0, 0, -30)); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := recs.Get(ctx, "hedwig@vergiss.example"); found {
		t.Error("a record outlived the retention")
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	var copy bytes.Buffer
	if _, err := s.Backup(&copy); err != nil {
		t.Fatal(err)
	}
	for _, datum := range []string{"Vergessmeinnicht", "vergiss.example", "forget-me", "203.0.113"} {
		if bytes.Contains(copy.Bytes(), []byte(datum)) {
			t.Errorf("%q is still in the stored bytes", datum)
		}
	}
}

// Retrying wraps a backend so that every write transaction's function runs
// twice: once in a transaction that is rolled back, then for real, as a
// backend that batches writes (bbolt's DB.Batch) may do. A store on it
// must behave exactly as on the backend itself: every function passed to
// Update may have no effect outside its transaction but the last run's.
func Retrying(b storage.Backend) storage.Backend { return retrying{b} }

type retrying struct{ storage.Backend }

var errRollBack = errors.New("backendtest: roll back the first run")

func (r retrying) Update(fn func(storage.Tx) error) error {
	err := r.Backend.Update(func(tx storage.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRollBack
	})
	if err != nil && !errors.Is(err, errRollBack) {
		return err
	}
	return r.Backend.Update(fn)
}

// A change's effect (the dialogue, the outbox) is stored with it, across a
// reopen; a change that fails stores none of it.
func testEffects(t *testing.T, open Opener) {
	cfg, err := office.ParseConfig("office.yaml", []byte(officeYAML))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clock := fakeclock.New(monday)
	s, err := booking.New(mustOpen(t, open, dir), cfg, booking.Options{Clock: clock})
	check(t, err)
	outbox := func(c booking.Change) ([]booking.Write, error) {
		return []booking.Write{
			{Kind: "outbox", Key: c.Booking.Number, Value: []byte("Ihre PIN: " + c.PIN)},
			{Kind: "dialogues", Key: "chat-1", Value: []byte("idle")},
		}, nil
	}
	ctx := context.Background()
	withEffect := func(r booking.Request, effect booking.Effect) booking.Request { r.Effect = effect; return r }
	b, pin, err := s.Book(ctx, withEffect(request("kfz", tuesday9, "p1"), outbox))
	check(t, err)
	if _, _, err := s.Book(ctx, withEffect(request("kfz", tuesday9, "p2"), outbox)); !errors.Is(err, booking.ErrSlotTaken) {
		t.Fatalf("second booking of the only vehicle counter: %v", err)
	}
	failing := func(booking.Change) ([]booking.Write, error) {
		return nil, errors.New("the outbox is full")
	}
	if _, _, err := s.Book(ctx, withEffect(request("ausweis", tuesday9, "p3"), failing)); err == nil {
		t.Fatal("a booking whose effect failed was made")
	}
	check(t, s.Close())

	s, err = booking.New(mustOpen(t, open, dir), cfg, booking.Options{Clock: clock})
	check(t, err)
	defer s.Close()
	recs, err := s.RecordsOf("outbox", "dialogues")
	check(t, err)
	all, err := recs[0].All(context.Background())
	check(t, err)
	if len(all) != 1 || all[0].Key != b.Number || string(all[0].Value) != "Ihre PIN: "+pin {
		t.Fatalf("outbox after reopen: %+v, want only %s with its PIN", all, b.Number)
	}
	if _, found, _ := recs[1].Get(context.Background(), "chat-1"); !found {
		t.Fatal("the dialogue written with the booking is gone")
	}
	if bs, _ := s.PersonBookings(context.Background(), "p3"); len(bs) != 0 {
		t.Fatalf("the booking whose effect failed is stored: %+v", bs)
	}
	cancelled, err := s.CancelByID(ctx, b.ID, "", func(c booking.Change) ([]booking.Write, error) {
		return []booking.Write{{Kind: "outbox", Key: b.Number, Value: nil}, {Kind: "outbox", Key: "cancel-" + c.Booking.Number, Value: []byte(c.Booking.Status)}}, nil
	})
	check(t, err)
	all, err = recs[0].All(context.Background())
	check(t, err)
	if len(all) != 1 || all[0].Key != "cancel-"+b.Number || string(all[0].Value) != string(cancelled.Status) {
		t.Fatalf("outbox after the cancellation: %+v", all)
	}
}

// Sealed values open again under the same service key, not under another,
// and their plain text is not in the stored bytes.
func testSealed(t *testing.T, open Opener) {
	key := bytes.Repeat([]byte{7}, 32)
	s, _ := openStore(t, open, booking.Options{PINKey: key})
	sealed, err := s.Seal([]byte("PIN: 482910"))
	check(t, err)
	check(t, s.Apply(context.Background(), booking.Write{Kind: "outbox", Key: "m1", Value: sealed}))
	var copy bytes.Buffer
	_, err = s.Backup(&copy)
	check(t, err)
	if bytes.Contains(copy.Bytes(), []byte("482910")) {
		t.Fatal("a sealed PIN is in the stored bytes")
	}
	if plain, err := s.Unseal(sealed); err != nil || string(plain) != "PIN: 482910" {
		t.Fatalf("unseal: %q %v", plain, err)
	}
	other, _ := openStore(t, open, booking.Options{PINKey: bytes.Repeat([]byte{8}, 32)})
	if _, err := other.Unseal(sealed); !errors.Is(err, booking.ErrUnreadable) {
		t.Fatalf("another key opened it: %v", err)
	}
}

// A copy into a bbolt file and back (backup, migration) keeps every key and
// every bucket's sequence: the next booking id goes on, not back to 1.
func testCopy(t *testing.T, open Opener) {
	src := mustOpen(t, open, t.TempDir())
	defer src.Close()
	check(t, src.Update(func(tx storage.Tx) error {
		for _, name := range []string{"copy-a", "copy-b"} {
			bk, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			for i := range 250 { // more than one chunk of a copy
				if err := bk.Put([]byte(fmt.Sprintf("%s-%04d", name, i)), []byte(fmt.Sprint(i))); err != nil {
					return err
				}
			}
			for range 7 {
				if _, err := bk.NextSequence(); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	file, err := storage.OpenFile(t.TempDir()+"/copy.db", time.Second)
	check(t, err)
	defer file.Close()
	check(t, storage.CopyBackend(file, src))
	back := mustOpen(t, open, t.TempDir())
	defer back.Close()
	check(t, storage.CopyBackend(back, file))
	check(t, back.Update(func(tx storage.Tx) error {
		for _, name := range []string{"copy-a", "copy-b"} {
			bk := tx.Bucket([]byte(name))
			n := 0
			c := bk.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				n++
			}
			if n != 250 || string(bk.Get([]byte(name+"-0249"))) != "249" {
				t.Errorf("bucket %s after two copies: %d keys", name, n)
			}
			if next, err := bk.NextSequence(); err != nil || next != 8 {
				t.Errorf("bucket %s: next sequence %d (%v), want 8", name, next, err)
			}
		}
		return nil
	}))
}
