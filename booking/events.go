package booking

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"buergerbuero/storage"
)

// EventType names a state change in the event log.
type EventType string

// The event types. Statistics read them; they never hold personal data.
const (
	EventBooked      EventType = "booked"
	EventCancelled   EventType = "cancelled"
	EventRescheduled EventType = "rescheduled"
	EventWalkIn      EventType = "walk_in"
	EventCheckedIn   EventType = "checked_in"
	EventCalled      EventType = "called"
	EventRecalled    EventType = "recalled"
	EventStarted     EventType = "started"
	EventNoShow      EventType = "no_show"
	EventServed      EventType = "served"
	EventExpired     EventType = "expired"
	EventPriority    EventType = "priority"
	EventParked      EventType = "parked"
	EventUnparked    EventType = "unparked"
	EventTransferred EventType = "transferred"
)

// Event is one entry of the append-only event log. It carries no personal
// data, so it may be kept after bookings are anonymised.
type Event struct {
	Seq       uint64         `json:"seq"`
	At        time.Time      `json:"at"`
	Type      EventType      `json:"type"`
	BookingID uint64         `json:"booking"`
	Kind      Kind           `json:"kind"`
	Number    string         `json:"number"`
	Concerns  []ConcernCount `json:"concerns"`
	// Start is the appointment time (after the change, for a reschedule).
	Start   time.Time `json:"start"`
	Counter string    `json:"counter,omitempty"`
	// Actor is the staff member who acted; empty for the citizen or the system.
	Actor   string `json:"actor,omitempty"`
	Channel string `json:"channel,omitempty"`
	// WaitFrom is when the citizen's wait began (Booking.WaitFrom), as it
	// stood at the event: a call's wait is At minus WaitFrom.
	WaitFrom time.Time `json:"wait_from,omitzero"`
}

// eventFor builds the event of type t for b.
func eventFor(t EventType, b *Booking, at time.Time) Event {
	return Event{At: at, Type: t, BookingID: b.ID, Kind: b.Kind, Number: b.Number,
		Concerns: b.Concerns, Start: b.Start, Channel: b.Channel, WaitFrom: b.WaitFrom()}
}

// appendEvent adds e to the log inside tx, numbering it.
func appendEvent(tx storage.Tx, e Event) error {
	bk := tx.Bucket(bucketEvents)
	seq, err := bk.NextSequence()
	if err != nil {
		return fmt.Errorf("event sequence: %w", err)
	}
	e.Seq = seq
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	return bk.Put(u64key(seq), data)
}

// Events calls fn for each event with a sequence number above after, in
// order, until fn returns false.
func (s *Store) Events(ctx context.Context, after uint64, fn func(Event) bool) error {
	return s.read(func(tx storage.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(u64key(after + 1)); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if !fn(e) {
				return nil
			}
		}
		return nil
	})
}
