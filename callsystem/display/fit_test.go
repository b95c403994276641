package display

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/internal/browsertest"
	"buergerbuero/office"
)

// The longest counter names (24 characters) and numbers (6) fit their
// boxes at the usual screen sizes, landscape and portrait: the text
// shrinks, it is never cut. The last calls and the expected waits show.
func TestLongNamesFitEveryScreen(t *testing.T) {
	for _, size := range [][2]int{{1280, 720}, {1920, 1080}, {1080, 1920}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			page := browsertest.Page(t, size[0], size[1], 60*time.Second)
			now := time.Now()
			d := New("Bürgerbüro Musterstadt", nil, func() time.Time { return now }, nil, Options{
				Waits: func(context.Context) ([]callsystem.GroupWait, error) {
					return []callsystem.GroupWait{{Group: "Ausweise und Pässe", Wait: 25 * time.Minute}, {Group: "Kfz", Wait: 0}}, nil
				}})
			addr, stop := serve(t, d, "")
			defer stop()
			if err := chromedp.Do(page, chromedp.Navigate("http://"+addr+"/"), chromedp.WaitVisible("#empty")); err != nil {
				t.Fatal(err)
			}
			counters := []string{"Platz 12 (Kfz und Führer", "Platz 4 (Kfz)", "Infotheke Erdgeschoss", "Platz 3"}
			for i, name := range counters {
				if len([]rune(name)) > 24 {
					t.Fatalf("a name of %d characters", len([]rune(name)))
				}
				d.Called(context.Background(), callsystem.Call{Booking: booking.Booking{ID: uint64(i + 1), Number: fmt.Sprintf("W-%04d", 9990+i)},
					Counter: office.Counter{ID: fmt.Sprint(i), Name: name}, At: now})
			}
			if err := chromedp.Do(page, chromedp.WaitVisible(`#last li`), chromedp.WaitVisible("#waits"), chromedp.Sleep(300*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			overflow, err := chromedp.Run(page, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#now li, #last li, #waits, header")).flatMap(el => {
				const bad = [], r = el.getBoundingClientRect();
				if (el.scrollWidth > el.clientWidth + 1) bad.push(el.id || el.textContent + ": scrolls");
				el.querySelectorAll("span").forEach(s => { const b = s.getBoundingClientRect(); if (b.right > window.innerWidth + 1 || b.left < -1) bad.push(s.textContent + ": off screen"); });
				return bad;
			})`))
			if err != nil {
				t.Fatal(err)
			}
			if len(overflow) > 0 {
				t.Errorf("text does not fit: %v", overflow)
			}
			aligned, err := chromedp.Run(page, chromedp.Evaluate[bool](`["#now", "#last"].every(list => {
				const xs = Array.from(document.querySelectorAll(list + " li .arrow")).map(a => Math.round(a.getBoundingClientRect().left));
				return xs.every(x => Math.abs(x - xs[0]) <= 1);
			})`))
			if err != nil || !aligned {
				t.Errorf("the arrows of the rows do not line up (%v)", err)
			}
			text, _ := chromedp.Run(page, chromedp.Text("body"))
			for _, want := range []string{"Platz 12 (Kfz und Führer", "W-9993", "W-9990", "Ausweise und Pässe etwa 25 Min."} {
				if !strings.Contains(text, want) {
					t.Errorf("%q not shown:\n%s", want, text)
				}
			}
			browsertest.NoViolations(t, page, "display")
			png, err := chromedp.Run(page, chromedp.FullScreenshot(100))
			if err == nil {
				browsertest.Keep(t, fmt.Sprintf("display-fit-%dx%d.png", size[0], size[1]), png)
			}
		})
	}
}
