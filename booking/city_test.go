package booking

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
	"buergerbuero/storage"
)

// cityOffice is an office of a city's size: ten counters open every day
// from 8 to 18, ten-minute cases, a 90-day horizon: 600 appointments a day,
// 54,600 places ahead (Berlin-Neukölln gives about 540 a day).
const cityOffice = `
office: {name: Großstadtamt, timezone: Europe/Berlin, state: BE}
counters: [{id: "1"}, {id: "2"}, {id: "3"}, {id: "4"}, {id: "5"}, {id: "6"}, {id: "7"}, {id: "8"}, {id: "9"}, {id: "10"}]
concerns: [{id: ausweis, name: {de: Ausweis}, minutes: 10}]
opening_hours: {monday: ["08:00-18:00"], tuesday: ["08:00-18:00"], wednesday: ["08:00-18:00"], thursday: ["08:00-18:00"],
  friday: ["08:00-18:00"], saturday: ["08:00-18:00"], sunday: ["08:00-18:00"]}
closed: {public_holidays: false}
booking: {horizon_days: 90, lead_time: 0s, slot_step: 10m, walk_in_share: 0, max_active_per_person: 1,
  pace: {opening_share: 1}}
`

// fillCity books every place of the days from tomorrow through the
// horizon but leavePerDay of each, at the end of each day, one
// transaction per day, as earlier bookings would have: numbers drawn
// as Book draws them. It returns how many it booked.
func fillCity(tb testing.TB, s *Store, leavePerDay int) int {
	tb.Helper()
	ctx := context.Background()
	hash, err := s.hasher.hash(ctx, "123456")
	if err != nil {
		tb.Fatal(err)
	}
	now := s.clock.Now()
	today := s.cfg.Day(now)
	places := s.cfg.AppointmentCapacity()
	n := 0
	for d := 1; d <= s.cfg.Booking.HorizonDays; d++ {
		day := today.AddDate(0, 0, d)
		var starts []time.Time
		for _, o := range s.cfg.Openings(day) {
			for m := minuteOfDay(o.From); m+10 <= minuteOfDay(o.To); m += 10 {
				for range places {
					starts = append(starts, office.AtMinute(day, m))
				}
			}
		}
		starts = starts[:len(starts)-leavePerDay]
		err := s.write(func(tx storage.Tx) error {
			for _, start := range starts {
				num, err := allocateAppointmentNumber(tx, dayKey(today))
				if err != nil {
					return err
				}
				id, err := tx.Bucket(bucketBookings).NextSequence()
				if err != nil {
					return err
				}
				b := &Booking{ID: id, Kind: KindAppointment, Number: num, Start: start, Minutes: 10, Concerns: one("ausweis"),
					Status: StatusBooked, Name: "Stadt Bewohner", CreatedAt: now, PIN: &hash}
				if err := s.save(tx, b, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("fill %s: %v", dayKey(day), err)
		}
		n += len(starts)
	}
	return n
}

// At a city's size the office still books, finds the free times left
// and issues numbers unique among every upcoming booking, five digits at
// most ("T-48213": read aloud digit by digit on the display).
func TestCitySize(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 54,000 bookings")
	}
	s, _, _ := newStore(t, cityOffice, monday)
	ctx := context.Background()
	filled := fillCity(t, s, 3)
	if filled != 90*597 {
		t.Fatalf("filled %d, want all but three of each day's 600 places over 90 days", filled)
	}
	// The last three places of each day are the free times left, found on
	// every day of the horizon and booked through the rules.
	days, err := s.FreeSlots(ctx, ForCitizen, one("ausweis"), monday.AddDate(0, 0, 1), monday.AddDate(0, 0, 90))
	if err != nil || len(days) != 90 {
		t.Fatalf("%d days with free times, want 90 (%v)", len(days), err)
	}
	for i, d := range days[:30] {
		if len(d.Times) != 1 || d.Times[0].In(berlin).Format("15:04") != "17:50" {
			t.Fatalf("%s: free %v, want 17:50", dayKey(d.Day), d.Times)
		}
		if _, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: d.Times[0], Name: "Neu Bürgerin", PersonKey: fmt.Sprint("city-", i)}); err != nil {
			t.Fatalf("book %s at a city's size: %v", d.Times[0], err)
		}
	}
	var numbers []string
	err = s.read(func(tx storage.Tx) error {
		c := tx.Bucket(bucketByNumber).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			numbers = append(numbers, strings.SplitN(string(k), "/", 2)[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(numbers)
	if dup := len(numbers) - len(slices.Compact(slices.Clone(numbers))); dup != 0 {
		t.Fatalf("%d appointment numbers given twice among upcoming bookings", dup)
	}
	for _, n := range numbers {
		if len(n) > len("T-12345") {
			t.Fatalf("number %s is longer than five digits", n)
		}
	}
}

// BenchmarkCitySize measures, in an office of a city's size filled to its
// horizon: a day's free times (what the dialogue asks at the time step),
// a week's (what it asks at the day step, a week at a time), and a
// booking with its number (beside a raw bbolt write: BenchmarkRawBoltWrite).
// The free times report their p99.
func BenchmarkCitySize(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "city.db"), mustConfig(b, cityOffice),
		Options{Clock: fakeclock.New(monday), PINKey: []byte("0123456789abcdef0123456789abcdef")}) // keyed PINs, as the service's
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fillCity(b, s, 3)
	ctx := context.Background()
	day := monday.AddDate(0, 0, 45)
	for _, q := range []struct {
		name string
		days int
	}{{"FreeSlotsOfADay", 1}, {"FreeSlotsOfAWeek", 7}} {
		b.Run(q.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := s.FreeSlots(ctx, ForCitizen, one("ausweis"), day, day.AddDate(0, 0, q.days-1)); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
	b.Run("Book", func(b *testing.B) {
		i := 0
		for b.Loop() { // the three places left at 17:50 of each day
			d := monday.AddDate(0, 0, 1+i%90)
			start := time.Date(d.Year(), d.Month(), d.Day(), 17, 50, 0, 0, berlin)
			if _, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start, Name: "Neu Bürger", Actor: "bench"}); err != nil && i < 270 {
				b.Fatal(err)
			}
			i++
		}
	})
}
