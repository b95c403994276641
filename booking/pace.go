package booking

import (
	"context"
	"fmt"
	"time"

	"buergerbuero/storage"
)

// The pace. Limits per person and per source bound what one identity or
// one group holds; a farm of fresh identities in many groups would still
// take a day's minutes the moment they appear, faster than any citizen.
// So a day's minutes for citizens (online; staff book outside the pace)
// are released over time, and what comes faster than that waits:
//
//   - when a day enters the horizon, requests for it are collected for
//     PaceRules.Collect and then drawn by lot: the first milliseconds win
//     nothing;
//   - OpeningShare of the day's appointment minutes is bookable at once,
//     PerHour more each hour after it opened, until all of it;
//   - a request beyond that is not refused: it waits (ErrPaced; the
//     dialogue keeps it on the day's waiting list and draws from it as the
//     pace allows);
//   - requests that wait together form a cohort (those that came in the
//     same PaceRules.CohortWindow); a draw serves the cohorts in turn, one
//     request each, in an order drawn by lot, and a cohort holds at most
//     CohortShare of a day. Citizens come one by one over the days; a farm
//     acting at once is one cohort, whatever its numbers.
//
// Bookings from the waiting list carry their cohort (Request.Cohort,
// Booking.Cohort), so staff see a cohort as a cluster and can cancel it.

// PaceRules release a day's minutes for citizens over time.
type PaceRules struct {
	// OpeningShare of a day's appointment minutes is bookable online when
	// the day enters the horizon; 1 turns the pace off. Default 0.25.
	OpeningShare float64 `yaml:"opening_share"`
	// PerHour is the further share released each hour after; default 0.05
	// (all of it 15 hours after the day opened).
	PerHour float64 `yaml:"per_hour"`
	// Collect is how long after a day opens its requests are collected
	// before the first draw; default 10m.
	Collect time.Duration `yaml:"collect"`
	// CohortWindow: requests that wait and came within the same window are
	// one cohort; default 10m.
	CohortWindow time.Duration `yaml:"cohort_window"`
	// CohortShare is the most of a day's minutes one cohort may hold;
	// default 0.1.
	CohortShare float64 `yaml:"cohort_share"`
}

// Off reports whether the pace is turned off (everything bookable at once).
func (p PaceRules) Off() bool { return p.OpeningShare >= 1 }

// DayOpens is when day enters the booking horizon: from then on citizens
// can book it.
func (c *Config) DayOpens(day time.Time) time.Time {
	return c.Day(day).AddDate(0, 0, -c.Booking.HorizonDays)
}

// AppointmentMinutes is the appointment capacity of day: its opening
// minutes times the counters open for appointments at once.
func (c *Config) AppointmentMinutes(day time.Time) int {
	day = c.Day(day)
	if !c.IsOpenDay(day) {
		return 0
	}
	total := 0
	for _, r := range c.compiled.hours[day.Weekday()] {
		total += r.to - r.from
	}
	return total * c.compiled.apptCap
}

// paceBudget is how many of day's appointment minutes citizens may hold
// at now, and whether the pace holds back anything then.
func (c *Config) paceBudget(day, now time.Time) (budget int, paced bool) {
	capacity := c.AppointmentMinutes(day)
	p := c.Booking.Pace
	if p.Off() {
		return capacity, false
	}
	share := p.OpeningShare + p.PerHour*now.Sub(c.DayOpens(day)).Hours()
	if share >= 1 {
		return capacity, false
	}
	return int(share * float64(capacity)), true
}

// Cohort is the cohort of a request that starts waiting at arrived.
func (c *Config) Cohort(arrived time.Time) string {
	return "w" + arrived.Truncate(c.Booking.Pace.CohortWindow).In(c.compiled.loc).Format("20060102-1504")
}

// InCollectWindow reports whether requests for day are still being
// collected for its first draw at now.
func (c *Config) InCollectWindow(day, now time.Time) bool {
	opens := c.DayOpens(day)
	return !c.Booking.Pace.Off() && !now.Before(opens) && now.Before(opens.Add(c.Booking.Pace.Collect))
}

// checkPace refuses, with ErrPaced, a citizen's booking that comes faster
// than the day's pace (or, not drawn, while the day's requests are
// collected), and with ErrCohortFull one that would take its cohort over
// its share of the day.
func (s *Store) checkPace(tx storage.Tx, req Request, minutes int, now time.Time) error {
	if req.PersonKey == "" {
		return nil // staff, for a caller
	}
	day := s.cfg.Day(req.Start)
	if req.Cohort == "" && s.cfg.InCollectWindow(day, now) {
		return fmt.Errorf("requests for %s are collected until the draw: %w", day.Format(time.DateOnly), ErrPaced)
	}
	budget, paced := s.cfg.paceBudget(day, now)
	if !paced && req.Cohort == "" {
		return nil
	}
	online, cohort, err := s.dayHoldings(tx, day, req.Cohort, now)
	if err != nil {
		return err
	}
	if paced && online+minutes > budget {
		return fmt.Errorf("%d of %d minutes released for %s: %w", online, budget, day.Format(time.DateOnly), ErrPaced)
	}
	if limit := int(s.cfg.Booking.Pace.CohortShare * float64(s.cfg.AppointmentMinutes(day))); req.Cohort != "" && cohort+minutes > limit {
		return fmt.Errorf("cohort %s holds %d of its %d minutes of %s: %w", req.Cohort, cohort, limit, day.Format(time.DateOnly), ErrCohortFull)
	}
	return nil
}

// dayHoldings are the minutes of day's active appointments that citizens
// booked (not staff), and of those the cohort's.
func (s *Store) dayHoldings(tx storage.Tx, day time.Time, cohort string, now time.Time) (online, ofCohort int, err error) {
	prefix := []byte(dayKey(day) + "/")
	c := tx.Bucket(bucketByDay).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		e, err := decodeDayEntry(v)
		if err != nil {
			return 0, 0, fmt.Errorf("day index %s: %w", k, err)
		}
		if e.kind != KindAppointment || !e.release.IsZero() {
			continue
		}
		b, err := getBooking(tx, e.id)
		if err != nil {
			return 0, 0, err
		}
		if b.PersonKey == "" || !b.Active() {
			continue
		}
		online += b.Minutes
		if cohort != "" && b.Cohort == cohort {
			ofCohort += b.Minutes
		}
	}
	return online, ofCohort, nil
}

// alertCohortFull tells staff, once per cohort and day, that a cohort
// reached its share of day.
func (s *Store) alertCohortFull(ctx context.Context, cohort string, day time.Time) {
	key := cohort + "/" + dayKey(day)
	if _, told := s.cohortsTold.LoadOrStore(key, true); told {
		return
	}
	s.log.Warn("a cohort of the waiting list reached its share of a day: a suspected farm", "cohort", cohort, "day", dayKey(day))
	if s.onAlert != nil {
		s.onAlert(ctx, Alert{Cohort: cohort, Day: day})
	}
}
