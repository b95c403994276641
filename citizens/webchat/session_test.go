package webchat

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"buergerbuero/internal/browsertest"
	"buergerbuero/internal/webgate"
)

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
	if got := webgate.LeadingZeroBits(solved["challenge"].(string), solved["nonce"].(string)); got < bits {
		t.Fatalf("the page's SHA-256 disagrees with Go's: %d zero bits", got)
	}
	t.Logf("proof of work of %d bits in headless Chromium: %.0f ms", bits, took)
}
