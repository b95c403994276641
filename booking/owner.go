package booking

import (
	"context"
	"fmt"
	"sort"
	"time"

	"buergerbuero/storage"
)

// Operations for the chat that made a booking. A chat that booked (or that
// proved the PIN earlier in its dialogue) may act on the booking by its id:
// a one-tap cancel under a reminder, taking an earlier time that became
// free, checking in. Any other chat is told the booking does not exist.

// Owner is the chat a booking was made from.
type Owner struct{ Channel, ChatID string }

// owns reports whether the chat made the booking.
func (o Owner) owns(b *Booking) bool {
	return o.Channel != "" && o.ChatID != "" && b.Channel == o.Channel && b.ChatID == o.ChatID
}

// ownedUpdate runs fn on booking id in a write transaction if owner made it
// and it is still waiting.
func (s *Store) ownedUpdate(ctx context.Context, id uint64, owner Owner, fn func(storage.Tx, *Booking, time.Time) error, effect Effect) (Booking, error) {
	return s.update(ctx, id, func(b *Booking) error {
		if !owner.owns(b) {
			return fmt.Errorf("booking %d of another chat: %w", id, ErrNotFound)
		}
		return nil
	}, fn, effect)
}

// CancelByOwner cancels booking id for the chat that made it.
func (s *Store) CancelByOwner(ctx context.Context, id uint64, owner Owner, effect Effect) (Booking, error) {
	return s.ownedUpdate(ctx, id, owner, func(tx storage.Tx, b *Booking, now time.Time) error {
		return s.cancel(tx, b, now, "")
	}, effect)
}

// MoveByOwner moves booking id to start for the chat that made it (e.g. to
// an earlier time that became free). Number and PIN stay; the old time is
// released in the same transaction.
func (s *Store) MoveByOwner(ctx context.Context, id uint64, owner Owner, start time.Time, effect Effect) (Booking, error) {
	return s.ownedUpdate(ctx, id, owner, func(tx storage.Tx, b *Booking, now time.Time) error {
		return s.moveTo(tx, b, start, now, "", "")
	}, effect)
}

// CheckIn records that the citizen of booking id is here ("I am here" by
// chat, or at the info desk when owner is the zero Owner and actor is set).
func (s *Store) CheckIn(ctx context.Context, id uint64, owner Owner, actor string) (Booking, error) {
	if actor != "" {
		return s.update(ctx, id, nil, func(tx storage.Tx, b *Booking, now time.Time) error {
			return s.checkIn(tx, b, now, actor)
		}, nil)
	}
	return s.ownedUpdate(ctx, id, owner, func(tx storage.Tx, b *Booking, now time.Time) error {
		return s.checkIn(tx, b, now, "")
	}, nil)
}

func (s *Store) checkIn(tx storage.Tx, b *Booking, now time.Time, actor string) error {
	if !s.cfg.Day(b.Start).Equal(s.cfg.Day(now)) {
		return fmt.Errorf("%s is on %s, not today: %w", b.Number, b.Start.Format("02.01."), ErrNotActive)
	}
	if !b.CheckedInAt.IsZero() {
		return nil
	}
	b.CheckedInAt = now
	ev := eventFor(EventCheckedIn, b, now)
	ev.Actor = actor
	return appendEvent(tx, ev)
}

// PersonBookings returns the person's bookings, newest first.
func (s *Store) PersonBookings(ctx context.Context, person string) ([]Booking, error) {
	var out []Booking
	if person == "" {
		return nil, nil
	}
	err := s.read(func(tx storage.Tx) error {
		prefix := append([]byte(person), 0)
		c := tx.Bucket(bucketByPerson).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
			b, err := getBooking(tx, decodeU64(k[len(prefix):]))
			if err != nil {
				continue // deleted by retention
			}
			out = append(out, *b)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	return out, err
}

// Between returns the bookings of the days from from to to (dates, both
// included), in day and number order.
func (s *Store) Between(ctx context.Context, from, to time.Time) ([]Booking, error) {
	var out []Booking
	for day := s.cfg.Day(from); !day.After(s.cfg.Day(to)); day = nextDay(day) {
		bs, err := s.DayBookings(ctx, day)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

// Find returns the booking of today or later with number (as staff type it:
// "t42", "W-017"), preferring one still in play. Staff use it; citizens need
// the PIN (Lookup).
func (s *Store) Find(ctx context.Context, number string) (Booking, error) {
	number = NormalizeNumber(number)
	var found *Booking
	err := s.read(func(tx storage.Tx) error {
		prefix := []byte(number + "/")
		c := tx.Bucket(bucketByNumber).Cursor()
		for k, v := c.Seek([]byte(number + "/" + dayKey(s.cfg.Day(s.clock.Now())))); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			b, err := getBooking(tx, decodeU64(v))
			if err != nil {
				return err
			}
			if found == nil || (!found.Active() && b.Active()) {
				found = b
			}
		}
		return nil
	})
	if err != nil {
		return Booking{}, err
	}
	if found == nil {
		return Booking{}, fmt.Errorf("%s: %w", number, ErrNotFound)
	}
	return *found, nil
}
