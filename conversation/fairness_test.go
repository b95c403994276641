package conversation

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/office"
)

// The fairness simulation: one day of a six-counter office (3,240
// appointment minutes) asked for by 150 honest citizens arriving over the
// 24 hours after it opened, on every channel, and, at the moment it opens,
// by a farm: 100 Telegram accounts made together, 30 address blocks with
// three web chat sessions each, and one address asking as big as it may.
// Each actor goes through the dialogue's confirm step (booking.Book, the
// pace, the waiting list and its draws on the scheduler's ticks).

const fairOffice = `
office: {name: Bürgerbüro Fairstadt, address: Markt 1, phone: "0800 123", timezone: Europe/Berlin}
counters: [{id: "1", name: P1}, {id: "2", name: P2}, {id: "3", name: P3}, {id: "4", name: P4}, {id: "5", name: P5}, {id: "6", name: P6}]
concerns:
  - {id: perso, name: {de: Personalausweis}, minutes: 15, max_count: 5, per_person: true}
  - {id: pass, name: {de: Reisepass}, minutes: 20, max_count: 5, per_person: true}
  - {id: melde, name: {de: Meldebescheinigung}, minutes: 5, max_count: 4}
opening_hours:
  monday: ["08:00-17:00"]
  tuesday: ["08:00-17:00"]
  wednesday: ["08:00-17:00"]
  thursday: ["08:00-17:00"]
  friday: ["08:00-17:00"]
closed: {public_holidays: false}
booking: {horizon_days: 21, lead_time: 1h, slot_step: 10m, walk_in_share: 0%s}
`

// fairActor is one who asks for a time on the simulated day.
type fairActor struct {
	honest                        bool
	channel, chat, person, source string
	concerns                      []office.ConcernCount
	want                          time.Time // the time chosen
	at                            time.Time // when they ask
}

// fairOutcome is a run's result: the share of the day's minutes the farm
// holds, and how the honest fared.
type fairOutcome struct {
	attackerShare         float64
	honestAsked, honestOn int
	honestRefused         int // refused by a limit or the pace, not by a full day
	waited                int // honest who waited for a draw
}

func runFairDay(t *testing.T, rules string, grouped bool) fairOutcome {
	t.Helper()
	ev := newEnv(t, fmt.Sprintf(fairOffice, rules), time.Date(2026, 11, 24, 0, 0, 0, 0, berlin))
	for _, ch := range []string{"telegram", "webchat"} {
		ev.engine.Register(ch, ev.sent)
	}
	opens := ev.clock.Now()
	day := opens.AddDate(0, 0, ev.cfg.Booking.HorizonDays) // enters the horizon now
	rng := rand.New(rand.NewPCG(2026, 12))
	grid := func() time.Time { return day.Add(8*time.Hour + time.Duration(rng.IntN(51))*10*time.Minute) }
	one := func(id string, n int) []office.ConcernCount { return []office.ConcernCount{{ID: id, Count: n}} }
	var actors []*fairActor
	for i := range 150 { // honest, over the day, on every channel
		a := &fairActor{honest: true, want: grid(), at: opens.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))}
		switch c := rng.IntN(10); {
		case c < 6:
			a.concerns = one("perso", 1)
		case c < 8:
			a.concerns = one("melde", 1)
		default:
			a.concerns = one("pass", 1)
		}
		switch i % 3 {
		case 0:
			id := 5_000_000_000 + int64(i)*(1<<16) + int64(rng.IntN(1<<16))
			a.channel, a.chat, a.person, a.source = "telegram", fmt.Sprint(id), fmt.Sprint("tg:", id), fmt.Sprint("tg:ids/", id>>16)
		case 1:
			a.channel, a.chat, a.person, a.source = "webchat", fmt.Sprint("web", i), fmt.Sprint("web:", i), fmt.Sprintf("net:198.%d.%d.0/24", 18+i%2, i)
		default:
			addr := fmt.Sprintf("citizen%d@gmx.de", i)
			a.channel, a.chat, a.person = MailChannel, addr, "mail:"+addr
		}
		actors = append(actors, a)
	}
	attack := opens.Add(2 * time.Second)
	for k := range 100 { // Telegram accounts made together
		id := 7_300_000_000 + int64(k)*37
		src := fmt.Sprint("tg:ids/", id>>16)
		if !grouped {
			src = "" // before: Telegram had no source
		}
		actors = append(actors, &fairActor{channel: "telegram", chat: fmt.Sprint(id), person: fmt.Sprint("tg:", id), source: src,
			concerns: one("perso", 1), want: grid(), at: attack})
	}
	for b := range 30 { // address blocks, three sessions each
		for s := range 3 {
			actors = append(actors, &fairActor{channel: "webchat", chat: fmt.Sprintf("farm%d-%d", b, s), person: fmt.Sprintf("web:farm%d-%d", b, s),
				source: fmt.Sprintf("net:203.0.%d.0/24", b), concerns: one("perso", 1), want: grid(), at: attack})
		}
	}
	for s := range 3 { // as big as allowed, from one address
		actors = append(actors, &fairActor{channel: "webchat", chat: fmt.Sprint("big", s), person: fmt.Sprint("web:big", s),
			source: "net:192.0.2.0/24", concerns: []office.ConcernCount{{ID: "perso", Count: 4}}, want: grid(), at: attack})
	}
	slices.SortStableFunc(actors, func(a, b *fairActor) int { return a.at.Compare(b.at) })

	var out fairOutcome
	refusals := []string{"Sie haben schon einen Termin", "Von Ihrem Anschluss", "So viel auf einmal", "konnten wir nicht buchen", "geben wir gerade nach und nach"}
	next := 0
	for now := opens; now.Before(opens.Add(25 * time.Hour)); now = now.Add(time.Minute) {
		ev.clock.Set(now)
		for ; next < len(actors) && !actors[next].at.After(now); next++ {
			a := actors[next]
			reply := a.ask(t, ev, day)
			if a.honest && strings.Contains(reply, "steht auf der Liste") {
				out.waited++
			}
			if a.honest && !strings.Contains(reply, "Ihr Termin ist gebucht") && !strings.Contains(reply, "steht auf der Liste") && testing.Verbose() {
				t.Logf("honest %s at %s: %.300s", a.person, now.Format("15:04"), reply)
			}

			for _, r := range refusals {
				if a.honest && strings.Contains(reply, r) {
					out.honestRefused++
					t.Logf("honest %s refused: %s", a.person, reply)
				}
			}
		}
		ev.tick(context.Background())
	}
	for _, a := range actors {
		if a.honest {
			for _, r := range ev.sent.take(a.chat) {
				if strings.Contains(r.Text, "konnten wir nicht buchen") {
					out.honestRefused++
				}
			}
		}
	}
	booked, err := ev.store.DayBookings(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	honest := map[string]bool{}
	for _, a := range actors {
		honest[a.person] = a.honest
		if a.honest {
			out.honestAsked++
		}
	}
	farm := 0
	for _, b := range booked {
		if b.Status != booking.StatusBooked {
			continue
		}
		if honest[b.PersonKey] {
			out.honestOn++
		} else {
			farm += b.Minutes
		}
	}
	out.attackerShare = float64(farm) / float64(ev.cfg.AppointmentMinutes(day))
	return out
}

// ask takes a through the dialogue's last step for its wanted time (and,
// when that time is taken meanwhile, the free time nearest to it), and
// returns what the dialogue answered.
func (a *fairActor) ask(t *testing.T, ev *env, day time.Time) string {
	t.Helper()
	want := a.want
	var answer string
	for range 3 {
		d := &dialogue{State: stConfirm, Flow: "book", Lang: "de", Concerns: a.concerns, Day: day.Format(time.DateOnly), Start: want,
			Name: "Sim Bürger", EmailDone: true, Updated: ev.clock.Now()}
		data, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := ev.engine.dialogues.Put(context.Background(), dialogueKey(a.channel, a.chat), data); err != nil {
			t.Fatal(err)
		}
		replies, err := ev.engine.Handle(context.Background(), Message{Channel: a.channel, ChatID: a.chat, PersonKey: a.person, Source: a.source,
			Text: "ja", Proven: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := ev.engine.Delivered(context.Background(), replies); err != nil {
			t.Fatal(err)
		}
		answer = joined(replies)
		if !strings.Contains(answer, "Bitte wählen Sie eine andere Zeit") {
			return answer
		}
		free, err := ev.store.FreeSlots(context.Background(), booking.ForCitizen, a.concerns, day, day)
		if err != nil || len(free) == 0 {
			return answer
		}
		want = free[0].Times[len(free[0].Times)/2]
	}
	return answer
}

// Farms gain nothing from numbers or speed: against the farm, the honest
// citizens who asked for the day get a time on it (at least 90 %), none is
// refused by a defence, and the farm holds at most a quarter of the day.
// The same run without the pace, and with neither the pace nor the
// minutes and grouping, is logged beside it for the README's table.
func TestFarmsGainNothingFromNumbersOrSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated day")
	}
	runs := []struct {
		name    string
		rules   string
		grouped bool
	}{
		{"no defence (counts only, Telegram without source)", ", max_cases_per_booking: 99, max_minutes_per_booking: 999, max_minutes_per_person: 999, max_minutes_per_source: 9999, pace: {opening_share: 1}", false},
		{"limits in minutes and grouping, no pace", ", pace: {opening_share: 1}", true},
		{"the whole defence (defaults)", "", true},
	}
	var whole fairOutcome
	for _, r := range runs {
		o := runFairDay(t, r.rules, r.grouped)
		t.Logf("| %s | %.0f %% | %d of %d (%.0f %%) | %d | %d |", r.name, 100*o.attackerShare, o.honestOn, o.honestAsked,
			100*float64(o.honestOn)/float64(o.honestAsked), o.honestRefused, o.waited)
		whole = o
	}
	if whole.attackerShare > 0.25 {
		t.Errorf("the farm holds %.0f %% of the day, want at most 25 %%", 100*whole.attackerShare)
	}
	if float64(whole.honestOn) < 0.9*float64(whole.honestAsked) {
		t.Errorf("%d of %d honest citizens got a time on the day, want at least 90 %%", whole.honestOn, whole.honestAsked)
	}
	if whole.honestRefused != 0 {
		t.Errorf("%d honest citizens refused by a defence", whole.honestRefused)
	}
}

// Requests in the first minutes of a day are collected and drawn: each
// waits with a clear word, nothing happens before the draw, then each is
// told in their chat with number and PIN; they came together, so staff
// see them as one cohort.
func TestRequestsAtADaysOpeningAreDrawn(t *testing.T) {
	ev := newEnv(t, fmt.Sprintf(fairOffice, ""), time.Date(2026, 11, 24, 0, 0, 0, 0, berlin))
	ev.engine.Register("telegram", ev.sent)
	day := ev.clock.Now().AddDate(0, 0, 21)
	ev.clock.Set(ev.clock.Now().Add(30 * time.Second))
	var chats []*fairActor
	for i := range 3 {
		a := &fairActor{channel: "telegram", chat: fmt.Sprint("tg", i), person: fmt.Sprint("tg:", i), source: fmt.Sprint("tg:ids/", i),
			concerns: []office.ConcernCount{{ID: "perso", Count: 1}}, want: day.Add(10 * time.Hour)}
		expect(t, "asked at the opening", a.ask(t, ev, day), "Ihre Anfrage steht auf der Liste", "In etwa 10 Minuten")
		chats = append(chats, a)
	}
	ev.clock.Set(ev.clock.Now().Add(5 * time.Minute))
	ev.tick(context.Background())
	if got := ev.sent.take("tg0"); len(got) != 0 {
		t.Fatalf("told before the draw: %s", joined(got))
	}
	ev.clock.Set(ev.clock.Now().Add(5 * time.Minute))
	ev.tick(context.Background())
	for _, a := range chats {
		expect(t, "drawn", joined(ev.sent.take(a.chat)), "Ihre Anfrage von der Warteliste ist dran", "PIN:", "Di 15.12.2026, 10:00")
	}
	clusters, err := ev.store.Clusters(context.Background())
	cohort := 0
	for _, c := range clusters {
		if c.Kind == booking.ClusterCohort {
			cohort = len(c.Bookings)
		}
	}
	if err != nil || cohort != 3 {
		t.Errorf("a cohort of %d (%v), want the three who came together", cohort, err)
	}
}
