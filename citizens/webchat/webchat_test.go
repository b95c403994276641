package webchat

import (
	"buergerbuero/internal/clientaddr"
	"buergerbuero/internal/webgate"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/internal/browsertest"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/internal/storetest"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

type client struct {
	t    *testing.T
	http *http.Client
	base string
	lang string
}

type wire struct {
	Error   string  `json:"error"`
	Session string  `json:"session"`
	Replies []reply `json:"replies"`
}

// post sends a message as the page does: without a session, it does the
// work for one first.
func (c *client) post(body string) (int, wire) {
	c.t.Helper()
	status, w := c.postOnce(body)
	if status == http.StatusUnauthorized && w.Session == "needed" {
		if status, w := c.startSession(); status != http.StatusOK {
			return status, w
		}
		status, w = c.postOnce(body)
	}
	return status, w
}

// startSession gets a challenge, solves it and redeems it.
func (c *client) startSession() (int, wire) {
	c.t.Helper()
	res, err := c.http.Get(c.base + "/api/challenge")
	if err != nil {
		c.t.Fatal(err)
	}
	var ch struct {
		Challenge string `json:"challenge"`
		Bits      int    `json:"bits"`
		wire
	}
	json.NewDecoder(res.Body).Decode(&ch)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, ch.wire
	}
	solved, _ := json.Marshal(map[string]string{"challenge": ch.Challenge, "nonce": webgate.Solve(ch.Challenge, ch.Bits)})
	res, err = c.http.Post(c.base+"/api/session", "application/json", bytes.NewReader(solved))
	if err != nil {
		c.t.Fatal(err)
	}
	var w wire
	json.NewDecoder(res.Body).Decode(&w)
	res.Body.Close()
	return res.StatusCode, w
}

func (c *client) postOnce(body string) (int, wire) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+"/api/message", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", c.lang)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var w wire
	if err := json.NewDecoder(res.Body).Decode(&w); err != nil {
		c.t.Fatalf("decode: %v", err)
	}
	return res.StatusCode, w
}

func (c *client) say(text string) string {
	c.t.Helper()
	b, _ := json.Marshal(request{Text: text})
	_, w := c.post(string(b))
	return texts(w.Replies)
}

func texts(rs []reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text + "\n")
		for _, o := range r.Options {
			b.WriteString("[" + o.ID + "|" + o.Label + "] ")
		}
		for _, a := range r.Attachments {
			b.WriteString("<" + a.Name + ":" + string(a.Data) + ">")
		}
	}
	return b.String()
}

func setup(t *testing.T) (*httptest.Server, *conversation.Engine, *fakeclock.Clock, *booking.Store) {
	s, clock := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	srv, e := serveChat(t, s)
	return srv, e, clock, s
}

// serveChat serves the web chat over a dialogue engine on s.
// now, if given, is the web chat's clock.
func serveChat(t *testing.T, s *booking.Store, now ...func() time.Time) (*httptest.Server, *conversation.Engine) {
	e, err := conversation.New(s, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Secret: []byte("a test secret of some length"), WorkBits: 8}
	if len(now) > 0 {
		opts.Now = now[0]
	}
	chat, err := New(e, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Register(Channel, chat)
	srv := httptest.NewServer(chat)
	t.Cleanup(srv.Close)
	return srv, e
}

func newClient(t *testing.T, base, lang string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, http: &http.Client{Jar: jar}, base: base, lang: lang}
}

func TestWebChatBooksAndGetsReminders(t *testing.T) {
	srv, e, clock, store := setup(t)
	c := newClient(t, srv.URL, "de-DE,de;q=0.9")
	if out := c.say(""); !strings.Contains(out, "Terminassistent") {
		t.Fatalf("greeting: %s", out)
	}
	c.say("Perso morgen 10 Uhr")
	if out := c.say("Max Mustermann"); strings.Contains(out, "E-Mail") {
		t.Fatalf("an office without mail asked for an e-mail address: %s", out)
	}
	out := c.say("ja")
	m := regexp.MustCompile(`Wartenummer: (T-\d+)\nPIN: (\d{6})`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "BEGIN:VCALENDAR") {
		t.Fatalf("booking: %s", out)
	}
	b, err := store.Lookup(context.Background(), m[1], m[2])
	if err != nil || b.Channel != Channel || !strings.HasPrefix(b.PersonKey, "web:") {
		t.Fatalf("stored: %+v %v", b, err)
	}
	// The next day's reminder reaches the page by polling.
	clock.Advance(2 * time.Hour)
	if err := e.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.DeliverOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := c.http.Get(srv.URL + "/api/poll")
	if err != nil {
		t.Fatal(err)
	}
	var w wire
	json.NewDecoder(res.Body).Decode(&w)
	res.Body.Close()
	if got := texts(w.Replies); !strings.Contains(got, "Erinnerung") || !strings.Contains(got, m[1]) {
		t.Fatalf("poll: %s", got)
	}
	// Another browser is another chat.
	other := newClient(t, srv.URL, "en-GB")
	if out := other.say("status"); !strings.Contains(out, "cannot find an appointment") {
		t.Fatalf("another chat sees: %s", out)
	}
}

func TestWebChatRefusesBadInputPolitely(t *testing.T) {
	srv, _, _, _ := setup(t)
	tests := []struct {
		lang, body string
		status     int
		want       string
	}{
		{"de", strings.Repeat("x", 9000), http.StatusRequestEntityTooLarge, "zu lang"},
		{"en", strings.Repeat("x", 9000), http.StatusRequestEntityTooLarge, "too long"},
		{"de", "{not json", http.StatusBadRequest, "nicht lesbar"},
		{"en", `{"text": 5}`, http.StatusBadRequest, "could not be read"},
	}
	for _, tc := range tests {
		c := newClient(t, srv.URL, tc.lang)
		status, w := c.post(tc.body)
		if status != tc.status || !strings.Contains(w.Error, tc.want) {
			t.Errorf("%s %.20q: %d %q, want %d %q", tc.lang, tc.body, status, w.Error, tc.status, tc.want)
		}
	}
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(res.Body)
	res.Body.Close()
	if !strings.Contains(page.String(), "chat.js") || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("page: %d %s", res.StatusCode, page.String())
	}
}

// TestChatPageInChromium uses the page as a citizen would: it greets with
// buttons, a typed question is answered, a button works.
func TestChatPageInChromium(t *testing.T) {
	page := browsertest.Page(t, 900, 900, 60*time.Second)
	srv, _, _, _ := setup(t)
	if err := chromedp.Do(page, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(".options button")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(page, chromedp.SendKeys("#text", "Öffnungszeiten\n"), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	log, _ := chromedp.Run(page, chromedp.Text("#log"))
	if !strings.Contains(log, "08:00-12:30") {
		t.Fatalf("typed question not answered:\n%s", log)
	}
	if err := chromedp.Do(page, chromedp.Click(`.options:last-of-type button`), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	log, _ = chromedp.Run(page, chromedp.Text("#log"))
	if !strings.Contains(log, "Wofür möchten Sie einen Termin") && !strings.Contains(log, "What do you need an appointment for") {
		t.Fatalf("the first button did not start a booking:\n%s", log)
	}
	browsertest.NoViolations(t, page, "web chat")
	png, err := chromedp.Run(page, chromedp.FullScreenshot(100))
	if err == nil {
		browsertest.Keep(t, "webchat.png", png)
	}
}

// The page speaks the browser's language: in Arabic it is right to left,
// its own words and the replies are Arabic, a typed Arabic question is
// answered, and axe-core finds nothing.
func TestChatPageInArabic(t *testing.T) {
	page := browsertest.Page(t, 400, 800, 60*time.Second)
	srv, _, _, _ := setup(t)
	if _, err := chromedp.Call(page, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(page, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "ar-SY,ar;q=0.9,de;q=0.5"}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(page, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(".options button")); err != nil {
		t.Fatal(err)
	}
	head, _ := chromedp.Run(page, chromedp.Evaluate[string](`document.documentElement.dir + " " + document.documentElement.lang + " " + document.querySelector("button[type=submit]").textContent`))
	if head != "rtl ar إرسال" {
		t.Fatalf("the page: %q", head)
	}
	if err := chromedp.Do(page, chromedp.SendKeys("#text", "ما هي ساعات العمل؟\n"), chromedp.Poll[chromedp.Void](`document.getElementById("log").textContent.includes("أوقات دوام")`)); err != nil {
		log, _ := chromedp.Run(page, chromedp.Text("#log"))
		t.Fatalf("an Arabic question not answered in Arabic: %v\n%s", err, log)
	}
	browsertest.NoViolations(t, page, "web chat in Arabic")
}

// TestWebChatSlowsAFlood: one address sending fast gets a polite 429
// after its burst, and the dialogue is not flooded.
func TestWebChatSlowsAFlood(t *testing.T) {
	// The budgets refill with time; a clock that stands still makes the
	// count the same on a slow, loaded machine.
	s, _ := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	frozen := time.Now()
	srv, _ := serveChat(t, s, func() time.Time { return frozen })
	countLimited := func(n int, next func() *client) int {
		limited := 0
		for range n {
			status, w := next().post(`{"text":"Öffnungszeiten"}`)
			if status == http.StatusTooManyRequests {
				limited++
				if !strings.Contains(w.Error, "langsamer") {
					t.Fatalf("429 without a clear word: %q", w.Error)
				}
			}
		}
		return limited
	}
	// One conversation sending fast is slowed down after a burst of ten.
	flooder := newClient(t, srv.URL, "de")
	if limited := countLimited(30, func() *client { return flooder }); limited != 20 {
		t.Fatalf("%d of 30 fast messages limited, want all after a burst of 10", limited)
	}
	// Someone else behind the same address (a proxy, the office network) still gets through.
	if limited := countLimited(5, func() *client { return newClient(t, srv.URL, "de") }); limited != 0 {
		t.Fatalf("%d of 5 messages from other people at the same address limited", limited)
	}
	// Throwing the cookie away does not help: the address has its own, larger budget.
	// The address's 100: the flooder spent 1+30 (its session, its messages),
	// the five others 2 each; 59 are left for 29 sessions with a message
	// each and one more session, so 121 of the 150 messages are refused.
	if limited := countLimited(150, func() *client { return newClient(t, srv.URL, "de") }); limited != 121 {
		t.Fatalf("%d of 150 cookieless messages limited, want those over the address's burst of 100 limited", limited)
	}
}

// When the store cannot write (a full disk), the citizen gets a clear
// answer, nothing is half-written, and the dialogue goes on once it can.
func TestAFailingStoreGivesAClearAnswerAndWritesNothing(t *testing.T) {
	store, _, faults := storetest.OpenFaulty(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	srv, _ := serveChat(t, store)
	c := newClient(t, srv.URL, "de")
	c.say("Perso morgen 10 Uhr")
	if out := c.say("Max Mustermann"); !strings.Contains(out, "verbindlich buchen") {
		t.Fatalf("summary: %s", out)
	}
	faults.FailWrites.Store(true)
	status, w := c.post(`{"text":"ja"}`)
	if status != http.StatusInternalServerError || !strings.Contains(w.Error, "etwas schiefgegangen") || strings.Contains(texts(w.Replies), "Wartenummer:") {
		t.Fatalf("while the store fails: %d %q %s", status, w.Error, texts(w.Replies))
	}
	faults.FailWrites.Store(false)
	bookings, err := store.DayBookings(context.Background(), storetest.Berlin(2026, 11, 25, 0, 0))
	if err != nil || len(bookings) != 0 {
		t.Fatalf("half-written: %d bookings (%v)", len(bookings), err)
	}
	if out := c.say("ja"); !strings.Contains(out, "Wartenummer:") {
		t.Fatalf("once the store writes again, the same answer books: %s", out)
	}
}

// Behind the office's TLS proxy the session cookie is Secure when the proxy
// is trusted (http.trusted_proxies), and a client's own X-Forwarded-Proto
// is not believed without it.
func TestSessionCookieIsSecureBehindATrustedTLSProxy(t *testing.T) {
	s, _ := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	e, err := conversation.New(s, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		trusted []string
		want    bool
	}{{[]string{"127.0.0.1"}, true}, {nil, false}} {
		addrs, _ := clientaddr.New(tc.trusted)
		chat, err := New(e, nil, Options{Secret: []byte("a test secret of some length"), WorkBits: 8, Addrs: addrs})
		if err != nil {
			t.Fatal(err)
		}
		backend := httptest.NewServer(chat)
		target, _ := url.Parse(backend.URL)
		proxy := httptest.NewTLSServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded() // X-Forwarded-Proto: https, as Caddy and nginx set it
		}})
		jar, _ := cookiejar.New(nil)
		c := proxy.Client()
		c.Jar = jar
		res, err := c.Get(proxy.URL + "/api/challenge")
		if err != nil {
			t.Fatal(err)
		}
		var ch struct {
			Challenge string `json:"challenge"`
			Bits      int    `json:"bits"`
		}
		json.NewDecoder(res.Body).Decode(&ch)
		res.Body.Close()
		body, _ := json.Marshal(map[string]string{"challenge": ch.Challenge, "nonce": webgate.Solve(ch.Challenge, ch.Bits)})
		res, err = c.Post(proxy.URL+"/api/session", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		cookies := res.Cookies()
		if len(cookies) != 1 || cookies[0].Secure != tc.want {
			t.Errorf("trusted proxies %v: cookies %v, want one with Secure=%v", tc.trusted, cookies, tc.want)
		}
		proxy.Close()
		backend.Close()
	}
}
