package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/conversation"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
	"buergerbuero/staff/mattermost/mattermosttest"
)

var ctx = context.Background()

type rig struct {
	t      *testing.T
	mm     *mattermosttest.Server
	ours   *httptest.Server
	bot    *Bot
	store  *booking.Store
	calls  *callsystem.System
	clock  *fakeclock.Clock
	staff  string // the staff channel's id
	queue  string // the queue channel's id
	users  map[string]string
	cfg    Config
	engine *conversation.Engine
}

// newRig runs the bot against the fake Mattermost with the demo office on
// Tuesday 24.11.2026 at 08:00; anna and ben are staff.
func newRig(t *testing.T) *rig {
	r := &rig{t: t, users: map[string]string{}}
	r.store, r.clock = storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 8, 0))
	var err error
	if r.calls, err = callsystem.New(ctx, r.store, nil); err != nil {
		t.Fatal(err)
	}
	engine, err := conversation.New(r.store, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.mm = mattermosttest.New("bot-token", "leitstelle", "warteschlange")
	t.Cleanup(r.mm.Close)
	for _, name := range []string{"anna", "ben", "mallory"} {
		r.users[name] = r.mm.AddUser(name)
	}
	r.staff, r.queue = r.mm.ChannelID("leitstelle"), r.mm.ChannelID("warteschlange")
	r.cfg = Config{URL: r.mm.URL, Token: "bot-token", CommandToken: "cmd-token", PublicURL: "http://bb.example",
		Team: "buergerbuero", StaffChannel: "leitstelle", QueueChannel: "warteschlange", StaffUsers: []string{"anna", "Ben"}}
	if r.bot, err = New(r.cfg, r.store, r.calls, engine, nil); err != nil {
		t.Fatal(err)
	}
	engine.Register(Channel, r.bot)
	r.engine = engine
	outboxCtx, stopOutbox := context.WithCancel(ctx)
	outboxDone := make(chan struct{})
	go func() { engine.RunOutbox(outboxCtx, 20*time.Millisecond); close(outboxDone) }()
	t.Cleanup(func() { stopOutbox(); <-outboxDone })
	mux := http.NewServeMux()
	mux.Handle("POST /mattermost/command", r.bot.CommandHandler())
	mux.Handle("POST /mattermost/action", r.bot.ActionHandler())
	r.ours = httptest.NewServer(mux)
	t.Cleanup(r.ours.Close)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.bot.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(5 * time.Second)
	for r.mm.Connected() == 0 || r.bot.botID() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the bot did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return r
}

// slash sends "/bb text" as user, from the staff channel.
func (r *rig) slash(user, text string) string {
	r.t.Helper()
	return r.slashWith("cmd-token", user, text)
}

func (r *rig) slashWith(token, user, text string) string {
	r.t.Helper()
	res, err := http.PostForm(r.ours.URL+"/mattermost/command", url.Values{"token": {token}, "user_id": {r.users[user]}, "user_name": {user},
		"team_id": {r.mm.Team.Id}, "channel_id": {r.staff}, "command": {"/bb"}, "text": {text}})
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.Status
	}
	resp, err := model.CommandResponseFromHTTPBody(res.Header.Get("Content-Type"), res.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.Text
}

// press presses the button named on post as user.
func (r *rig) press(post *model.Post, name, user string) (int, *model.PostActionIntegrationResponse) {
	r.t.Helper()
	for _, a := range post.Attachments() {
		for _, act := range a.Actions {
			if act.Name == name {
				return r.pressContext(post, act.Integration.Context, user)
			}
		}
	}
	r.t.Fatalf("no button %q on %q", name, postText(post))
	return 0, nil
}

func (r *rig) pressContext(post *model.Post, context map[string]any, user string) (int, *model.PostActionIntegrationResponse) {
	r.t.Helper()
	body, _ := json.Marshal(model.PostActionIntegrationRequest{UserId: r.users[user], UserName: user, ChannelId: post.ChannelId,
		TeamId: r.mm.Team.Id, PostId: post.Id, Type: "button", Context: context})
	res, err := http.Post(r.ours.URL+"/mattermost/action", "application/json", bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	var out model.PostActionIntegrationResponse
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, &out
}

// postText is a post's message and attachments as text.
func postText(p *model.Post) string {
	var b strings.Builder
	b.WriteString(p.Message)
	for _, a := range p.Attachments() {
		b.WriteString("\n" + a.Text + "\n" + a.Footer)
		for _, act := range a.Actions {
			b.WriteString(" [" + act.Name + "]")
		}
	}
	return b.String()
}

func expect(t *testing.T, step, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: missing %q in\n%s", step, w, got)
		}
	}
}

// lastPost is the newest post in channel.
func (r *rig) lastPost(channel string, n int) *model.Post {
	r.t.Helper()
	ps, err := r.mm.WaitPosts(channel, n, 5*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	return ps[len(ps)-1]
}

func TestCallNoShowAndRecallFiveMinutesLater(t *testing.T) {
	r := newRig(t)
	walkIn, _ := r.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	r.clock.Set(time.Date(2026, 11, 24, 8, 30, 0, 0, r.store.Config().Location()))
	appt, _, err := r.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}},
		Start: time.Date(2026, 11, 24, 9, 40, 0, 0, r.store.Config().Location()), Name: "Tina Termin", PersonKey: "x"})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Set(appt.Start)

	expect(t, "no counter yet", r.slash("anna", "next"), "An welchem Platz sitzen Sie?")
	expect(t, "next", r.slash("anna", "next 1"), "**"+appt.Number+"** ist an Platz 1 aufgerufen")
	post := r.lastPost(r.staff, 1)
	expect(t, "call post", postText(post), "📣 **"+appt.Number+"** → Platz 1", "Termin 09:40", "Meldebescheinigung", "Tina Termin",
		"aufgerufen von @anna um 09:40", "[Angekommen]", "[Erneut aufrufen]", "[Nicht erschienen]", "[Fertig]")

	r.clock.Advance(time.Minute)
	status, resp := r.press(post, "Nicht erschienen", "anna")
	if status != http.StatusOK || resp.Update == nil {
		t.Fatalf("no-show: %d %+v", status, resp)
	}
	expect(t, "updated post", postText(resp.Update), "nicht erschienen – automatischer erneuter Aufruf in 5 Minuten – @anna, 09:41")
	if got := postText(resp.Update); strings.Contains(got, "[Fertig]") {
		t.Fatalf("buttons left on a no-show: %s", got)
	}

	r.clock.Set(appt.Start.Add(5*time.Minute - time.Second))
	expect(t, "at 4:59 the walk-in", r.slash("ben", "next 2"), "**"+walkIn.Number+"** ist an Platz 2 aufgerufen")
	r.clock.Set(appt.Start.Add(5 * time.Minute))
	expect(t, "the re-call after 5 minutes", r.slash("anna", "next"), "**"+appt.Number+"** ist an Platz 1 aufgerufen")
	got, _ := r.store.Get(ctx, appt.ID)
	if got.Calls != 2 || got.Status != booking.StatusCalled {
		t.Fatalf("after the re-call: %+v", got)
	}
	// The second miss expires the appointment.
	recall := r.lastPost(r.staff, 3)
	_, resp = r.press(recall, "Nicht erschienen", "anna")
	expect(t, "expired", postText(resp.Update), "zweimal nicht erschienen – Termin verfallen")
	// A number already served: a clear answer, nothing changes.
	_, resp = r.press(recall, "Fertig", "anna")
	expect(t, "already done", resp.EphemeralText, "schon weiter")
	expect(t, "done by command with nobody called", r.slash("anna", "done"), "ist gerade niemand aufgerufen")

	board := r.lastPost(r.queue, 1)
	if r.mm.Versions(board.Id) < 3 {
		t.Fatalf("the queue board was not kept up to date (%d versions)", r.mm.Versions(board.Id))
	}
	expect(t, "board", board.Message, "Warteschlange", "| Platz 2 | **"+walkIn.Number+"** (aufgerufen")
}

func TestForgedAndForeignActionsAreRefused(t *testing.T) {
	r := newRig(t)
	w, _ := r.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	r.slash("anna", "next 1")
	post := r.lastPost(r.staff, 1)
	var genuine map[string]any
	for _, a := range post.Attachments() {
		for _, act := range a.Actions {
			if act.Name == "Angekommen" {
				genuine = act.Integration.Context
			}
		}
	}
	forged := []map[string]any{
		{"action": "done", "target": genuine["target"], "sig": genuine["sig"]}, // another action under the same signature
		{"action": "arrived", "target": "999", "sig": genuine["sig"]},          // another booking
		{"action": "arrived", "target": genuine["target"], "sig": "00ff"},      // a made-up signature
		{"action": "arrived", "target": genuine["target"]},                     // none
	}
	for i, c := range forged {
		status, resp := r.pressContext(post, c, "anna")
		if status != http.StatusForbidden || !strings.Contains(resp.EphemeralText, "ungültig") {
			t.Errorf("forgery %d: %d %+v", i, status, resp)
		}
	}
	if b, _ := r.store.Get(ctx, w.ID); b.Status != booking.StatusCalled {
		t.Fatalf("a forged press changed the booking: %s", b.Status)
	}
	_, resp := r.press(post, "Angekommen", "mallory")
	expect(t, "non-staff press", resp.EphemeralText, "vorbehalten")
	expect(t, "non-staff command", r.slash("mallory", "next 1"), "vorbehalten")
	expect(t, "wrong command token", r.slashWith("stolen", "anna", "next 1"), "401")
	if b, _ := r.store.Get(ctx, w.ID); b.Status != booking.StatusCalled {
		t.Fatalf("a refused request changed the booking: %s", b.Status)
	}
	// A stranger writing to the bot directly is turned away too.
	r.mm.UserPosts(r.users["mallory"], "mallory", "Termin für Perso")
	dm := r.mm.DirectID(r.users["mallory"], r.mm.Bot.Id)
	expect(t, "stranger in a DM", postText(r.lastPost(dm, 1)), "⛔")
}

func TestInfoDeskBooksForACaller(t *testing.T) {
	r := newRig(t)
	expect(t, "book", r.slash("anna", "book"), "Direktchat")
	dm := r.mm.DirectID(r.users["anna"], r.mm.Bot.Id)
	first := r.lastPost(dm, 1)
	expect(t, "first question", postText(first), "Wofür möchten Sie einen Termin", "[Personalausweis beantragen]")
	if status, _ := r.press(first, "Personalausweis beantragen", "anna"); status != http.StatusOK {
		t.Fatalf("choice: %d", status)
	}
	expect(t, "chosen by button", postText(r.lastPost(dm, 2)), "15 Minuten", "weiteres Anliegen")
	n := len(r.mm.Posts(dm))
	say := func(text string) string {
		t.Helper()
		r.mm.UserPosts(r.users["anna"], "anna", text)
		return postText(r.lastPost(dm, n+1))
	}
	expect(t, "typed in the DM", say("nein"), "An welchem Tag")
	n = len(r.mm.Posts(dm))
	expect(t, "day and time", say("morgen 10:30"), "Vor- und Nachname")
	n = len(r.mm.Posts(dm))
	// Without a mail channel no confirmation mail could go out: no e-mail question.
	expect(t, "name", say("Erika Anruferin"), "Bitte prüfen", "Erika Anruferin")
	n = len(r.mm.Posts(dm))
	say("ja")
	var all strings.Builder
	for _, p := range r.mm.Posts(dm) {
		all.WriteString(postText(p))
	}
	expect(t, "booked", all.String(), "Ihr Termin ist gebucht", "Wartenummer: T-", "PIN: ")
	if strings.Contains(all.String(), "hier im Chat") || strings.Contains(all.String(), "[Bescheid geben") {
		t.Fatalf("a caller's booking speaks of the clerk's chat:\n%s", all.String())
	}
	day, _ := r.store.DayBookings(ctx, time.Date(2026, 11, 25, 0, 0, 0, 0, r.store.Config().Location()))
	if len(day) != 1 || day[0].Channel != "" || day[0].ChatID != "" || day[0].PersonKey != "" || day[0].Email != "" {
		t.Fatalf("the caller's booking: %+v", day)
	}
	var actor string
	r.store.Events(ctx, 0, func(e booking.Event) bool {
		if e.Type == booking.EventBooked {
			actor = e.Actor
		}
		return true
	})
	if actor != "anna" {
		t.Fatalf("booked by %q, want anna in the log", actor)
	}
}

func TestDeskCommands(t *testing.T) {
	r := newRig(t)
	expect(t, "walk-in", r.slash("anna", "walkin perso"), "Wartenummer **W-001**")
	expect(t, "unknown concern", r.slash("anna", "walkin zaubertrank"), "Welches Anliegen?")
	web := &inbox{sent: map[string][]string{}}
	r.engine.Register("web", web)
	b, _, err := r.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "reisepass", Count: 1}},
		Start: time.Date(2026, 11, 25, 9, 0, 0, 0, r.store.Config().Location()), Name: "Paul Pass", PersonKey: "p", Channel: "web", ChatID: "paul"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "cancel", r.slash("ben", "cancel "+strings.ToLower(b.Number)), b.Number+" (25.11. 09:00) ist abgesagt", "protokolliert")
	expect(t, "the citizen told of the clerk's cancellation", web.await("paul", "abgesagt"), b.Number, "vom Bürgerbüro abgesagt")
	var actor string
	r.store.Events(ctx, 0, func(e booking.Event) bool {
		if e.Type == booking.EventCancelled {
			actor = e.Actor
		}
		return true
	})
	if actor != "ben" {
		t.Fatalf("cancel logged for %q, want ben", actor)
	}
	expect(t, "cancel twice", r.slash("ben", "cancel "+b.Number), "schon erledigt")
	expect(t, "unknown number", r.slash("ben", "cancel T-9999"), "Keine Buchung mit der Nummer T-9999")
	expect(t, "unknown command", r.slash("ben", "frobnicate"), "Den Befehl „frobnicate“ kenne ich nicht", "/bb next")
	expect(t, "docs", r.slash("ben", "docs pass"), "Reisepass", "Geburtsurkunde", "70,00 €")
	expect(t, "urgent", r.slash("ben", "urgent w1"), "W-001 ist als dringend vorgezogen")
	expect(t, "queue", r.slash("ben", "queue"), "Wartend: 1", "W-001 ❗")
	expect(t, "today", r.slash("ben", "today"), "Wartenummern: 1", "wartend: 1")
	expect(t, "help", r.slash("ben", ""), "/bb walkin")
}

func TestAlarmReachesColleaguesOnDuty(t *testing.T) {
	r := newRig(t)
	r.slash("ben", "today") // ben is at work today
	r.slash("anna", "next 3")
	expect(t, "alarm", r.slash("anna", "alarm"), "Notruf ist raus (2 Nachrichten)")
	expect(t, "staff channel", r.lastPost(r.staff, 1).Message, "@channel 🚨 **NOTRUF** von @anna an **Platz 3")
	dm := r.mm.DirectID(r.users["ben"], r.mm.Bot.Id)
	expect(t, "DM to ben", r.lastPost(dm, 1).Message, "NOTRUF** von @anna an **Platz 3")
}

// FuzzSlashCommand: whatever a clerk types after /bb, the answer is a text
// and nothing panics; only the command words change the store.
func FuzzSlashCommand(f *testing.F) {
	for _, s := range []string{"next 1", "next", "walkin perso", "cancel T-042", "transfer", "transfer 99", "docs", "alarm", "today",
		"queue", "book", "urgent w1", "checkin", "frobnicate", "", "next \x00\xff", "cancel " + strings.Repeat("9", 300)} {
		f.Add(s)
	}
	bot := bareBot(f)
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 2000 {
			return
		}
		if out := bot.command(ctx, command{userID: "u1", userName: "anna", channelID: "c", text: text}); out == "" {
			t.Fatalf("no answer to %q", text)
		}
	})
}

// bareBot is a bot on the demo office that is not connected to a
// Mattermost (its posts fail, its answers still come).
func bareBot(tb testing.TB) *Bot {
	store, _ := storetest.Open(tb, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	calls, _ := callsystem.New(ctx, store, nil)
	engine, _ := conversation.New(store, conversation.Options{})
	bot, err := New(Config{URL: "http://127.0.0.1:1", Token: "x", PublicURL: "http://bb.example"}, store, calls, engine, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	return bot
}

// TestOversizedAndMalformedRequests get a clear refusal and change nothing.
func TestOversizedAndMalformedRequests(t *testing.T) {
	r := newRig(t)
	big := url.Values{"token": {"cmd-token"}, "user_name": {"anna"}, "text": {"walkin " + strings.Repeat("x", 100<<10)}}
	res, err := http.PostForm(r.ours.URL+"/mattermost/command", big)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("100 KB command: %d", res.StatusCode)
	}
	for _, body := range []string{"{not json", `{"context": "nope"}`, strings.Repeat("[", 100<<10)} {
		res, err := http.Post(r.ours.URL+"/mattermost/action", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusForbidden {
			t.Fatalf("action %.20q: %d", body, res.StatusCode)
		}
	}
	n := 0
	r.store.Events(ctx, 0, func(booking.Event) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d events after refused requests", n)
	}
}

func TestTransferByCommand(t *testing.T) {
	r := newRig(t)
	r.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	r.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	r.slash("anna", "next 1")
	expect(t, "to a concern", r.slash("anna", "transfer kfz"), "W-001 wartet jetzt (vorgezogen) auf: Fahrzeug abmelden")
	r.slash("anna", "next 1")
	expect(t, "nowhere", r.slash("anna", "transfer"), "Wohin?")
	expect(t, "to a counter", r.slash("anna", "transfer 3"), "W-002 geht an Platz 3 (vorgezogen)")
	expect(t, "the kfz counter gets W-001", r.slash("ben", "next 4"), "**W-001** ist an Platz 4 (Kfz) aufgerufen")
}

// A store that cannot decide (etcd without a quorum) is named to the clerk
// in plain words; other failures as they are.
func TestClerkIsToldTheStoreIsDown(t *testing.T) {
	r := newRig(t)
	if got := r.bot.failed(fmt.Errorf("etcd: %w: no leader", booking.ErrUnavailable)); !strings.Contains(got, "nicht erreichbar") || !strings.Contains(got, "nichts geändert") {
		t.Fatalf("store down told as %q", got)
	}
	if got := r.bot.failed(errors.New("disk on fire")); !strings.Contains(got, "disk on fire") {
		t.Fatalf("another failure told as %q", got)
	}
}
