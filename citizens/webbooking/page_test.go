package webbooking

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"buergerbuero/booking"
	"buergerbuero/internal/browsertest"
)

// stored is the booking with the number the page shows.
func (r *rig) stored(t *testing.T, page context.Context) booking.Booking {
	t.Helper()
	b, err := r.store.Find(context.Background(), eval[string](t, page, `document.getElementById("number").value`))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bookedOn counts the store's bookings of a day.
func (r *rig) bookedOn(t *testing.T, day time.Time) int {
	t.Helper()
	bs, err := r.store.DayBookings(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	return len(bs)
}

func run(t *testing.T, page context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(page, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, page context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(page, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// A common booking takes three clicks and the name typed, on a 320 px
// phone: concern, time, "book". Each step's view passes axe-core's WCAG
// 2.1 AA rules, and nothing is wider than the screen.
func TestBookingPageBooksInThreeClicks(t *testing.T) {
	page := browsertest.Page(t, 320, 640, 90*time.Second)
	r := newRig(t)
	clicks := 0
	click := func(sel string) {
		t.Helper()
		clicks++
		run(t, page, chromedp.Click(sel, chromedp.NodeVisible))
	}
	// A phone's 320 CSS pixels (a headless window is at least 500 wide).
	run(t, page, chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(r.srv.URL+"/book/?lang=de"), chromedp.WaitVisible("#concerns button"))
	if h := eval[string](t, page, `document.querySelector("h1").textContent`); h != "Termin buchen" {
		t.Fatalf("heading %q", h)
	}
	browsertest.NoViolations(t, page, "booking page: concerns")

	click("#concerns button")
	run(t, page, chromedp.WaitVisible("#days button.time"))
	if got := eval[string](t, page, `document.activeElement.id`); got != "h-time" {
		t.Errorf("focus after the concern is on %q, not the times' heading", got)
	}
	browsertest.NoViolations(t, page, "booking page: times")

	click("#days button.time")
	run(t, page, chromedp.WaitVisible("#name"))
	if got := eval[string](t, page, `document.activeElement.id`); got != "name" {
		t.Errorf("focus after the time is on %q, not the name", got)
	}
	run(t, page, chromedp.SendKeys("#name", "Anna Beispiel"))
	browsertest.NoViolations(t, page, "booking page: name")

	click("#submit")
	run(t, page, chromedp.WaitVisible("#step-done"))
	ticket := eval[string](t, page, `document.getElementById("ticket").textContent`)
	if !strings.Contains(ticket, "Wartenummer") || !strings.Contains(ticket, "PIN") || eval[int](t, page, `document.querySelectorAll("#bring li").length`) == 0 ||
		!strings.HasPrefix(eval[string](t, page, `document.getElementById("calendar").href`), "blob:") {
		t.Fatalf("the booked view: %q", ticket)
	}
	browsertest.NoViolations(t, page, "booking page: booked")
	if clicks != 3 {
		t.Fatalf("%d clicks", clicks)
	}
	if w := eval[int](t, page, `window.innerWidth`); w != 320 {
		t.Fatalf("the viewport is %d px wide, not 320", w)
	}
	if w := eval[int](t, page, `document.documentElement.scrollWidth`); w > 320 {
		t.Errorf("the page is %d px wide on a 320 px screen", w)
	}
	if b := r.stored(t, page); b.Status != booking.StatusBooked || b.Name != "Anna Beispiel" || !strings.Contains(ticket, b.Number) {
		t.Fatalf("stored: %+v", b)
	}
	if png, err := chromedp.Run(page, chromedp.FullScreenshot(90)); err == nil {
		browsertest.Keep(t, "booking-page-320.png", png)
	}
	// Move it with number and PIN (filled in from the booking): the times
	// of its concerns, one tap, moved.
	before := r.stored(t, page).Start
	run(t, page, chromedp.Click("#lookup", chromedp.NodeVisible), chromedp.WaitVisible("#do-move"),
		chromedp.Click("#do-move", chromedp.NodeVisible), chromedp.WaitVisible("#days button.time"))
	run(t, page, chromedp.Click("#days fieldset:last-of-type button.time", chromedp.NodeVisible))
	run(t, page, chromedp.WaitVisible("#managed-text"), chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent.startsWith("Der Termin ist verschoben")`))
	if after := r.stored(t, page); after.Start.Equal(before) || after.Status != booking.StatusBooked {
		t.Fatalf("not moved: %v -> %+v", before, after)
	}
}

// Arabic is written right to left: the page says so, books in three
// clicks at 320 px with the Arabic texts and the office's concerns in
// Arabic, passes axe-core at each step, and offers the other five
// languages, each named in its own.
func TestBookingPageInArabicRightToLeft(t *testing.T) {
	page := browsertest.Page(t, 320, 640, 90*time.Second)
	r := newRig(t)
	run(t, page, chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(r.srv.URL+"/book/?lang=ar"), chromedp.WaitVisible("#concerns button"))
	if dir := eval[string](t, page, `document.documentElement.dir + " " + document.documentElement.lang`); dir != "rtl ar" {
		t.Fatalf("html dir and lang: %q", dir)
	}
	if h := eval[string](t, page, `document.querySelector("h1").textContent`); h != "حجز موعد" {
		t.Fatalf("heading %q", h)
	}
	if others := eval[string](t, page, `[...document.querySelectorAll("nav.langs a")].map(a => a.lang + ":" + a.textContent).join(" ")`); others != "de:Deutsch en:English uk:Українська ru:Русский tr:Türkçe" {
		t.Fatalf("the other languages: %q", others)
	}
	if c := eval[string](t, page, `document.querySelector("#concerns button").textContent`); !strings.Contains(c, "بطاقة الهوية") {
		t.Errorf("the first concern in Arabic: %q", c)
	}
	browsertest.NoViolations(t, page, "Arabic booking page: concerns")
	run(t, page, chromedp.Click("#concerns button", chromedp.NodeVisible), chromedp.WaitVisible("#days button.time"))
	browsertest.NoViolations(t, page, "Arabic booking page: times")
	run(t, page, chromedp.Click("#days button.time", chromedp.NodeVisible), chromedp.WaitVisible("#name"), chromedp.SendKeys("#name", "ليلى حداد"))
	browsertest.NoViolations(t, page, "Arabic booking page: name")
	run(t, page, chromedp.Click("#submit", chromedp.NodeVisible), chromedp.WaitVisible("#step-done"))
	ticket := eval[string](t, page, `document.getElementById("ticket").textContent`)
	if !strings.Contains(ticket, "رقم الانتظار") {
		t.Fatalf("the booked view: %q", ticket)
	}
	browsertest.NoViolations(t, page, "Arabic booking page: booked")
	if w := eval[int](t, page, `document.documentElement.scrollWidth`); w > 320 {
		t.Errorf("the page is %d px wide on a 320 px screen", w)
	}
	if b := r.stored(t, page); b.Name != "ليلى حداد" || b.Status != booking.StatusBooked {
		t.Fatalf("stored: %+v", b)
	}
	if png, err := chromedp.Run(page, chromedp.FullScreenshot(90)); err == nil {
		browsertest.Keep(t, "booking-page-ar-320.png", png)
	}
}

// The keyboard alone books, in English, and then cancels with number and
// PIN.
func TestBookingPageWithTheKeyboardAlone(t *testing.T) {
	page := browsertest.Page(t, 800, 900, 90*time.Second)
	r := newRig(t)
	tabTo := func(selector string) {
		t.Helper()
		for range 80 {
			if eval[bool](t, page, fmt.Sprintf(`document.activeElement.matches(%q)`, selector)) {
				return
			}
			run(t, page, chromedp.KeyEvent(kb.Tab))
		}
		t.Fatalf("Tab never reaches %s", selector)
	}
	run(t, page, chromedp.Navigate(r.srv.URL+"/book/?lang=en"), chromedp.WaitVisible("#concerns button"))
	if h := eval[string](t, page, `document.querySelector("h1").textContent`); h != "Book an appointment" {
		t.Fatalf("heading %q", h)
	}
	tabTo("#concerns button")
	run(t, page, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#days button.time"))
	tabTo("#days button.time")
	run(t, page, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#name"))
	run(t, page, chromedp.KeyEvent("Bert Beispiel"), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#step-done"))
	if eval[string](t, page, `document.activeElement.id`) != "h-done" {
		t.Error("the booked view does not take the focus")
	}
	// Cancel: number and PIN are filled in from the booking.
	tabTo("#lookup")
	run(t, page, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#do-cancel"))
	tabTo("#do-cancel")
	run(t, page, chromedp.KeyEvent(kb.Enter), chromedp.WaitNotVisible("#managed"))
	if s := eval[string](t, page, `document.getElementById("status").textContent`); s != "The appointment is cancelled." {
		t.Fatalf("status %q", s)
	}
	if b := r.stored(t, page); b.Status != booking.StatusCancelled || b.Name != "Bert Beispiel" {
		t.Fatalf("stored: %+v", b)
	}
}

// servePage serves html at a new origin.
func servePage(t *testing.T) (*httptest.Server, *string) {
	html := new(string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(*html))
	}))
	t.Cleanup(srv.Close)
	return srv, html
}

// The town's site embeds the booking with the snippet; another site
// cannot frame it, and cannot book through a visitor's browser, while the
// town's own site can call the API.
func TestEmbeddingAndOrigins(t *testing.T) {
	page := browsertest.Page(t, 900, 900, 90*time.Second)
	town, townHTML := servePage(t)
	other, otherHTML := servePage(t)
	r := newRig(t, town.URL)
	snippet := `<!doctype html><html lang="de"><head><title>Stadt</title></head><body><h1>Stadt</h1>
<div id="buergerbuero-booking"></div><script src="` + r.srv.URL + `/book/embed.js" async></script></body></html>`
	*townHTML, *otherHTML = snippet, snippet

	run(t, page, chromedp.Navigate(town.URL), chromedp.WaitReady(`#buergerbuero-booking[data-height]`))
	if h := eval[int](t, page, `+document.getElementById("buergerbuero-booking").dataset.height`); h < 300 {
		t.Fatalf("the embedded booking is %d px tall", h)
	}
	// The town's site may call the API from the browser.
	got := eval[string](t, page, `fetch("`+r.srv.URL+`/api/v1/offices").then(r => r.json()).then(j => j.offices[0].id, e => "refused: " + e)`)
	if got != "main" {
		t.Fatalf("the town's site reading the offices: %q", got)
	}

	run(t, page, chromedp.Navigate(other.URL), chromedp.WaitReady(`#buergerbuero-booking iframe`), chromedp.Sleep(2*time.Second))
	if eval[bool](t, page, `"height" in document.getElementById("buergerbuero-booking").dataset`) {
		t.Fatal("another site framed the booking page")
	}
	tomorrow := r.clock.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	book := `fetch("` + r.srv.URL + `/api/v1/offices/main/bookings", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({concerns: [{id: "personalausweis", count: 1}], start: "` + tomorrow + `T10:00:00+01:00", name: "Opfer Beispiel"})})
		.then(r => "answered " + r.status, e => "refused")`
	if got := eval[string](t, page, book); got != "refused" {
		t.Fatalf("another site booking through the browser: %s", got)
	}
	if got := eval[string](t, page, `fetch("`+r.srv.URL+`/api/v1/offices").then(r => r.json()).then(j => "read", e => "refused")`); got != "refused" {
		t.Fatalf("another site reading the API: %s", got)
	}
	if n := r.bookedOn(t, r.clock.Now().AddDate(0, 0, 1)); n != 0 {
		t.Fatalf("%d bookings from another site", n)
	}
}
