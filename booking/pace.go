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
	budget, paced := s.cfg.PaceBudget(day, now)
	if !paced && req.Cohort == "" {
		return nil
	}
	online, cohort, err := s.dayHoldings(tx, day, req.Cohort)
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
func (s *Store) dayHoldings(tx storage.Tx, day time.Time, cohort string) (online, ofCohort int, err error) {
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
