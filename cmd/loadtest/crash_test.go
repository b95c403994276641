package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/citizens/email/mailtest"
	"buergerbuero/citizens/telegram/telegramtest"
)

// crashUser is a Telegram user who books step by step across crashes.
type crashUser struct {
	id      int64
	slot    string
	next    int  // the step to send next
	seen    int  // messages received so far
	inDoubt bool // a message was sent and the service died before it answered
	done    bool
}

// crashMailer books by mail across crashes: a first mail that says it
// all, then "ja" in the thread of the summary once it came. Mails stay in
// the mailbox until handled, so a crash loses none of them.
type crashMailer struct {
	addr, slot string
	asked      bool   // the first mail is in the mailbox
	summary    string // the summary's Message-ID, once it came
	confirmed  bool   // "ja" is in the mailbox
}

// step moves the mailer on by what reached it so far.
func (m *crashMailer) step(env *environment) {
	switch {
	case !m.asked:
		raw, _ := mailtest.CitizenMail(m.addr, "Termin", "", "Guten Tag, ich brauche einen Termin für meinen Personalausweis "+m.slot+", Mara Mail")
		m.asked = env.imap.Deliver(raw) == nil
	case m.summary == "":
		for _, got := range env.smtp.To(m.addr) {
			if strings.Contains(got.Body, "Bitte prüfen") {
				m.summary = got.MessageID
			}
		}
	case !m.confirmed:
		raw, _ := mailtest.CitizenMail(m.addr, "Re: Termin", "<"+m.summary+">", "Ja, bitte.")
		m.confirmed = env.imap.Deliver(raw) == nil
	}
}

var crashSteps = []struct{ text, expect string }{
	{"Perso %s", "Vor- und Nachname"},
	{"Erika Muster", "E-Mail"},
	{"nein", "Bitte prüfen"},
	{"ja", "Wartenummer"},
}

// TestCrashRecovery kills the service with SIGKILL at random moments while
// users book through Telegram, restarts it on the same file, twenty times.
// After each crash: no booking a user was told of is lost or changed, no
// time is over capacity, nobody holds two bookings; and users who were in
// the middle of a dialogue go on from where they were.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and crashes the service twenty times")
	}
	env := testEnvironment(t, "load")
	rng := rand.New(rand.NewPCG(20, 26))
	var users []*crashUser
	var mailers []*crashMailer
	var toldOf []told
	slots := env.slotTexts(400, 1, time.Now())
	mailSlots := env.slotTexts(440, 1, time.Now())[400:]
	resumes := 0
	for cycle := range 20 {
		if err := env.start(); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		for range 8 { // new users arrive
			users = append(users, &crashUser{id: telegramtest.Citizen(1_000_000 + len(users)), slot: slots[len(users)]})
		}
		for range 2 { // and by mail, each from a domain of their own (the per-domain limit)
			n := len(mailers)
			mailers = append(mailers, &crashMailer{addr: fmt.Sprintf("m%d@mail%d.example", n, n), slot: mailSlots[n]})
		}
		for _, m := range mailers {
			m.step(env)
		}
		var killed atomic.Bool
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, u := range users {
			if u.done || u.inDoubt {
				continue
			}
			quota := 1 + rng.IntN(2) // a step or two, then the user pauses (not waiting for anything)
			pause := time.Duration(rng.IntN(40)) * time.Millisecond
			wg.Add(1)
			go func() {
				defer wg.Done()
				afterRestart := u.next > 0
				for step := 0; step < quota && u.next < len(crashSteps) && !killed.Load(); step++ {
					time.Sleep(pause)
					s := crashSteps[u.next]
					text := s.text
					if u.next == 0 {
						text = fmt.Sprintf(s.text, u.slot)
					}
					env.tg.Text(u.id, "de", text)
					msgs, ok := waitReply(env.tg, u.id, u.seen, &killed)
					if !ok {
						u.inDoubt = true // the service died before answering
						return
					}
					u.seen += len(msgs)
					reply := ""
					for _, m := range msgs {
						reply += m.Text + "\n"
					}
					if m := bookedRx.FindStringSubmatch(reply); m != nil {
						mu.Lock()
						toldOf = append(toldOf, told{m[1], m[2], fmt.Sprint("tg:", u.id), 0})
						mu.Unlock()
						u.done = true
						return
					}
					if !strings.Contains(reply, s.expect) {
						if toldTaken(reply) || strings.Contains(reply, "schon einen Termin") {
							u.done = true
							return
						}
						t.Errorf("cycle %d: user %d step %d got %q, want %q", cycle, u.id, u.next, reply, s.expect)
						u.done = true
						return
					}
					if afterRestart {
						mu.Lock()
						resumes++
						mu.Unlock()
						afterRestart = false
					}
					u.next++
				}
			}()
		}
		time.Sleep(time.Duration(50+rng.IntN(450)) * time.Millisecond)
		env.kill()
		killed.Store(true)
		wg.Wait()
		store, err := env.openStore()
		if err != nil {
			t.Fatalf("cycle %d: reopen after the crash: %v", cycle, err)
		}
		inv, err := checkStore(store, toldOf, nil)
		store.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !inv.ok() {
			var b strings.Builder
			inv.print(&b)
			t.Fatalf("cycle %d: %s", cycle, b.String())
		}
	}
	if len(toldOf) < 20 || resumes < 10 {
		t.Fatalf("the test proved little: %d bookings told, %d dialogues resumed after a crash", len(toldOf), resumes)
	}
	d := checkDelivery(t, env, users, toldOf)
	md := checkMailDelivery(t, env, mailers)
	t.Logf("20 crashes: %d bookings told and kept, %d dialogues resumed after a restart; Telegram: %d bookings stored, "+
		"%d confirmations delivered (%d of them by the outbox after a restart), %d duplicates (%d marked as a possible repeat); "+
		"mail: %d bookings stored, %d confirmed, %d sent twice under the same Message-ID (shown once), %d distinct duplicates",
		len(toldOf), resumes, d.bookings, d.delivered, d.afterRestart, d.duplicates, d.markedRepeats,
		md.bookings, md.delivered, md.duplicates, md.markedRepeats) // for mail, markedRepeats counts distinct Message-IDs beyond the first
	if md.bookings < 5 {
		t.Fatalf("only %d bookings by mail: the mail half proved little", md.bookings)
	}
}

// delivery is what reached the citizens of the crash test.
type delivery struct {
	bookings, delivered, afterRestart, duplicates, markedRepeats int
}

// checkDelivery restarts the service once more and checks the other half
// of the invariant: every stored booking's confirmation reaches its chat
// exactly once (a repeat after a crash only marked as one), and every
// confirmation a chat got is of a stored booking.
func checkDelivery(t *testing.T, env *environment, users []*crashUser, toldOf []told) delivery {
	t.Helper()
	stored := storedBookings(t, env, "telegram")
	if err := env.start(); err != nil {
		t.Fatal(err)
	}
	confirmations := func() map[string][]string { // number -> the texts that confirmed it
		out := map[string][]string{}
		for _, u := range users {
			for _, m := range env.tg.Sent(u.id) {
				if c := bookedRx.FindStringSubmatch(m.Text); c != nil {
					out[c[1]] = append(out[c[1]], fmt.Sprint(u.id)+"\x00"+m.Text)
				}
			}
		}
		return out
	}
	waitConfirmed(t, stored, "stored bookings", confirmations)
	env.stop()
	// Messages waiting when the service died are handled in the last run
	// too: what they booked is stored now.
	final := storedBookings(t, env, "telegram")
	d := delivery{bookings: len(stored)}
	for num, texts := range confirmations() {
		chat, ok := final[num]
		if !ok {
			t.Errorf("a confirmation of %s, which is not stored: a change that did not commit was told", num)
			continue
		}
		if _, before := stored[num]; before {
			d.delivered++
		}
		for i, text := range texts {
			to, body, _ := strings.Cut(text, "\x00")
			if to != chat {
				t.Errorf("the confirmation of %s went to chat %s, not %s", num, to, chat)
			}
			if i > 0 {
				d.duplicates++
				if strings.Contains(body, "Wiederholung") {
					d.markedRepeats++
				} else {
					t.Errorf("%s confirmed %d times, the repeat unmarked", num, len(texts))
				}
			}
		}
	}
	live := map[string]bool{}
	for _, to := range toldOf {
		live[to.number] = true
	}
	for num := range stored {
		if !live[num] {
			d.afterRestart++ // the service died before its answer; the outbox delivered it after a restart
		}
	}
	return d
}

// checkMailDelivery checks, after checkDelivery's last run, that every
// booking made by mail got its confirmation: once, or again under the same
// Message-ID (which mail programs show once); and no confirmation of a
// booking that is not stored.
func checkMailDelivery(t *testing.T, env *environment, mailers []*crashMailer) delivery {
	t.Helper()
	stored := storedBookings(t, env, "email")
	confirmed := func() map[string]map[string]int { // number -> Message-ID -> times sent
		ids := map[string]map[string]int{}
		for _, m := range mailers {
			for _, got := range env.smtp.To(m.addr) {
				if c := bookedRx.FindStringSubmatch(got.Body); c != nil {
					if ids[c[1]] == nil {
						ids[c[1]] = map[string]int{}
					}
					ids[c[1]][got.MessageID]++
				}
			}
		}
		return ids
	}
	if err := env.start(); err != nil { // one more run, for mails handled at the very end
		t.Fatal(err)
	}
	waitConfirmed(t, stored, "bookings made by mail", confirmed)
	env.stop()
	final := storedBookings(t, env, "email") // with those the last run made
	d := delivery{bookings: len(stored)}
	for num, byID := range confirmed() {
		addr, ok := final[num]
		if !ok {
			t.Errorf("a confirmation of %s, which is not stored: a change that did not commit was told", num)
			continue
		}
		for _, m := range mailers {
			if m.addr != addr && len(env.smtp.To(m.addr)) > 0 {
				for _, got := range env.smtp.To(m.addr) {
					if c := bookedRx.FindStringSubmatch(got.Body); c != nil && c[1] == num {
						t.Errorf("the confirmation of %s went to %s, not %s", num, m.addr, addr)
					}
				}
			}
		}
		if _, told := stored[num]; !told {
			continue
		}
		d.delivered++
		for _, n := range byID {
			d.duplicates += n - 1
		}
		d.markedRepeats += len(byID) - 1
		if len(byID) > 1 {
			t.Errorf("%s confirmed under %d Message-IDs", num, len(byID))
		}
	}
	return d
}

// waitConfirmed waits until every stored booking (by number) has a
// confirmation among those got finds, failing after 20 seconds.
func waitConfirmed[V []string | map[string]int](t *testing.T, stored map[string]string, what string, got func() map[string]V) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		confirmed, missing := got(), 0
		for num := range stored {
			if len(confirmed[num]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d %s never had their confirmation delivered", missing, len(stored), what)
		}
	}
}

// storedBookings are the stored appointments made on channel: number ->
// chat (or address).
func storedBookings(t *testing.T, env *environment, channel string) map[string]string {
	t.Helper()
	store, err := env.openStore()
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	bs, err := store.Between(context.Background(), now.AddDate(0, 0, -1), now.AddDate(0, 0, 30))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, b := range bs {
		if b.Kind == booking.KindAppointment && b.Channel == channel {
			out[b.Number] = b.ChatID
		}
	}
	return out
}

// testEnvironment builds the service and makes an environment for
// scenario, closed at the end of the test.
func testEnvironment(t *testing.T, scenario string) *environment {
	t.Helper()
	dir := t.TempDir()
	bin, err := buildServe(dir)
	if err != nil {
		t.Fatal(err)
	}
	env, err := newEnvironment(dir, bin, scenario, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.close)
	return env
}

// waitReply waits for the bot's answer (a message with buttons), giving up
// when the service was killed.
func waitReply(api *telegramtest.Server, id int64, seen int, killed *atomic.Bool) ([]telegramtest.Sent, bool) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		all := api.Sent(id)
		if len(all) > seen {
			for _, m := range all[seen:] {
				if len(m.Keyboard) > 0 {
					return all[seen:], true
				}
			}
		}
		if killed.Load() {
			return nil, false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil, false
}

// TestRaceScenario runs the load tool's race: 200 Telegram users race for
// the 10 places of a one-counter office: exactly 10 are booked and told so,
// the other 190 are told the time is taken.
func TestRaceScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service")
	}
	var out strings.Builder
	if err := run(t.Context(), &out, options{users: 200, clerks: 1, scenario: "race", bin: testBinary(t)}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"booked 10 (Telegram 10), told the time is taken 190, stuck 0", "invariants (all hold): 10 appointments stored"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("missing %q in\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}
