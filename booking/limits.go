package booking

import (
	"context"
	"errors"
	"fmt"
	"time"

	"buergerbuero/storage"
)

// Limits. Scarce minutes must go to people, not to whoever holds the most
// identities or asks the biggest. So what a citizen's booking may hold is
// measured in appointment minutes and cases, not only in bookings:
//
//   - one booking online holds at most MaxCasesPerBooking cases (the counts
//     of its concerns: two ID cards are two cases) and MaxMinutesPerBooking
//     minutes; larger groups book through staff (phone, info desk);
//   - a person holds at most MaxActivePerPerson bookings and
//     MaxMinutesPerPerson minutes of active future appointments;
//   - a source (an address block, a mail domain, a block of Telegram
//     accounts made together) holds at most MaxActivePerSource bookings and
//     MaxMinutesPerSource minutes.
//
// All are checked in the booking's transaction, with what the person and
// the source hold at a town's other offices (Request.HeldElsewhere). Staff
// booking for a caller (no person key) are held by none of them.

// Holding is what a person or a source holds: active future appointments
// and their minutes.
type Holding struct {
	Bookings, Minutes int
}

// Add is the sum of two holdings.
func (h Holding) Add(o Holding) Holding {
	return Holding{Bookings: h.Bookings + o.Bookings, Minutes: h.Minutes + o.Minutes}
}

// checkLimits refuses a citizen's booking of minutes and cases that is too
// big for one booking, or that would take the person or the source over
// their limits, here and (held) elsewhere.
func (s *Store) checkLimits(tx storage.Tx, req Request, minutes, cases int, now time.Time) error {
	if req.PersonKey == "" {
		return nil // staff, for a caller
	}
	if err := s.cfg.FitsOnline(cases, minutes); err != nil {
		return err
	}
	r := s.cfg.Booking
	for _, l := range []struct {
		key                     string
		elsewhere               Holding
		maxBookings, maxMinutes int
		err                     error
	}{
		{req.PersonKey, req.HeldElsewhere, r.MaxActivePerPerson, r.MaxMinutesPerPerson, ErrLimitReached},
		{sourceIndexPrefix + req.Source, req.SourceHeldElsewhere, r.MaxActivePerSource, r.MaxMinutesPerSource, ErrSourceLimitReached},
	} {
		if l.key == sourceIndexPrefix {
			continue // no source
		}
		here, err := holding(tx, l.key, now)
		if err != nil {
			return err
		}
		if held := here.Add(l.elsewhere); held.Bookings >= l.maxBookings || held.Minutes+minutes > l.maxMinutes {
			return fmt.Errorf("holds %d booking(s) of %d minutes, at most %d of %d minutes: %w", held.Bookings, held.Minutes, l.maxBookings, l.maxMinutes, l.err)
		}
	}
	return nil
}

// holding is what a person (or a source, by its index key) holds in
// active future appointments.
func holding(tx storage.Tx, key string, now time.Time) (Holding, error) {
	prefix := append([]byte(key), 0)
	var h Holding
	c := tx.Bucket(bucketByPerson).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		b, err := getBooking(tx, decodeU64(k[len(prefix):]))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				continue // deleted by retention
			}
			return Holding{}, err
		}
		if b.Kind == KindAppointment && b.Status == StatusBooked && b.End().After(now) {
			h.Bookings++
			h.Minutes += b.Minutes
		}
	}
	err := holdsUnder(tx, holdByKey+key+"\x00", now, func(held hold) { // a time kept counts as booked
		h.Bookings++
		h.Minutes += held.To - held.From
	})
	return h, err
}

// ActiveHeld is what person and source hold at this office, for the limits
// at a town's other offices (Request's HeldElsewhere). An empty person or
// source holds nothing.
func (s *Store) ActiveHeld(ctx context.Context, person, source string) (persons, sources Holding, err error) {
	err = s.read(func(tx storage.Tx) error {
		now := s.clock.Now()
		if person != "" {
			if persons, err = holding(tx, person, now); err != nil {
				return err
			}
		}
		if source != "" {
			sources, err = holding(tx, sourceIndexPrefix+source, now)
		}
		return err
	})
	if err != nil {
		return Holding{}, Holding{}, fmt.Errorf("active held: %w", err)
	}
	return persons, sources, nil
}
