package conversation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"buergerbuero/booking"
)

// A booking's confirmation the channel never showed (the service died
// after the booking committed) reaches the chat after the restart, once,
// marked as a possible repeat, with the PIN that works; the retried
// message is not handled twice.
func TestConfirmationSurvivesACrash(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Perso Donnerstag 10 Uhr")
	c.say("Erika Mustermann")
	c.say("nein")
	// "ja" is handled and committed; the channel dies before showing it.
	replies, err := ev.engine.Handle(ctx, Message{Channel: "test", ChatID: "1", PersonKey: c.person, Lang: "de", Text: "ja", ID: "update-7"})
	if err != nil {
		t.Fatal(err)
	}
	num, pin := numberAndPIN(t, joined(replies))
	ev.restart()
	ev.engine.Register("test", ev.sent)
	if again, err := ev.engine.Handle(ctx, Message{Channel: "test", ChatID: "1", PersonKey: c.person, Lang: "de", Text: "ja", ID: "update-7"}); err != nil || len(again) != 0 {
		t.Fatalf("the redelivered message was handled again: %s %v", dump(again), err)
	}
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	got := dump(ev.sent.take("1"))
	expect(t, "delivered after the restart", got, "Wiederholung", "Wartenummer: "+num, "PIN: "+pin)
	if strings.Count(got, "Wartenummer: "+num) != 1 {
		t.Fatalf("confirmation delivered %d times:\n%s", strings.Count(got, "Wartenummer: "+num), got)
	}
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if more := ev.sent.take("1"); len(more) != 0 {
		t.Fatalf("delivered twice: %s", dump(more))
	}
	if _, err := ev.store.Lookup(ctx, num, pin); err != nil {
		t.Fatalf("the PIN delivered does not open the booking: %v", err)
	}
}

// What the channel showed is not sent again, and the outbox is empty.
func TestShownRepliesAreDone(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	num, _ := ev.chat("1", "de").book("Perso Donnerstag 10 Uhr")
	ev.restart()
	ev.engine.Register("test", ev.sent)
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ev.sent.take("1"); len(got) != 0 {
		t.Fatalf("a shown confirmation of %s was sent again: %s", num, dump(got))
	}
	if left, _ := ev.engine.outbox.All(ctx); len(left) != 0 {
		t.Fatalf("%d outbox entries left", len(left))
	}
}

// The outbox keeps a PIN sealed: not in the data file's bytes.
func TestOutboxIsSealed(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Perso Donnerstag 10 Uhr")
	c.say("Erika Mustermann")
	c.say("nein")
	replies, err := ev.engine.Handle(ctx, Message{Channel: "test", ChatID: "1", PersonKey: c.person, Lang: "de", Text: "ja"})
	if err != nil {
		t.Fatal(err)
	}
	_, pin := numberAndPIN(t, joined(replies))
	ev.stop()
	ev.store.Close()
	raw, err := os.ReadFile(ev.path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("PIN: "+pin)) || bytes.Contains(raw, []byte(pin)) {
		t.Fatal("the PIN is in the data file in the clear")
	}
	ev.open()
}

// flaky is a Sender that fails while down is set and records what it sent.
type flaky struct {
	mu   sync.Mutex
	down bool
	sent []string
}

func (f *flaky) Send(_ context.Context, chatID string, replies []Reply) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errors.New("channel down")
	}
	for _, r := range replies {
		f.sent = append(f.sent, chatID+": "+r.Text)
	}
	return nil
}

// A channel that is down gets what was pushed later, with back-off, and
// each chat's messages in the order they were made.
func TestOutboxRetriesInOrder(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	ev.stop() // deliveries by hand, at the test's clock
	ch := &flaky{down: true}
	ev.engine.Register("flaky", ch)
	for _, text := range []string{"eins", "zwei"} {
		if err := ev.engine.Push(ctx, "flaky", "c1", "de", []Reply{{Text: text}}); err != nil {
			t.Fatal(err)
		}
		ev.clock.Advance(time.Second)
	}
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	ch.mu.Lock()
	ch.down = false
	ch.mu.Unlock()
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ch.sent) != 0 {
		t.Fatalf("sent before the back-off ended: %v", ch.sent)
	}
	ev.clock.Advance(outboxFirstWait)
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ch.sent, "|") != "c1: eins|c1: zwei" {
		t.Fatalf("sent %v, want eins then zwei", ch.sent)
	}
}

// A call is stored with the message that tells its chat, in one
// transaction: a change whose effect fails is not made.
func TestCallEffectTellsTheChat(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	num, _ := ev.chat("1", "de").book("Perso Donnerstag 10 Uhr")
	ev.clock.Set(time.Date(2026, 11, 26, 9, 59, 0, 0, berlin))
	b, err := ev.store.CallNext(ctx, "1", "anna", func(day []booking.Booking, _ time.Time) (int, bool) {
		return 0, len(day) > 0
	}, ev.engine.CallEffect)
	if err != nil || b.Number != num {
		t.Fatalf("call: %+v %v", b, err)
	}
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	expect(t, "called", dump(ev.sent.take("1")), num+": Bitte gehen Sie jetzt zu Platz 1")
}

// A clerk's cancellation, of one booking or a cluster, is stored with the
// message that tells the citizen: a crash right after the commit (nothing
// delivered yet) still tells them after the restart.
func TestStaffCancellationsTellTheCitizenAcrossACrash(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	one, _ := ev.chat("one", "de").book("Perso Donnerstag 10 Uhr")
	var cluster []string
	for i := range 3 {
		c := ev.chat(fmt.Sprint("bot", i), "de")
		c.say(fmt.Sprintf("Perso Donnerstag %d Uhr", 8+i))
		c.say("Bot Bauer")
		c.say("nein")
		num, _ := numberAndPIN(t, c.say("ja"))
		cluster = append(cluster, num)
	}
	b, err := ev.store.Find(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	ev.stop() // no delivery from here: the crash comes right after the commits
	if _, err := ev.store.CancelByID(ctx, b.ID, "anna", ev.engine.CancelledByOffice); err != nil {
		t.Fatal(err)
	}
	if cancelled, err := ev.store.CancelCluster(ctx, "name:bot bauer", "anna", ev.engine.CancelledInCluster); err != nil || len(cancelled) != 3 {
		t.Fatalf("cancel cluster: %d %v", len(cancelled), err)
	}
	ev.restart()
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	expect(t, "the single cancellation", dump(ev.sent.take("one")), one, "vom Bürgerbüro abgesagt")
	for i, num := range cluster {
		expect(t, "the cluster's", dump(ev.sent.take(fmt.Sprint("bot", i))), num, "vom Bürgerbüro abgesagt", "Termine hortet")
	}
}
