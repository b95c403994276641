package booking

import (
	"context"
	"fmt"
	"slices"
	"time"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// WalkInRequest asks for a walk-in number, at the info desk or by chat.
type WalkInRequest struct {
	Concerns []ConcernCount
	// Name is optional for walk-ins.
	Name                  string
	PersonKey             string
	Channel, ChatID, Lang string
	Actor                 string
}

// IssueWalkIn gives out today's next walk-in number for the concerns, if the
// office opens today and the daily contingent of the concerns' group is
// not used up.
func (s *Store) IssueWalkIn(ctx context.Context, req WalkInRequest) (Booking, error) {
	concerns, minutes, _, err := s.cfg.Plan(req.Concerns)
	if err != nil {
		return Booking{}, err
	}
	var out Booking
	err = s.write(func(tx storage.Tx) error {
		now := s.clock.Now()
		today := s.cfg.Day(now)
		if reason := s.cfg.ClosedReason(today); reason != "" {
			return fmt.Errorf("today (%s): %w", reason, ErrClosed)
		}
		if hours := s.cfg.Openings(today); len(hours) > 0 && !now.Before(hours[len(hours)-1].To) {
			// Before opening people may queue; after closing nobody is served.
			return fmt.Errorf("closed since %s: %w", hours[len(hours)-1].To.Format("15:04"), ErrClosed)
		}
		if err := s.checkContingents(tx, concerns, today); err != nil {
			return err
		}
		num, err := nextWalkInNumber(tx, dayKey(today))
		if err != nil {
			return err
		}
		id, err := tx.Bucket(bucketBookings).NextSequence()
		if err != nil {
			return err
		}
		b := &Booking{ID: id, Kind: KindWalkIn, Number: num, Start: now.In(s.cfg.Location()),
			Minutes: minutes, Concerns: concerns, Status: StatusBooked, Name: req.Name,
			PersonKey: req.PersonKey, Channel: req.Channel, ChatID: req.ChatID, Lang: req.Lang, CreatedAt: now}
		if err := s.save(tx, b, nil); err != nil {
			return err
		}
		ev := eventFor(EventWalkIn, b, now)
		ev.Actor = req.Actor
		out = *b
		return appendEvent(tx, ev)
	})
	if err != nil {
		return Booking{}, fmt.Errorf("walk-in: %w", err)
	}
	return out, nil
}

// checkContingents refuses when a contingent that covers one of the
// concerns has given out its numbers for the day.
func (s *Store) checkContingents(tx storage.Tx, concerns []ConcernCount, day time.Time) error {
	var groups []office.Contingent
	for _, ct := range s.cfg.WalkIns.Contingents {
		if covers(ct, concerns) {
			groups = append(groups, ct)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	used := make([]int, len(groups))
	prefix := []byte(dayKey(day) + "/" + walkInPrefix)
	c := tx.Bucket(bucketByDay).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		e, err := decodeDayEntry(v)
		if err != nil {
			return err
		}
		b, err := getBooking(tx, e.id)
		if err != nil {
			return err
		}
		if b.Status == StatusCancelled {
			continue
		}
		for i, g := range groups {
			if covers(g, b.Concerns) {
				used[i]++
			}
		}
	}
	for i, g := range groups {
		if used[i] >= g.PerDay {
			return fmt.Errorf("%s: %d of %d given out: %w", g.Name, used[i], g.PerDay, ErrContingentExhausted)
		}
	}
	return nil
}

func covers(ct office.Contingent, concerns []ConcernCount) bool {
	for _, cc := range concerns {
		if slices.Contains(ct.Concerns, cc.ID) {
			return true
		}
	}
	return false
}
