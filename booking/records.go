package booking

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"buergerbuero/storage"
)

// Records are the small stores of what the dialogue and the channels keep
// across a restart: dialogue states, "tell me when earlier is free"
// watches, reminders sent, mail records, a clerk's counter. Each kind is a
// bucket of values by key, and every value carries the time it was written,
// so one Forget removes what any of them holds about people once it is past
// the retention period, and a kind can drop its own old entries sooner
// (DeleteBefore).

// recordsPrefix names a kind's bucket, and its entry in the meta bucket.
const recordsPrefix = "records/"

// Records is one kind of record.
type Records struct {
	s      *Store
	kind   string
	bucket []byte
}

// Records returns the records of kind ("dialogues", "email_threads" …),
// making their bucket on first use.
func (s *Store) Records(kind string) (*Records, error) {
	r := &Records{s: s, kind: kind, bucket: []byte(recordsPrefix + kind)}
	known := false
	if err := s.backend.View(func(tx storage.Tx) error {
		meta := tx.Bucket(bucketMeta)
		known = tx.Bucket(r.bucket) != nil && meta != nil && meta.Get(r.bucket) != nil
		return nil
	}); err == nil && known {
		return r, nil // made at an earlier start: a restart writes nothing, so it waits for no lock
	}
	err := s.write(func(tx storage.Tx) error {
		if _, err := tx.CreateBucket(r.bucket); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(r.bucket, []byte{1})
	})
	if err != nil {
		return nil, fmt.Errorf("records %s: %w", kind, err)
	}
	return r, nil
}

// Record is one stored record.
type Record struct {
	Key     string
	Value   []byte
	Written time.Time
}

func encodeRecord(value []byte, at time.Time) []byte {
	v := make([]byte, 8+len(value))
	binary.BigEndian.PutUint64(v, uint64(at.UnixNano()))
	copy(v[8:], value)
	return v
}

func decodeRecord(key, v []byte) (Record, error) {
	if len(v) < 8 {
		return Record{}, fmt.Errorf("record %q of %d bytes", key, len(v))
	}
	return Record{Key: string(key), Value: bytes.Clone(v[8:]), Written: time.Unix(0, int64(binary.BigEndian.Uint64(v)))}, nil
}

// Get returns the record under key; found is false if there is none.
func (r *Records) Get(ctx context.Context, key string) (rec Record, found bool, err error) {
	err = r.s.read(func(tx storage.Tx) error {
		v := tx.Bucket(r.bucket).Get([]byte(key))
		if v == nil {
			return nil
		}
		found = true
		rec, err = decodeRecord([]byte(key), v)
		return err
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("%s %q: %w", r.kind, key, err)
	}
	return rec, found, nil
}

// Put stores value under key, written now.
func (r *Records) Put(ctx context.Context, key string, value []byte) error {
	err := r.s.write(func(tx storage.Tx) error {
		return tx.Bucket(r.bucket).Put([]byte(key), encodeRecord(value, r.s.clock.Now()))
	})
	if err != nil {
		return fmt.Errorf("%s %q: %w", r.kind, key, err)
	}
	return nil
}

// Update reads the value under key (nil if none) and stores what fn
// returns, in one transaction; a nil result deletes the record. An error
// from fn changes nothing and is returned.
func (r *Records) Update(ctx context.Context, key string, fn func(old []byte) ([]byte, error)) error {
	err := r.s.write(func(tx storage.Tx) error {
		b := tx.Bucket(r.bucket)
		var old []byte
		if v := b.Get([]byte(key)); v != nil {
			rec, err := decodeRecord([]byte(key), v)
			if err != nil {
				return err
			}
			old = rec.Value
		}
		value, err := fn(old)
		if err != nil {
			return err
		}
		if value == nil {
			return b.Delete([]byte(key))
		}
		return b.Put([]byte(key), encodeRecord(value, r.s.clock.Now()))
	})
	if err != nil {
		return fmt.Errorf("%s %q: %w", r.kind, key, err)
	}
	return nil
}

// Delete removes the record under key, if any.
func (r *Records) Delete(ctx context.Context, key string) error {
	if err := r.s.write(func(tx storage.Tx) error { return tx.Bucket(r.bucket).Delete([]byte(key)) }); err != nil {
		return fmt.Errorf("%s %q: %w", r.kind, key, err)
	}
	return nil
}

// All returns every record, in key order.
func (r *Records) All(ctx context.Context) ([]Record, error) {
	var out []Record
	err := r.s.read(func(tx storage.Tx) error {
		c := tx.Bucket(r.bucket).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rec, err := decodeRecord(k, v)
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.kind, err)
	}
	return out, nil
}

// DeleteBefore removes the records written before cutoff and returns how
// many.
func (r *Records) DeleteBefore(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := r.s.write(func(tx storage.Tx) error {
		var err error
		n, err = deleteRecordsBefore(tx, r.bucket, cutoff)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", r.kind, err)
	}
	return n, nil
}

// deleteRecordsBefore removes a records bucket's entries written before
// cutoff (and any that cannot be read).
func deleteRecordsBefore(tx storage.Tx, bucket []byte, cutoff time.Time) (int, error) {
	var old [][]byte
	b := tx.Bucket(bucket)
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if rec, err := decodeRecord(k, v); err != nil || rec.Written.Before(cutoff) {
			old = append(old, bytes.Clone(k))
		}
	}
	for i, k := range old {
		if err := b.Delete(k); err != nil {
			return i, err
		}
	}
	return len(old), nil
}

// forgetRecords removes, in every kind of records, what was written before
// cutoff.
func forgetRecords(tx storage.Tx, cutoff time.Time) (int, error) {
	var kinds [][]byte
	c := tx.Bucket(bucketMeta).Cursor()
	prefix := []byte(recordsPrefix)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		kinds = append(kinds, bytes.Clone(k))
	}
	total := 0
	var errs []error
	for _, kind := range kinds {
		n, err := deleteRecordsBefore(tx, kind, cutoff)
		total += n
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// NextSequence returns a number one higher than the last it returned for
// this kind, starting at 1: ids for new records.
func (r *Records) NextSequence(ctx context.Context) (uint64, error) {
	var n uint64
	err := r.s.write(func(tx storage.Tx) error {
		var err error
		n, err = tx.Bucket(r.bucket).NextSequence()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", r.kind, err)
	}
	return n, nil
}

// RecordsOf returns the records of each kind, in order (see Records).
func (s *Store) RecordsOf(kinds ...string) ([]*Records, error) {
	out := make([]*Records, len(kinds))
	for i, kind := range kinds {
		r, err := s.Records(kind)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}
