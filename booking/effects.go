package booking

import (
	"context"
	"fmt"
	"time"

	"buergerbuero/storage"
)

// Effects: what must be stored with a change to a booking, in the same
// transaction, so that a crash keeps both or neither. The dialogue's new
// state and the messages that tell the citizen (an outbox) are written with
// the booking they speak of; a restart finds a booking only together with
// the message that still has to reach its citizen.

// An Effect computes the records to write with a booking change. It runs
// inside the change's transaction, after the change is decided, and may
// run more than once (a batching backend retries): it must only compute.
type Effect func(c Change) ([]Write, error)

// Change is the booking change an Effect is told of.
type Change struct {
	Booking Booking
	// PIN is the new booking's PIN, only for a booking just made.
	PIN string
	Now time.Time
}

// Write is one record to store with a change: the Value under Key in the
// records of Kind (see Records), or a deletion when Value is nil.
type Write struct {
	Kind, Key string
	Value     []byte
}

// applyEffect writes, inside tx, what effect returns for c; a nil effect
// stores nothing.
func applyEffect(tx storage.Tx, effect Effect, c Change) error {
	if effect == nil {
		return nil
	}
	writes, err := effect(c)
	if err != nil {
		return fmt.Errorf("effect of %s: %w", c.Booking.Number, err)
	}
	return putWrites(tx, c.Now, writes)
}

// Apply stores writes in one transaction: all or none.
func (s *Store) Apply(ctx context.Context, writes ...Write) error {
	if err := s.write(func(tx storage.Tx) error { return putWrites(tx, s.clock.Now(), writes) }); err != nil {
		return fmt.Errorf("apply %d record(s): %w", len(writes), err)
	}
	return nil
}

// putWrites stores writes as records written at now, making a kind's
// bucket on first use.
func putWrites(tx storage.Tx, now time.Time, writes []Write) error {
	for _, w := range writes {
		name := []byte(recordsPrefix + w.Kind)
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Put(name, []byte{1}); err != nil {
			return err
		}
		if w.Value == nil {
			err = b.Delete([]byte(w.Key))
		} else {
			err = b.Put([]byte(w.Key), encodeRecord(w.Value, now))
		}
		if err != nil {
			return fmt.Errorf("%s %q: %w", w.Kind, w.Key, err)
		}
	}
	return nil
}
