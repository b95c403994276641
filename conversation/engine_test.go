package conversation

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
)

var ctx = context.Background()

var berlin, _ = time.LoadLocation("Europe/Berlin")

// tuesday is Tuesday 24.11.2026, 09:00, in the demo office (open 08:00-12:30).
var tuesday = time.Date(2026, 11, 24, 9, 0, 0, 0, berlin)

type env struct {
	t      *testing.T
	store  *booking.Store
	engine *Engine
	clock  *fakeclock.Clock
	path   string
	cfg    *office.Config
	sent   *recorder
	stop   context.CancelFunc // stops the outbox's delivery of this engine
}

// recorder is a Sender that keeps what the engine pushed.
type recorder struct {
	mu   sync.Mutex
	sent map[string][]Reply
}

func (r *recorder) Send(_ context.Context, chatID string, replies []Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent[chatID] = append(r.sent[chatID], replies...)
	return nil
}

func (r *recorder) take(chatID string) []Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent[chatID]
	delete(r.sent, chatID)
	return out
}

func newEnv(t *testing.T, cfgYAML string, now time.Time) *env {
	t.Helper()
	var cfg *office.Config
	var err error
	if cfgYAML == "" {
		cfg, err = office.DemoConfig()
	} else {
		cfg, err = office.ParseConfig("test.yaml", []byte(cfgYAML))
	}
	if err != nil {
		t.Fatal(err)
	}
	ev := &env{t: t, clock: fakeclock.New(now), path: filepath.Join(t.TempDir(), "bb.db"), cfg: cfg, sent: &recorder{sent: map[string][]Reply{}}}
	ev.open()
	return ev
}

func (ev *env) open() {
	s, err := booking.Open(ev.path, ev.cfg, booking.Options{Clock: ev.clock, PINKey: testServiceKey})
	if err != nil {
		ev.t.Fatal(err)
	}
	e, err := New(s, Options{})
	if err != nil {
		ev.t.Fatal(err)
	}
	e.Register("test", ev.sent)
	e.Register(MailChannel, ev.sent) // an office with mail: the e-mail question is asked
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.RunOutbox(ctx, 20*time.Millisecond); close(done) }()
	ev.store, ev.engine, ev.stop = s, e, func() { stop(); <-done }
	ev.t.Cleanup(func() { ev.stop(); s.Close() })
}

// testServiceKey is the service key of the test stores (PINs, the outbox).
var testServiceKey = []byte("0123456789abcdef0123456789abcdef")

// restart closes the store and opens it again with a new engine.
func (ev *env) restart() {
	ev.stop()
	ev.store.Close()
	ev.open()
}

// tick runs the engine's scheduler at the clock's time and delivers what
// it put in the outbox.
func (ev *env) tick(ctx context.Context) {
	ev.t.Helper()
	if err := ev.engine.Tick(ctx); err != nil {
		ev.t.Fatal(err)
	}
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		ev.t.Fatal(err)
	}
}

// chat is one citizen talking to the engine.
type chat struct {
	ev         *env
	id, person string
	lang       string
	last       []Reply
	mail       string
	buttons    bool // the channel shows buttons, not numbered lists
}

func (ev *env) chat(id, lang string) *chat {
	return &chat{ev: ev, id: id, person: "person-" + id, lang: lang}
}

func (c *chat) send(m Message) []Reply {
	c.ev.t.Helper()
	m.Channel, m.ChatID, m.PersonKey, m.Lang, m.Email = "test", c.id, c.person, c.lang, c.mail
	m.Numbered = !c.buttons
	replies, err := c.ev.engine.Handle(ctx, m)
	if err != nil {
		c.ev.t.Fatalf("handle %+v: %v", m, err)
	}
	if err := c.ev.engine.Delivered(ctx, replies); err != nil { // shown, as a channel says
		c.ev.t.Fatal(err)
	}
	c.last = replies
	return replies
}

// say types text.
func (c *chat) say(text string) string { return joined(c.send(Message{Text: text})) }

// press chooses the last offered option whose label contains label.
func (c *chat) press(label string) string {
	c.ev.t.Helper()
	for i := len(c.last) - 1; i >= 0; i-- {
		for _, o := range c.last[i].Options {
			if strings.Contains(o.Label, label) || o.ID == label {
				return joined(c.send(Message{Option: o.ID}))
			}
		}
	}
	c.ev.t.Fatalf("no option %q in\n%s", label, dump(c.last))
	return ""
}

func joined(rs []Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text)
		b.WriteString("\n")
		for _, o := range r.Options {
			b.WriteString("[" + o.Label + "] ")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func dump(rs []Reply) string { return joined(rs) }

// expect checks that out has every fragment.
func expect(t *testing.T, step, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("%s: missing %q in\n%s", step, w, out)
		}
	}
}

var (
	numberRx = regexp.MustCompile(`(?:Wartenummer|Waiting number): (T-\d+)`)
	pinRx    = regexp.MustCompile(`PIN: (\d{6})`)
)

// book books an appointment as Max Mustermann with a first message such
// as "Perso morgen 9 Uhr" (German, no e-mail) and returns number and PIN.
func (c *chat) book(first string) (number, pin string) {
	c.ev.t.Helper()
	c.say(first)
	c.say("Max Mustermann")
	c.say("nein")
	return numberAndPIN(c.ev.t, c.say("ja"))
}

func numberAndPIN(t *testing.T, out string) (string, string) {
	t.Helper()
	n, p := numberRx.FindStringSubmatch(out), pinRx.FindStringSubmatch(out)
	if n == nil || p == nil {
		t.Fatalf("no number and PIN in\n%s", out)
	}
	return n[1], p[1]
}

func TestBookByButtonsGerman(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	expect(t, "hello", c.say("Hallo"), "Terminassistent", "[Termin buchen]")
	expect(t, "book", c.press("Termin buchen"), "Wofür möchten Sie einen Termin", "[Personalausweis beantragen]")
	expect(t, "concern", c.press("Personalausweis beantragen"), "Voraussichtliche Bearbeitungszeit: 15 Minuten", "weiteres Anliegen")
	expect(t, "add", c.press("Weiteres Anliegen"), "Wofür")
	expect(t, "second concern", c.press("Reisepass"), "Personalausweis beantragen, Reisepass beantragen oder verlängern", "35 Minuten")
	out := c.press("Weiter zur Terminwahl")
	expect(t, "days", out, "Bitte bringen Sie mit", "biometrisches Passfoto", "An welchem Tag", "[Di 24.11. (", "[Spätere Tage »]")
	expect(t, "later days", c.press("Spätere Tage"), "[Mo 07.12.") // 5 days on: Di, Mi, Do, Fr, Mo → next page
	expect(t, "back to days", c.say("zurück"), "Haben Sie noch ein weiteres Anliegen")
	c.press("Weiter zur Terminwahl")
	expect(t, "day", c.press("Mi 25.11."), "Um welche Uhrzeit am Mi 25.11.?", "[08:00]")
	expect(t, "later times", c.press("Spätere Zeiten"), "[10:00]", "[10:30]")
	expect(t, "time", c.press("10:30"), "Vor- und Nachname")
	expect(t, "name", c.say("Erika Mustermann"), "E-Mail")
	expect(t, "email", c.say("erika@example.org"), "Bitte prüfen", "Mi 25.11.2026, 10:30", "Erika Mustermann", "erika@example.org", "[Ja, verbindlich buchen]")
	out = c.press("Ja, verbindlich buchen")
	expect(t, "booked", out, "Ihr Termin ist gebucht", "Wartenummer: T-", "PIN: ", "Mi 25.11.2026, 10:30", "Am Markt 1", "nach 5 Minuten", "absagen", "[Bescheid geben")
	num, pin := numberAndPIN(t, out)
	var ics string
	for _, r := range c.last {
		for _, a := range r.Attachments {
			ics = string(a.Data)
		}
	}
	expect(t, "ics", ics, "METHOD:REQUEST", "BEGIN:VEVENT", "DTSTART:20261125T093000Z", "DTEND:20261125T100500Z", num)
	b, err := ev.store.Lookup(ctx, num, pin)
	if err != nil || b.Name != "Erika Mustermann" || b.Email != "erika@example.org" || b.Channel != "test" || b.Minutes != 35 {
		t.Fatalf("stored booking %+v, %v", b, err)
	}
}

func TestBookByTypedTextSkipsAnsweredQuestions(t *testing.T) {
	tests := []struct {
		name, lang string
		script     []struct{ say, want string }
		when       string
	}{
		{"german", "de", []struct{ say, want string }{
			{"Termin für Perso morgen 10 Uhr", "Vor- und Nachname"},
			{"Max Mustermann", "E-Mail"},
			{"nein", "Bitte prüfen"},
			{"ja", "Ihr Termin ist gebucht"},
		}, "Mi 25.11.2026, 10:00"},
		{"german with a part of the day and a name", "de", []struct{ say, want string }{
			{"Termin für Personalausweis am Donnerstag vormittags, Max Mustermann", "Um welche Uhrzeit am Do 26.11.?"},
			{"9:30", "E-Mail"},
			{"max@example.org", "Bitte prüfen"},
			{"ja", "Ihr Termin ist gebucht"},
		}, "Do 26.11.2026, 09:30"},
		{"english", "en", []struct{ say, want string }{
			{"I need an appointment to renew my passport", "Expected processing time: 20 minutes"},
			{"next Monday 2pm", "first and last name"},
			{"John Smith", "e-mail"},
			{"john@example.com", "Please check"},
			{"yes", "Your appointment is booked"},
		}, "Mon 30.11.2026, 14:00"},
		{"english with a day list", "en", []struct{ say, want string }{
			{"book", "What do you need an appointment for"},
			{"deregister car", "Do you have another concern"},
			{"no", "Please bring"},
			{"2", "What time on Wed 25.11.?"},
			{"11:00", "first and last name"},
			{"Jane Doe", "e-mail"},
			{"skip", "Please check"},
			{"yes", "Waiting number"},
		}, "Wed 25.11.2026, 11:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			c := ev.chat("1", tc.lang)
			var out string
			for i, s := range tc.script {
				out = c.say(s.say)
				expect(t, fmt.Sprintf("step %d %q", i, s.say), out, s.want)
			}
			expect(t, "when", out, tc.when)
		})
	}
}

func TestReAsksAndExplains(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	expect(t, "nonsense at start", c.say("Blumenkohl"), "nicht verstanden", "[Termin buchen]")
	c.say("Termin")
	expect(t, "unknown concern", c.say("Zaubertrank"), "nicht verstanden", "Wofür möchten Sie")
	c.say("Führerschein umtauschen und Perso")
	c.say("nein")
	expect(t, "garbled day", c.say("am Blumentag"), "nicht verstanden", "An welchem Tag")
	expect(t, "closed day", c.say("Samstag"), "Am Sa 28.11. ist das Bürgerbüro geschlossen")
	expect(t, "holiday", c.say("25.12."), "Den Fr 25.12. kann ich nicht buchen", "Di 24.11. bis Di 15.12.")
	expect(t, "past date", c.say("20.11."), "kann ich nicht buchen")
	expect(t, "day", c.say("Mittwoch"), "Um welche Uhrzeit am Mi 25.11.?")
	expect(t, "a time after closing", c.say("13:00"), "13:00 Uhr ist am Mi 25.11. nicht frei", "[12:00]", "[12:10]")
	expect(t, "nearest", c.press("12:10"), "Vor- und Nachname")
	expect(t, "bad name", c.say("1234"), "Vor- und Nachnamen")
	expect(t, "help keeps the step", c.say("hilfe"), "Ich kann für Sie Termine buchen", "Vor- und Nachname")
	expect(t, "a name that looks like a word", c.say("Jo Start"), "E-Mail")
	expect(t, "bad email", c.say("erika at example"), "sieht nicht wie eine E-Mail-Adresse aus")
	expect(t, "back", c.say("zurück"), "Vor- und Nachname")
	expect(t, "stop", c.say("abbrechen"), "abgebrochen", "nichts geändert")
	if bs, _ := ev.store.PersonBookings(ctx, c.person); len(bs) != 0 {
		t.Fatalf("booked although stopped: %+v", bs)
	}
}

func TestEnglishSwitchAndBack(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Termin")
	expect(t, "switch", c.say("English"), "I will write in English now", "What do you need an appointment for")
	expect(t, "concern", c.say("ID card"), "Expected processing time: 15 minutes")
	expect(t, "switch back", c.say("Deutsch"), "Ich schreibe jetzt auf Deutsch", "weiteres Anliegen")
}

func TestSlotTakenAtConfirm(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Kfz abmelden morgen 10 Uhr")
	c.say("Max Mustermann")
	expect(t, "summary", c.say("nein"), "Bitte prüfen", "10:00")
	// The citizen leaves the chat for longer than the time is held;
	// meanwhile somebody else takes the only Kfz counter at 10:00.
	ev.clock.Advance(ev.cfg.Booking.HoldFor)
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, berlin)
	if _, _, err := ev.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "fahrzeug-abmelden", Count: 1}}, Start: start, Name: "Fast Finger", PersonKey: "other"}); err != nil {
		t.Fatal(err)
	}
	out := c.say("ja")
	// One Kfz counter, 15 minutes: 09:50 and 10:10 overlap the taken 10:00.
	expect(t, "taken", out, "gerade von jemand anderem gebucht", "[09:30]", "[10:20]")
	if strings.Contains(out, "[09:50]") || strings.Contains(out, "[10:10]") {
		t.Fatalf("overlapping times offered:\n%s", out)
	}
	expect(t, "nearest", c.press("10:20"), "Bitte prüfen", "10:20")
	expect(t, "booked", c.say("ja"), "Ihr Termin ist gebucht")
	day, _ := ev.store.DayBookings(ctx, start)
	if len(day) != 2 {
		t.Fatalf("%d bookings, want 2", len(day))
	}
}

func TestRestartMidDialogue(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "en")
	c.say("passport")
	c.say("no")
	expect(t, "day", c.press("Wed 25.11."), "What time")
	ev.restart()
	c.ev = ev
	expect(t, "after the restart", c.say("11:00"), "first and last name")
	expect(t, "name", c.say("Ann Lee"), "e-mail")
}

func TestCancelAndWrongPIN(t *testing.T) {
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			c := ev.chat("1", lang)
			num, pin := c.book("Perso morgen 9 Uhr")
			other := ev.chat("2", lang) // anyone with number and PIN may cancel
			words := map[string][]string{"de": {"absagen", "PIN", "mit dieser PIN finde ich keinen", "prüfen Sie beides", "wirklich absagen", "ist abgesagt"},
				"en": {"cancel my appointment", "PIN", "with the number " + num + " and this PIN", "check both", "Really cancel", "is cancelled"}}[lang]
			expect(t, "ask", other.say(words[0]), words[1])
			expect(t, "wrong", other.say(num+" 000000"), words[2], words[3])
			expect(t, "right", other.say(pin), words[4], num)
			out := other.press("confirm:yes")
			expect(t, "cancelled", out, words[5])
			var ics string
			for _, r := range other.last {
				for _, a := range r.Attachments {
					ics = string(a.Data)
				}
			}
			expect(t, "cancel ics", ics, "METHOD:CANCEL", "STATUS:CANCELLED")
			if _, err := ev.store.Lookup(ctx, num, pin); err == nil {
				t.Fatal("booking still there after the cancel")
			}
		})
	}
}

func TestReschedule(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	num, pin := c.book("Perso morgen 9 Uhr")
	expect(t, "ask, with the chat's own booking", c.say("Termin verschieben"), "Wartenummer und PIN", "["+num+" – Mi 25.11.2026, 09:00]")
	// The chat that booked needs no PIN; another chat does.
	expect(t, "number only", c.say(strings.ToLower(strings.ReplaceAll(num, "-", ""))), "An welchem Tag")
	expect(t, "day and time", c.say("Do 26.11. 11:30"), "verschieben?", "Mi 25.11.2026, 09:00", "Do 26.11.2026, 11:30")
	expect(t, "moved", c.say("ja"), "verschoben auf Do 26.11.2026, 11:30", "PIN bleibt gleich")
	b, err := ev.store.Lookup(ctx, num, pin)
	if err != nil || b.Start.Format("02.01. 15:04") != "26.11. 11:30" {
		t.Fatalf("after the move: %+v %v", b, err)
	}
}

func TestDocsHoursAndHelp(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	expect(t, "docs typed", c.say("Was brauche ich für den Reisepass?"), "Reisepass beantragen oder verlängern", "Geburtsurkunde", "70,00 €")
	expect(t, "docs menu", c.press("Was muss ich mitbringen"), "Für welches Anliegen")
	expect(t, "docs chosen", c.press("Fahrzeug abmelden"), "Kennzeichenschilder", "12,30 €")
	expect(t, "hours", c.say("Öffnungszeiten"), "Mo: 08:00-12:30, 14:00-16:00", "Fr: 08:00-12:00", "02175 992200")
	ev.clock.Set(time.Date(2026, 12, 10, 9, 0, 0, 0, berlin))
	expect(t, "closed days ahead", c.say("Öffnungszeiten"), "Do 24.12. (geschlossen)", "Fr 25.12. (")
	e := ev.chat("2", "en")
	expect(t, "docs en", e.say("What do I need to bring for an ID card?"), "Apply for an ID card", "biometric passport photo", "€37.00")
	expect(t, "help en", e.say("help"), "I can book, cancel and reschedule")
}

func TestStatusAndCheckIn(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	expect(t, "nothing today", c.say("wo bin ich"), "keinen Termin")
	num, _ := c.book("Perso heute 10:30")
	expect(t, "status", c.say("Status"), num, "heute um 10:30")
	ev.clock.Set(time.Date(2026, 11, 24, 10, 20, 0, 0, berlin))
	expect(t, "check-in", c.say("Ich bin da"), "angemeldet", num)
	bs, _ := ev.store.PersonBookings(ctx, c.person)
	if bs[0].CheckedInAt.IsZero() {
		t.Fatal("check-in not stored")
	}
	expect(t, "another chat cannot", ev.chat("2", "de").say("ich bin da"), "Infotheke")
}

func TestDialogueExpires(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Perso")
	ev.clock.Advance(3 * time.Hour)
	expect(t, "expired", c.say("ja"), "abgelaufen")
}

// earlyOffice has two 30-minute slots on Tuesday and Thursday mornings.
const earlyOffice = `
office: {name: Kleines Amt, timezone: Europe/Berlin, state: NW, phone: "0123"}
counters: [{id: "1"}]
concerns: [{id: pass, name: {de: Reisepass, en: Passport}, keywords: [pass], minutes: 30}]
opening_hours: {tuesday: ["08:00-09:00"], thursday: ["08:00-09:00"]}
booking: {slot_step: 30m, walk_in_share: 0, lead_time: 1h}
`

func TestEarlierTimeOfferedToWatchersByLot(t *testing.T) {
	ev := newEnv(t, earlyOffice, time.Date(2026, 11, 23, 12, 0, 0, 0, berlin)) // Monday
	// Somebody for whom no time suits watches before anything is booked:
	// Tuesday 08:00 is free now, so only something earlier would be news.
	early := ev.chat("early", "de")
	early.say("Pass")
	early.say("nein")
	expect(t, "watch without a booking", early.press("watch:new"), "gebe Ihnen Bescheid")
	// Two others hold Tuesday's two times.
	var held []string
	for i, c := range []*chat{ev.chat("a", "de"), ev.chat("b", "de")} {
		c.say("Pass Dienstag " + []string{"8:00", "8:30"}[i])
		c.say("Anna Alt")
		c.say("nein")
		num, pin := numberAndPIN(t, c.say("ja"))
		held = append(held, num+" "+pin)
	}
	me, rival := ev.chat("me", "de"), ev.chat("rival", "de")
	me.say("Pass Donnerstag 8:30")
	me.say("Max Mustermann")
	me.say("nein")
	expect(t, "booked", me.say("ja"), "Do 26.11.2026, 08:30")
	expect(t, "watch", me.press("Bescheid geben"), "gebe Ihnen Bescheid")
	rival.say("Pass Donnerstag 8:00")
	rival.say("Rita Rival")
	rival.say("nein")
	rival.say("ja")
	rival.press("Bescheid geben")

	// Anna cancels Tuesday 08:00; after the release delay it is offered to
	// both, one per tick, in an order drawn by lot.
	num, pin, _ := strings.Cut(held[0], " ")
	if _, err := ev.store.Cancel(ctx, num, pin, nil); err != nil {
		t.Fatal(err)
	}
	ev.tick(ctx)
	if got := ev.sent.take("me"); len(got) != 0 {
		t.Fatalf("offered during the release delay: %s", dump(got))
	}
	ev.clock.Advance(15 * time.Minute)
	ev.tick(ctx)
	offerMe, offerRival := ev.sent.take("me"), ev.sent.take("rival")
	if (len(offerMe) == 0) == (len(offerRival) == 0) {
		t.Fatalf("a freed time offered to %d and %d watchers in one tick, want one", len(offerMe), len(offerRival))
	}
	ev.tick(ctx)
	offerMe, offerRival = append(offerMe, ev.sent.take("me")...), append(offerRival, ev.sent.take("rival")...)
	if got := ev.sent.take("early"); len(got) != 0 {
		t.Fatalf("offered a time that is not earlier than the one free when watching began: %s", dump(got))
	}
	expect(t, "offer", dump(offerMe), "Di 24.11.2026, 08:00 ist frei geworden", "statt Do 26.11.2026, 08:30", "[Ja, diesen Termin nehmen]")
	expect(t, "offer to rival", dump(offerRival), "Di 24.11.2026, 08:00")
	ev.tick(ctx)
	if again := ev.sent.take("me"); len(again) != 0 {
		t.Fatalf("offered twice: %s", dump(again))
	}
	// The rival is faster; then I accept and am told it is gone.
	rival.last, me.last = offerRival, offerMe
	expect(t, "rival takes it", rival.press("Ja, diesen Termin nehmen"), "verschoben auf Di 24.11.2026, 08:00")
	expect(t, "too late", me.press("Ja, diesen Termin nehmen"), "schon jemand anderes genommen")
	// The rival's Thursday 08:00 is released after the delay and offered to me.
	ev.clock.Advance(15 * time.Minute)
	ev.tick(ctx)
	offer := ev.sent.take("me")
	expect(t, "next offer", dump(offer), "Do 26.11.2026, 08:00")
	me.last = offer
	expect(t, "take it", me.press("Ja, diesen Termin nehmen"), "verschoben auf Do 26.11.2026, 08:00")
}

func TestRemindersWithOneTapCancel(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	num, _ := c.book("Perso Donnerstag 10 Uhr")
	ev.tick(ctx)
	if got := ev.sent.take("1"); len(got) != 0 {
		t.Fatalf("reminder two days early: %s", dump(got))
	}
	ev.clock.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, berlin))
	ev.tick(ctx)
	ev.tick(ctx)
	got := ev.sent.take("1")
	if len(got) != 1 {
		t.Fatalf("%d reminders the day before, want 1: %s", len(got), dump(got))
	}
	expect(t, "day reminder", dump(got), "Erinnerung", num, "morgen", "Personalausweis oder Reisepass", "[Diesen Termin absagen]")
	ev.restart() // reminders sent are remembered across restarts
	ev.engine.Register("test", ev.sent)
	c.ev = ev
	ev.tick(ctx)
	if again := ev.sent.take("1"); len(again) != 0 {
		t.Fatalf("reminded again after a restart: %s", dump(again))
	}
	expect(t, "typed number answers the reminder", c.say("1"), "ist abgesagt")
	ev.clock.Set(time.Date(2026, 11, 26, 9, 5, 0, 0, berlin))
	ev.tick(ctx)
	if got := ev.sent.take("1"); len(got) != 0 {
		t.Fatalf("hour reminder for a cancelled booking: %s", dump(got))
	}
}

func TestCatalogueHasEveryTextInBothLanguages(t *testing.T) {
	ids := map[string]map[string]bool{}
	for _, lang := range []string{"de", "en"} {
		data, _ := localeFiles.ReadFile("locales/" + lang + ".yaml")
		ids[lang] = map[string]bool{}
		for _, line := range strings.Split(string(data), "\n") {
			if k, _, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(k, "#") && !strings.HasPrefix(k, " ") && k != "" {
				ids[lang][k] = true
			}
		}
	}
	for id := range ids["de"] {
		if !ids["en"][id] {
			t.Errorf("%s has no English text", id)
		}
	}
	for id := range ids["en"] {
		if !ids["de"][id] {
			t.Errorf("%s has no German text", id)
		}
	}
}

// TestEnglishFlows runs the flows not covered in English above.
func TestEnglishFlows(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "en-GB")
	hours := c.say("opening hours")
	expect(t, "hours", hours, "Opening hours of", "Mon: 08:00-12:30, 14:00-16:00", "Fri: 08:00-12:00")
	if strings.Contains(hours, "Sat") {
		t.Errorf("a weekend without hours is listed:\n%s", hours)
	}
	c.say("ID card today 10:30")
	c.say("Ann Lee")
	c.say("no")
	out := c.say("yes")
	num, pin := numberAndPIN(t, out)
	expect(t, "confirmation", out, "Your appointment is booked", "Please bring", "called once more after 5 minutes", "[Tell me if something earlier becomes free]")
	expect(t, "status", c.say("where am I?"), num, "today at 10:30")
	expect(t, "reschedule", c.say("reschedule "+num+" "+pin), "Which day")
	expect(t, "day", c.say("Thursday"), "What time on Thu 26.11.?")
	expect(t, "time", c.say("9:00"), "Move your appointment", "to Thu 26.11.2026, 09:00")
	expect(t, "moved", c.say("yes"), "is moved to Thu 26.11.2026, 09:00")
	ev.clock.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, berlin))
	ev.tick(ctx)
	expect(t, "reminder", dump(ev.sent.take("1")), "Reminder: your appointment "+num+" is tomorrow", "[Cancel this appointment]")
	ev.clock.Set(time.Date(2026, 11, 26, 8, 30, 0, 0, berlin))
	expect(t, "check-in", c.say("I'm here"), "you are checked in")
}

// TestMailCopiesForOtherChannels: a booking made in a chat that gave an
// e-mail address gets its confirmation, reminder and cancellation by mail too.
func TestMailCopiesForOtherChannels(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	mails := &recorder{sent: map[string][]Reply{}}
	ev.engine.Register(MailChannel, mails)
	waitMail := func(want string) string {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			mails.mu.Lock()
			got := dump(mails.sent["erika@example.org"])
			var ics string
			for _, r := range mails.sent["erika@example.org"] {
				for _, a := range r.Attachments {
					ics += string(a.Data)
				}
			}
			mails.mu.Unlock()
			if strings.Contains(got+ics, want) {
				return got + ics
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("no mail with %q", want)
		return ""
	}
	c := ev.chat("1", "de")
	c.say("Perso Donnerstag 10 Uhr")
	c.say("Erika Mustermann")
	c.say("erika@example.org")
	num, pin := numberAndPIN(t, c.say("ja"))
	out := waitMail("Wartenummer: " + num)
	expect(t, "confirmation mail", out, "PIN: "+pin, "METHOD:REQUEST")
	if strings.Contains(out, "hier im Chat") {
		t.Errorf("the mail speaks of the chat:\n%s", out)
	}
	ev.clock.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, berlin))
	ev.tick(ctx)
	waitMail("Erinnerung: Ihr Termin " + num + " ist morgen")
	c.say("absagen")
	c.say(num + " " + pin)
	c.say("ja")
	waitMail("METHOD:CANCEL")
}

// TestPINGuessingInTheChatIsStopped: a chat that tries number after number
// with wrong PINs is told clearly that it is locked out, before any booking
// is reached by luck.
func TestPINGuessingInTheChatIsStopped(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("evil", "de")
	var out string
	for i := range 12 {
		c.say("absagen")
		out = c.say(fmt.Sprintf("T-%03d 111111", i+1))
	}
	expect(t, "locked", out, "zu oft eine falsche PIN oder Nummer", "02175 992200")
	// Another person is not affected.
	expect(t, "someone else", ev.chat("good", "de").say("absagen T-001 111111"), "keinen anstehenden Termin")
}

// TestNumbersOnAButtonChannel: where options are buttons, "9" at the time
// question is 9 o'clock, not the ninth button; "Nr. 2" still picks one.
func TestNumbersOnAButtonChannel(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.buttons = true
	c.say("Perso")
	c.say("nein")
	c.say("Freitag")
	c.say("9")
	expect(t, "nine o'clock", c.say("Anna Beispiel"), "E-Mail")
	expect(t, "summary", c.say("nein"), "Fr 27.11.2026, 09:00")
	e := ev.chat("2", "de")
	e.buttons = true
	e.say("Termin")
	expect(t, "explicit number", e.say("Nr. 2"), "Reisepass beantragen oder verlängern")
}

// TestConcernsAtDifferentCounters: two concerns no counter does together:
// the first is booked, with a word about the other that fits the office's
// limit of appointments per person.
func TestConcernsAtDifferentCounters(t *testing.T) {
	tests := []struct {
		name      string
		perPerson int
		advice    string
	}{
		{"one appointment per person", 1, "an der Info eine Wartenummer"},
		{"two per person", 2, "anschließend einen eigenen Termin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			ev.cfg.Booking.MaxActivePerPerson = tc.perPerson
			c := ev.chat("1", "de")
			expect(t, "both", c.say("Ich brauche einen neuen Pass und muss mein Auto abmelden"),
				"Fahrzeug abmelden wird an einem anderen Platz erledigt als Reisepass", tc.advice,
				"Ihre Anliegen: Reisepass beantragen oder verlängern", "weiteres Anliegen")
			c.say("ja")
			expect(t, "added later", c.say("Auto abmelden"), "Fahrzeug abmelden wird an einem anderen Platz erledigt", tc.advice, "weiteres Anliegen")
		})
	}
}

// TestAnotherDayAndTimeAtTheTimeQuestion: "Thursday 3pm" while asked for a
// time on Wednesday takes Thursday at 15:00.
func TestAnotherDayAndTimeAtTheTimeQuestion(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "en")
	c.say("passport")
	c.say("no")
	expect(t, "wednesday", c.say("Wednesday"), "What time on Wed 25.11.?")
	expect(t, "thursday 3pm", c.say("Thursday 3pm"), "first and last name")
	c.say("Ann Lee")
	expect(t, "summary", c.say("no"), "Thu 26.11.2026, 15:00")
	e := ev.chat("2", "en")
	e.say("passport")
	e.say("no")
	e.say("Wednesday")
	expect(t, "another day without a time", e.say("Friday"), "What time on Fri 27.11.?")
}

// TestAnswersGivenOutOfOrder: a name and an address typed before they are
// asked for are kept; "ja" is not taken for a name.
func TestAnswersGivenOutOfOrder(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.buttons = true
	expect(t, "day and time", c.say("Ich will mein Auto abmelden, geht das morgen um 9?"), "Vor- und Nachname")
	expect(t, "not a name", c.say("ja"), "Vor- und Nachnamen")
	d := ev.chat("2", "de")
	d.buttons = true
	d.say("Auto abmelden")
	d.say("nein")
	expect(t, "a name at the day question", d.say("Hans Meier"), "Hans Meier habe ich mir notiert", "An welchem Tag")
	expect(t, "an address at the day question", d.say("hans.meier@example.de"), "notiert")
	expect(t, "straight to the summary", d.say("Donnerstag 14 Uhr"), "Bitte prüfen", "Hans Meier", "hans.meier@example.de", "Do 26.11.2026, 14:00")
}

// A second booking is refused with the first one named, and that one can go
// with one tap in the chat it was made in, even if its PIN is lost.
func TestLimitReachedOffersTheFirstBookingToCancel(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	num, _ := c.book("Perso Donnerstag 10 Uhr")
	// Refused as soon as the time is chosen (it would be held), before the name.
	expect(t, "second booking", c.say("Reisepass Freitag 11 Uhr"), "schon einen Termin", num, "[Diesen Termin absagen]")
	expect(t, "one tap", c.press("Diesen Termin absagen"), "ist abgesagt", num)
	// Another chat of the same person (say, the web chat) names it but cannot cancel it without the PIN.
	other := ev.chat("2", "de")
	other.person = c.person
	other.say("Perso Donnerstag 10 Uhr")
	other.say("Max Mustermann")
	other.say("nein")
	num2, _ := numberAndPIN(t, other.say("ja"))
	out := c.say("Reisepass Freitag 11 Uhr")
	expect(t, "limit from another chat", out, "schon einen Termin", num2)
	if strings.Contains(out, "Diesen Termin absagen") {
		t.Fatalf("a booking of another chat offered for one-tap cancel:\n%s", out)
	}
}

// Dates the citizen gets wrong are answered with what is wrong, and the day
// list then starts where it can help.
func TestWrongDatesAreExplained(t *testing.T) {
	tests := []struct {
		name, lang, day string
		want            []string
		notWant         string
	}{
		{"no such date", "de", "31.02.", []string{"Den 31.02. gibt es nicht", "An welchem Tag"}, "nicht verstanden"},
		{"no such date, English", "en", "2026-02-30", []string{"There is no 2026-02-30", "Which day"}, "did not understand"},
		{"beyond the horizon", "de", "24.12.", []string{"Den Do 24.12. kann ich nicht buchen", "bis Di 15.12.\n", "An welchem Tag", "[Di 24.11."}, "nichts mehr frei"},
		{"in the past", "de", "gestern", []string{"kann ich nicht buchen", "[Di 24.11."}, "nichts mehr frei"},
		{"a weekday weeks ahead", "de", "Montag in zwei Wochen", []string{"Um welche Uhrzeit am Mo 07.12.?"}, "nicht"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			c := ev.chat("1", tc.lang)
			if tc.lang == "en" {
				c.say("passport")
			} else {
				c.say("Perso")
			}
			c.say("nein") // no other concern: on to the day
			out := c.say(tc.day)
			expect(t, tc.day, out, tc.want...)
			if strings.Contains(out, tc.notWant) {
				t.Fatalf("%q answered with %q:\n%s", tc.day, tc.notWant, out)
			}
		})
	}
}

// What people type with nothing going on: "cancel" in a sentence starts the
// cancel flow, a waiting number alone asks what it is about and is kept.
func TestIdleCancelWordsAndBareNumbers(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	num, pin := c.book("Perso Donnerstag 10 Uhr")

	en := ev.chat("2", "en")
	expect(t, "english cancel", en.say("I want to cancel my appointment"), "waiting number and your PIN")
	expect(t, "stop inside a flow", en.say("cancel"), "stopped")
	expect(t, "bare number", en.say(num+" "+pin), "What would you like to do with "+num, "[Cancel an appointment]")
	expect(t, "number kept", en.press("Cancel an appointment"), "6-digit PIN for "+num)
	expect(t, "pin", en.say(pin), num, "Thu 26.11.2026, 10:00")
	expect(t, "confirm", en.say("yes"), "cancelled")

	de := ev.chat("3", "de")
	de.say("T-999")
	expect(t, "typed choice keeps the number", de.say("absagen"), "PIN zu T-999")
	de.say("stopp")
	expect(t, "another bare number", de.say("T-998"), "Was möchten Sie mit T-998 tun?")
	expect(t, "other business", de.say("Öffnungszeiten"), "Mo: 08:00")
	expect(t, "no stale number", de.say("absagen"), "Wartenummer und Ihre PIN")
}

// At the confirmation, another time or day is a change, not a no.
func TestConfirmationTakesAnotherTime(t *testing.T) {
	tests := []struct {
		name, lang, change, want string
		reschedule               bool
	}{
		{"another time", "de", "nein, doch 10:20", "Termin: Do 26.11.2026, 10:20", false},
		{"another day and time", "de", "lieber Freitag 9 Uhr", "Termin: Fr 27.11.2026, 09:00", false},
		{"english", "en", "no, make it 11:00", "Appointment: Thu 26.11.2026, 11:00", false},
		{"while rescheduling", "de", "nein, 11:30", "Do 26.11.2026, 11:30", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			c := ev.chat("1", tc.lang)
			if tc.reschedule {
				num, pin := c.book("Perso Mittwoch 10 Uhr")
				c.say("verschieben " + num + " " + pin)
				c.say("Donnerstag 10 Uhr")
			} else {
				c.say(map[string]string{"de": "Perso Donnerstag 10 Uhr", "en": "ID card Thursday 10am"}[tc.lang])
				c.say("Max Mustermann")
				c.say(map[string]string{"de": "nein", "en": "no"}[tc.lang])
			}
			out := c.say(tc.change)
			expect(t, tc.change, out, tc.want)
			if strings.Contains(out, "nichts gebucht") || strings.Contains(out, "nothing was booked") || strings.Contains(out, "bleibt") {
				t.Fatalf("%q taken as a no:\n%s", tc.change, out)
			}
			yes := map[string]string{"de": "ja", "en": "yes"}[tc.lang]
			expect(t, "booked", c.say(yes), strings.TrimPrefix(strings.TrimPrefix(tc.want, "Termin: "), "Appointment: "))
		})
	}
}

// A part of the day the office is closed is named as closed, not as full.
func TestPartOfDayWhenClosed(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	out := c.say("Reisepass Freitag nachmittag")
	expect(t, "friday afternoon", out, "Am Fr 27.11. ist das Bürgerbüro nachmittags geschlossen (geöffnet 08:00-12:00)", "An welchem Tag")
	if strings.Contains(out, "nichts mehr frei") {
		t.Fatalf("a closed afternoon called full:\n%s", out)
	}
	e := ev.chat("2", "en")
	expect(t, "english", e.say("passport friday afternoon"), "The office is closed in the afternoon on Fri 27.11. (open 08:00-12:00)")
}

// "Hallo, ich brauche einen Reisepass" books a passport, not the menu.
func TestGreetingWithARequest(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	expect(t, "greeting with a concern", c.say("Hallo, ich brauche einen neuen Reisepass"), "Ihre Anliegen: Reisepass")
	expect(t, "greeting alone mid-dialogue", c.say("Hallo"), "Was möchten Sie tun?")
}

// A day and time named before the concern are kept for the day step.
func TestDayAndTimeBeforeTheConcern(t *testing.T) {
	tests := []struct {
		name  string
		lang  string
		say   []string
		wants []string // one per message
	}{
		{"day and time first", "de", []string{"Mittwoch 10 Uhr", "Perso", "nein"},
			[]string{"Wofür möchten Sie einen Termin?", "weiteres Anliegen", "Vor- und Nachname"}},
		{"at the concern question", "de", []string{"Termin bitte", "Donnerstag um 9", "Reisepass", "nein"},
			[]string{"Wofür", "Danke, Do 26.11., 09:00 habe ich mir notiert.", "weiteres Anliegen", "Vor- und Nachname"}},
		{"a day only", "en", []string{"Thursday", "passport", "no"},
			[]string{"What do you need an appointment for?", "another concern", "What time on Thu 26.11.?"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			c := ev.chat("1", tc.lang)
			for i, msg := range tc.say {
				expect(t, msg, c.say(msg), tc.wants[i])
			}
		})
	}
	// Asked about something else first, a day named then is not kept.
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Öffnungszeiten morgen?")
	c.say("Perso")
	expect(t, "nothing kept", c.say("nein"), "An welchem Tag")
}

// A full name typed at the e-mail question replaces a surname given alone.
func TestFullNameAtTheEmailQuestion(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Guten Morgen, ich brauche einen Reisepass, Donnerstag 10 Uhr")
	expect(t, "surname", c.say("Müller"), "E-Mail")
	expect(t, "full name", c.say("Erika Müller"), "Erika Müller habe ich mir notiert", "E-Mail")
	expect(t, "not an address", c.say("erika at example"), "sieht nicht wie eine E-Mail-Adresse aus")
	expect(t, "summary", c.say("erika@example.org"), "Name: Erika Müller", "Do 26.11.2026, 10:00")
}

// Walk-in questions are answered, thanks are taken kindly, and a
// thank-you mail gets no answer mail.
func TestWalkInQuestionAndThanks(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	out := c.say("Kann ich auch ohne Termin kommen?")
	expect(t, "walk-in", out, "ohne Termin kommen", "Wartenummer", "Mo: 08:00-12:30, 14:00-16:00")
	if strings.Contains(out, "Wofür möchten Sie einen Termin") {
		t.Fatalf("walk-in question started a booking:\n%s", out)
	}
	c.say("Reisepass")
	expect(t, "thanks mid-dialogue", c.say("Danke!"), "Gern geschehen", "weiteres Anliegen")
	expect(t, "no thanks is a no", c.say("nein danke"), "An welchem Tag")
	c.say("abbrechen")
	if out := c.say("Vielen Dank, tschüss"); !strings.Contains(out, "Gern geschehen") || strings.Contains(out, "Kann ich sonst") {
		t.Fatalf("thanks at the end: want a kind word and no menu:\n%s", out)
	}
	e := ev.chat("2", "en")
	expect(t, "english walk-in", e.say("can I just walk in without an appointment?"), "take a waiting number")

	m := ev.chat("someone@example.org", "de")
	replies, err := ev.engine.Handle(ctx, Message{Channel: MailChannel, ChatID: m.id, PersonKey: "mail:" + m.id, Email: m.id, Text: "Vielen Dank!", Numbered: true})
	if err != nil || len(replies) != 0 {
		t.Fatalf("a thank-you mail answered: %v %s", err, dump(replies))
	}
}

// Concerns named in the plural without a count ask for how many people.
func TestPluralConcernAsksHowMany(t *testing.T) {
	tests := []struct {
		name, lang, first, answer string
		buttons                   bool
		want                      []string
	}{
		{"typed", "de", "Wir brauchen neue Ausweise", "2", false, []string{"2 × Personalausweis beantragen", "30 Minuten"}},
		{"in words", "de", "Wir brauchen Reisepässe", "drei", false, []string{"3 × Reisepass", "60 Minuten"}},
		{"button", "en", "we need new ID cards", "2 people", true, []string{"2 × Apply for an ID card", "30 minutes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			c := ev.chat("1", tc.lang)
			c.buttons = tc.buttons
			expect(t, "asked", c.say(tc.first), map[string]string{"de": "Für wie viele Personen", "en": "For how many people"}[tc.lang])
			var out string
			if tc.buttons {
				out = c.press(tc.answer)
			} else {
				out = c.say(tc.answer)
			}
			expect(t, tc.answer, out, append(tc.want, map[string]string{"de": "weiteres Anliegen", "en": "another concern"}[tc.lang])...)
		})
	}
	// A count given, or a singular, asks nothing; a day named is kept across the question.
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	if out := c.say("2 Ausweise"); strings.Contains(out, "wie viele") {
		t.Fatalf("asked how many after a count:\n%s", out)
	}
	d := ev.chat("2", "de")
	d.say("Ausweise für Donnerstag 10 Uhr")
	d.say("2")
	expect(t, "day kept", d.say("nein"), "Vor- und Nachname")
	d.say("Max Mustermann")
	expect(t, "summary", d.say("nein"), "2 × Personalausweis", "Do 26.11.2026, 10:00 (30 Minuten)")
}

// A chat may cancel or move the bookings it made by tapping them, without
// the PIN; another chat sees no such button and needs the PIN.
func TestOwnBookingsWithoutPIN(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	num, pin := c.book("Perso morgen 9 Uhr")

	other := ev.chat("2", "de")
	if out := other.say("Termin absagen"); strings.Contains(out, num) {
		t.Fatalf("another chat offered the booking:\n%s", out)
	}
	// A forged option from another chat is refused.
	var id uint64
	if b, err := ev.store.Lookup(ctx, num, pin); err == nil {
		id = b.ID
	}
	forged := joined(other.send(Message{Option: fmt.Sprintf("own:%d", id)}))
	expect(t, "forged", forged, "älteren Nachricht") // never offered here: refused before any lookup
	if strings.Contains(forged, num) {
		t.Fatalf("a forged option showed the booking:\n%s", forged)
	}

	expect(t, "own booking offered", c.say("Termin verschieben"), num)
	expect(t, "tap", c.press(num), "An welchem Tag")
	expect(t, "new time", c.say("Do 26.11. 11:30"), "verschieben?")
	expect(t, "moved", c.say("ja"), "verschoben auf Do 26.11.2026, 11:30")
	c.say("Termin absagen")
	expect(t, "tap to cancel", c.press(num), "wirklich absagen")
	expect(t, "cancelled", c.say("ja"), "ist abgesagt")
	if b, err := ev.store.Lookup(ctx, num, pin); err == nil && b.Status == booking.StatusBooked {
		t.Fatalf("still booked: %+v", b)
	}
}

// By mail, where a sender can be forged, nothing is cancelled or moved
// without the PIN: no tap-to-cancel in reminders, no own bookings offered,
// a forged cancel option refused.
func TestMailAlwaysNeedsThePIN(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	ev.engine.Register(MailChannel, ev.sent)
	addr := "erika@example.org"
	// Mails that do not answer the service's own mail in its thread: their
	// sender may be forged.
	mail := func(text string) string {
		replies, err := ev.engine.Handle(ctx, Message{Channel: MailChannel, ChatID: addr, PersonKey: "mail:" + addr, Email: addr, Text: text, Numbered: true})
		if err != nil {
			t.Fatal(err)
		}
		return dump(replies)
	}
	mail("Termin für Personalausweis am Donnerstag um 10 Uhr, Erika Müller")
	expect(t, "a yes not in the thread", mail("ja"), "direkt auf unsere Zusammenfassung antworten")
	replies, err := ev.engine.Handle(ctx, Message{Channel: MailChannel, ChatID: addr, PersonKey: "mail:" + addr, Email: addr, Text: "ja", Numbered: true, Proven: true})
	if err != nil {
		t.Fatal(err)
	}
	num, pin := numberAndPIN(t, dump(replies))
	b, err := ev.store.Lookup(ctx, num, pin)
	if err != nil {
		t.Fatal(err)
	}

	ev.clock.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, berlin))
	ev.tick(ctx)
	got := dump(ev.sent.take(addr))
	expect(t, "mail reminder", got, "Erinnerung", num)
	if strings.Contains(got, "absagen]") {
		t.Fatalf("a mail reminder offers a PIN-less cancel:\n%s", got)
	}
	if out := mail("Termin absagen"); strings.Contains(out, num) {
		t.Fatalf("own bookings offered by mail:\n%s", out)
	}
	mail("stopp")
	replies, err = ev.engine.Handle(ctx, Message{Channel: MailChannel, ChatID: addr, PersonKey: "mail:" + addr, Email: addr, Option: fmt.Sprintf("cancelid:%d", b.ID), Numbered: true})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "forged cancel", dump(replies), "nur mit Wartenummer und PIN")
	if b, _ := ev.store.Get(ctx, b.ID); b.Status != booking.StatusBooked {
		t.Fatalf("cancelled by a mail without PIN: %+v", b)
	}
	expect(t, "with the PIN", mail("absagen "+num+" "+pin), "wirklich absagen")
}

// "nächste Woche" offers that week's free days rather than taking its
// Monday; "ohne" skips the e-mail.
func TestNextWeekOffersDaysAndOhneSkipsMail(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Beglaubigung")
	c.say("nein")
	out := c.say("nächste Woche")
	expect(t, "next week", out, "An welchem Tag", "[Mo 30.11.", "[Di 01.12.")
	if strings.Contains(out, "Um welche Uhrzeit") || strings.Contains(out, "[Mi 25.11.") {
		t.Fatalf("next week took a day or listed this week:\n%s", out)
	}
	c.say("Dienstag 10 Uhr")
	c.say("Hans Meier")
	expect(t, "ohne", c.say("ohne"), "Bitte prüfen", "Di 01.12.2026, 10:00")
}

// "So früh wie möglich" takes the first free time; "that's all" ends the
// concerns; a name at the concerns question is kept.
func TestEarliestAndThatsAll(t *testing.T) {
	tests := []struct {
		name, lang string
		say        []string
		last       []string
	}{
		{"one message", "de", []string{"Perso so früh wie möglich"}, []string{"Vor- und Nachname"}},
		{"at the day question", "de", []string{"Perso", "das wars", "nächster freier Termin"}, []string{"Vor- und Nachname"}},
		{"english", "en", []string{"passport", "Anna Smith", "that's all", "earliest available"}, []string{"e-mail"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			c := ev.chat("1", tc.lang)
			var out string
			for _, m := range tc.say {
				out = c.say(m)
			}
			expect(t, tc.say[len(tc.say)-1], out, tc.last...)
			c.say("Anna Smith")
			out = c.say(map[string]string{"de": "nein", "en": "no"}[tc.lang])
			// The first free time: today (Tuesday) 10:00, an hour's lead time after 9:00.
			expect(t, "summary", out, map[string]string{"de": "Di 24.11.2026, 10:00", "en": "Tue 24.11.2026, 10:00"}[tc.lang], "Anna Smith")
		})
	}
}

// A time or day typed at the name question changes the time.
func TestTimeAtTheNameQuestion(t *testing.T) {
	tests := []struct{ change, want string }{
		{"lieber 17:30", "Do 26.11.2026, 17:30"},
		{"Freitag 9 Uhr", "Fr 27.11.2026, 09:00"},
	}
	for _, tc := range tests {
		ev := newEnv(t, "", tuesday)
		c := ev.chat("1", "de")
		c.say("Führungszeugnis Donnerstag 17 Uhr")
		out := c.say(tc.change)
		if strings.Contains(out, "Bitte schreiben Sie Ihren") {
			t.Fatalf("%q taken as a bad name:\n%s", tc.change, out)
		}
		expect(t, tc.change, out, "Auf welchen Namen")
		c.say("Max Mustermann")
		expect(t, "summary", c.say("nein"), tc.want)
	}
}

// Off-topic questions get the office's phone; "change my address" books a
// registration; the address and parking questions show hours and address.
func TestOffTopicAndAddressQuestions(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	expect(t, "off topic", c.say("Wo ist die nächste Apotheke?"), "Bei anderen Fragen hilft Ihnen das Bürgerbüro gern", "02175 992200")
	expect(t, "address", c.say("Wie ist die Adresse?"), "Am Markt 1")
	expect(t, "parking", c.say("Wo kann ich parken?"), "Am Markt 1") // where the office is, at least
	e := ev.chat("2", "en")
	expect(t, "change my address", e.say("I want to change my address"), "Register or change your address")
}

// "PIN vergessen" is answered at any step with what to do.
func TestLostPIN(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Termin absagen")
	expect(t, "lost pin", c.say("Ich habe meine PIN vergessen"), "Ohne PIN", "02175 992200", "Wartenummer und Ihre PIN")
	e := ev.chat("2", "en")
	expect(t, "english", e.say("I lost my PIN"), "Without the PIN", "cancel appointment")
}

// On a button channel a typed "2" picks the second button where a number
// means nothing else, but stays a time at the time question.
func TestTypedNumbersOnAButtonChannel(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.buttons = true
	c.say("Termin")
	expect(t, "concern by number", c.say("2"), "Ihre Anliegen: Reisepass")
	c.say("nein")
	c.say("Donnerstag")
	expect(t, "a time, not an option", c.say("9"), "Auf welchen Namen")
	c.say("Max Mustermann")
	expect(t, "summary", c.say("nein"), "Do 26.11.2026, 09:00")
}

// With one booking of the chat offered, "1", "ja" or the new day take it.
func TestOwnBookingByNumberYesOrDay(t *testing.T) {
	tests := []struct {
		name, flow, answer string
		want               []string
	}{
		{"number", "Termin verschieben", "1", []string{"An welchem Tag"}},
		{"yes to cancel", "Termin absagen", "ja", []string{"wirklich absagen"}},
		{"the new day", "Termin verschieben", "auf Freitag 11 Uhr", []string{"verschieben?", "Fr 27.11.2026, 11:00"}},
		{"all in one message", "Hallo", "Termin verschieben auf Freitag 11 Uhr", []string{"verschieben?", "Fr 27.11.2026, 11:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			c := ev.chat("1", "de")
			c.buttons = true
			num, _ := c.book("Perso Donnerstag 10 Uhr")
			if out := c.say(tc.flow); tc.flow != "Hallo" {
				expect(t, "offered", out, num)
			}
			expect(t, tc.answer, c.say(tc.answer), tc.want...)
		})
	}
}

// A closed or unbookable day named before the concern is said at once.
func TestUnbookableDayBeforeTheConcern(t *testing.T) {
	tests := []struct{ say, want, notWant string }{
		{"Gibt es Termine am Samstag?", "Am Sa 28.11. ist das Bürgerbüro geschlossen", "notiert"},
		{"Termin am 24.12.", "Den Do 24.12. kann ich nicht buchen", "notiert"},
		{"Perso am Samstag", "Am Sa 28.11. ist das Bürgerbüro geschlossen", "notiert"},
	}
	for _, tc := range tests {
		ev := newEnv(t, "", tuesday)
		c := ev.chat("1", "de")
		out := c.say(tc.say)
		expect(t, tc.say, out, tc.want)
		if strings.Contains(out, tc.notWant) || strings.Count(out, tc.want) != 1 {
			t.Fatalf("%q:\n%s", tc.say, out)
		}
	}
}

// A stranger cannot tell an unknown number from a wrong PIN or a booking
// locked by earlier guesses: the answer and the next step are the same.
func TestNoNumberOracle(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	num, _ := ev.chat("owner", "de").book("Perso morgen 9 Uhr")
	unknown := "T-001"
	if num == unknown {
		unknown = "T-002"
	}
	answer := func(chat, number string) string {
		c := ev.chat(chat, "de")
		c.say("absagen")
		return strings.ReplaceAll(c.say(number+" 000000"), number, "N")
	}
	wrong, missing := answer("s1", num), answer("s2", unknown)
	if wrong != missing {
		t.Fatalf("a wrong PIN and an unknown number are answered differently:\n%s\n---\n%s", wrong, missing)
	}
	for i := range 5 { // lock the booking for strangers
		answer(fmt.Sprint("locker", i), num)
	}
	if locked := answer("s3", num); locked != missing {
		t.Fatalf("a locked booking is answered differently:\n%s\n---\n%s", locked, missing)
	}
}

// The chat that booked cancels with its number, with or without the PIN,
// after strangers locked the booking.
func TestTheChatThatBookedActsWhileLocked(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("owner", "de")
	num, pin := c.book("Perso morgen 9 Uhr")
	for i := range 6 {
		s := ev.chat(fmt.Sprint("stranger", i), "de")
		s.say("absagen")
		s.say(num + " 111111")
	}
	c.say("absagen")
	expect(t, "number and PIN", c.say(num+" "+pin), "wirklich absagen")
	c.say("nein")
	c.say("absagen")
	expect(t, "number alone", c.say(num), "wirklich absagen")
	expect(t, "cancelled", c.say("ja"), "ist abgesagt")
}

func TestAnotherChatNeedsThePINToMove(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	num, pin := ev.chat("1", "de").book("Perso morgen 9 Uhr")
	o := ev.chat("2", "de")
	o.say("Termin verschieben")
	expect(t, "number only", o.say(num), "6-stellige PIN zu "+num)
	expect(t, "pin", o.say(pin), "An welchem Tag")
}

// A message that leaves the dialogue as a fresh one would be (a question
// answered, the menu shown) stores nothing: a script sending questions from
// fresh sessions fills no file. A typed number still picks from the menu.
func TestNothingIsStoredUntilADialogueIsWorthKeeping(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	for i := range 20 {
		ev.chat(fmt.Sprint("fresh", i), "de").say("Öffnungszeiten")
	}
	stored := func(id string) bool {
		d, err := ev.engine.load(ctx, "test", id)
		if err != nil {
			t.Fatal(err)
		}
		return d != nil
	}
	for i := range 20 {
		if stored(fmt.Sprint("fresh", i)) {
			t.Fatalf("dialogue %d stored after a question", i)
		}
	}
	c := ev.chat("menu", "de")
	c.say("")
	expect(t, "a typed number at the menu", c.say("5"), "Öffnungszeiten")
	c.say("Termin für Perso")
	if !stored("menu") {
		t.Fatal("a booking under way was not stored")
	}
	c.say("abbrechen")
	if stored("menu") {
		t.Fatal("a dialogue back at the menu is still stored")
	}
}

// Every time a citizen reads is the office's, whatever zone the server
// runs in and whatever zone its clock reports.
func TestTimesAreTheOfficesWhateverTheServersZone(t *testing.T) {
	if os.Getenv("BUERGERBUERO_TZ_CHILD") == "" {
		// The process's zone is set at its start: run this test again in
		// processes of their own, with TZ set.
		for _, tz := range []string{"UTC", "America/New_York"} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestTimesAreTheOfficesWhateverTheServersZone$", "-test.v")
			cmd.Env = append(os.Environ(), "TZ="+tz, "BUERGERBUERO_TZ_CHILD=1")
			if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS") {
				t.Errorf("with TZ=%s: %v\n%s", tz, err, out)
			}
		}
		return
	}
	for _, zone := range []*time.Location{time.Local} {
		ev := newEnv(t, "", tuesday.In(zone))
		c := ev.chat("1", "de")
		c.say("Perso morgen 10 Uhr")
		c.say("Max Mustermann")
		out := c.say("nein")
		expect(t, "summary in "+zone.String(), out, "Mi 25.11.2026, 10:00")
		expect(t, "booked in "+zone.String(), c.say("ja"), "Mi 25.11.2026, 10:00")
		expect(t, "hours in "+zone.String(), c.say("Öffnungszeiten"), "08:00-12:30")
	}
}

// Issue 14's list: ordinary questions citizens type, each answered as asked
// and none taken for the start of a booking.
func TestEverydayQuestions(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	tests := []struct {
		lang, in string
		want     string
	}{
		{"de", "Wo stehe ich?", "keinen Termin"},
		{"de", "Wo stehe ich in der Schlange?", "keinen Termin"},
		{"de", "Habt ihr samstags auf?", "Mo: 08:00-12:30"},
		{"en", "How much is a passport?", "€70.00"},
		{"de", "Was kostet ein Reisepass?", "70,00 €"},
		{"de", "Wie wird das Wetter morgen?", "02175 992200"},
	}
	for i, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			out := ev.chat(fmt.Sprint("q", i), tc.lang).say(tc.in)
			if !strings.Contains(out, tc.want) || strings.Contains(out, "Wofür möchten Sie") || strings.Contains(out, "What do you need an appointment for") {
				t.Errorf("want %q and no booking, got\n%s", tc.want, out)
			}
		})
	}
}

// Issue 14: questions on the side are answered and the booking goes on at
// the same step, its question asked again.
func TestQuestionsInTheMiddleOfABooking(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	expect(t, "concern", c.say("Termin für einen Personalausweis"), "weiteres Anliegen")
	expect(t, "hours mid-booking", c.say("Habt ihr samstags auf?"), "Mo: 08:00-12:30", "weiteres Anliegen")
	expect(t, "days", c.press("Weiter zur Terminwahl"), "An welchem Tag")
	expect(t, "hours mid-booking", c.say("Öffnungszeiten"), "Mo: 08:00-12:30", "An welchem Tag")
	expect(t, "docs mid-booking", c.say("Was muss ich mitbringen?"), "biometrisches", "37,00 €", "An welchem Tag")
	expect(t, "fee of another concern", c.say("Was kostet ein Reisepass?"), "70,00 €", "An welchem Tag")
	expect(t, "status mid-booking", c.say("Wo stehe ich?"), "keinen Termin", "An welchem Tag")
	expect(t, "and on", c.say("morgen 10 Uhr"), "Vor- und Nachname")
}

// Issue 14: a time named with a closed day still holds for the day named
// next, also after paging; and the closed day is said once, not
// "geschlossen (geschlossen)".
func TestClosedDayKeepsTheTime(t *testing.T) {
	for _, steps := range [][]string{{"Montag"}, {"spätere Tage", "Montag"}} {
		t.Run(strings.Join(steps, ", "), func(t *testing.T) {
			ev := newEnv(t, "", time.Date(2026, 12, 23, 9, 0, 0, 0, berlin)) // tomorrow is 24.12., closed
			c := ev.chat("1", "de")
			out := c.say("Termin für Personalausweis morgen 10 Uhr")
			expect(t, "closed", out, "Am Do 24.12. ist das Bürgerbüro geschlossen.", "An welchem Tag")
			if strings.Contains(out, "(geschlossen)") {
				t.Errorf("closed said twice:\n%s", out)
			}
			for _, s := range steps {
				out = c.say(s)
			}
			expect(t, "the time holds", out, "Vor- und Nachname")
			c.say("Erika Mustermann")
			expect(t, "summary", c.press("Ohne E-Mail"), "Bitte prüfen", "10:00")
		})
	}
}

// Issue 14: "beide" and "für meinen Mann und mich" book one case each.
func TestTwoPeopleInOneSentence(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	expect(t, "beide", ev.chat("1", "de").say("Wir brauchen beide einen neuen Personalausweis"), "30 Minuten")
	expect(t, "husband", ev.chat("2", "de").say("Personalausweis für meinen Mann und mich"), "30 Minuten")
	expect(t, "children", ev.chat("3", "de").say("Reisepass für die Kinder"), "Für wie viele Personen")
}

// Issue 14: a date that does not exist is named even beside a concern; "next
// Tuesday" is a day, not "more"; and a concern at its most per booking,
// named after "add another" by mistake, leads back to the list, no dead end.
func TestSlipsThatLostTheWay(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	out := ev.chat("1", "de").say("Termin für Meldebescheinigung am 31.02.")
	expect(t, "bad date named", out, "Den 31.02. gibt es nicht", "Meldebescheinigung")
	expect(t, "next Tuesday", ev.chat("2", "en").say("passport next Tuesday at 9am"), "Apply for or renew a passport", "first and last name")
	c := ev.chat("3", "de")
	c.say("Führungszeugnis")
	c.press("Weiteres Anliegen")
	expect(t, "at its most", c.say("Führungszeugnis"), "höchstens 1", "[Weiter zur Terminwahl]")
	expect(t, "and on", c.press("Weiter zur Terminwahl"), "An welchem Tag")
}

// Issue 14: a time of year named without a day ("nach Ostern") is asked
// about with the days that can be booked, beside the concern and at the
// day step; "am Ersten" and "Ende nächster Woche" are days.
func TestVagueDayIsAsked(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	out := c.say("Perso nach Ostern")
	expect(t, "beside a concern", out, "Welcher Tag genau ist „nach ostern“", "bis Di 15.12.", "Personalausweis")
	out = c.press("Weiter zur Terminwahl")
	expect(t, "days", out, "An welchem Tag")
	out = c.say("zwischen den Jahren")
	expect(t, "at the day step", out, "Welcher Tag genau ist „zwischen den Jahren“", "An welchem Tag")
	if strings.Contains(out, "nicht verstanden") {
		t.Fatalf("a vague day answered as not understood:\n%s", out)
	}
	expect(t, "then a day", c.say("am Ersten"), "Di 01.12.")
	e := ev.chat("2", "en")
	expect(t, "english", e.say("passport after Easter"), "Which day exactly is “after easter”")
	expect(t, "end of next week", ev.chat("3", "de").say("Ummeldung Ende nächster Woche"), "Do 03.12.")
}

// "Danke, das war's" ends a conversation with nothing going on, and in a
// dialogue still answers "anything else?" with no.
func TestThanksThatSaysNo(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Führungszeugnis")
	expect(t, "in a dialogue", c.say("Danke, das wars"), "An welchem Tag")
	expect(t, "idle", ev.chat("2", "de").say("Danke, das wars"), "Gern geschehen")
}

// Issue 14: a button of an older message is answered with where the
// dialogue stands; it neither restarts nor changes the flow.
func TestStaleButtonIsAnsweredNotActedOn(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	c.say("Termin buchen")
	c.press("Personalausweis beantragen")
	expect(t, "days", c.press("Weiter zur Terminwahl"), "An welchem Tag")
	expect(t, "times", c.press("Mi 25.11."), "Um welche Uhrzeit")
	out := joined(c.send(Message{Option: "c:reisepass"})) // from the first message
	expect(t, "stale", out, "älteren Nachricht", "Um welche Uhrzeit")
	out = joined(c.send(Message{Option: "day:2026-11-26"}))
	expect(t, "stale day", out, "älteren Nachricht", "Um welche Uhrzeit am Mi 25.11.")
	expect(t, "and on", c.press("09:30"), "Vor- und Nachname")
	expect(t, "the concern unchanged", c.say("Erika Mustermann"), "E-Mail")
	expect(t, "summary", c.press("Ohne E-Mail"), "Personalausweis", "Mi 25.11.")
}

// Issue 14: a citizen who has checked in gets no reminder to come.
func TestNoHourReminderAfterCheckIn(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	num, _ := c.book("Perso heute 10:30")
	ev.clock.Set(time.Date(2026, 11, 24, 9, 31, 0, 0, berlin)) // the hour reminder is due
	expect(t, "check-in", c.say("Ich bin da"), "angemeldet", num)
	ev.tick(ctx)
	if got := ev.sent.take("1"); len(got) != 0 {
		t.Fatalf("reminded after checking in: %s", dump(got))
	}
}

// Issue 14: an office without a mail channel does not ask for an e-mail
// address that nothing would ever be sent to.
func TestNoEmailQuestionWithoutMail(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	ev.engine.Register(MailChannel, nil) // this office has no mail channel
	c := ev.chat("1", "de")
	c.say("Perso morgen 10 Uhr")
	out := c.say("Erika Mustermann")
	expect(t, "straight to the summary", out, "Bitte prüfen", "Erika Mustermann")
	if strings.Contains(out, "E-Mail") {
		t.Fatalf("asked for an e-mail address:\n%s", out)
	}
}

// A flood of wrong PINs from fresh identities pauses strangers' PIN checks
// (the bound on guessing), but does not lock out a citizen who writes
// from another channel: the chat that booked is asked instead, once an
// hour, and cancels there with one press; the stranger hears the same for
// a number that does not exist.
func TestAFloodOfWrongPINsAsksTheBookingsChatInstead(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	owner := ev.chat("owner", "de")
	num, pin := owner.book("Perso morgen 9 Uhr")
	for i := range ev.cfg.Booking.PINGuessesTotal + 1 {
		s := ev.chat(fmt.Sprint("script", i), "de")
		s.say("absagen")
		s.say(fmt.Sprintf("T-%03d 111111", 900+i%99))
	}
	elsewhere := ev.chat("elsewhere", "de")
	elsewhere.say("absagen")
	expect(t, "the citizen elsewhere, while paused", elsewhere.say(num+" "+pin), "PINs von außen", "haben wir eben in dem Chat nachgefragt")
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	asked := ev.sent.take("owner")
	expect(t, "the booking's chat", joined(asked), "Gerade wollte jemand", num, "Ihr Termin bleibt", "[Diesen Termin absagen]")

	// Asked once an hour, whatever a flood sends; an unknown number gets the
	// same answer and asks nobody.
	elsewhere.say("absagen")
	elsewhere.say(num + " 000000")
	other := ev.chat("other", "de")
	other.say("absagen")
	expect(t, "an unknown number, while paused", other.say("T-987 123456"), "haben wir eben in dem Chat nachgefragt")
	if err := ev.engine.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if again := ev.sent.take("owner"); len(again) != 0 {
		t.Errorf("the booking's chat asked again within the hour: %s", joined(again))
	}

	// The owner cancels with the button, no PIN.
	owner.last = asked
	expect(t, "cancelled with one press", owner.press("Diesen Termin absagen"), "ist abgesagt")
}

// One booking online holds at most a family's worth: more cases or
// minutes are booked by staff (phone, info desk), who may; the citizen
// hears so at once, with the phone number, and keeps what fits.
func TestBigBookingsAreForStaff(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("family", "de")
	expect(t, "five ID cards", c.say("5 Personalausweise"), "So viel auf einmal buchen wir nicht online", "höchstens 4 Anliegen und 60 Minuten", "02175 992200")
	c.say("abbrechen")
	expect(t, "four ID cards", c.say("4 Personalausweise"), "60 Minuten")
	expect(t, "and a passport on top", c.say("und einen Reisepass"), "So viel auf einmal buchen wir nicht online")
	clerk := ev.chat("clerk", "de")
	replies := clerk.send(Message{Text: "5 Personalausweise", Staff: "anna.schmidt"})
	if out := joined(replies); strings.Contains(out, "nicht online") || !strings.Contains(out, "75 Minuten") {
		t.Errorf("a clerk booking for a family of five:\n%s", out)
	}
}

// shareOffice keeps one of its two places per time for staff.
const shareOffice = `
office: {name: Teilamt, timezone: Europe/Berlin, state: NW, phone: "0123 4567"}
counters: [{id: "1"}, {id: "2"}]
concerns: [{id: ausweis, name: {de: Personalausweis, en: ID card}, keywords: [perso], minutes: 10}]
opening_hours: {monday: ["08:00-12:00"], tuesday: ["08:00-12:00"], wednesday: ["08:00-12:00"], thursday: ["08:00-12:00"], friday: ["08:00-12:00"]}
booking: {walk_in_share: 0, online_share: 0.5}
`

// A time whose online share is booked is not free for the next citizen,
// but a clerk booking for a caller still gets the place kept for staff.
func TestStaffBookIntoTheirShare(t *testing.T) {
	ev := newEnv(t, shareOffice, tuesday)
	ev.chat("1", "de").book("Perso Donnerstag 10 Uhr")
	expect(t, "second citizen", ev.chat("2", "de").say("Perso Donnerstag 10 Uhr"), "nicht frei")
	clerk := ev.chat("clerk", "de")
	var out string
	for _, text := range []string{"Perso Donnerstag 10 Uhr", "Max Anrufer", "nein", "ja"} {
		out = joined(clerk.send(Message{Text: text, Staff: "anna.schmidt"}))
	}
	expect(t, "clerk for a caller", out, "Wartenummer")
}

// A time chosen to move a booking to is held too while the citizen
// confirms: nobody else books it meanwhile, and the move itself is not
// refused by the person's limit.
func TestMoveHoldsTheNewTime(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	num, pin := c.book("Kfz abmelden morgen 10 Uhr")
	c.say("Termin verschieben")
	c.say(strings.ToLower(strings.ReplaceAll(num, "-", "")))
	expect(t, "new time, held", c.say("Do 26.11. 11:30"), "verschieben?", "11:30")
	expect(t, "another citizen", ev.chat("2", "de").say("Kfz abmelden Do 26.11. 11:30"), "nicht frei")
	expect(t, "moved", c.say("ja"), "verschoben auf Do 26.11.2026, 11:30")
	if b, err := ev.store.Lookup(ctx, num, pin); err != nil || b.Start.In(berlin).Format("02.01. 15:04") != "26.11. 11:30" {
		t.Fatalf("after the move: %+v %v", b, err)
	}
}

// A day and time given in words are confirmed with the next question, so
// the citizen learns at once which time was taken (and that it is held);
// a time tapped on a button needs no such words.
func TestSaysWhichTimeItTook(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	expect(t, "typed", ev.chat("1", "de").say("Perso Donnerstag 10 Uhr"), "Do 26.11.2026, 10:00 ist frei – ich halte den Termin 10 Minuten für Sie.", "Auf welchen Namen")
	expect(t, "typed, English", ev.chat("2", "en").say("ID card Thursday 11 am"), "Thu 26.11.2026, 11:00 is free", "Whose name should the appointment be in")
	c := ev.chat("3", "de")
	c.say("Perso Donnerstag")
	if out := c.press("09:30"); strings.Contains(out, "ist frei") || !strings.Contains(out, "Auf welchen Namen") {
		t.Fatalf("a tapped time:\n%s", out)
	}
}

// How to pay is answered from the office's config (or with its phone),
// in any step; "Ich kann doch nicht kommen" leads to cancelling.
func TestPaymentAndCannotCome(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	expect(t, "payment", c.say("Kann ich mit Karte zahlen?"), "Bar oder mit girocard")
	c.say("Perso Donnerstag 10 Uhr")
	expect(t, "payment mid-booking, the step goes on", c.say("Nehmen Sie EC-Karte?"), "Bar oder mit girocard")
	expect(t, "cannot come", ev.chat("2", "de").say("Ich kann morgen doch nicht kommen"), "Wartenummer")
	other := newEnv(t, shareOffice, tuesday) // no payment configured: the phone
	expect(t, "payment unknown", other.chat("1", "de").say("Kann ich mit Karte zahlen?"), "sagt Ihnen das Bürgerbüro gern: 0123 4567")
	expect(t, "parking", ev.chat("3", "de").say("Wo kann ich parken?"), "Parken: Parkplätze am Markt")
	expect(t, "access", ev.chat("4", "en").say("Is there a lift? My mother uses a wheelchair"), "Without steps: The entrance at the market square has no steps")
	expect(t, "access unknown", other.chat("2", "de").say("Ist das barrierefrei?"), "ohne Stufen erreichen", "0123 4567")
}

// A span of time ("zwischen 10 und 11") offers the free times in it.
func TestTimeRangeOffersTheTimesInIt(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	out := ev.chat("1", "de").say("Zwischen 10 und 11 Uhr am Donnerstag Perso")
	expect(t, "range", out, "[10:00]", "[10:50]")
	if strings.Contains(out, "[09:50]") || strings.Contains(out, "[11:00]") || strings.Contains(out, "ist frei") {
		t.Fatalf("times outside the range, or one taken without asking:\n%s", out)
	}
}

// A matter another office handles is not booked as something else: the
// citizen is told where to go.
func TestMattersHandledElsewhere(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	out := ev.chat("1", "de").say("Hundesteuer anmelden")
	expect(t, "dog tax", out, "Das erledigt nicht das Bürgerbüro Musterstadt (Demo), sondern: das Steueramt, Rathaus Zimmer 112")
	if strings.Contains(out, "Anmeldung") || strings.Contains(out, "Bearbeitungszeit") {
		t.Fatalf("booked as a registration of address:\n%s", out)
	}
	expect(t, "trade, English", ev.chat("2", "en").say("I want to register a business"), "the trade office")
}

// A chat lets go of its held time when it leaves the booking or goes back
// to the times: the next citizen gets it at once, not after the hold's time.
func TestLeavingReleasesTheHold(t *testing.T) {
	for _, leave := range []string{"abbrechen", "zurück"} {
		t.Run(leave, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			holder, other := ev.chat("1", "de"), ev.chat("2", "de")
			expect(t, "held", holder.say("Kfz abmelden Donnerstag 10 Uhr"), "ist frei")
			expect(t, "taken for the other", other.say("Kfz abmelden Donnerstag 10 Uhr"), "nicht frei")
			other.say("abbrechen")
			holder.say(leave)
			expect(t, "free again", other.say("Kfz abmelden Donnerstag 10 Uhr"), "Do 26.11.2026, 10:00 ist frei")
		})
	}
}
