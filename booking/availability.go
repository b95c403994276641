package booking

import (
	"context"
	"fmt"
	"slices"
	"time"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// DaySlots are the free start times on one day.
type DaySlots struct {
	Day   time.Time
	Times []time.Time
}

// FreeSlots returns, day by day, the times at which the concerns can be
// booked between from and to (dates, both included), clipped to the lead
// time and the horizon. Days without a free time are left out. It reads only
// the days asked for, never the whole history.
func (s *Store) FreeSlots(ctx context.Context, by For, concerns []ConcernCount, from, to time.Time) ([]DaySlots, error) {
	concerns, minutes, mask, err := s.cfg.Plan(concerns)
	if err != nil {
		return nil, err
	}
	a := ask{minutes: minutes, mask: mask, concerns: concerns, staff: by == ForStaff}
	now := s.clock.Now()
	first, last := s.window(now)
	if d := s.cfg.Day(from); d.After(first) {
		first = d
	}
	if d := s.cfg.Day(to); d.Before(last) {
		last = d
	}
	var out []DaySlots
	var scratch dayScratch // reused day after day
	err = s.read(func(tx storage.Tx) error {
		for day := first; !day.After(last); day = nextDay(day) {
			if err := ctx.Err(); err != nil {
				return err
			}
			times, err := s.daySlots(tx, day, a, now, &scratch)
			if err != nil {
				return err
			}
			if len(times) > 0 {
				out = append(out, DaySlots{Day: day, Times: times})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("free slots: %w", err)
	}
	return out, nil
}

// window is the first and last day on which appointments can be booked now.
func (s *Store) window(now time.Time) (first, last time.Time) {
	today := s.cfg.Day(now)
	return s.cfg.Day(now.Add(s.cfg.Booking.LeadTime)), today.AddDate(0, 0, s.cfg.Booking.HorizonDays)
}

func nextDay(day time.Time) time.Time { return day.AddDate(0, 0, 1) }

// ask is an appointment asked for: its length, the counters that can
// serve it, its concerns, who books it (a citizen or staff: shares.go),
// and the booking it would replace (a move), not counted.
type ask struct {
	minutes  int
	mask     uint64
	concerns []ConcernCount
	staff    bool
	exclude  uint64
}

// For says whom free times are looked up for: a citizen booking
// themselves may take only the online share of a time's places, staff
// booking for a caller every place (office/shares.go).
type For int

// Whom free times are for.
const (
	ForCitizen For = iota
	ForStaff
)

// onlineLimit is the most citizens' appointments a at start may run with
// (its own included), or -1 for none beyond the capacity: staff's, and
// from ShareOpensBefore ahead of the time on.
func (s *Store) onlineLimit(a ask, start, now time.Time) int {
	if a.staff {
		return -1
	}
	if p := s.cfg.OnlinePlaces(a.concerns, start, now); p < s.cfg.AppointmentCapacity() {
		return p
	}
	return -1
}

// dayScratch is the memory daySlots works in, kept from one day to the
// next of a query.
type dayScratch struct{ taken, byStart []interval }

// daySlots lists the free start times on day for the appointment a.
func (s *Store) daySlots(tx storage.Tx, day time.Time, a ask, now time.Time, scratch *dayScratch) ([]time.Time, error) {
	if !s.cfg.IsOpenDay(day) {
		return nil, nil
	}
	openings := s.cfg.Openings(day)
	minutes := a.minutes
	taken, err := s.occupancy(tx, day, now, a.exclude, scratch.taken[:0])
	if err != nil {
		return nil, err
	}
	// By start, so each time looks only at the appointments that may
	// overlap it: those starting less than the longest one before it.
	scratch.taken = taken
	taken = byStart(taken, scratch.byStart)
	scratch.byStart = taken
	longest := 0
	for _, iv := range taken {
		longest = max(longest, iv.to-iv.from)
	}
	earliest := now.Add(s.cfg.Booking.LeadTime)
	step := int(s.cfg.Booking.SlotStep / time.Minute)
	var times []time.Time
	for _, o := range openings {
		for m := minuteOfDay(o.From); m+minutes <= minuteOfDay(o.To); m += step {
			t := office.AtMinute(day, m)
			if t.Before(earliest) {
				continue
			}
			lo, _ := slices.BinarySearchFunc(taken, m-longest, func(iv interval, from int) int { return iv.from - from })
			hi, _ := slices.BinarySearchFunc(taken, m+minutes, func(iv interval, from int) int { return iv.from - from })
			if fits(interval{m, m + minutes, a.mask, !a.staff}, taken[lo:hi], s.cfg.AppointmentCapacity(), s.onlineLimit(a, t, now)) {
				times = append(times, t)
			}
		}
	}
	return times, nil
}

// occupancy is the appointments that hold time on day: all but walk-ins and
// cancelled ones whose release delay has run out, appended to taken.
func (s *Store) occupancy(tx storage.Tx, day time.Time, now time.Time, excludeID uint64, taken []interval) ([]interval, error) {
	prefix := []byte(dayKey(day) + "/")
	c := tx.Bucket(bucketByDay).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		e, err := decodeDayEntry(v)
		if err != nil {
			return nil, fmt.Errorf("day index %s: %w", k, err)
		}
		if e.kind != KindAppointment || (excludeID != 0 && e.id == excludeID) || (!e.release.IsZero() && !now.Before(e.release)) {
			continue
		}
		taken = append(taken, interval{e.from, e.to, e.counters, !e.staff})
	}
	err := holdsUnder(tx, holdByDay+dayKey(day)+"/", now, func(h hold) { taken = append(taken, interval{h.From, h.To, h.Counters, !h.Staff}) })
	return taken, err
}

// checkBookable returns nil if the appointment a can start at start now:
// ErrNotBookable if the office does not offer that time, ErrSlotTaken if
// it is full (for a citizen: if its online share is).
func (s *Store) checkBookable(tx storage.Tx, start time.Time, a ask, now time.Time) error {
	minutes := a.minutes
	start = start.In(s.cfg.Location())
	day := s.cfg.Day(start)
	first, last := s.window(now)
	switch {
	case day.Before(first) || start.Before(now.Add(s.cfg.Booking.LeadTime)):
		return fmt.Errorf("%s is too soon (book at least %s ahead): %w", start.Format("02.01.2006 15:04"), s.cfg.Booking.LeadTime, ErrNotBookable)
	case day.After(last):
		return fmt.Errorf("%s is beyond the %d-day horizon: %w", start.Format("02.01.2006"), s.cfg.Booking.HorizonDays, ErrNotBookable)
	case !s.cfg.IsOpenDay(day):
		return fmt.Errorf("%s: %w", start.Format("02.01.2006"), ErrClosed)
	}
	m := minuteOfDay(start)
	step := int(s.cfg.Booking.SlotStep / time.Minute)
	onGrid := false
	for _, o := range s.cfg.Openings(day) {
		if from := minuteOfDay(o.From); m >= from && m+minutes <= minuteOfDay(o.To) && (m-from)%step == 0 && start.Equal(office.AtMinute(day, m)) {
			onGrid = true
		}
	}
	if !onGrid {
		return fmt.Errorf("%s is not an offered start time for %d minutes: %w", start.Format("02.01.2006 15:04"), minutes, ErrNotBookable)
	}
	taken, err := s.occupancy(tx, day, now, a.exclude, nil)
	if err != nil {
		return err
	}
	if !fits(interval{m, m + minutes, a.mask, !a.staff}, taken, s.cfg.AppointmentCapacity(), s.onlineLimit(a, start, now)) {
		return fmt.Errorf("%s: %w", start.Format("02.01.2006 15:04"), ErrSlotTaken)
	}
	return nil
}

func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}

// byStart is in sorted by start into out's memory: a counting sort over
// the minutes of the day, linear in the appointments of a day.
func byStart(in, out []interval) []interval {
	var count [24*60 + 1]int32
	for _, iv := range in {
		if iv.from < 0 || iv.from >= 24*60 {
			out = append(out[:0], in...)
			slices.SortFunc(out, func(x, y interval) int { return x.from - y.from })
			return out
		}
		count[iv.from+1]++
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	out = slices.Grow(out[:0], len(in))[:len(in)]
	for _, iv := range in {
		out[count[iv.from]] = iv
		count[iv.from]++
	}
	return out
}
