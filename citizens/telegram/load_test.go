package telegram

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"buergerbuero/citizens/telegram/telegramtest"
	"buergerbuero/office"
)

// loadOffice has 4 counters, 10-minute cases, open 07:00-19:00 on weekdays.
const loadOffice = `
office: {name: Lastamt, timezone: Europe/Berlin, state: NW}
counters: [{id: "1"}, {id: "2"}, {id: "3"}, {id: "4"}]
concerns: [{id: ausweis, name: {de: Ausweis}, keywords: [perso], minutes: 10}]
opening_hours:
  monday: ["07:00-19:00"]
  tuesday: ["07:00-19:00"]
  wednesday: ["07:00-19:00"]
  thursday: ["07:00-19:00"]
  friday: ["07:00-19:00"]
closed: {public_holidays: false}
booking: {horizon_days: 366, slot_step: 10m, walk_in_share: 0, lead_time: 0s}
`

// simulate has users book through the Bot API server at once, each asking
// for slots[i] (a text like "am 25.11.2026 um 10:30"), and returns how many
// were told they are booked and the number/PIN pairs they were told.
func simulate(b testing.TB, r *rig, slots []string) (map[string]string, time.Duration) {
	return simulateAs(b, r, slots, telegramtest.Citizen)
}

// simulateAs is simulate with the i-th user's Telegram id from id.
func simulateAs(b testing.TB, r *rig, slots []string, id func(int) int64) (map[string]string, time.Duration) {
	var mu sync.Mutex
	told := map[string]string{}
	rx := regexp.MustCompile(`Wartenummer: (T-\d+)\nPIN: (\d{6})`)
	var wg sync.WaitGroup
	start := time.Now()
	for i, slot := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := id(i)
			seen := 0
			for _, text := range []string{"Perso " + slot, "Erika Muster", "ja"} { // no mail channel: no e-mail question
				r.api.Text(id, "de", text)
				msgs, err := r.api.WaitFor(id, seen, 60*time.Second, func(s telegramtest.Sent) bool { return len(s.Keyboard) > 0 })
				if err != nil {
					b.Errorf("user %d: %v", i, err)
					return
				}
				seen += len(msgs)
				for _, m := range msgs {
					if g := rx.FindStringSubmatch(m.Text); g != nil {
						mu.Lock()
						told[g[1]] = g[2]
						mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	return told, time.Since(start)
}

// checkBooked verifies every booking a user was told of exists with its
// PIN, and that no time holds more than the 4 counters.
func checkBooked(b testing.TB, r *rig, told map[string]string) {
	perTime := map[time.Time]int{}
	for num, pin := range told {
		bk, err := r.store.Lookup(context.Background(), num, pin)
		if err != nil {
			b.Fatalf("%s told booked, but: %v", num, err)
		}
		perTime[bk.Start]++
	}
	for t, n := range perTime {
		if n > 4 {
			b.Fatalf("%s booked %d times, capacity 4", t, n)
		}
	}
}

// slotsFor returns n slot texts, each time repeated per times (4 = capacity).
func slotsFor(cfg *office.Config, n, per int) []string {
	var out []string
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, cfg.Location())
	for len(out) < n {
		for _, o := range cfg.Openings(day) {
			for t := o.From; t.Add(10*time.Minute).Compare(o.To) <= 0 && len(out) < n; t = t.Add(10 * time.Minute) {
				for range per {
					out = append(out, t.Format("am 02.01.2006 um 15:04"))
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return out[:n]
}

// BenchmarkTelegramLoad: b.N users book at once through the local Bot API
// server, eight asking for each time of four counters, so half must be told
// the time is gone. It reports dialogues per second and the share of the
// capacity correctly booked (1 = every place filled, none twice).
func BenchmarkTelegramLoad(b *testing.B) {
	r := newRigFor(b, Config{}, loadOffice)
	n := max(b.N, 8)
	slots := slotsFor(r.store.Config(), n, 8)
	b.ResetTimer()
	told, took := simulate(b, r, slots)
	b.StopTimer()
	checkBooked(b, r, told)
	capacity := 0
	distinct := map[string]bool{}
	for _, s := range slots {
		distinct[s] = true
	}
	for s := range distinct {
		capacity += min(4, strings.Count(strings.Join(slots, "|"), s))
	}
	b.ReportMetric(float64(n)/took.Seconds(), "dialogues/s")
	b.ReportMetric(float64(len(told))/float64(capacity), "booked/capacity")
}

// TestLoadFillsEveryPlaceOnce is the load run as a test: 64 users for 8
// times of 4 places: exactly 32 booked, each told of it with a PIN that works.
func TestLoadFillsEveryPlaceOnce(t *testing.T) {
	r := newRigFor(t, Config{}, loadOffice)
	told, _ := simulate(t, r, slotsFor(r.store.Config(), 64, 8))
	checkBooked(t, r, told)
	if len(told) != 32 {
		t.Fatalf("%d users told booked, want 32", len(told))
	}
	day, _ := r.store.DayBookings(context.Background(), time.Date(2026, 11, 25, 0, 0, 0, 0, r.store.Config().Location()))
	if len(day) != 32 {
		t.Fatalf("%d bookings stored, want 32", len(day))
	}
}

// Accounts made together (ids next to each other) are one source: twenty
// of them, each asking for a free time of its own, get the source's limit,
// while citizens spread over the ids each get theirs.
func TestAccountsMadeTogetherShareALimit(t *testing.T) {
	r := newRigFor(t, Config{}, loadOffice)
	slots := slotsFor(r.store.Config(), 40, 1)
	farm, _ := simulateAs(t, r, slots[:20], func(i int) int64 { return 7_300_000_000 + int64(i)*37 })
	if limit := r.store.Config().Booking.MaxActivePerSource; len(farm) != limit {
		t.Errorf("%d of 20 accounts made together booked, want the source's limit %d", len(farm), limit)
	}
	citizens, _ := simulateAs(t, r, slots[20:], func(i int) int64 { return telegramtest.Citizen(100 + i) })
	if len(citizens) != 20 {
		t.Errorf("%d of 20 citizens booked, want all", len(citizens))
	}
	for deadline := time.Now().Add(10 * time.Second); r.api.Calls("sendDocument") < len(farm)+len(citizens) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // every calendar file sent before the server closes
	}
}

// raceOffice has two counters: each time has two places.
var raceOffice = strings.Replace(loadOffice, `[{id: "1"}, {id: "2"}, {id: "3"}, {id: "4"}]`, `[{id: "1"}, {id: "2"}]`, 1)

// Thirty citizens race through Telegram for a time with two places. The
// time a citizen chooses is held for them: the two first get it and go on
// to their name and book it; the 28 others learn at the time step, with
// the nearest free times, before they type their name.
func TestRaceOfThirtyForTwoPlaces(t *testing.T) {
	r := newRigFor(t, Config{}, raceOffice)
	slot := slotsFor(r.store.Config(), 1, 1)[0]
	rx := regexp.MustCompile(`Wartenummer: (T-\d+)\nPIN: (\d{6})`)
	var mu sync.Mutex
	var askedName, toldAtTime, booked int
	told := map[string]string{}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := telegramtest.Citizen(i)
			say := func(text string, seen int) string {
				r.api.Text(id, "de", text)
				msgs, err := r.api.WaitFor(id, seen, 60*time.Second, func(s telegramtest.Sent) bool { return len(s.Keyboard) > 0 })
				if err != nil {
					t.Errorf("user %d: %v", i, err)
				}
				return render(msgs)
			}
			first := say("Perso "+slot, 0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case strings.Contains(first, "Auf welchen Namen"):
				askedName++
				mu.Unlock()
				say("Erika Muster", len(r.api.Sent(id)))
				out := say("ja", len(r.api.Sent(id)))
				mu.Lock()
				if g := rx.FindStringSubmatch(out); g != nil {
					booked++
					told[g[1]] = g[2]
				}
			case strings.Contains(first, "ist gerade nicht frei") || strings.Contains(first, "nicht frei"):
				if !strings.Contains(first, "nächsten freien Zeiten") {
					t.Errorf("user %d told the time is taken without other times:\n%s", i, first)
				}
				toldAtTime++
			default:
				t.Errorf("user %d: unexpected first answer:\n%s", i, first)
			}
		}()
	}
	wg.Wait()
	if askedName != 2 || toldAtTime != 28 || booked != 2 {
		t.Fatalf("asked for the name %d, told at the time step %d, booked %d; want 2, 28, 2", askedName, toldAtTime, booked)
	}
	checkBooked(t, r, told)
}
