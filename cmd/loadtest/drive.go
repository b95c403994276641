package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"buergerbuero/citizens/email/mailtest"
	"buergerbuero/citizens/telegram/telegramtest"
)

// told is a booking a simulated user was told of.
type told struct {
	number, pin, person string
	office              int // in a town: which office
}

// results are what the users and clerks saw.
type results struct {
	mu        sync.Mutex
	latency   map[string][]time.Duration // by step
	errors    map[string]int
	told      []told
	refused   int // told the time is not free (a clear answer)
	stuck     []string
	started   time.Time
	took      time.Duration
	telegramN int // Telegram bookings
	tgTook    time.Duration
	nudges    int      // users who asked again after getting no answer
	odd       []string // the first unexpected answers, for the report

	answered []time.Time
}

// timeline is the answers per second since the start, for a report.
func (r *results) timeline() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var per []int
	for _, a := range r.answered {
		s := int(a.Sub(r.started) / time.Second)
		for len(per) <= s {
			per = append(per, 0)
		}
		per[s]++
	}
	return fmt.Sprint(per)
}

// stall is the longest time without an answer to any user from the
// moment from on, over window: how long a failure at from held the flow
// up. A window without any answer is a stall of the whole window.
func (r *results) stall(from time.Time, window time.Duration) time.Duration {
	r.mu.Lock()
	at := slices.Clone(r.answered)
	r.mu.Unlock()
	slices.SortFunc(at, time.Time.Compare)
	prev, longest := from, time.Duration(0)
	for _, a := range at {
		if !a.After(from) {
			continue
		}
		if a.After(from.Add(window)) {
			break
		}
		longest, prev = max(longest, a.Sub(prev)), a
	}
	if prev.Equal(from) {
		return window
	}
	return longest
}

// oddAnswer keeps an unexpected answer for the report (the first five).
func (r *results) oddAnswer(step string, id int64, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.odd) < 5 {
		r.odd = append(r.odd, fmt.Sprintf("%s, user %d: %.300q", step, id, text))
	}
}

func newResults() *results {
	return &results{latency: map[string][]time.Duration{}, errors: map[string]int{}, started: time.Now()}
}

func (r *results) step(name string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latency[name] = append(r.latency[name], d)
	r.answered = append(r.answered, time.Now())
}

func (r *results) fail(name, who string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[name]++
	r.stuck = append(r.stuck, who)
}

func (r *results) booked(t told, telegram bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.told = append(r.told, t)
	if telegram {
		r.telegramN++
	}
}

// nudged counts a user who asked again after getting no answer.
func (r *results) nudged() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nudges++
}

func (r *results) refuse() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused++
}

func (r *results) bookingsPerSecond() float64 {
	if r.tgTook <= 0 {
		return 0
	}
	return float64(r.telegramN) / r.tgTook.Seconds()
}

var bookedRx = regexp.MustCompile(`Wartenummer: (T-\d+)\s+PIN: (\d{6})`)

// drive runs every simulated user and clerk at once.
func (e *environment) drive(ctx context.Context, o options) *results {
	res := newResults()
	e.live.Store(res)
	per := 1
	switch e.scenario {
	case "race":
		per = max(1, o.users/10)
	case "rush":
		per = 10 // ten users for each time, eight counters: two of each ten lose
	}
	slots := e.slotTexts(o.users+o.mailUsers, per, time.Now())
	var wg sync.WaitGroup
	tgStart := time.Now()
	var tgWG sync.WaitGroup
	for i := range o.users {
		wg.Add(1)
		tgWG.Add(1)
		go func() {
			defer wg.Done()
			defer tgWG.Done()
			time.Sleep(o.arrive * time.Duration(i) / time.Duration(o.users))
			e.telegramUser(res, telegramtest.Citizen(i), slots[i], i%e.offices)
		}()
	}
	go func() { tgWG.Wait(); res.tgTook = time.Since(tgStart) }()
	for i := range o.mailUsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.mailUser(res, fmt.Sprintf("buerger%d@load.example", i), slots[o.users+i], i%e.offices)
		}()
	}
	for i := range o.clerks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.clerk(res, i, 20)
		}()
	}
	wg.Wait()
	tgWG.Wait()
	time.Sleep(10 * time.Millisecond)
	res.took = time.Since(res.started)
	return res
}

// telegramUser books by typing, step by step, as a Telegram user, at
// office (of a town).
func (e *environment) telegramUser(res *results, id int64, slot string, office int) {
	seen := 0
	steps := []struct{ name, text, expect string }{
		{"telegram: concern, day, time", "Perso " + e.where(office) + slot, "Vor- und Nachname"},
		{"telegram: name", "Erika Muster", "E-Mail"},
		{"telegram: e-mail", "nein", "Bitte prüfen"},
		{"telegram: confirm", "ja", "Wartenummer"},
	}
	hasButtons := func(m telegramtest.Sent) bool { return len(m.Keyboard) > 0 }
	for _, s := range steps {
		start := time.Now()
		e.tg.Text(id, "de", s.text)
		msgs, err := e.tg.WaitFor(id, seen, e.patience(), hasButtons)
		if err != nil && e.nudge {
			msgs, err = e.askAgain(id, &seen, s.text, s.expect)
			res.nudged()
		}
		if err != nil {
			res.fail(s.name, fmt.Sprint("telegram ", id))
			return
		}
		res.step(s.name, time.Since(start))
		seen += len(msgs)
		text := ""
		for _, m := range msgs {
			text += m.Text + "\n"
		}
		if m := bookedRx.FindStringSubmatch(text); m != nil {
			res.booked(told{m[1], m[2], fmt.Sprint("tg:", id), office}, true)
			return
		}
		if toldTaken(text) {
			res.refuse()
			return
		}
		if !strings.Contains(text, s.expect) {
			res.oddAnswer(s.name, id, text)
			if !e.nudge || !e.askedAgainAfter(id, &seen, s.text, s.expect, res) {
				res.fail(s.name+" (unexpected answer)", fmt.Sprint("telegram ", id))
				return
			}
		}
	}
}

// askedAgainAfter is a citizen puzzled by an answer (in a failover, one
// meant for a message sent again): they ask again, as after no answer, and
// report whether the step's question came then.
func (e *environment) askedAgainAfter(id int64, seen *int, text, expect string, res *results) bool {
	msgs, err := e.askAgain(id, seen, text, expect)
	res.nudged()
	if err != nil {
		return false
	}
	*seen += len(msgs)
	for _, m := range msgs {
		if strings.Contains(m.Text, expect) {
			return true
		}
	}
	return false
}

// toldTaken reports whether an answer tells the user that the time (or
// the day, or the horizon) is taken: held or booked by others first.
func toldTaken(text string) bool {
	for _, taken := range []string{"nicht frei", "nichts mehr frei", "kein Termin mehr frei", "gerade von jemand anderem gebucht", "kann ich nicht buchen"} {
		if strings.Contains(text, taken) {
			return true
		}
	}
	return false
}

// askAgain is a citizen without an answer (the instance that had the
// message died): "?" brings the question where the dialogue stands; if
// the message never arrived, it is sent again. A booking made before the
// crash comes from the outbox.
func (e *environment) askAgain(id int64, seen *int, text, expect string) ([]telegramtest.Sent, error) {
	answered := func(msgs []telegramtest.Sent) bool {
		for _, m := range msgs {
			if strings.Contains(m.Text, expect) || bookedRx.MatchString(m.Text) || toldTaken(m.Text) {
				return true
			}
		}
		return false
	}
	e.tg.Text(id, "de", "?")
	msgs, err := e.tg.WaitFor(id, *seen, 90*time.Second, func(m telegramtest.Sent) bool { return len(m.Keyboard) > 0 })
	if err != nil || answered(msgs) {
		return msgs, err
	}
	*seen += len(msgs) // the dialogue stands before the message: it was lost
	e.tg.Text(id, "de", text)
	return e.tg.WaitFor(id, *seen, 90*time.Second, func(m telegramtest.Sent) bool { return answered([]telegramtest.Sent{m}) })
}

// mailUser books by mail at office (of a town): a first mail that says
// everything, then "ja".
func (e *environment) mailUser(res *results, addr, slot string, office int) {
	raw, _ := mailtest.CitizenMail(addr, "Termin", "", "Guten Tag, ich brauche einen Termin für meinen Personalausweis "+e.where(office)+slot+", Mara Mail")
	start := time.Now()
	if err := e.imap.Deliver(raw); err != nil {
		res.fail("mail: first mail", addr)
		return
	}
	m, err := e.smtp.WaitTo(addr, 0, 90*time.Second)
	if err != nil {
		res.fail("mail: first mail", addr)
		return
	}
	res.step("mail: first mail", time.Since(start))
	if !strings.Contains(m.Body, "Bitte prüfen") {
		if toldTaken(m.Body) {
			res.refuse()
			return
		}
		res.fail("mail: first mail (unexpected answer)", addr)
		return
	}
	raw, _ = mailtest.CitizenMail(addr, "Re: Termin", "<"+m.MessageID+">", "Ja, bitte.")
	start = time.Now()
	e.imap.Deliver(raw)
	m, err = e.smtp.WaitTo(addr, 1, 90*time.Second)
	if err != nil {
		res.fail("mail: confirm", addr)
		return
	}
	res.step("mail: confirm", time.Since(start))
	if g := bookedRx.FindStringSubmatch(m.Body); g != nil {
		res.booked(told{g[1], g[2], "mail:" + addr, office}, false)
		return
	}
	if toldTaken(m.Body) {
		res.refuse()
		return
	}
	res.fail("mail: confirm (unexpected answer)", addr)
}

// clerk issues walk-in numbers at the desk and calls and serves them, in
// the channel of the clerk's office.
func (e *environment) clerk(res *results, i, rounds int) {
	channel := e.staffChannels()[i%e.offices]
	counter := fmt.Sprint(i%8 + 1)
	if e.scenario == "race" {
		counter = "1"
	}
	for r := range rounds {
		for _, c := range []struct{ step, text string }{
			{"clerk: walk-in", "walkin perso"}, {"clerk: next", "next " + counter}, {"clerk: done", "done"},
		} {
			start := time.Now()
			out, err := e.slash(fmt.Sprintf("clerk%d", i), channel, c.text)
			if err != nil || out == "" {
				res.fail(c.step, fmt.Sprintf("clerk%d round %d", i, r))
				return
			}
			res.step(c.step, time.Since(start))
		}
	}
}

// slash sends a /bb command typed in channel to the service as Mattermost would.
func (e *environment) slash(user, channel, text string) (string, error) {
	res, err := http.PostForm("http://"+e.anyAddr()+"/mattermost/command", url.Values{"token": {commandToken}, "user_id": {e.clerkIDs[user]},
		"user_name": {user}, "channel_id": {e.mm.ChannelID(channel)}, "text": {text}})
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return "", fmt.Errorf("%s", res.Status)
	}
	return string(body), nil
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[max(0, (p*len(s)+99)/100-1)]
}

func (r *results) print(w io.Writer) {
	var steps []string
	for s := range r.latency {
		steps = append(steps, s)
	}
	for s := range r.errors {
		if _, ok := r.latency[s]; !ok {
			steps = append(steps, s)
		}
	}
	sort.Strings(steps)
	fmt.Fprintf(w, "\n%-38s %7s %9s %9s %7s\n", "step", "count", "p50", "p99", "errors")
	for _, s := range steps {
		l := r.latency[s]
		fmt.Fprintf(w, "%-38s %7d %9s %9s %7d\n", s, len(l), pct(l, 50).Round(100*time.Microsecond), pct(l, 99).Round(100*time.Microsecond), r.errors[s])
	}
	fmt.Fprintf(w, "\nbooked %d (Telegram %d), told the time is taken %d, stuck %d, in %s; Telegram: %.1f bookings/s\n",
		len(r.told), r.telegramN, r.refused, len(r.stuck), r.took.Round(time.Millisecond), r.bookingsPerSecond())
	for _, o := range r.odd {
		fmt.Fprintf(w, "  unexpected answer: %s\n", o)
	}
}
