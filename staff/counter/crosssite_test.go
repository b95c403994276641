package counter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/browsertest"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
)

// A clerk logged in to the counter page opens a page of another site. That
// page tries everything a browser lets it: an auto-submitted form, a
// no-cors fetch with a text/plain body and one with credentials, and a
// frame of the counter page. Nobody may be called.
func TestAnotherSiteCannotCallInTheClerksName(t *testing.T) {
	page := browsertest.Page(t, 1280, 800, 60*time.Second)
	ctx := context.Background()
	store, _ := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	calls, _ := callsystem.New(ctx, store, nil)
	w, err := store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	counterSrv := httptest.NewServer(New(store.Config(), calls, texts(t, store), []basicauth.Account{{User: "counter", Password: "counter-password"}}, nil, nil))
	defer counterSrv.Close()
	target := counterSrv.URL // http://127.0.0.1:port
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><title>Gewinnspiel</title>
<form id=f method=POST action="` + target + `/api/next" enctype="text/plain"><input name='{"counter":"1","x":"' value='"}'></form>
<iframe name=sink></iframe><iframe id=framed src="` + target + `/"></iframe>
<script>
fetch("` + target + `/api/next", {method: "POST", mode: "no-cors", credentials: "include", body: '{"counter":"1"}'});
fetch("` + target + `/api/next", {method: "POST", mode: "no-cors", credentials: "include", headers: {"Content-Type": "text/plain"}, body: '{"counter":"2"}'});
fetch("` + target + `/api/next", {method: "POST", credentials: "include", headers: {"Content-Type": "application/json"}, body: '{"counter":"3"}'}).catch(function () {});
setTimeout(function () { document.getElementById("f").submit(); }, 1000); // at last a top-level navigation, where the browser sends the login
</script>`))
	}))
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // another origin
	loggedIn := strings.Replace(target, "http://", "http://counter:counter-password@", 1) + "/"
	err = chromedp.Do(page,
		chromedp.Navigate(loggedIn), chromedp.WaitReady("body"), // the browser now holds the clerk's login
		chromedp.Navigate(evilURL), chromedp.Sleep(2500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	q, err := calls.Queue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Waiting) != 1 || q.Waiting[0].Number != w.Number || len(q.Serving) != 0 {
		t.Fatalf("another site called in the clerk's name: waiting %v, serving %v", q.Waiting, q.Serving)
	}
	if url, _ := chromedp.Run(page, chromedp.Location()); !strings.HasPrefix(url, target) {
		t.Fatalf("the form was not submitted (at %s): the test proves nothing", url)
	}
	// The same browser on the counter page itself can call.
	if err := chromedp.Do(page, chromedp.Navigate(target+"/"), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(page, chromedp.Poll[chromedp.Void](`document.querySelectorAll("#counter option").length > 0`)); err != nil {
		t.Fatal(err)
	}
	browsertest.NoViolations(t, page, "clerks' page")
	called, err := chromedp.Run(page, chromedp.Evaluate[string](`fetch("api/next", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"counter":"1"}'}).then(r => r.json()).then(j => j.called.number)`,
		chromedp.EvalAwaitPromise))
	if err != nil || called != w.Number {
		t.Fatalf("the page itself could not call: %q %v", called, err)
	}
}
