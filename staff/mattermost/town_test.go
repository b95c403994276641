package mattermost

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/conversation"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
	"buergerbuero/staff/mattermost/mattermosttest"
)

// townOffice is one office of the two-office rig.
type townOffice struct {
	store  *booking.Store
	calls  *callsystem.System
	engine *conversation.Engine
}

// newTownRig runs the staff bot of a town with two offices, Mitte and
// Ohligs, each with its own channels: anna works at Mitte, olga at
// Ohligs, and boss (town-wide staff) at both; mallory is nobody's clerk.
func newTownRig(t *testing.T) (*rig, map[string]*townOffice) {
	r := &rig{t: t, users: map[string]string{}}
	r.mm = mattermosttest.New("bot-token", "mitte-leitstelle", "mitte-warteschlange", "ohligs-leitstelle", "ohligs-warteschlange", "flur")
	t.Cleanup(r.mm.Close)
	for _, name := range []string{"anna", "olga", "boss", "mallory"} {
		r.users[name] = r.mm.AddUser(name)
	}
	r.cfg = Config{URL: r.mm.URL, Token: "bot-token", CommandToken: "cmd-token", PublicURL: "http://bb.example",
		Team: "buergerbuero", StaffUsers: []string{"boss"}, Offices: map[string]OfficeStaff{
			"mitte":  {StaffChannel: "mitte-leitstelle", QueueChannel: "mitte-warteschlange", StaffUsers: []string{"anna"}},
			"ohligs": {StaffChannel: "ohligs-leitstelle", QueueChannel: "ohligs-warteschlange", StaffUsers: []string{"olga"}},
		}}
	offices := map[string]*townOffice{}
	var bots []*Bot
	for _, id := range []string{"mitte", "ohligs"} {
		cfg, err := office.DemoConfig()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Office.Name = "Bürgerbüro " + strings.ToUpper(id[:1]) + id[1:]
		o := &townOffice{}
		o.store, r.clock = storetest.Open(t, cfg, storetest.Berlin(2026, 11, 24, 8, 0))
		if o.calls, err = callsystem.New(ctx, o.store, nil); err != nil {
			t.Fatal(err)
		}
		if o.engine, err = conversation.New(o.store, conversation.Options{}); err != nil {
			t.Fatal(err)
		}
		bot, err := New(r.cfg.ForOffice(id), o.store, o.calls, o.engine, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.engine.Register(Channel, bot)
		bots = append(bots, bot)
		offices[id] = o
	}
	town, err := NewTown(bots, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /mattermost/command", town.CommandHandler())
	mux.Handle("POST /mattermost/action", town.ActionHandler())
	r.ours = httptest.NewServer(mux)
	t.Cleanup(r.ours.Close)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { town.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(5 * time.Second)
	for r.mm.Connected() == 0 || bots[0].botID() == "" || bots[1].botID() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the bots did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return r, offices
}

// slashIn sends "/bb text" as user from channel.
func (r *rig) slashIn(channel, user, text string) string {
	r.t.Helper()
	r.staff = r.mm.ChannelID(channel)
	return r.slash(user, text)
}

func walkIns(t *testing.T, o *townOffice) []string {
	t.Helper()
	day, err := o.store.DayBookings(ctx, o.store.Now())
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for _, b := range day {
		numbers = append(numbers, b.Number)
	}
	return numbers
}

// TestTownClerksActAtTheirOffice: a /bb acts at the office of the channel
// it is typed in, else at the clerk's own office; nobody acts at an office
// they are not staff of; each office's board, calls and alarms stay in its
// own channels; a button cannot be moved to the other office.
func TestTownClerksActAtTheirOffice(t *testing.T) {
	r, offices := newTownRig(t)
	mitte, ohligs := offices["mitte"], offices["ohligs"]

	expect(t, "olga anywhere: her office", r.slashIn("flur", "olga", "walkin meldebescheinigung"), "W-001")
	expect(t, "anna anywhere: her office", r.slashIn("flur", "anna", "walkin meldebescheinigung"), "W-001")
	expect(t, "anna again", r.slashIn("flur", "anna", "walkin meldebescheinigung"), "W-002")
	if m, o := walkIns(t, mitte), walkIns(t, ohligs); len(m) != 2 || len(o) != 1 {
		t.Fatalf("Mitte issued %v, Ohligs %v; want 2 and 1", m, o)
	}
	expect(t, "boss outside an office's channel", r.slashIn("flur", "boss", "queue"), "mehreren Bürgerbüros", "`mitte`", "`ohligs`")
	expect(t, "boss in Ohligs's channel", r.slashIn("ohligs-leitstelle", "boss", "walkin meldebescheinigung"), "W-002")
	expect(t, "boss chooses Mitte", r.slashIn("flur", "boss", "office Mitte"), "Bürgerbüro Mitte")
	expect(t, "boss now at Mitte", r.slashIn("flur", "boss", "walkin meldebescheinigung"), "W-003")
	expect(t, "no such office", r.slashIn("flur", "boss", "office Wald"), "Büros: `mitte`")
	expect(t, "olga is not Mitte's", r.slashIn("flur", "olga", "office mitte"), "⛔", "Bürgerbüro Mitte")
	expect(t, "olga in Mitte's channel: still not Mitte's clerk", r.slashIn("mitte-leitstelle", "olga", "walkin meldebescheinigung"), "W-003")
	if m := walkIns(t, mitte); len(m) != 3 {
		t.Fatalf("olga's walk-in in Mitte's channel landed at Mitte: %v", m)
	}
	expect(t, "mallory", r.slashIn("ohligs-leitstelle", "mallory", "next 1"), "⛔")
	expect(t, "help names the office", r.slashIn("flur", "olga", "help"), "/bb next", "**Bürgerbüro Ohligs**", "/bb office")

	// Calls and the board are the office's.
	expect(t, "olga calls", r.slashIn("ohligs-leitstelle", "olga", "next 1"), "**W-001** ist an Platz 1 aufgerufen")
	call := r.lastPost(r.mm.ChannelID("ohligs-leitstelle"), 1)
	r.mm.WaitPosts(r.mm.ChannelID("mitte-warteschlange"), 1, 5*time.Second)
	board := func(channel string) string {
		t.Helper()
		return postText(r.lastPost(r.mm.ChannelID(channel), 1))
	}
	if b := board("ohligs-warteschlange"); !strings.Contains(b, "**W-001** (aufgerufen") || !strings.Contains(b, "Wartend: 2") {
		t.Fatalf("Ohligs's board:\n%s", b)
	}
	if b := board("mitte-warteschlange"); !strings.Contains(b, "Wartend: 3") {
		t.Fatalf("Mitte's board:\n%s", b)
	}
	if n := len(r.mm.Posts(r.mm.ChannelID("mitte-leitstelle"))); n != 0 {
		t.Fatalf("Ohligs's call was posted in Mitte's channel (%d posts)", n)
	}

	// A button names its office, signed: moved to Mitte it is refused.
	var moved map[string]any
	for _, a := range call.Attachments() {
		for _, act := range a.Actions {
			if act.Name == "Fertig" {
				moved = map[string]any{}
				for k, v := range act.Integration.Context {
					moved[k] = v
				}
			}
		}
	}
	if moved["office"] != "ohligs" {
		t.Fatalf("the button does not name its office: %v", moved)
	}
	moved["office"] = "mitte"
	if status, _ := r.pressContext(call, moved, "boss"); status != http.StatusForbidden {
		t.Fatalf("a button moved to another office: %d", status)
	}
	if status, _ := r.press(call, "Fertig", "anna"); status != http.StatusOK {
		t.Fatalf("anna pressing Ohligs's button: %d", status)
	} else if b, _ := ohligs.store.Find(ctx, "W-001"); b.Status != booking.StatusCalled {
		t.Fatalf("anna, Mitte's clerk, finished Ohligs's number: %s", b.Status)
	}
	if status, resp := r.press(call, "Fertig", "olga"); status != http.StatusOK || resp.Update == nil {
		t.Fatalf("olga's done: %d %+v", status, resp)
	}
	if b, _ := ohligs.store.Find(ctx, "W-001"); b.Status != booking.StatusDone {
		t.Fatalf("Ohligs's W-001 after done: %s", b.Status)
	}

	// The alarm goes to the clerk's office's channel only.
	expect(t, "alarm", r.slashIn("flur", "anna", "alarm"), "Notruf")
	if ps := r.mm.Posts(r.mm.ChannelID("mitte-leitstelle")); len(ps) != 1 || !strings.Contains(ps[0].Message, "@anna") {
		t.Fatalf("Mitte's staff channel after anna's alarm: %d posts", len(ps))
	}
	for _, p := range r.mm.Posts(r.mm.ChannelID("ohligs-leitstelle")) {
		if strings.Contains(p.Message, "@channel") {
			t.Fatalf("anna's alarm reached Ohligs: %s", p.Message)
		}
	}

	// What a clerk writes to the bot is booked at the clerk's office.
	expect(t, "olga books for a caller", r.slashIn("flur", "olga", "book"), "Direktchat")
	first := r.lastPost(r.mm.DirectID(r.users["olga"], r.mm.Bot.Id), 1)
	if status, _ := r.press(first, "Personalausweis beantragen", "olga"); status != http.StatusOK {
		t.Fatalf("choice: %d", status)
	}
	say := func(user, text string) string { // user writes in the DM with the bot
		t.Helper()
		dm := r.mm.DirectID(r.users[user], r.mm.Bot.Id)
		n := len(r.mm.Posts(dm))
		r.mm.UserPosts(r.users[user], user, text)
		return postText(r.lastPost(dm, n+1))
	}
	expect(t, "typed in olga's DM", say("olga", "nein"), "An welchem Tag")
	expect(t, "day and time", say("olga", "morgen 10:30"), "Vor- und Nachname")
	expect(t, "name", say("olga", "Erika Anruferin"), "Bitte prüfen")
	say("olga", "ja")
	tomorrow := ohligs.store.Now().AddDate(0, 0, 1)
	booked := func(o *townOffice) []string {
		t.Helper()
		day, err := o.store.DayBookings(ctx, tomorrow)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range day {
			names = append(names, b.Name)
		}
		return names
	}
	if at, other := booked(ohligs), booked(mitte); len(at) != 1 || at[0] != "Erika Anruferin" || len(other) != 0 {
		t.Fatalf("olga's caller: booked at Ohligs %v, at Mitte %v; want Ohligs only", at, other)
	}
	// boss, staff of both, chose Mitte: what boss writes is booked there.
	expect(t, "boss's DM", say("boss", "Termin für Personalausweis morgen 11:30"), "Vor- und Nachname")
	expect(t, "boss's caller", say("boss", "Max Anrufer"), "Bitte prüfen")
	say("boss", "ja")
	if at, other := booked(mitte), booked(ohligs); len(at) != 1 || at[0] != "Max Anrufer" || len(other) != 1 {
		t.Fatalf("boss's caller: booked at Mitte %v, at Ohligs %v; want Mitte", at, other)
	}
	r.mm.UserPosts(r.users["mallory"], "mallory", "Termin")
	expect(t, "stranger", postText(r.lastPost(r.mm.DirectID(r.users["mallory"], r.mm.Bot.Id), 1)), "⛔")
}
