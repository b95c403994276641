package conversation

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
)

// roomyOffice never runs out of times in a benchmark.
const roomyOffice = `
office: {name: Großes Amt, timezone: Europe/Berlin, state: NW}
counters: [{id: "1"}, {id: "2"}, {id: "3"}, {id: "4"}, {id: "5"}, {id: "6"}, {id: "7"}, {id: "8"}]
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

// slotTexts are "am 25.11.2026 um 10:30"-like texts for free times, one per booking.
func slotTexts(cfg *office.Config, from time.Time, n int) []string {
	var out []string
	for d := from; len(out) < n; d = d.AddDate(0, 0, 1) {
		for _, o := range cfg.Openings(d) {
			for t := o.From; t.Add(10*time.Minute).Compare(o.To) <= 0; t = t.Add(10 * time.Minute) {
				for range len(cfg.Counters) {
					out = append(out, t.Format("am 02.01.2006 um 15:04"))
				}
			}
		}
	}
	return out[:n]
}

// BenchmarkBookingDialogue runs complete booking dialogues (four messages:
// concern with day and time, name, no e-mail, confirm) through the engine,
// from 64 parallel chats.
func BenchmarkBookingDialogue(b *testing.B) {
	cfg, err := office.ParseConfig("roomy.yaml", []byte(roomyOffice))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 6, 0, 0, 0, berlin)
	s, err := booking.Open(b.TempDir()+"/bench.db", cfg, booking.Options{Clock: fakeclock.New(now), PINKey: make([]byte, 32)}) // keyed PINs, as the service runs
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e, err := New(s, Options{})
	if err != nil {
		b.Fatal(err)
	}
	e.Register(MailChannel, &recorder{sent: map[string][]Reply{}}) // an office with mail: the e-mail question is asked, as the dialogue says "nein" to it
	slots := slotTexts(cfg, now, b.N+16)
	var n atomic.Int64
	b.SetParallelism(32) // 64 chats at once on two cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			chat := fmt.Sprint(i)
			var out []Reply
			for _, text := range []string{"Perso " + slots[i], "Erika Muster", "nein", "ja"} {
				out, err = e.Handle(ctx, Message{Channel: "bench", ChatID: chat, PersonKey: chat, Text: text})
				if err != nil {
					b.Error(err)
					return
				}
			}
			if !strings.Contains(joined(out), "Wartenummer") {
				b.Errorf("dialogue %d did not book:\n%s", i, joined(out))
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dialogues/s")
}

// TestManyChatsAtOnce has 40 chats book at once, and one chat send several
// messages at once: every chat gets its booking, and the one chat's
// messages are handled one after the other (its dialogue stays whole).
func TestManyChatsAtOnce(t *testing.T) {
	ev := newEnv(t, roomyOffice, time.Date(2026, 11, 23, 6, 0, 0, 0, berlin))
	slots := slotTexts(ev.cfg, ev.clock.Now(), 40)
	var wg sync.WaitGroup
	booked := make([]string, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := fmt.Sprint("c", i)
			var out []Reply
			for _, text := range []string{"Perso " + slots[i], "Erika Muster", "nein", "ja"} {
				out, _ = ev.engine.Handle(ctx, Message{Channel: "test", ChatID: chat, PersonKey: chat, Text: text})
			}
			booked[i] = joined(out)
		}()
	}
	wg.Wait()
	ok, taken := 0, 0
	var okMu sync.Mutex
	for _, out := range booked {
		switch {
		case strings.Contains(out, "Wartenummer"):
			ok++
		case strings.Contains(out, "gerade von jemand anderem gebucht"):
			taken++
		}
	}
	// Five distinct times, eight counters each: 40 fit exactly.
	if ok != 40 {
		t.Fatalf("%d booked, %d told taken; want all 40 booked", ok, taken)
	}
	// Sixteen chats race for one time at eight counters: eight get it held,
	// and the others are told at once, at the time step, before they type
	// their name; the eight then book it.
	late := slotTexts(ev.cfg, ev.clock.Now().AddDate(0, 0, 1), 1)[0]
	results := make([]string, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := fmt.Sprint("r", i)
			out, _ := ev.engine.Handle(ctx, Message{Channel: "test", ChatID: chat, PersonKey: chat, Text: "Perso " + late})
			results[i] = joined(out)
		}()
	}
	wg.Wait()
	var holders []string
	taken = 0
	for i, out := range results {
		switch {
		case strings.Contains(out, "Auf welchen Namen"):
			holders = append(holders, fmt.Sprint("r", i))
		case strings.Contains(out, "ist gerade nicht frei"), strings.Contains(out, "nicht frei"):
			taken++
		}
	}
	if len(holders) != 8 || taken != 8 {
		t.Fatalf("%d hold the time, %d told at the time step that it is taken; want 8 and 8", len(holders), taken)
	}
	ok = 0
	for _, chat := range holders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []Reply
			for _, text := range []string{"Erika Muster", "nein", "ja"} {
				out, _ = ev.engine.Handle(ctx, Message{Channel: "test", ChatID: chat, PersonKey: chat, Text: text})
			}
			if strings.Contains(joined(out), "Wartenummer") {
				okMu.Lock()
				ok++
				okMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 8 {
		t.Fatalf("%d of the 8 who hold the time booked it", ok)
	}

	// One chat, many messages at once: the dialogue is never torn.
	var wg2 sync.WaitGroup
	for range 10 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			ev.engine.Handle(ctx, Message{Channel: "test", ChatID: "same", PersonKey: "same", Text: "Termin"})
			ev.engine.Handle(ctx, Message{Channel: "test", ChatID: "same", PersonKey: "same", Text: "zurück"})
		}()
	}
	wg2.Wait()
	d, err := ev.engine.load(ctx, "test", "same")
	if err != nil || d == nil || (d.State != stIdle && d.State != stConcern) {
		t.Fatalf("dialogue after concurrent messages: %+v %v", d, err)
	}
}
