package stats

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/conversation"
	"buergerbuero/internal/browsertest"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/internal/storetest"

	"buergerbuero/office"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

var ctx = context.Background()

const officeYAML = `
office: {name: Statistikamt, timezone: Europe/Berlin, state: NW}
counters: [{id: "1", name: Platz 1}, {id: "2", name: Platz 2}]
concerns:
  - {id: a, name: {de: Ausweis}, minutes: 10}
  - {id: b, name: {de: Kfz}, minutes: 20, counters: ["2"]}
opening_hours:
  monday: ["08:00-12:00"]
  tuesday: ["08:00-12:00"]
  wednesday: ["08:00-12:00"]
  thursday: ["08:00-12:00"]
  friday: ["08:00-12:00"]
booking: {lead_time: 0s, slot_step: 30m, walk_in_share: 0.5, max_active_per_person: 99, horizon_days: 60}
calls: {recall_delay: 5m, early_grace: 2m}
`

// ledger is what the simulation itself did to each case: the expected
// figures are computed from it, not from the event log.
type ledger struct {
	id        uint64
	kind      booking.Kind
	concern   string
	day       time.Time
	ref       time.Time // when the wait began
	firstCall time.Time
	started   time.Time
	done      time.Time
	counter   string
	cancelled bool
	noShow    bool // walk-in, final
	expired   bool
	calls     int
	checkedIn bool
}

type sim struct {
	t     *testing.T
	store *booking.Store
	calls *callsystem.System
	clock *fakeclock.Clock
	cfg   *office.Config
	path  string
	cases map[uint64]*ledger
	rng   *rand.Rand
}

func newSim(t *testing.T) *sim {
	cfg, err := office.ParseConfig("office.yaml", []byte(officeYAML))
	if err != nil {
		t.Fatal(err)
	}
	loc := cfg.Location()
	s := &sim{t: t, cfg: cfg, clock: fakeclock.New(time.Date(2026, 11, 1, 7, 0, 0, 0, loc)), path: filepath.Join(t.TempDir(), "bb.db"),
		cases: map[uint64]*ledger{}, rng: rand.New(rand.NewPCG(7, 11))}
	if s.store, err = booking.Open(s.path, cfg, booking.Options{Clock: s.clock}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.store.Close() })
	if s.calls, err = callsystem.New(ctx, s.store, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// month runs the office for every weekday of November 2026.
func (s *sim) month() {
	loc := s.cfg.Location()
	for d := 2; d <= 30; d++ {
		day := time.Date(2026, 11, d, 0, 0, 0, 0, loc)
		if !s.cfg.IsOpenDay(day) {
			continue
		}
		s.day(day)
	}
}

type pending struct {
	at     time.Time
	id     uint64
	action booking.CallAction
}

func (s *sim) day(day time.Time) {
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	s.clock.Set(at(7, 0))
	for m := 0; m < 240; m += 30 { // appointments
		if s.rng.IntN(10) < 6 {
			concern := []string{"a", "a", "b"}[s.rng.IntN(3)]
			b, _, err := s.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: concern, Count: 1}}, Start: at(8, m), Name: "Sim Person", PersonKey: fmt.Sprint(day, m)})
			if err != nil {
				continue // full
			}
			c := &ledger{id: b.ID, kind: booking.KindAppointment, concern: concern, day: day, ref: b.Start}
			s.cases[b.ID] = c
			if s.rng.IntN(10) == 0 {
				s.store.CancelByID(ctx, b.ID, "", nil)
				c.cancelled = true
			}
		}
	}
	walkIns := map[int][]string{}
	for range 6 + s.rng.IntN(6) {
		minute := s.rng.IntN(200)
		walkIns[minute] = append(walkIns[minute], []string{"a", "b"}[s.rng.IntN(2)])
	}
	busy := map[string]time.Time{}
	var todo []pending
	for minute := 0; minute <= 270; minute++ {
		now := at(8, minute)
		s.clock.Set(now)
		for _, concern := range walkIns[minute] {
			if minute >= 240 {
				continue
			}
			b, err := s.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: concern, Count: 1}}})
			if err != nil {
				s.t.Fatal(err)
			}
			s.cases[b.ID] = &ledger{id: b.ID, kind: booking.KindWalkIn, concern: concern, day: day, ref: now}
		}
		for _, c := range s.cases { // some appointment holders check in a little late
			if c.day.Equal(day) && c.kind == booking.KindAppointment && !c.cancelled && !c.checkedIn && now.Equal(c.ref.Add(3*time.Minute)) && c.id%4 == 0 {
				if _, err := s.store.CheckIn(ctx, c.id, booking.Owner{}, "desk"); err == nil {
					c.ref, c.checkedIn = now, true
				}
			}
		}
		rest := todo[:0]
		for _, p := range todo {
			if p.at.After(now) {
				rest = append(rest, p)
				continue
			}
			b, err := s.calls.Act(ctx, p.id, p.action, "", "clerk")
			if err != nil {
				s.t.Fatalf("%s %d: %v", p.action, p.id, err)
			}
			c := s.cases[p.id]
			switch p.action {
			case booking.ActionStart:
				c.started = now
			case booking.ActionDone:
				c.done = now
				busy[c.counter] = time.Time{}
			case booking.ActionNoShow:
				busy[c.counter] = time.Time{}
				switch {
				case b.Status == booking.StatusExpired:
					c.expired = true
				case b.Kind == booking.KindWalkIn:
					c.noShow = true
				}
			}
		}
		todo = rest
		for _, counter := range []string{"1", "2"} {
			if !busy[counter].IsZero() {
				continue
			}
			b, err := s.calls.Next(ctx, counter, "clerk")
			if err != nil {
				continue
			}
			c := s.cases[b.ID]
			c.calls++
			if c.firstCall.IsZero() {
				c.firstCall = now
			}
			c.counter = counter
			busy[counter] = now
			if s.rng.IntN(8) == 0 {
				todo = append(todo, pending{now.Add(2 * time.Minute), b.ID, booking.ActionNoShow})
				continue
			}
			service := time.Duration(5+s.rng.IntN(20)) * time.Minute
			todo = append(todo, pending{now.Add(time.Minute), b.ID, booking.ActionStart}, pending{now.Add(time.Minute + service), b.ID, booking.ActionDone})
		}
	}
}

// expect computes the figures of the cases for which keep is true, the
// simple way.
func expected(cases map[uint64]*ledger, keep func(*ledger) bool) Figures {
	var f Figures
	var waits, services []time.Duration
	for _, c := range cases {
		if !keep(c) {
			continue
		}
		switch {
		case c.kind == booking.KindWalkIn:
			f.WalkIns++
		case c.cancelled:
			f.Cancelled++
		default:
			f.Appointments++
		}
		if !c.done.IsZero() {
			f.Served++
			services = append(services, c.done.Sub(c.started))
		}
		if c.noShow {
			f.NoShows++
		}
		if c.expired {
			f.Expired++
		}
		if !c.firstCall.IsZero() {
			waits = append(waits, max(0, c.firstCall.Sub(c.ref)))
		}
	}
	dist := func(v []time.Duration) Dist {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		d := Dist{N: len(v)}
		if d.N > 0 {
			d.Median = v[(d.N+1)/2-1]
			d.P90 = v[(90*d.N+99)/100-1]
			d.Max = v[d.N-1]
		}
		return d
	}
	f.Wait, f.Service = dist(waits), dist(services)
	return f
}

func same(t *testing.T, what string, got, want Figures) {
	t.Helper()
	if got.Appointments != want.Appointments || got.WalkIns != want.WalkIns || got.Served != want.Served || got.NoShows != want.NoShows ||
		got.Expired != want.Expired || got.Cancelled != want.Cancelled {
		t.Errorf("%s counts: got %+v\nwant %+v", what, counts(got), counts(want))
	}
	for _, d := range []struct {
		name      string
		got, want Dist
	}{{"wait", got.Wait, want.Wait}, {"service", got.Service, want.Service}} {
		if d.got.N != d.want.N || d.got.Median != d.want.Median || d.got.P90 != d.want.P90 || d.got.Max != d.want.Max {
			t.Errorf("%s %s: got n=%d median=%s p90=%s max=%s, want n=%d median=%s p90=%s max=%s", what, d.name,
				d.got.N, d.got.Median, d.got.P90, d.got.Max, d.want.N, d.want.Median, d.want.P90, d.want.Max)
		}
	}
}

func counts(f Figures) [6]int {
	return [6]int{f.Appointments, f.WalkIns, f.Served, f.NoShows, f.Expired, f.Cancelled}
}

func TestAMonthOfFiguresMatchWhatHappened(t *testing.T) {
	s := newSim(t)
	s.month()
	loc := s.cfg.Location()
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, loc), time.Date(2026, 11, 30, 0, 0, 0, 0, loc)
	rep, err := Compute(ctx, s.store, s.cfg, from, to, Day)
	if err != nil {
		t.Fatal(err)
	}
	all := expected(s.cases, func(*ledger) bool { return true })
	if all.Served < 200 || all.NoShows == 0 || all.Expired == 0 || all.Cancelled == 0 || all.WalkIns < 100 {
		t.Fatalf("the simulated month is too thin to prove much: %+v", counts(all))
	}
	same(t, "month", rep.Total, all)
	if len(rep.Periods) != 21 {
		t.Errorf("%d days reported, want the 21 weekdays", len(rep.Periods))
	}
	for _, row := range rep.Periods {
		same(t, "day "+row.Key, row.Figures, expected(s.cases, func(c *ledger) bool { return c.day.Format(time.DateOnly) == row.Key }))
		if row.Figures.AvailableMinutes != 240*1 { // 4 hours, one of two counters for appointments
			t.Errorf("day %s: %d available minutes, want 240", row.Key, row.Figures.AvailableMinutes)
		}
	}
	for _, row := range rep.Concerns {
		same(t, "concern "+row.Key, row.Figures, expected(s.cases, func(c *ledger) bool { return c.concern == row.Key }))
	}
	for _, row := range rep.Counters {
		same(t, "counter "+row.Key, row.Figures, expected(s.cases, func(c *ledger) bool { return c.counter == row.Key }))
	}
	for _, row := range rep.Hours {
		same(t, "hour "+row.Key, row.Figures, expected(s.cases, func(c *ledger) bool { return fmt.Sprintf("%02d", c.ref.In(loc).Hour()) == row.Key }))
	}
	// Booked capacity: the minutes of the appointments not cancelled.
	booked := 0
	for _, c := range s.cases {
		if c.kind == booking.KindAppointment && !c.cancelled {
			booked += map[string]int{"a": 10, "b": 20}[c.concern]
		}
	}
	if rep.Total.BookedMinutes != booked || rep.Total.AvailableMinutes != 21*240 {
		t.Errorf("capacity: booked %d available %d, want %d and %d", rep.Total.BookedMinutes, rep.Total.AvailableMinutes, booked, 21*240)
	}
	weeks, _ := Compute(ctx, s.store, s.cfg, from, to, Week)
	months, _ := Compute(ctx, s.store, s.cfg, from, to, Month)
	if len(months.Periods) != 1 || months.Periods[0].Key != "2026-11" || len(weeks.Periods) != 5 || weeks.Periods[0].Key != "2026-W45" {
		t.Errorf("periods: %d weeks (%s…), %d months", len(weeks.Periods), weeks.Periods[0].Key, len(months.Periods))
	}
	same(t, "the month as one period", months.Periods[0].Figures, all)
}

// TestRetentionLeavesNoPersonalDataAndTheFigures: after the retention
// period, an old booking's name, address and person key are nowhere in the
// bbolt file, not even in its free pages, and the day's figures are as before.
func TestRetentionLeavesNoPersonalDataAndTheFigures(t *testing.T) {
	s := newSim(t)
	loc := s.cfg.Location()
	name, mail, person := "Zacharias Quellenbrunnen", "zacharias.quellenbrunnen@example.org", "tg:7766554433"
	s.clock.Set(time.Date(2026, 11, 2, 7, 0, 0, 0, loc))
	b, pin, err := s.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "a", Count: 1}}, Start: time.Date(2026, 11, 3, 9, 0, 0, 0, loc),
		Name: name, Email: mail, PersonKey: person, Channel: "telegram", ChatID: "7766554433"})
	if err != nil {
		t.Fatal(err)
	}
	// Old versions of its pages: a move and a failed PIN.
	s.store.Reschedule(ctx, b.Number, pin, time.Date(2026, 11, 3, 10, 0, 0, 0, loc), nil)
	s.store.Lookup(ctx, b.Number, "000000")
	s.cases[b.ID] = &ledger{id: b.ID, kind: booking.KindAppointment, concern: "a", day: time.Date(2026, 11, 3, 0, 0, 0, 0, loc), ref: time.Date(2026, 11, 3, 10, 0, 0, 0, loc)}
	for d := 2; d <= 6; d++ {
		s.day(time.Date(2026, 11, d, 0, 0, 0, 0, loc))
	}
	from, to := time.Date(2026, 11, 2, 0, 0, 0, 0, loc), time.Date(2026, 11, 6, 0, 0, 0, 0, loc)
	before, err := Compute(ctx, s.store, s.cfg, from, to, Day)
	if err != nil {
		t.Fatal(err)
	}
	raw := func() []byte {
		var buf bytes.Buffer
		if _, err := s.store.Backup(&buf); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(s.path)
		return append(buf.Bytes(), data...)
	}
	if !bytes.Contains(raw(), []byte(name)) {
		t.Fatal("the scan is blind: the name is not in the file before the retention job")
	}
	// Thirty days after the appointment the job runs.
	s.clock.Set(time.Date(2026, 12, 4, 3, 0, 0, 0, loc))
	n, err := s.store.Forget(ctx, s.clock.Now().AddDate(0, 0, -30))
	if err != nil || n == 0 {
		t.Fatalf("forget: %d, %v", n, err)
	}
	if err := s.store.Compact(); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{name, mail, person, "7766554433"} {
		if bytes.Contains(raw(), []byte(secret)) {
			t.Errorf("%q is still in the bbolt file", secret)
		}
	}
	got, err := s.store.Get(ctx, b.ID)
	if err != nil || got.Name != "" || got.Email != "" || got.PIN != nil || got.Minutes != 10 || !got.Start.Equal(time.Date(2026, 11, 3, 10, 0, 0, 0, loc)) {
		t.Fatalf("after the job: %+v %v", got, err)
	}
	after, err := Compute(ctx, s.store, s.cfg, from, to, Day)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the week after the retention job", after.Total, before.Total)
	for i := range before.Periods {
		same(t, "day "+before.Periods[i].Key, after.Periods[i].Figures, before.Periods[i].Figures)
	}
	// Bookings inside the period keep their data.
	s.clock.Set(time.Date(2026, 12, 4, 7, 0, 0, 0, loc))
	recent, _, err := s.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "a", Count: 1}}, Start: time.Date(2026, 12, 4, 9, 0, 0, 0, loc), Name: "Frida Frisch", PersonKey: "f"})
	if err != nil {
		t.Fatal(err)
	}
	s.store.Forget(ctx, s.clock.Now().AddDate(0, 0, -30))
	if r, _ := s.store.Get(ctx, recent.ID); r.Name != "Frida Frisch" {
		t.Fatalf("a recent booking lost its name: %+v", r)
	}
}

// TestStatsPageInChromium renders the admin page of a simulated month in
// headless Chromium: three charts with their bars and line drawn, the
// tables filled; the screenshot is kept.
func TestStatsPageInChromium(t *testing.T) {
	s := newSim(t)
	s.month()                                               // before the page's time starts: slow under -race beside other tests
	page := browsertest.Page(t, 1100, 1400, 60*time.Second) // the page's own time
	engine, err := conversation.New(s.store, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(s.store, s.cfg, s.clock.Now, engine))
	defer srv.Close()
	if _, err := chromedp.Call(page, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "de-DE,de;q=0.9"}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(page, chromedp.Navigate(srv.URL+"/?from=2026-11-01&to=2026-11-30&period=day"), chromedp.WaitReady("svg")); err != nil {
		t.Fatal(err)
	}
	drawn, err := chromedp.Run(page, chromedp.Evaluate[[]int](`Array.from(document.querySelectorAll("svg")).map(s =>
		s.querySelectorAll("rect[height]:not([height='0.0'])").length + s.querySelectorAll("circle").length)`))
	if err != nil || len(drawn) != 3 || drawn[0] < 4 || drawn[1] < 2 || drawn[2] < 21 {
		t.Fatalf("charts drawn: %v %v", drawn, err)
	}
	text, _ := chromedp.Run(page, chromedp.Text("body"))
	for _, want := range []string{"Wartezeit nach Uhrzeit", "Fälle nach Anliegen", "Nicht erschienen im Zeitverlauf", "Ausweis", "Kfz", "periods.csv"} {
		if !strings.Contains(text, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	browsertest.NoViolations(t, page, "statistics")
	png, err := chromedp.Run(page, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Keep(t, "stats-page.png", png)
}

// TestCSVColumns: every table's header is as documented.
func TestCSVColumns(t *testing.T) {
	s := newSim(t)
	s.day(time.Date(2026, 11, 2, 0, 0, 0, 0, s.cfg.Location()))
	rep, _ := Compute(ctx, s.store, s.cfg, time.Date(2026, 11, 2, 0, 0, 0, 0, s.cfg.Location()), time.Date(2026, 11, 2, 0, 0, 0, 0, s.cfg.Location()), Day)
	want := map[string]string{
		"periods":  "period,appointments,walk_ins,served,no_shows,expired,cancelled,no_show_rate,wait_n,wait_median_min,wait_p90_min,wait_max_min,service_n,service_median_min,booked_min,available_min,utilisation,staff_appointments,staff_booked_min,staff_available_min,online_share_use,staff_share_use",
		"concerns": "concern,name,appointments,walk_ins,served,no_shows,expired,cancelled,wait_n,wait_median_min,wait_p90_min,wait_max_min,service_n,service_mean_min,service_median_min,configured_min",
		"counters": "counter,name,served,wait_n,wait_median_min,wait_p90_min,service_n,service_median_min",
		"hours":    "hour,appointments,walk_ins,wait_n,wait_median_min,wait_p90_min,wait_max_min",
	}
	for _, table := range Tables {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, rep, table); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if lines[0] != want[table] || len(lines) < 2 {
			t.Errorf("%s: header %q (%d lines)", table, lines[0], len(lines))
		}
		for _, l := range lines[1:] {
			if strings.Count(l, ",") != strings.Count(lines[0], ",") && !strings.Contains(l, `"`) {
				t.Errorf("%s: row %q has another number of columns", table, l)
			}
		}
	}
	if err := WriteCSV(io.Discard, rep, "people"); err == nil {
		t.Error("an unknown table was written")
	}
}

// The page speaks the browser's language and says so when a period has no
// cases.
func TestStatsPageSpeaksTheBrowsersLanguage(t *testing.T) {
	store, clock := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	engine, err := conversation.New(store, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(store, store.Config(), clock.Now, engine))
	defer srv.Close()
	for lang, want := range map[string][]string{
		"en-GB": {`lang="en"`, "Waiting time by hour", "No cases in this period.", "<option value=\"week\">week</option>"},
		"de-DE": {`lang="de"`, "Wartezeit nach Uhrzeit", "Keine Fälle in diesem Zeitraum.", "<option value=\"week\">Woche</option>"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/?from=2026-11-01&to=2026-11-02", nil)
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s: no %q", lang, w)
			}
		}
	}
}

// The use of each share: bookings by staff for callers against the places
// kept for them, the rest against the online share.
func TestShareUse(t *testing.T) {
	yaml := strings.Replace(officeYAML, `counters: [{id: "1", name: Platz 1}, {id: "2", name: Platz 2}]`,
		`counters: [{id: "1", name: Platz 1}, {id: "2", name: Platz 2}, {id: "3", name: Platz 3}, {id: "4", name: Platz 4}]`, 1)
	yaml = strings.Replace(yaml, "walk_in_share: 0.5,", "walk_in_share: 0, online_share: 0.5,", 1)
	cfg, err := office.ParseConfig("office.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	loc := cfg.Location()
	store, err := booking.Open(filepath.Join(t.TempDir(), "bb.db"), cfg, booking.Options{Clock: fakeclock.New(time.Date(2026, 11, 1, 7, 0, 0, 0, loc))})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	start := time.Date(2026, 11, 3, 8, 0, 0, 0, loc) // Tuesday, four hours open, two places online and two for staff
	for _, req := range []booking.Request{
		{Concerns: []booking.ConcernCount{{ID: "a", Count: 1}}, Start: start, Name: "Erika Online", PersonKey: "p1"},
		{Concerns: []booking.ConcernCount{{ID: "a", Count: 1}}, Start: start, Name: "Max Telefon", Actor: "clerk"},
		{Concerns: []booking.ConcernCount{{ID: "a", Count: 1}}, Start: start, Name: "Ida Telefon", Actor: "clerk"},
	} {
		if _, _, err := store.Book(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Compute(ctx, store, cfg, start, start, Day)
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Total
	online, staff := f.ShareUse()
	if f.StaffAppointments != 2 || f.StaffBookedMinutes != 20 || f.StaffAvailableMinutes != 2*240 {
		t.Fatalf("staff share: %d appointments, %d of %d minutes; want 2, 20 of 480", f.StaffAppointments, f.StaffBookedMinutes, f.StaffAvailableMinutes)
	}
	if online != 10.0/480 || staff != 20.0/480 {
		t.Fatalf("share use online %.4f, staff %.4f; want %.4f and %.4f", online, staff, 10.0/480, 20.0/480)
	}
}
