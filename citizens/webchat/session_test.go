package webchat

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"buergerbuero/internal/browsertest"
)

func TestSessionsCannotBeForgedOrReused(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := &sessions{key: []byte("0123456789abcdef"), bits: 10, now: func() time.Time { return now }, used: map[string]time.Time{}}
	ch := s.challenge()
	nonce := Solve(ch, 10)
	if _, ok := s.redeem(ch, nonce+"x"); ok && LeadingZeroBits(ch, nonce+"x") < 10 {
		t.Fatal("a wrong nonce was taken")
	}
	value, ok := s.redeem(ch, nonce)
	if !ok {
		t.Fatal("a solved challenge was refused")
	}
	if _, ok := s.redeem(ch, nonce); ok {
		t.Fatal("a challenge was redeemed twice")
	}
	forgedChallenge := strings.Replace(ch, ch[:10], "9999999999", 1) // a later expiry, same MAC
	if _, ok := s.redeem(forgedChallenge, Solve(forgedChallenge, 10)); ok {
		t.Fatal("a made-up challenge was taken")
	}
	old := s.challenge()
	now = now.Add(challengeTTL + time.Second)
	if _, ok := s.redeem(old, Solve(old, 10)); ok {
		t.Fatal("an expired challenge was taken")
	}
	for cookie, want := range map[string]bool{value: true, "0123456789abcdef0123456789abcdef": false,
		strings.Replace(value, value[:4], "ffff", 1): false, value + "x": false} {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
		if got := s.chatID(req) != ""; got != want {
			t.Errorf("cookie %q accepted: %v, want %v", cookie, got, want)
		}
	}
}

// Without a session nothing reaches the dialogue: a script cannot store
// anything by sending a message with a made-up cookie.
func TestMessagesNeedASession(t *testing.T) {
	srv, _, _, _ := setup(t)
	req, _ := http.NewRequest("POST", srv.URL+"/api/message", strings.NewReader(`{"text":"Termin für Perso morgen"}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: cookieName, Value: "0123456789abcdef0123456789abcdef"})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var w wire
	json.NewDecoder(res.Body).Decode(&w)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || w.Session != "needed" || len(w.Replies) != 0 {
		t.Fatalf("%d %+v", res.StatusCode, w)
	}
	bad, _ := json.Marshal(map[string]string{"challenge": "1.2.3", "nonce": "0"})
	res, err = http.Post(srv.URL+"/api/session", "application/json", bytes.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
		t.Fatalf("a bogus solution: %d, cookies %v", res.StatusCode, res.Cookies())
	}
}

// The page's worker does the default work in a real browser, and the
// time it took is the figure in the README.
func TestProofOfWorkInChromium(t *testing.T) {
	page := browsertest.Page(t, 900, 900, 120*time.Second)
	srv, _, _, _ := setup(t)
	if err := chromedp.Do(page, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(".options button")); err != nil {
		t.Fatal(err)
	}
	const bits = 20
	took, err := chromedp.Run(page, chromedp.Evaluate[float64](`fetch("api/challenge").then(r => r.json()).then(ch => new Promise(resolve => {
		const start = performance.now(), w = new Worker("pow.js");
		w.onmessage = ev => resolve({ms: performance.now() - start, nonce: ev.data.nonce, challenge: ch.challenge});
		w.postMessage({challenge: ch.challenge, bits: `+"20"+`});
	})).then(r => { window.solved = r; return r.ms; })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	solved, err := chromedp.Run(page, chromedp.Evaluate[map[string]any](`window.solved`))
	if err != nil {
		t.Fatal(err)
	}
	if got := LeadingZeroBits(solved["challenge"].(string), solved["nonce"].(string)); got < bits {
		t.Fatalf("the page's SHA-256 disagrees with Go's: %d zero bits", got)
	}
	t.Logf("proof of work of %d bits in headless Chromium: %.0f ms", bits, took)
}

// FuzzRedeem: whatever a client sends as challenge, nonce or cookie, no
// session comes of it without the work and the server's own challenge.
func FuzzRedeem(f *testing.F) {
	s := &sessions{key: []byte("0123456789abcdef"), bits: 12, now: time.Now, used: map[string]time.Time{}}
	ch := s.challenge()
	f.Add(ch, Solve(ch, 12), "")
	f.Add("1.2.3", "0", "abc.def")
	f.Add("99999999999.00.x", "", "0123456789abcdef0123456789abcdef.AAAA")
	f.Fuzz(func(t *testing.T, challenge, nonce, cookie string) {
		if value, ok := s.redeem(challenge, nonce); ok {
			body, mac, _ := cutLast(challenge, ".")
			if mac != s.mac("challenge", body) || LeadingZeroBits(challenge, nonce) < 12 {
				t.Fatalf("redeemed %q %q", challenge, nonce)
			}
			cookie = value
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
		if id := s.chatID(req); id != "" && !strings.HasPrefix(cookie, id+".") {
			t.Fatalf("cookie %q gave chat %q", cookie, id)
		}
	})
}

// BenchmarkSolve is what a session costs a script in Go (the page's
// worker, measured in TestProofOfWorkInChromium, is what it costs a phone).
func BenchmarkSolve(b *testing.B) {
	s := &sessions{key: []byte("0123456789abcdef"), bits: 20, now: time.Now, used: map[string]time.Time{}}
	for b.Loop() {
		Solve(s.challenge(), 20)
	}
}
