package booking

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"buergerbuero/internal/fakeclock"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// benchOffice is big enough that benchmarks never run out of slots.
const benchOffice = `
office: {name: Benchamt, timezone: Europe/Berlin, state: NW}
counters: [{id: "1"}, {id: "2"}, {id: "3"}, {id: "4"}, {id: "5"}, {id: "6"}, {id: "7"}, {id: "8"}]
concerns:
  - {id: ausweis, name: {de: Ausweis}, minutes: 15}
  - {id: kfz, name: {de: Kfz}, minutes: 20, counters: ["8"]}
opening_hours:
  monday: ["07:00-12:00", "13:00-19:00"]
  tuesday: ["07:00-12:00", "13:00-19:00"]
  wednesday: ["07:00-12:00", "13:00-19:00"]
  thursday: ["07:00-12:00", "13:00-19:00"]
  friday: ["07:00-12:00", "13:00-19:00"]
  saturday: ["07:00-12:00", "13:00-19:00"]
closed: {public_holidays: false}
booking: {horizon_days: 366, lead_time: 0s, slot_step: 5m, walk_in_share: 0}
`

// BenchmarkBookParallel books appointments from parallel goroutines, each
// a full Book: PIN hash, one write transaction with the capacity re-check,
// the indexes and the event, fsync'd.
func BenchmarkBookParallel(b *testing.B) {
	s, _, _ := newStore(b, benchOffice, at(2026, 11, 23, 6, 0))
	var starts []time.Time
	for d := range 300 {
		day := at(2026, 11, 23, 0, 0).AddDate(0, 0, d)
		for _, o := range s.cfg.Openings(day) {
			for t := o.From; t.Add(15*time.Minute).Compare(o.To) <= 0; t = t.Add(5 * time.Minute) {
				starts = append(starts, t)
			}
		}
	}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: starts[int(i)%len(starts)], Name: "Bench Mark", PersonKey: fmt.Sprint(i)})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPINHash is the share of Book spent hashing the PIN: keyed
// (HMAC, the service's way) and argon2id (stores without a key).
func BenchmarkPINHash(b *testing.B) {
	for name, key := range map[string][]byte{"hmac": make([]byte, 32), "argon2id": nil} {
		b.Run(name, func(b *testing.B) {
			h := newPINHasher(key, nil)
			for b.Loop() {
				if _, err := h.hash(ctx, "123456"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFreeSlots21Days asks for every free time over the 21-day
// horizon in a store holding a year of history and a half-full horizon.
func BenchmarkFreeSlots21Days(b *testing.B) {
	for _, history := range []int{0, 365} {
		b.Run(fmt.Sprintf("history=%dd", history), func(b *testing.B) {
			now := at(2026, 11, 23, 6, 0)
			s := seededStore(b, now, history, 21)
			days, err := s.FreeSlots(ctx, ForCitizen, one("ausweis"), now, now.AddDate(0, 0, 21))
			if err != nil || len(days) < 15 {
				b.Fatalf("%d days, %v", len(days), err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.FreeSlots(ctx, ForCitizen, one("ausweis"), now, now.AddDate(0, 0, 21)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seededStore writes bookings directly (no PIN hashing) for the days before
// and after now: every counter half busy.
func seededStore(b *testing.B, now time.Time, pastDays, futureDays int) *Store {
	clock := fakeclock.New(now)
	s, err := Open(filepath.Join(b.TempDir(), "seed.db"), mustConfig(b, benchOffice), Options{Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	err = s.write(func(tx storage.Tx) error {
		n := 0
		for d := -pastDays; d < futureDays; d++ {
			day := s.cfg.Day(now).AddDate(0, 0, d)
			for _, o := range s.cfg.Openings(day) {
				for t := o.From; t.Add(15*time.Minute).Compare(o.To) <= 0; t = t.Add(30 * time.Minute) {
					for range 4 {
						n++
						id, _ := tx.Bucket(bucketBookings).NextSequence()
						bk := &Booking{ID: id, Kind: KindAppointment, Number: fmt.Sprintf("T-%04d", n%10000), Start: t, Minutes: 15,
							Concerns: one("ausweis"), Status: StatusBooked, Name: "Seed", CreatedAt: t}
						if err := s.save(tx, bk, nil); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// seedDemoYear fills the demo office directly (no PIN hashing): a year of
// history at 70 % of its appointment capacity and the horizon at 90 %.
func seedDemoYear(b *testing.B, now time.Time) (*Store, int) {
	cfg, err := office.DemoConfig()
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(filepath.Join(b.TempDir(), "year.db"), cfg, Options{Clock: fakeclock.New(now)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	n := 0
	for d := -365; d <= cfg.Booking.HorizonDays; d++ {
		day := cfg.Day(now).AddDate(0, 0, d)
		share := 0.7
		if d >= 0 {
			share = 0.9
		}
		err := s.write(func(tx storage.Tx) error {
			for _, o := range cfg.Openings(day) {
				for t := o.From; !t.Add(15 * time.Minute).After(o.To); t = t.Add(15 * time.Minute) {
					for range int(float64(cfg.AppointmentCapacity())*share + 0.5) {
						n++
						id, _ := tx.Bucket(bucketBookings).NextSequence()
						bk := &Booking{ID: id, Kind: KindAppointment, Number: fmt.Sprintf("T-%04d", n%10000), Start: t, Minutes: 15,
							Concerns: one("personalausweis"), Status: StatusBooked, Name: "Seed", CreatedAt: t.AddDate(0, 0, -7)}
						if d < 0 {
							bk.Status = StatusDone
						}
						if err := s.save(tx, bk, nil); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return s, n
}

// BenchmarkAvailabilityQueries asks the demo office, with a year of history
// and a nearly full calendar, for the free times of every concern alone,
// of counts and of pairs, over the 21-day horizon; it reports the p50 and
// p99 of one query and the process's resident memory after loading.
func BenchmarkAvailabilityQueries(b *testing.B) {
	now := at(2026, 11, 23, 7, 0)
	s, n := seedDemoYear(b, now)
	var sets [][]ConcernCount
	for _, c := range s.cfg.Concerns {
		sets = append(sets, one(c.ID))
	}
	sets = append(sets, []ConcernCount{{ID: "personalausweis", Count: 2}}, []ConcernCount{{ID: "wohnsitz", Count: 3}},
		[]ConcernCount{{ID: "personalausweis", Count: 1}, {ID: "reisepass", Count: 1}})
	var took []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := s.FreeSlots(ctx, ForCitizen, sets[i%len(sets)], now, now.AddDate(0, 0, 21)); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	runtime.GC()
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				var v float64
				fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), &v)
				b.ReportMetric(v/1024, "rss-MB")
			}
		}
	}
	b.ReportMetric(float64(n), "bookings")
}
