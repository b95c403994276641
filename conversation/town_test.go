package conversation

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
)

type townEnv struct {
	t     *testing.T
	town  *Town
	mitte *Engine
	ohl   *Engine
	clock *fakeclock.Clock
	sent  *recorder // what the offices pushed to the "test" chats
}

// newTownEnv runs two offices in one file on Tuesday 24.11.2026, 10:00.
func newTownEnv(t *testing.T) *townEnv {
	cfg, err := office.ParseConfig("town.yaml", []byte(storetest.TwoOffices))
	if err != nil {
		t.Fatal(err)
	}
	stores, clock := storetest.OpenTown(t, cfg, tuesday, booking.Options{PINKey: testServiceKey})
	var members []TownMember
	for i, store := range stores {
		members = append(members, TownMember{ID: cfg.Offices[i].ID, Store: store})
	}
	town, err := NewTown(cfg, members, nil)
	if err != nil {
		t.Fatal(err)
	}
	offices := town.Offices()
	sent := &recorder{sent: map[string][]Reply{}}
	town.Register("test", sent)
	return &townEnv{t: t, town: town, mitte: offices[0].Engine, ohl: offices[1].Engine, clock: clock, sent: sent}
}

// say sends text (or an option) from chat and returns the replies.
func (e *townEnv) say(chat, text, option string) []Reply {
	e.t.Helper()
	rs, err := e.town.Handle(ctx, Message{Channel: "test", ChatID: chat, PersonKey: "test:" + chat, Lang: "de", Text: text, Option: option})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.town.Delivered(ctx, rs); err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// pushed is what office o sent chat on its own: after a tick (offers,
// reminders), or of what is already in its outbox (a call).
func (e *townEnv) pushed(o *Engine, chat string, tick bool) []Reply {
	e.t.Helper()
	if tick {
		if err := o.Tick(ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := o.DeliverOutbox(ctx); err != nil {
		e.t.Fatal(err)
	}
	return e.sent.take(chat)
}

func optionFor(rs []Reply, label string) string {
	for _, r := range rs {
		for _, o := range r.Options {
			if strings.Contains(o.Label, label) {
				return o.ID
			}
		}
	}
	return ""
}

// Where several offices offer it, the town asks where; the answer goes on
// with what the citizen wrote, at that office, named with its address.
func TestTownAsksWhereWhenItMatters(t *testing.T) {
	e := newTownEnv(t)
	out := dump(e.say("1", "Meldebescheinigung", ""))
	expect(t, "where?", out, "In welchem Bürgerbüro", "[Bürgerbüro Mitte]", "[Bürgerbüro Ohligs]", "[Frühester Termin in irgendeinem Bürgerbüro]")
	rs := e.say("1", "", optionFor(e.say("1", "Meldebescheinigung", ""), "Ohligs"))
	expect(t, "at Ohligs", dump(rs), "Bürgerbüro Ohligs, Düsseldorfer Str. 9:", "Meldebescheinigung", "weiteres Anliegen")
	// Only Mitte deregisters vehicles: no question.
	expect(t, "only one office", dump(e.say("2", "Auto abmelden", "")), "Bürgerbüro Mitte, Am Markt 1:", "Fahrzeug abmelden")
	// A typed office is taken.
	expect(t, "typed office", dump(e.say("3", "Perso in Ohligs", "")), "Bürgerbüro Ohligs", "Personalausweis")
}

// "Egal wo" takes the office with the earliest free time: on a Tuesday
// morning that is Ohligs this afternoon, not Mitte next Monday.
func TestTownEarliestAnywhere(t *testing.T) {
	e := newTownEnv(t)
	expect(t, "earliest", dump(e.say("1", "Personalausweis, egal wo", "")), "Bürgerbüro Ohligs")
	rs := e.say("2", "Meldebescheinigung", "")
	expect(t, "the option", dump(e.say("2", "", optionFor(rs, "Frühester"))), "Bürgerbüro Ohligs")
}

// A booking at one office is stored there and confirmed with its name and
// address; the other office knows nothing of it.
func TestTownBooksAtTheChosenOffice(t *testing.T) {
	e := newTownEnv(t)
	e.say("1", "Perso in Ohligs heute 15 Uhr", "")
	e.say("1", "Erika Mustermann", "")
	out := dump(e.say("1", "ja", ""))
	num, pin := numberAndPIN(t, out)
	expect(t, "confirmation", out, "Ort: Bürgerbüro Ohligs, Düsseldorfer Str. 9")
	if _, err := e.ohl.store.Lookup(ctx, num, pin); err != nil {
		t.Fatalf("not at Ohligs: %v", err)
	}
	if _, err := e.mitte.store.Lookup(ctx, num, pin); err == nil {
		t.Fatal("found at Mitte too")
	}
	if err := e.ohl.DeliverOutbox(ctx); err != nil { // the outbox's next pass
		t.Fatal(err)
	}
	if left, _ := e.ohl.outbox.All(ctx); len(left) != 0 {
		t.Fatalf("%d outbox entries left at Ohligs after the chat showed the confirmation", len(left))
	}
}

// By mail the question where is a numbered list: "2" answers it.
func TestTownWhereByNumber(t *testing.T) {
	e := newTownEnv(t)
	rs, err := e.town.Handle(ctx, Message{Channel: MailChannel, ChatID: "erika@example.org", PersonKey: "mail:erika@example.org", Lang: "de", Text: "Meldebescheinigung", Numbered: true})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "where?", dump(rs), "In welchem Bürgerbüro")
	rs, err = e.town.Handle(ctx, Message{Channel: MailChannel, ChatID: "erika@example.org", PersonKey: "mail:erika@example.org", Lang: "de", Text: "2", Numbered: true})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "the second office", dump(rs), "Bürgerbüro Ohligs, Düsseldorfer Str. 9:", "Meldebescheinigung")
}

// Cancel, move, "where am I" and buttons reach the office that holds the
// booking, whichever office the chat was last bound to; number and PIN
// find it from any chat.
func TestTownManagesAcrossOffices(t *testing.T) {
	e := newTownEnv(t)
	e.say("1", "Perso in Ohligs heute 15 Uhr", "")
	e.say("1", "Erika Mustermann", "")
	num, _ := numberAndPIN(t, dump(e.say("1", "ja", "")))
	// The chat goes on to Mitte for a vehicle, and is bound there.
	expect(t, "to Mitte", dump(e.say("1", "Auto abmelden", "")), "Bürgerbüro Mitte")
	stale := e.say("1", "Menü", "") // Mitte's menu, before the chat leaves Mitte
	// "absagen" is about the booking at Ohligs.
	rs := e.say("1", "Ich möchte meinen Termin absagen", "")
	expect(t, "cancel at Ohligs", dump(rs), "Bürgerbüro Ohligs", num)
	rs = e.say("1", "", optionFor(rs, num))
	yes := optionFor(rs, "Ja")
	if !strings.HasPrefix(yes, "@ohligs|") {
		t.Fatalf("Ohligs's button is not tagged with its office: %q in %s", yes, dump(rs))
	}
	// Mitte's old menu button still works: it goes to Mitte.
	if opt := optionFor(stale, "Termin buchen"); !strings.HasPrefix(opt, "@mitte|") {
		t.Fatalf("Mitte's menu not tagged: %q", opt)
	} else {
		expect(t, "Mitte's button", dump(e.say("1", "", opt)), "Bürgerbüro Mitte")
	}
	// Ohligs's "yes" still cancels at Ohligs, though the chat is at Mitte again.
	expect(t, "cancelled", dump(e.say("1", "", yes)), "abgesagt")
	if b, err := e.ohl.store.Find(ctx, num); err != nil || b.Status != booking.StatusCancelled {
		t.Fatalf("Ohligs's booking after the cancel: %+v %v", b, err)
	}

	// Another chat books at Ohligs; a third, which never wrote, cancels with number and PIN.
	e.say("2", "Perso in Ohligs heute 16 Uhr", "")
	e.say("2", "Max Mustermann", "")
	num, pin := numberAndPIN(t, dump(e.say("2", "ja", "")))
	expect(t, "status", dump(e.say("2", "Wann bin ich dran?", "")), num)
	rs = e.say("3", "Termin "+num+" PIN "+pin+" absagen", "")
	expect(t, "number and PIN from a stranger chat", dump(rs), "Bürgerbüro Ohligs", num)
	// A wrong PIN gets the answer a number nobody holds gets: nothing tells where it is.
	wrong, unknown := dump(e.say("4", "Termin "+num+" PIN 000000 absagen", "")), dump(e.say("5", "Termin T-9999 PIN 000000 absagen", ""))
	if wrong != unknown {
		t.Fatalf("a wrong PIN told something an unknown number does not:\n%s\n---\n%s", wrong, unknown)
	}
}

// The limit of active appointments per person holds town-wide: a second
// booking at another office is refused, naming the first and its office,
// with that office's button to cancel it; once cancelled, it books.
func TestTownLimitHoldsAcrossOffices(t *testing.T) {
	e := newTownEnv(t)
	e.say("1", "Perso in Ohligs heute 15 Uhr", "")
	e.say("1", "Erika Mustermann", "")
	num, _ := numberAndPIN(t, dump(e.say("1", "ja", "")))
	rs := e.say("1", "Auto abmelden am Montag um 9 Uhr", "") // refused as the time is chosen

	expect(t, "refused", dump(rs), num, "im Bürgerbüro Ohligs", "in allen Bürgerbüros")
	cancel := optionFor(rs, "absagen")
	if !strings.HasPrefix(cancel, "@ohligs|") {
		t.Fatalf("the cancel button is not Ohligs's: %q\n%s", cancel, dump(rs))
	}
	if held, _, _ := e.mitte.store.ActiveHeld(ctx, "test:1", ""); held.Bookings != 0 {
		t.Fatalf("Mitte booked beyond the limit: %d", held)
	}
	rs = e.say("1", "", cancel)
	if yes := optionFor(rs, "Ja"); yes != "" {
		rs = e.say("1", "", yes)
	}
	expect(t, "cancelled at Ohligs", dump(rs), "abgesagt")
	e.say("1", "Auto abmelden am Montag um 9 Uhr", "")
	e.say("1", "Erika Mustermann", "")
	expect(t, "now Mitte books", dump(e.say("1", "ja", "")), "Ort: Bürgerbüro Mitte")
}

// "Tell me when something is free, at any office": the watch is left at
// every office offering the concern; a time freed at Ohligs is offered,
// naming Ohligs, and taking it goes on at Ohligs and ends the watch at
// Mitte.
func TestTownWatchesAnywhere(t *testing.T) {
	e := newTownEnv(t)
	e.say("2", "Meldebescheinigung in Ohligs heute 14 Uhr", "")
	e.say("2", "Max Mustermann", "")
	num, _ := numberAndPIN(t, dump(e.say("2", "ja", "")))
	rs := e.say("1", "Meldebescheinigung in Mitte", "")
	rs = e.say("1", "", optionFor(rs, "Terminwahl"))
	anywhere := optionFor(rs, "in irgendeinem Bürgerbüro")
	if anywhere == "" {
		t.Fatalf("no watch at any office offered:\n%s", dump(rs))
	}
	expect(t, "watching", dump(e.say("1", "", anywhere)), "Bescheid")
	ws, _ := e.ohl.watches(ctx)
	if len(ws) != 1 || !ws[0].Town || !ws[0].Before.Equal(tuesday.Add(5*time.Hour+10*time.Minute)) {
		t.Fatalf("Ohligs's watches: %+v; want one, for anything before 14:10", ws)
	}
	b, _ := e.ohl.store.Find(ctx, num)
	if _, err := e.ohl.store.CancelByID(ctx, b.ID, "test", nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(16 * time.Minute) // the release delay
	offer := e.pushed(e.ohl, "1", true)
	expect(t, "offer", dump(offer), "24.11.2026, 14:00 im Bürgerbüro Ohligs ist frei geworden")
	take := optionFor(offer, "nehmen")
	if !strings.HasPrefix(take, "@ohligs|") {
		t.Fatalf("the offer's button is not Ohligs's: %q\n%s", take, dump(offer))
	}
	expect(t, "taken at Ohligs", dump(e.say("1", "", take)), "Bürgerbüro Ohligs", "Vor- und Nachname")
	if ws, _ := e.mitte.watches(ctx); len(ws) != 0 {
		t.Fatalf("Mitte still watches: %+v", ws)
	}
}

// In a town, waiting numbers repeat from office to office: the call in the
// chat names the office.
func TestTownCallNamesTheOffice(t *testing.T) {
	e := newTownEnv(t)
	e.say("1", "Perso in Ohligs heute 14 Uhr", "")
	e.say("1", "Erika Mustermann", "")
	num, _ := numberAndPIN(t, dump(e.say("1", "ja", "")))
	calls, err := callsystem.New(ctx, e.ohl.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls.SetCallEffect(e.ohl.CallEffect)
	e.clock.Set(tuesday.Add(5 * time.Hour))
	if _, err := calls.Next(ctx, "1", "clerk"); err != nil {
		t.Fatal(err)
	}
	expect(t, "call", dump(e.pushed(e.ohl, "1", false)), num+" (Bürgerbüro Ohligs): Bitte gehen Sie jetzt zu")
}

// The day-before reminder of a town's office names the office.
func TestTownReminderNamesTheOffice(t *testing.T) {
	e := newTownEnv(t)
	e.say("1", "Perso in Ohligs morgen 15 Uhr", "")
	e.say("1", "Erika Mustermann", "")
	num, _ := numberAndPIN(t, dump(e.say("1", "ja", "")))
	e.clock.Advance(8 * time.Hour) // the evening before
	expect(t, "reminder", dump(e.pushed(e.ohl, "1", true)), "Erinnerung: Ihr Termin "+num+" ist morgen", ", im Bürgerbüro Ohligs.")
}

// "Tell me if something earlier is free, at any office" for a booking:
// Ohligs offers an earlier time in place of the booking at Mitte; taking
// it books at Ohligs (a new number and PIN) and cancels the one at Mitte.
func TestTownMovesEarlierToAnotherOffice(t *testing.T) {
	e := newTownEnv(t)
	e.say("1", "Perso in Mitte am Montag um 9 Uhr", "")
	e.say("1", "Erika Mustermann", "")
	rs := e.say("1", "ja", "")
	oldNum, _ := numberAndPIN(t, dump(rs))
	anywhere := optionFor(rs, "in irgendeinem Bürgerbüro")
	if !strings.HasPrefix(anywhere, "@mitte|watch:any:") {
		t.Fatalf("no watch at any office after booking: %q\n%s", anywhere, dump(rs))
	}
	expect(t, "watching", dump(e.say("1", "", anywhere)), "Bescheid")
	offer := e.pushed(e.ohl, "1", true)
	expect(t, "offer", dump(offer), "24.11.2026, 14:00 im Bürgerbüro Ohligs ist frei geworden (statt Mo 30.11.2026, 09:00)")
	rs = e.say("1", "", optionFor(offer, "nehmen"))
	out := dump(rs)
	expect(t, "moved", out, "jetzt im Bürgerbüro Ohligs", oldNum, "im Bürgerbüro Mitte ist dafür abgesagt", "Ort: Bürgerbüro Ohligs")
	newNum, pin := numberAndPIN(t, out)
	var methods []string
	for _, r := range rs {
		for _, a := range r.Attachments {
			methods = append(methods, a.Name+" "+a.ContentType[strings.LastIndex(a.ContentType, "=")+1:])
		}
	}
	if want := []string{"termin-" + strings.ToLower(newNum) + ".ics REQUEST", "termin-" + strings.ToLower(oldNum) + ".ics CANCEL"}; strings.Join(methods, ",") != strings.Join(want, ",") {
		t.Fatalf("calendar files %v, want %v", methods, want)
	}
	if b, err := e.ohl.store.Lookup(ctx, newNum, pin); err != nil || !b.Start.Equal(tuesday.Add(5*time.Hour)) || b.Name != "Erika Mustermann" {
		t.Fatalf("the new booking at Ohligs: %+v %v", b, err)
	}
	if b, _ := e.mitte.store.Find(ctx, oldNum); b.Status != booking.StatusCancelled {
		t.Fatalf("the booking at Mitte: %s", b.Status)
	}
	for _, o := range []*Engine{e.mitte, e.ohl} {
		if ws, _ := o.watches(ctx); len(ws) != 0 {
			t.Fatalf("watches left: %+v", ws)
		}
		if notes, _ := o.moves.All(ctx); len(notes) != 0 {
			t.Fatalf("unfinished moves: %+v", notes)
		}
	}
}

// A move across offices that a crash cut after the new booking is
// finished by the next tick: the old booking is cancelled then.
func TestTownFinishesACutMove(t *testing.T) {
	e := newTownEnv(t)
	e.say("1", "Perso in Mitte am Montag um 9 Uhr", "")
	e.say("1", "Erika Mustermann", "")
	num, _ := numberAndPIN(t, dump(e.say("1", "ja", "")))
	old, _ := e.mitte.store.Find(ctx, num)
	note := `{"office": "mitte", "booking": ` + strconv.FormatUint(old.ID, 10) + `, "channel": "test", "chat": "1"}`
	if err := e.ohl.moves.Put(ctx, "cut", []byte(note)); err != nil {
		t.Fatal(err)
	}
	if err := e.ohl.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if b, _ := e.mitte.store.Find(ctx, num); b.Status != booking.StatusCancelled {
		t.Fatalf("the old booking after the tick: %s", b.Status)
	}
	if notes, _ := e.ohl.moves.All(ctx); len(notes) != 0 {
		t.Fatalf("the note is still there: %+v", notes)
	}
}

// A request drawn from one office's waiting list counts what the person
// holds at the town's other offices, as the dialogue does: nobody gets a
// second appointment in the town through the list.
func TestTheWaitingListKeepsTheTownWideLimit(t *testing.T) {
	e := newTownEnv(t)
	loc := e.mitte.cfg.Location()
	if _, _, err := e.mitte.store.Book(ctx, booking.Request{Concerns: []booking.ConcernCount{{ID: "personalausweis", Count: 1}},
		Start: time.Date(2026, 11, 30, 9, 0, 0, 0, loc), Name: "Max Muster", PersonKey: "test:9", Channel: "test", ChatID: "9"}); err != nil {
		t.Fatal(err)
	}
	w := waitingEntry{Concerns: []booking.ConcernCount{{ID: "personalausweis", Count: 1}}, Start: time.Date(2026, 11, 26, 14, 0, 0, 0, loc),
		Name: "Max Muster", PersonKey: "test:9", Channel: "test", ChatID: "9", Lang: "de", Cohort: "w-test", Arrived: e.clock.Now()}
	value, _ := json.Marshal(w)
	if err := e.ohl.waitingList.Put(ctx, "2026-11-26/1/test\x009", value); err != nil {
		t.Fatal(err)
	}
	expect(t, "told", dump(e.pushed(e.ohl, "9", true)), "konnten wir nicht buchen")
	if held, _, _ := e.ohl.store.ActiveHeld(ctx, "test:9", ""); held.Bookings != 0 {
		t.Fatalf("the waiting list booked a second appointment in the town: %+v", held)
	}
}
