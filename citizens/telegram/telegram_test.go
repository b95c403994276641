package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/citizens/telegram/telegramtest"
	"buergerbuero/conversation"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
)

const token = "123456:TEST-token"

type rig struct {
	t      testing.TB
	api    *telegramtest.Server
	bot    *Bot
	engine *conversation.Engine
	store  *booking.Store
	clock  *fakeclock.Clock
}

// newRig runs the real bot against the fake Bot API with the demo office on
// Tuesday 24.11.2026, 09:00.
func newRig(t testing.TB, cfg Config) *rig { return newRigFor(t, cfg, "") }

// newRigFor is newRig for the office in officeYAML ("" = the demo office).
func newRigFor(t testing.TB, cfg Config, officeYAML string) *rig {
	t.Helper()
	officeCfg, err := office.DemoConfig()
	if officeYAML != "" {
		officeCfg, err = office.ParseConfig("office.yaml", []byte(officeYAML))
	}
	if err != nil {
		t.Fatal(err)
	}
	store, clock := storetest.Open(t, officeCfg, storetest.Berlin(2026, 11, 24, 9, 0)) // closed after the bot's cleanup below
	engine, err := conversation.New(store, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := telegramtest.NewServer(token)
	cfg.Token, cfg.APIURL = token, api.URL
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = 2 * time.Second
	}
	if cfg.MessagesPerSecond == 0 {
		cfg.MessagesPerSecond, cfg.ChatMessagesPerSecond, cfg.ChatBurst = 1000, 1000, 100
	}
	b, err := New(cfg, engine, nil)
	if err != nil {
		t.Fatal(err)
	}
	engine.Register(Channel, b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	go engine.RunOutbox(ctx, 50*time.Millisecond)
	t.Cleanup(func() {
		cancel()
		api.Close()
		<-done
	})
	return &rig{t: t, api: api, bot: b, engine: engine, store: store, clock: clock}
}

// user is a simulated Telegram user in a private chat with the bot.
type user struct {
	r    *rig
	id   int64
	lang string
	seen int
	last []telegramtest.Sent
}

func (r *rig) user(id int64, lang string) *user { return &user{r: r, id: id, lang: lang} }

// exchange does act and returns what the bot sent in answer: it waits for a
// message with buttons, then until nothing more comes for a moment.
func (u *user) exchange(act func()) string {
	u.r.t.Helper()
	act()
	msgs, err := u.r.api.WaitFor(u.id, u.seen, 10*time.Second, func(s telegramtest.Sent) bool {
		return len(s.Keyboard) > 0
	})
	if err != nil {
		u.r.t.Fatalf("%v; got %s", err, render(msgs))
	}
	for {
		time.Sleep(60 * time.Millisecond)
		if n := len(u.r.api.Sent(u.id)); n == u.seen+len(msgs) {
			break
		}
		msgs = u.r.api.Sent(u.id)[u.seen:]
	}
	u.seen += len(msgs)
	u.last = msgs
	return render(msgs)
}

func (u *user) say(text string) string {
	return u.exchange(func() { u.r.api.Text(u.id, u.lang, text) })
}

// press presses the button whose label contains label on the newest
// message that has it.
func (u *user) press(label string) string {
	u.r.t.Helper()
	all := u.r.api.Sent(u.id)
	for i := len(all) - 1; i >= 0; i-- {
		for _, b := range all[i].Buttons() {
			if strings.Contains(b.Text, label) {
				return u.exchange(func() { u.r.api.Press(u.id, u.lang, all[i], b.CallbackData) })
			}
		}
	}
	u.r.t.Fatalf("no button %q in %s", label, render(all))
	return ""
}

func render(msgs []telegramtest.Sent) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Method + ": " + m.Text)
		for _, btn := range m.Buttons() {
			b.WriteString(" [" + btn.Text + "]")
		}
		if m.FileName != "" {
			b.WriteString(" <" + m.FileName + ":" + string(m.FileData) + ">")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func expect(t *testing.T, step, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("%s: missing %q in\n%s", step, w, out)
		}
	}
}

var bookedRx = regexp.MustCompile(`(?:Wartenummer|Waiting number): (T-\d+)\n(?:PIN): (\d{6})`)

func TestBookByButtons(t *testing.T) {
	r := newRig(t, Config{})
	u := r.user(1001, "de")
	expect(t, "start", u.say("/start"), "Terminassistent", "[Termin buchen]")
	startID := u.last[len(u.last)-1].MessageID
	out := u.press("Termin buchen")
	expect(t, "the next question takes the pressed message's place", out, "editMessageText: ✓ Termin buchen\n\nWofür möchten Sie einen Termin")
	if len(u.last) != 1 || u.last[0].MessageID != startID || u.r.api.Calls("sendMessage") != 1 {
		t.Fatalf("a press should cost one edit and no new message, got %s", render(u.last))
	}
	expect(t, "concern", u.press("Personalausweis beantragen"), "15 Minuten")
	expect(t, "days", u.press("Weiter zur Terminwahl"), "An welchem Tag", "[Mi 25.11.")
	expect(t, "times", u.press("Mi 25.11."), "Um welche Uhrzeit", "[08:00]")
	expect(t, "time", u.press("09:30"), "Vor- und Nachname")
	expect(t, "name, and no e-mail question without a mail channel", u.say("Erika Mustermann"), "Bitte prüfen")
	out = u.press("Ja, verbindlich buchen")
	expect(t, "booked", out, "Ihr Termin ist gebucht", "sendDocument: ", ".ics:BEGIN:VCALENDAR", "METHOD:REQUEST")
	m := bookedRx.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no number and PIN in %s", out)
	}
	b, err := r.store.Lookup(context.Background(), m[1], m[2])
	if err != nil || b.PersonKey != "tg:1001" || b.ChatID != "1001" || b.Channel != Channel {
		t.Fatalf("stored booking %+v, %v", b, err)
	}
	// The call system's call reaches the same chat, through the outbox.
	before := len(r.api.Sent(1001))
	calls, err := callsystem.New(context.Background(), r.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls.SetCallEffect(r.engine.CallEffect)
	r.clock.Set(b.Start.Add(-time.Minute))
	if called, err := calls.Next(context.Background(), "3", "anna"); err != nil || called.ID != b.ID {
		t.Fatalf("call: %+v %v", called, err)
	}
	r.engine.DeliverSoon()
	msgs, err := r.api.WaitFor(1001, before, 5*time.Second, func(s telegramtest.Sent) bool { return strings.Contains(s.Text, "Platz 3") })
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "called", render(msgs), m[1]+": Bitte gehen Sie jetzt zu Platz 3")
}

func TestBookByTypedTextInEnglishAndCancel(t *testing.T) {
	r := newRig(t, Config{})
	u := r.user(2002, "en")
	expect(t, "typed", u.say("I need an appointment for my ID card tomorrow at 10am"), "first and last name")
	expect(t, "name", u.say("Jane Doe"), "Please check", "Wed 25.11.2026, 10:00")
	out := u.say("yes")
	m := bookedRx.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("not booked: %s", out)
	}
	// Anyone with number and PIN may cancel, here from another chat.
	o := r.user(3003, "de")
	expect(t, "cancel command", o.say("/absagen"), "Wartenummer und Ihre PIN")
	expect(t, "wrong PIN", o.say(m[1]+" 000000"), "mit dieser PIN finde ich keinen")
	expect(t, "right PIN", o.say(m[2]), "wirklich absagen")
	out = o.press("Ja, Termin absagen")
	expect(t, "cancelled", out, "ist abgesagt", "METHOD:CANCEL")
}

// A question in the middle of a booking (fee, hours, documents, where am
// I) is answered and the booking goes on at the same step, on Telegram too.
func TestQuestionsInTheMiddleOfABooking(t *testing.T) {
	r := newRig(t, Config{})
	u := r.user(2004, "de")
	expect(t, "to the time step", u.say("Reisepass Donnerstag"), "Um welche Uhrzeit am Do 26.11.?")
	for _, q := range []struct{ ask, answer string }{
		{"Was kostet ein Pass?", "70,00 €"},
		{"Habt ihr samstags auf?", "Öffnungszeiten"},
		{"Was muss ich mitbringen?", "Geburtsurkunde"},
	} {
		expect(t, q.ask, u.say(q.ask), q.answer, "Um welche Uhrzeit am Do 26.11.?")
	}
	expect(t, "and on", u.say("10 Uhr"), "Auf welchen Namen")
}

func TestCommandsPhotosAndOrder(t *testing.T) {
	r := newRig(t, Config{})
	u := r.user(4004, "de")
	expect(t, "photo", u.exchange(func() { r.api.Photo(4004, "de") }), "nur Text lesen")
	expect(t, "unknown command", u.say("/zaubern"), "nicht verstanden")
	expect(t, "docs command", u.say("/unterlagen"), "Für welches Anliegen")
	// Three messages at once are handled in their order.
	out := u.exchange(func() {
		r.api.Text(4004, "de", "/termin")
		r.api.Text(4004, "de", "Reisepass")
		r.api.Text(4004, "de", "nein")
	})
	expect(t, "in order", out, "An welchem Tag")
	cmds := r.api.Commands()
	langs := map[string]int{}
	for _, c := range cmds {
		langs[c.LanguageCode] = len(c.Commands)
	}
	if langs["de"] != 7 || langs[""] != 7 || langs["uk"] != 7 || langs["ar"] != 7 {
		t.Fatalf("setMyCommands: %+v", cmds)
	}
}

func TestRetriesAfter429(t *testing.T) {
	r := newRig(t, Config{})
	u := r.user(5005, "de")
	r.api.FailNext("sendMessage", 1, 1)
	start := time.Now()
	expect(t, "after the wait", u.say("/start"), "Terminassistent")
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("answered after %s, before the retry_after of 1s", waited)
	}
	if n := r.api.Calls("sendMessage"); n != 2 {
		t.Fatalf("%d sendMessage calls, want 2 (refused, then retried)", n)
	}
}

func TestSurvivesAnOutage(t *testing.T) {
	r := newRig(t, Config{})
	u := r.user(6006, "de")
	expect(t, "before", u.say("/start"), "Terminassistent")
	r.api.SetDown(true)
	r.api.Text(6006, "de", "Öffnungszeiten")
	time.Sleep(1500 * time.Millisecond)
	r.api.SetDown(false)
	out := u.exchange(func() {})
	expect(t, "after the outage", out, "Mo: 08:00-12:30")
}

func TestPerChatRateLimit(t *testing.T) {
	r := newRig(t, Config{MessagesPerSecond: 1000, ChatMessagesPerSecond: 10, ChatBurst: 1})
	u := r.user(7007, "de")
	u.say("Perso morgen 10 Uhr")
	u.say("Max Mustermann")
	u.say("nein")
	u.say("ja") // a message, a document, another message
	// The limiter spaces the calls' starts; their arrival jitters with the
	// machine's load, so single gaps get a wide margin and the whole span a
	// narrow one.
	sent := r.api.Sent(7007)
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].At.Sub(sent[i-1].At); gap < 40*time.Millisecond {
			t.Fatalf("messages %d and %d to one chat %s apart; the limit is 10 per second", i-1, i, gap)
		}
	}
	if span, least := sent[len(sent)-1].At.Sub(sent[0].At), time.Duration(len(sent)-1)*90*time.Millisecond; span < least {
		t.Fatalf("%d messages to one chat within %s; the limit of 10 per second needs at least %s", len(sent), span, least)
	}
}

func TestKeyboardLayoutAndLongData(t *testing.T) {
	kb := keyboard([]conversation.Option{{ID: "time:1", Label: "08:00"}, {ID: "time:2", Label: "08:10"}, {ID: "time:3", Label: "08:20"},
		{ID: "time:4", Label: "08:30"}, {ID: "time:5", Label: "08:40"}, {ID: strings.Repeat("x", 80), Label: "Zurück"}})
	if len(kb.InlineKeyboard) != 2 || len(kb.InlineKeyboard[0]) != 4 {
		t.Fatalf("times not four to a row: %+v", kb.InlineKeyboard)
	}
	if got := kb.InlineKeyboard[1][1].CallbackData; got != "n:6" {
		t.Fatalf("over-long option id sent as %q, want its number", got)
	}
	long := strings.Repeat("Zeile\n", 1000)
	parts := split(long, 4096)
	if len(parts) != 2 || len([]rune(parts[0])) > 4096 || !strings.HasSuffix(parts[0], "Zeile") {
		t.Fatalf("split into %d parts", len(parts))
	}
}

func TestWebhookChecksTheSecret(t *testing.T) {
	r := newRig(t, Config{WebhookURL: "https://bb.example/telegram/webhook", WebhookSecret: "s3cret"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if url, secret := r.api.Webhook(); url == "https://bb.example/telegram/webhook" && secret == "s3cret" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("webhook not set")
		}
		time.Sleep(10 * time.Millisecond)
	}
	hook := httptest.NewServer(r.bot.WebhookHandler())
	defer hook.Close()
	update, _ := json.Marshal(models.Update{ID: 1, Message: &models.Message{ID: 1, Date: 1, Text: "/start",
		From: &models.User{ID: 8008, LanguageCode: "de"}, Chat: models.Chat{ID: 8008, Type: models.ChatTypePrivate}}})
	for _, secret := range []string{"", "wrong"} {
		req, _ := http.NewRequest("POST", hook.URL, bytes.NewReader(update))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("secret %q: status %d, want 401", secret, res.StatusCode)
		}
	}
	u := r.user(8008, "de")
	out := u.exchange(func() {
		req, _ := http.NewRequest("POST", hook.URL, bytes.NewReader(update))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s3cret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	})
	expect(t, "webhook update", out, "Terminassistent")
	if len(r.api.Sent(8008)) != 1 {
		t.Fatalf("the refused updates were handled: %s", render(r.api.Sent(8008)))
	}
}

// TestOversizedAndOddInput: a huge message is read in part with a clear
// note, and neither it nor a photo changes the store.
func TestOversizedAndOddInput(t *testing.T) {
	r := newRig(t, Config{})
	u := r.user(9009, "de")
	expect(t, "huge", u.say(strings.Repeat("Bla ", 3000)), "sehr lang", "nicht verstanden")
	expect(t, "photo", u.exchange(func() { r.api.Photo(9009, "de") }), "nur Text lesen")
	n := 0
	r.store.Events(context.Background(), 0, func(booking.Event) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d events after odd input, want none", n)
	}
}

// Telegram's language_code picks the dialogue's language: a Ukrainian,
// a Turkish and an Arabic app are answered in theirs from the first
// message on, and a typed booking goes on in that language.
func TestTelegramSpeaksTheUsersLanguage(t *testing.T) {
	r := newRig(t, Config{})
	for _, c := range []struct {
		id         int64
		lang, want string
	}{
		{7001, "uk", "Добрий день! Я помічник"},
		{7002, "tr", "Merhaba! Ben"},
		{7003, "ar", "مرحباً! أنا مساعد المواعيد"},
		{7004, "ru", "Здравствуйте! Я помощник"},
	} {
		expect(t, c.lang, r.user(c.id, c.lang).say("/start"), c.want)
	}
	expect(t, "uk booking", r.user(7001, "uk").say("паспорт у четвер о 10"), "вільно", "На чиє ім'я")
}
