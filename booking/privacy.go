package booking

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"buergerbuero/storage"
)

// Forget is the one retention path. It deletes the personal data of every
// booking of a day before cutoff (name, e-mail address, person key, source,
// chat, PIN hash, and its index entries), the guess records that no longer
// matter, and every record (dialogues, watches, reminders sent, mail
// records, staff bot records) written before cutoff. What the statistics
// need (times, concerns, status, the event log) stays; events never held
// personal data. It returns how many bookings it cleared plus how many
// records it deleted. Call Compact afterwards so the old versions of those
// pages leave the file too.
func (s *Store) Forget(ctx context.Context, cutoff time.Time) (int, error) {
	until := dayKey(s.cfg.Day(cutoff))
	n := 0
	err := s.write(func(tx storage.Tx) error {
		n = 0 // a batching backend may run this twice
		meta := tx.Bucket(bucketMeta)
		from := string(meta.Get([]byte("forgotten_until")))
		c := tx.Bucket(bucketByDay).Cursor()
		for k, v := c.Seek([]byte(from)); k != nil && string(k[:min(len(k), 10)]) < until; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			e, err := decodeDayEntry(v)
			if err != nil || e.id == 0 {
				continue
			}
			b, err := getBooking(tx, e.id)
			if err != nil {
				continue
			}
			if b.Name == "" && b.Email == "" && b.PersonKey == "" && b.Source == "" && b.ChatID == "" && b.PIN == nil {
				continue
			}
			if err := clearPersonal(tx, b); err != nil {
				return err
			}
			n++
		}
		// Guessing records name a person: keep them only while they matter.
		var stale [][]byte
		g := tx.Bucket(bucketGuessers).Cursor()
		for k, v := g.First(); k != nil; k, v = g.Next() {
			var rec guesser
			if json.Unmarshal(v, &rec) != nil || (cutoff.After(rec.LockedUntil) && (len(rec.Tries) == 0 || rec.Tries[len(rec.Tries)-1] < cutoff.Unix())) {
				stale = append(stale, bytes.Clone(k))
			}
		}
		for _, k := range stale {
			if err := tx.Bucket(bucketGuessers).Delete(k); err != nil {
				return err
			}
		}
		if _, err := dropExpiredHolds(tx, s.clock.Now()); err != nil {
			return err
		}
		records, err := forgetRecords(tx, cutoff)
		if err != nil {
			return err
		}
		n += records
		return meta.Put([]byte("forgotten_until"), []byte(until))
	})
	if err != nil {
		return 0, fmt.Errorf("forget: %w", err)
	}
	return n, nil
}

// Backup writes a consistent copy of the whole file to w while the store
// stays in use (one read transaction).
func (s *Store) Backup(w io.Writer) (int64, error) { return s.backend.WriteTo(w) }

// Compact rewrites the storage without its free space, so data deleted by
// Forget is gone from the disk as well, not only from the live tree.
func (s *Store) Compact() error { return s.backend.Compact() }
