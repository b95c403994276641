package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/storage/backendtest"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// The etcd backend passes the conformance suite the bbolt file passes,
// against a real etcd member on loopback; each "directory" of the suite is
// a key prefix of its own.
func TestEtcdBackend(t *testing.T) {
	c := Start(t, 1)
	open := func(dir string) (storage.Backend, error) {
		return storage.OpenEtcd(storage.EtcdConfig{Endpoints: c.Endpoints, Prefix: "/test" + strings.ReplaceAll(dir, "/", "_") + "/", LockTTL: 5 * time.Second})
	}
	backendtest.TestBackend(t, open)
}

// Two service instances on one cluster (two backends on one prefix, as
// behind a load balancer) never decide a booking twice: forty people
// racing through both for one time with three counters, exactly three
// get it.
func TestTwoInstancesDecideOnce(t *testing.T) {
	c := Start(t, 1)
	cfg, err := office.ParseConfig("office.yaml", []byte(officeYAML))
	if err != nil {
		t.Fatal(err)
	}
	var stores []*booking.Store
	for range 2 {
		b, err := storage.OpenEtcd(storage.EtcdConfig{Endpoints: c.Endpoints, Prefix: "/town/"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := booking.New(b, cfg, booking.Options{Clock: fakeclock.New(monday)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	var booked, taken atomic.Int32
	for i := range 40 {
		wg.Go(func() {
			req := booking.Request{Concerns: []office.ConcernCount{{ID: "ausweis", Count: 1}}, Start: tuesday9, Name: "Erika Mustermann", PersonKey: fmt.Sprint("p", i)}
			_, _, err := stores[i%2].Book(context.Background(), req)
			switch {
			case err == nil:
				booked.Add(1)
			case errors.Is(err, booking.ErrSlotTaken):
				taken.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if booked.Load() != 3 || taken.Load() != 37 {
		t.Fatalf("booked %d, taken %d through two instances; want 3 and 37", booked.Load(), taken.Load())
	}
}

const officeYAML = `
office: {name: Etcd-Amt, timezone: Europe/Berlin, state: NW}
counters: [{id: A}, {id: B}, {id: C}]
concerns:
  - {id: ausweis, name: {de: Ausweis}, minutes: 30}
opening_hours:
  tuesday: ["08:00-12:00"]
booking: {horizon_days: 21, lead_time: 1h, slot_step: 30m, walk_in_share: 0, max_active_per_person: 1,
  release_delay: 15m, pin_max_attempts: 3, pin_lockout: 1h, pin_guesses_total: 20}
`

var berlin, _ = time.LoadLocation("Europe/Berlin")

var (
	monday   = time.Date(2026, 11, 23, 7, 0, 0, 0, berlin)
	tuesday9 = time.Date(2026, 11, 24, 9, 0, 0, 0, berlin)
)

// Of two instances one leads; when it goes (its lease ends), the other
// takes over. On a bbolt file the only instance leads at once.
func TestLeadership(t *testing.T) {
	c := Start(t, 1)
	cfg, err := office.ParseConfig("office.yaml", []byte(officeYAML))
	if err != nil {
		t.Fatal(err)
	}
	open := func() *booking.Store {
		b, err := storage.OpenEtcd(storage.EtcdConfig{Endpoints: c.Endpoints, Prefix: "/lead/", LockTTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s, err := booking.New(b, cfg, booking.Options{Clock: fakeclock.New(monday)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open(), open()
	defer b.Close()
	ctx := context.Background()
	lostA, err := a.Lead(ctx, "jobs", "a")
	if err != nil {
		t.Fatal(err)
	}
	led := make(chan error, 1)
	go func() {
		_, err := b.Lead(ctx, "jobs", "b")
		led <- err
	}()
	select {
	case err := <-led:
		t.Fatalf("b leads while a does (%v)", err)
	case <-time.After(500 * time.Millisecond):
	}
	a.Close() // a goes away; its lease with it
	select {
	case <-lostA:
	case <-time.After(5 * time.Second):
		t.Fatal("a was not told it lost the lead")
	}
	select {
	case err := <-led:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b did not take over")
	}
	file, err := booking.Open(t.TempDir()+"/bb.db", cfg, booking.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if lost, err := file.Lead(ctx, "jobs", "only"); err != nil || lost != nil {
		t.Fatalf("the bbolt file's instance does not lead at once: %v %v", lost, err)
	}
}

// Two of three members down: nothing can be decided, the store says so
// (ErrUnavailable), the dialogue tells the citizen in plain words with the
// office's phone; with the members back, booking goes on and nothing made
// before is lost.
func TestQuorumLoss(t *testing.T) {
	c := Start(t, 3)
	cfg, err := office.ParseConfig("office.yaml", []byte(officeYAML))
	if err != nil {
		t.Fatal(err)
	}
	backend, err := storage.OpenEtcd(storage.EtcdConfig{Endpoints: c.Endpoints, Prefix: "/quorum/", RequestTimeout: 2 * time.Second, LockTTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	store, err := booking.New(backend, cfg, booking.Options{Clock: fakeclock.New(monday)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	req := func(person string, start time.Time) booking.Request {
		return booking.Request{Concerns: []office.ConcernCount{{ID: "ausweis", Count: 1}}, Start: start, Name: "Erika Mustermann", PersonKey: person}
	}
	before, pin, err := store.Book(ctx, req("p1", tuesday9))
	if err != nil {
		t.Fatal(err)
	}
	engine, err := conversation.New(store, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Stop(1)
	c.Stop(2)
	if _, _, err := store.Book(ctx, req("p2", tuesday9.Add(30*time.Minute))); !errors.Is(err, booking.ErrUnavailable) {
		t.Fatalf("a booking without a quorum: %v, want ErrUnavailable", err)
	}
	replies, err := engine.Handle(ctx, conversation.Message{Channel: "test", ChatID: "c1", PersonKey: "p3", Lang: "de", Text: "Ausweis Dienstag 10 Uhr"})
	if err != nil || len(replies) == 0 || !strings.Contains(replies[0].Text, "nicht erreichbar") {
		t.Fatalf("the citizen without a quorum was told %+v (%v)", replies, err)
	}
	for _, i := range []int{1, 2} {
		if err := c.Restart(i); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, _, err := store.Book(ctx, req("p2", tuesday9.Add(30*time.Minute)))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no booking after the quorum came back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got, err := store.Lookup(ctx, before.Number, pin); err != nil || got.ID != before.ID {
		t.Fatalf("the booking made before the outage: %+v %v", got, err)
	}
}

// An instance keeps the writers' lock between its batches and walks the
// buckets it read in memory; what another instance writes meanwhile is
// never missed: the other one gets the lock (it waits, so the holder
// gives it back), and the first sees its writes, by key and by cursor.
func TestTheLockKeptAndTheCacheAreGivenUpForAnotherInstance(t *testing.T) {
	c := Start(t, 1)
	open := func() storage.Backend {
		b, err := storage.OpenEtcd(storage.EtcdConfig{Endpoints: c.Endpoints, Prefix: "/shared/"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
	a, b := open(), open()
	put := func(be storage.Backend, key, value string) {
		t.Helper()
		if err := be.Update(func(tx storage.Tx) error {
			bk, err := tx.CreateBucket([]byte("things"))
			if err != nil {
				return err
			}
			return bk.Put([]byte(key), []byte(value))
		}); err != nil {
			t.Fatal(err)
		}
	}
	seen := func(be storage.Backend) string {
		t.Helper()
		var out []string
		if err := be.Update(func(tx storage.Tx) error {
			cur := tx.Bucket([]byte("things")).Cursor()
			for k, v := cur.First(); k != nil; k, v = cur.Next() {
				out = append(out, string(k)+"="+string(v))
			}
			if v := tx.Bucket([]byte("things")).Get([]byte("x")); v != nil {
				out = append(out, "get x="+string(v))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, " ")
	}
	put(a, "x", "1")
	if got := seen(a); got != "x=1 get x=1" { // a's cache now holds the whole bucket
		t.Fatalf("a sees %q", got)
	}
	// a keeps hammering while b writes: b must get through.
	stop := make(chan struct{})
	var hammer sync.WaitGroup
	hammer.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			put(a, "a", fmt.Sprint(i))
		}
	})
	start := time.Now()
	put(b, "x", "2")
	put(b, "y", "3")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("b waited %v for the lock a keeps while busy", took)
	}
	close(stop)
	hammer.Wait()
	if got := seen(a); !strings.Contains(got, "x=2 y=3 get x=2") {
		t.Fatalf("a missed b's writes: %q", got)
	}
}

// The etcd backend's cursors walk a bucket as the bbolt file's do — in a
// view (read a page at a time) and in a write transaction (the bucket in
// memory, merged with the transaction's writes) — for random walks over
// more keys than a page holds: a simulation against the bbolt file as the
// model.
func TestCursorsWalkAsTheBoltFileDoes(t *testing.T) {
	c := Start(t, 1)
	ec, err := storage.OpenEtcd(storage.EtcdConfig{Endpoints: c.Endpoints, Prefix: "/walk/", MaxTxnOps: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	file, err := storage.OpenFile(t.TempDir()+"/model.db", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for part := range 10 { // 1,000 keys, 100 to a transaction
		for _, be := range []storage.Backend{ec, file} {
			r := rand.New(rand.NewPCG(uint64(part), 7))
			if err := be.Update(func(tx storage.Tx) error {
				b, err := tx.CreateBucket([]byte("walk"))
				if err != nil {
					return err
				}
				for range 100 {
					if err := b.Put(fmt.Appendf(nil, "k%04d", r.IntN(1500)), []byte{byte(part)}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// walk does the same random steps on a cursor and writes down what it
	// finds; in a write transaction it first changes some keys.
	walk := func(tx storage.Tx, seed uint64, write bool) string {
		r := rand.New(rand.NewPCG(seed, 9))
		b := tx.Bucket([]byte("walk"))
		if write {
			for range 30 {
				k := fmt.Appendf(nil, "k%04d", r.IntN(1500))
				if r.IntN(2) == 0 {
					b.Delete(k)
				} else {
					b.Put(k, []byte("w"))
				}
			}
		}
		var out strings.Builder
		cur := b.Cursor()
		atEnd := true // off the keys: only First, Last and Seek place the cursor again (bbolt's Next and Prev there differ by how it got there)
		for range 400 {
			var k, v []byte
			op := r.IntN(6)
			if atEnd {
				op = r.IntN(3)
			}
			out.WriteString("FLSNNP"[op : op+1])
			switch op {
			case 0:
				k, v = cur.First()
			case 1:
				k, v = cur.Last()
			case 2:
				k, v = cur.Seek(fmt.Appendf(nil, "k%04d", r.IntN(1600)))
			case 3, 4:
				k, v = cur.Next()
			case 5:
				k, v = cur.Prev()
			}
			atEnd = k == nil
			fmt.Fprintf(&out, "%s=%x ", k, v)
		}
		return out.String()
	}
	for seed := range uint64(20) {
		for _, write := range []bool{false, true} {
			var got, want string
			run := func(be storage.Backend, into *string) {
				step := func(tx storage.Tx) error { *into = walk(tx, seed, write); return errors.New("taken back") }
				if write {
					be.Update(step)
				} else {
					be.View(func(tx storage.Tx) error { *into = walk(tx, seed, write); return nil })
				}
			}
			run(ec, &got)
			run(file, &want)
			if got != want {
				t.Fatalf("seed %d, write %v: etcd walked\n%s\nthe bbolt file\n%s", seed, write, got, want)
			}
		}
	}
}
