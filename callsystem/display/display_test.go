package display

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/internal/browsertest"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
)

var ctx = context.Background()

// newSystem is the demo office with walk-ins waiting, and its call system
// publishing to a display (with opts, if given).
func newSystem(t testing.TB, walkIns int, opts ...Options) (*callsystem.System, *Display, *booking.Store) {
	cfg, err := office.DemoConfig()
	if err != nil {
		t.Fatal(err)
	}
	store, _ := storetest.Open(t, cfg, storetest.Berlin(2026, 11, 24, 8, 0))
	for range walkIns {
		if _, err := store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	sys, err := callsystem.New(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := New(cfg.Office.Name, nil, store.Now, nil, append(opts, Options{})[0])
	sys.AddNotifier(d)
	return sys, d, store
}

// serve serves the display on addr ("" = a free port) until stopped.
func serve(t testing.TB, d *Display, addr string) (string, func()) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 { // the port of a server just stopped can take a moment
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: d}
	go srv.Serve(ln)
	return ln.Addr().String(), func() {
		srv.Close()
	}
}

// TestDisplayInChromium opens the display in headless Chromium, makes calls
// through the call system and reads them from the page's DOM; then stops
// the server, sees "offline", starts it again and sees the page catch up.
func TestDisplayInChromium(t *testing.T) {
	page := browsertest.Page(t, 1920, 1080, 60*time.Second)
	sys, d, _ := newSystem(t, 6)
	addr, stop := serve(t, d, "")
	if err := chromedp.Do(page, chromedp.Navigate("http://"+addr+"/"), chromedp.WaitVisible("#empty")); err != nil {
		t.Fatal(err)
	}
	office, _ := chromedp.Run(page, chromedp.Text("#office"))
	clock, _ := chromedp.Run(page, chromedp.Text("#clock"))
	if office != "Bürgerbüro Musterstadt (Demo)" || clock != "08:00" {
		t.Fatalf("office %q, clock %q (want the office's 08:00)", office, clock)
	}
	var called []booking.Booking
	for _, counter := range []string{"3", "1"} {
		b, err := sys.Next(ctx, counter, "clerk")
		if err != nil {
			t.Fatal(err)
		}
		called = append(called, b)
	}
	if err := chromedp.Do(page, chromedp.WaitVisible(`#now li[data-number="`+called[1].Number+`"]`)); err != nil {
		t.Fatal(err)
	}
	now, err := chromedp.Run(page, chromedp.Text("#now"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(now, called[1].Number+"\n→\nPlatz 1") && !strings.Contains(now, called[1].Number) {
		t.Fatalf("current calls: %q", now)
	}
	if !strings.Contains(now, "Platz 1") || !strings.Contains(now, "Platz 3") || strings.Index(now, called[1].Number) > strings.Index(now, called[0].Number) {
		t.Fatalf("current calls, newest first: %q", now)
	}
	browsertest.NoViolations(t, page, "display")
	png, err := chromedp.Run(page, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Keep(t, "display-1920x1080.png", png)

	// The server goes away: the page says so.
	stop()
	short, cancelShort := context.WithTimeout(page, 10*time.Second)
	defer cancelShort()
	if err := chromedp.Do(short, chromedp.WaitVisible("#offline")); err != nil {
		dbg, _ := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById("offline").hidden + " " + document.body.innerHTML.length`))
		t.Fatal(err, dbg)
	}
	png, _ = chromedp.Run(page, chromedp.FullScreenshot(100))
	browsertest.Keep(t, "display-offline.png", png)
	// A call while the page is cut off is shown once the server is back.
	missed, err := sys.Next(ctx, "2", "clerk")
	if err != nil {
		t.Fatal(err)
	}
	_, stop = serve(t, d, addr)
	defer stop()
	if err := chromedp.Do(page, chromedp.WaitVisible(`#now li[data-number="`+missed.Number+`"]`), chromedp.WaitNotVisible("#offline")); err != nil {
		t.Fatal(err)
	}

	// The same page on a portrait screen.
	if err := chromedp.Do(page, chromedp.EmulateViewport(1080, 1920), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	png, _ = chromedp.Run(page, chromedp.FullScreenshot(100))
	browsertest.Keep(t, "display-1080x1920.png", png)
	visible, err := chromedp.Run(page, chromedp.Evaluate[bool](`(function(){var li=document.querySelector("#now li"),r=li.getBoundingClientRect(),fs=parseFloat(getComputedStyle(li).fontSize);return r.width>0&&r.right<=window.innerWidth&&fs>=60&&r.height<fs*1.6})()`))
	if err != nil || !visible {
		t.Fatal("the newest call does not fit a portrait screen on one line in large type")
	}
}

// sseClient reads a display's event stream and reports when it sees the
// call of number.
type sseClient struct {
	seen chan string // numbers of the newest call in each state
}

func connect(t testing.TB, url string) *sseClient {
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	c := &sseClient{seen: make(chan string, 64)}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "state":
				data := strings.TrimPrefix(line, "data: ")
				if i := strings.Index(data, `"number":"`); i >= 0 {
					num := data[i+10:]
					num = num[:strings.Index(num, `"`)]
					select {
					case c.seen <- num:
					default:
					}
				}
			}
		}
	}()
	return c
}

// BenchmarkCallToDisplay measures the time from Next to the SSE event at
// each of 100 connected displays, and reports its p50 and p99.
func BenchmarkCallToDisplay(b *testing.B) {
	sys, d, _ := newSystem(b, b.N+1, Options{MaxClients: 100, MaxPerAddress: 100}) // 100 screens from one address: a test, not a foyer
	addr, stop := serve(b, d, "")
	defer stop()
	clients := make([]*sseClient, 100)
	for i := range clients {
		clients[i] = connect(b, "http://"+addr+"/events")
	}
	for d.Clients() < 100 {
		time.Sleep(time.Millisecond)
	}
	for _, c := range clients { // the state sent on connect
		for len(c.seen) > 0 {
			<-c.seen
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		call, err := sys.Next(ctx, "1", "clerk")
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for num := range c.seen {
					if num == call.Number {
						mu.Lock()
						lat = append(lat, time.Since(start))
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		b.Fatal(errors.New("no latencies"))
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// TestSpokenNumbers: the display reads a short number as a number and a
// long one (an office of a city's size) digit by digit.
func TestSpokenNumbers(t *testing.T) {
	page := browsertest.Page(t, 800, 600, 30*time.Second)
	_, d, _ := newSystem(t, 6)
	addr, stop := serve(t, d, "")
	defer stop()
	if err := chromedp.Do(page, chromedp.Navigate("http://"+addr+"/?speech=1"), chromedp.WaitVisible("#empty")); err != nil {
		t.Fatal(err)
	}
	for number, want := range map[string]string{"T-042": "T 42", "W-007": "W 7", "T-4217": "T 4 2 1 7", "T-48213": "T 4 8 2 1 3"} {
		got, err := chromedp.Run(page, chromedp.Evaluate[string](`spokenNumber("`+number+`")`))
		if err != nil || got != want {
			t.Errorf("%s is read %q (%v), want %q", number, got, err, want)
		}
	}
}
