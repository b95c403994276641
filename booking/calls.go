package booking

import (
	"context"
	"fmt"
	"strings"
	"time"

	"buergerbuero/storage"
)

// The call system's changes to a booking. The policy of whom to call is the
// call system's; these are the transactions it runs: each is one write
// transaction that checks the booking's status and appends the event.

// Pick chooses whom a counter calls among the day's bookings at now; it
// returns the index into day, or false when nobody is due.
type Pick func(day []Booking, now time.Time) (int, bool)

// CallNext lets pick choose among today's bookings and calls the chosen one
// to counter, in one write transaction, so two counters never call the same
// citizen. It returns ErrNotFound when pick finds nobody.
func (s *Store) CallNext(ctx context.Context, counter, actor string, pick Pick, effect Effect) (Booking, error) {
	if _, ok := s.cfg.CounterByID(counter); !ok {
		return Booking{}, fmt.Errorf("counter %q: %w", counter, ErrInvalidInput)
	}
	var out Booking
	err := s.write(func(tx storage.Tx) error {
		now := s.clock.Now()
		day, err := s.dayBookings(tx, s.cfg.Day(now))
		if err != nil {
			return err
		}
		i, ok := pick(day, now)
		if !ok {
			return fmt.Errorf("nobody waiting for counter %s: %w", counter, ErrNotFound)
		}
		b := &day[i]
		if err := s.call(tx, b, counter, actor, now); err != nil {
			return err
		}
		out = *b
		return applyEffect(tx, effect, Change{Booking: out, Now: now})
	})
	return out, err
}

func (s *Store) call(tx storage.Tx, b *Booking, counter, actor string, now time.Time) error {
	if b.Status != StatusBooked {
		return fmt.Errorf("%s is %s: %w", b.Number, b.Status, ErrNotActive)
	}
	b.Status, b.Calls, b.CalledAt, b.Counter, b.MissedAt, b.TransferTo = StatusCalled, b.Calls+1, now, counter, time.Time{}, ""
	if err := putBooking(tx, b); err != nil {
		return err
	}
	t := EventCalled
	if b.Calls > 1 {
		t = EventRecalled
	}
	ev := eventFor(t, b, now)
	ev.Counter, ev.Actor = counter, actor
	return appendEvent(tx, ev)
}

// CallAction is what a clerk does with a called number.
type CallAction string

// The actions on a called number.
const (
	ActionRecall   CallAction = "recall"   // call the same number again now, at the same counter
	ActionStart    CallAction = "start"    // the citizen arrived at the counter
	ActionDone     CallAction = "done"     // served
	ActionNoShow   CallAction = "no_show"  // did not come
	ActionPark     CallAction = "park"     // waits for a document; called again later
	ActionUnpark   CallAction = "unpark"   // back in the queue
	ActionTransfer CallAction = "transfer" // to another counter, or with target "concern:<id>" to another concern
)

// Act applies a clerk's action to booking id. target is the counter for a
// transfer. recallDelay and the booking's calls decide a no-show: an
// appointment missed for the first time waits for its automatic re-call;
// missed again, it expires; a walk-in is a no-show at once.
func (s *Store) Act(ctx context.Context, id uint64, action CallAction, target, actor string, effect Effect) (Booking, error) {
	var out Booking
	err := s.write(func(tx storage.Tx) error {
		b, err := getBooking(tx, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := s.act(tx, b, action, target, actor, now); err != nil {
			return err
		}
		out = *b
		return applyEffect(tx, effect, Change{Booking: out, Now: now})
	})
	return out, err
}

func (s *Store) act(tx storage.Tx, b *Booking, action CallAction, target, actor string, now time.Time) error {
	wrong := func() error {
		return fmt.Errorf("%s is %s, cannot %s: %w", b.Number, b.Status, action, ErrNotActive)
	}
	var ev EventType
	switch action {
	case ActionRecall:
		if b.Status != StatusCalled {
			return wrong()
		}
		b.Status = StatusBooked
		return s.call(tx, b, b.Counter, actor, now)
	case ActionStart:
		if b.Status != StatusCalled {
			return wrong()
		}
		b.Status, b.StartedAt, ev = StatusServing, now, EventStarted
	case ActionDone:
		if b.Status != StatusServing && b.Status != StatusCalled {
			return wrong()
		}
		if b.StartedAt.IsZero() {
			b.StartedAt = b.CalledAt
		}
		b.Status, b.DoneAt, ev = StatusDone, now, EventServed
	case ActionNoShow:
		if b.Status != StatusCalled {
			return wrong()
		}
		switch {
		case b.Kind == KindAppointment && b.Calls < 2:
			b.Status, b.MissedAt, ev = StatusBooked, now, EventNoShow // waits for the re-call
		case b.Kind == KindAppointment:
			b.Status, b.DoneAt, ev = StatusExpired, now, EventExpired
		default:
			b.Status, b.DoneAt, ev = StatusNoShow, now, EventNoShow
		}
	case ActionPark:
		if b.Status != StatusCalled && b.Status != StatusServing {
			return wrong()
		}
		b.Status, ev = StatusParked, EventParked
	case ActionUnpark:
		if b.Status != StatusParked {
			return wrong()
		}
		b.Status, b.Priority, ev = StatusBooked, true, EventUnparked // back in, ahead of the queue
	case ActionTransfer:
		if b.Status != StatusCalled && b.Status != StatusServing && b.Status != StatusParked {
			return wrong()
		}
		if concern, ok := strings.CutPrefix(target, "concern:"); ok {
			// Another concern: back in the queue, first, for any counter serving it.
			if _, known := s.cfg.Concern(concern); !known {
				return fmt.Errorf("concern %q: %w", concern, ErrUnknownConcern)
			}
			b.Concerns, b.TransferTo = []ConcernCount{{ID: concern, Count: 1}}, ""
		} else {
			if _, ok := s.cfg.CounterByID(target); !ok {
				return fmt.Errorf("counter %q: %w", target, ErrInvalidInput)
			}
			b.TransferTo = target
		}
		b.Status, b.Priority, ev = StatusBooked, true, EventTransferred
	default:
		return fmt.Errorf("action %q: %w", action, ErrInvalidInput)
	}
	if err := putBooking(tx, b); err != nil {
		return err
	}
	e := eventFor(ev, b, now)
	e.Counter, e.Actor = b.Counter, actor
	if action == ActionTransfer && b.TransferTo != "" {
		e.Counter = target
	}
	return appendEvent(tx, e)
}

// dayBookings reads the bookings of day inside tx.
func (s *Store) dayBookings(tx storage.Tx, day time.Time) ([]Booking, error) {
	var out []Booking
	prefix := []byte(dayKey(day) + "/")
	c := tx.Bucket(bucketByDay).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		e, err := decodeDayEntry(v)
		if err != nil {
			return nil, err
		}
		if e.id == 0 {
			continue // the released time of a moved booking
		}
		b, err := getBooking(tx, e.id)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, nil
}
