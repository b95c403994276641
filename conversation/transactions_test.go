package conversation

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
	"buergerbuero/storage"
)

// countingBackend is the real bbolt file, counting its write transactions.
type countingBackend struct {
	storage.Backend
	writes atomic.Int64
}

func (c *countingBackend) Update(fn func(storage.Tx) error) error {
	c.writes.Add(1)
	return c.Backend.Update(fn)
}

// newCountingEnv is an env whose store counts write transactions; its
// outbox runs only when the test says (DeliverOutbox), so every write is
// the test's own.
func newCountingEnv(t *testing.T) (*env, *countingBackend) {
	t.Helper()
	cfg, err := office.DemoConfig()
	if err != nil {
		t.Fatal(err)
	}
	file, err := storage.OpenFile(filepath.Join(t.TempDir(), "bb.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	backend := &countingBackend{Backend: file}
	clock := fakeclock.New(tuesday)
	s, err := booking.New(backend, cfg, booking.Options{Clock: clock, PINKey: testServiceKey})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := &env{t: t, clock: clock, cfg: cfg, store: s, engine: e, sent: &recorder{sent: map[string][]Reply{}}, stop: func() {}}
	e.Register("test", ev.sent)
	e.Register(MailChannel, ev.sent)
	t.Cleanup(func() { s.Close() })
	return ev, backend
}

// Every citizen message is at most one write transaction: the one that
// changes a booking stores the booking, the dialogue's new state and the
// reply in the outbox together, and the channel's "shown" writes nothing
// of its own (the outbox's next pass deletes what was shown, in one
// transaction for all chats).
func TestOneWriteTransactionPerMessage(t *testing.T) {
	ev, backend := newCountingEnv(t)
	c := ev.chat("1", "de")
	var num, pin string
	steps := []struct {
		name, text string
		want       int64 // write transactions; -1: at most one
		then       func(out string)
	}{
		{"a greeting from a fresh chat keeps nothing", "Hallo", 0, nil},
		{"concern, day and time", "Perso Donnerstag 10 Uhr", 1, nil},
		{"name", "Max Mustermann", 1, nil},
		{"no e-mail", "nein", 1, nil},
		{"booked", "ja", 1, func(out string) { num, pin = numberAndPIN(t, out) }},
		{"move: which booking", "Termin verschieben", 1, nil},
		{"move: the chat's own", "1", 1, nil},
		{"move: new time", "Fr 27.11. 11:00", 1, nil},
		{"moved", "ja", 1, nil},
		{"cancel: which booking", "Termin absagen", 1, nil},
		{"cancel: the chat's own", "1", 1, nil},
		{"cancelled", "ja", 1, nil},
	}
	for _, s := range steps {
		before := backend.writes.Load()
		out := c.say(s.text)
		if got := backend.writes.Load() - before; got != s.want {
			t.Errorf("%s: %d write transactions, want %d\n%s", s.name, got, s.want, out)
		}
		if s.then != nil {
			s.then(out)
		}
	}
	if _, err := ev.store.Lookup(ctx, num, pin); err == nil {
		t.Fatalf("%s still active after the cancel", num)
	}
	left, err := ev.engine.outbox.All(ctx)
	if err != nil || len(left) != 3 {
		t.Fatalf("outbox before the pass: %d entries (want the three shown replies) %v", len(left), err)
	}
	before := backend.writes.Load()
	if err := ev.engine.DeliverOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := backend.writes.Load() - before; got != 1 {
		t.Errorf("the outbox's pass: %d write transactions, want one for all shown replies", got)
	}
	if left, _ := ev.engine.outbox.All(ctx); len(left) != 0 {
		t.Errorf("%d outbox entries left after the pass", len(left))
	}
	if got := ev.sent.take("1"); len(got) != 0 {
		t.Errorf("shown replies sent again: %s", dump(got))
	}
}

// By mail too (the dialogue keeps the handled Message-IDs, options are
// numbered): the booking's message is its one write.
func TestOneWriteTransactionPerMail(t *testing.T) {
	ev, backend := newCountingEnv(t)
	for i, text := range []string{"Perso Donnerstag 10 Uhr", "Max Mustermann", "ja"} {
		before := backend.writes.Load()
		m := Message{Channel: MailChannel, ChatID: "max@example.org", PersonKey: "mail:max@example.org", Email: "max@example.org",
			Lang: "de", Text: text, Numbered: true, Proven: true, ID: fmt.Sprintf("<%d@example.org>", i)}
		out, err := ev.engine.Handle(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if got := backend.writes.Load() - before; got != 1 {
			t.Errorf("%q: %d write transactions, want 1\n%s", text, got, dump(out))
		}
		if i == 2 {
			numberAndPIN(t, dump(out))
		}
	}
}

// On an instance that does not lead (no RunOutbox), what its channels
// showed is still deleted: RunSweeps, which runs on every instance.
func TestSweepsOnEveryInstance(t *testing.T) {
	ev, backend := newCountingEnv(t)
	ev.chat("1", "de").book("Perso Donnerstag 10 Uhr")
	if left, _ := ev.engine.outbox.All(ctx); len(left) != 1 {
		t.Fatalf("%d outbox entries before the sweep, want the shown confirmation", len(left))
	}
	sweeps, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	before := backend.writes.Load()
	go func() { ev.engine.RunSweeps(sweeps, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for left, _ := ev.engine.outbox.All(ctx); len(left) != 0; left, _ = ev.engine.outbox.All(ctx) {
		if time.Now().After(deadline) {
			t.Fatal("the shown confirmation was never swept")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	if n := backend.writes.Load() - before; n != 1 {
		t.Errorf("%d write transactions for the sweep, want 1", n)
	}
}
