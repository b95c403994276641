package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Forget deletes the personal data of every booking of a day before
// cutoff: name, e-mail address, person key, chat, PIN hash, and its entry
// in the person index. What the statistics need (times, concerns, status,
// the event log) stays; events never held personal data. It returns how
// many bookings it cleared. Call Compact afterwards so the old versions of
// those pages leave the file too.
func (s *Store) Forget(ctx context.Context, cutoff time.Time) (int, error) {
	until := dayKey(s.cfg.Day(cutoff))
	n := 0
	err := s.Update(func(tx *bolt.Tx) error {
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
			if b.PersonKey != "" {
				if err := tx.Bucket(bucketByPerson).Delete(personIndexKey(b.PersonKey, b.ID)); err != nil {
					return err
				}
			}
			if b.Source != "" {
				if err := tx.Bucket(bucketByPerson).Delete(personIndexKey(sourceIndexPrefix+b.Source, b.ID)); err != nil {
					return err
				}
			}
			b.Source = ""
			b.Name, b.Email, b.PersonKey, b.ChatID, b.PIN, b.PINFailures, b.PINLockedUntil = "", "", "", "", nil, 0, time.Time{}
			if err := putBooking(tx, b); err != nil {
				return err
			}
			n++
		}
		// Guessing records name a person: keep them only while they matter.
		g := tx.Bucket(bucketGuessers).Cursor()
		for k, v := g.First(); k != nil; k, v = g.Next() {
			var rec guesser
			if json.Unmarshal(v, &rec) != nil || (cutoff.After(rec.LockedUntil) && (len(rec.Tries) == 0 || rec.Tries[len(rec.Tries)-1] < cutoff.Unix())) {
				if err := g.Delete(); err != nil {
					return err
				}
			}
		}
		return meta.Put([]byte("forgotten_until"), []byte(until))
	})
	if err != nil {
		return 0, fmt.Errorf("forget: %w", err)
	}
	return n, nil
}

// Backup writes a consistent copy of the whole file to w while the store
// stays in use (one read transaction).
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Compact rewrites the file without its free pages, so data deleted by
// Forget is gone from the disk as well, not only from the live tree. The
// store pauses for the copy; the old file is replaced only once the new one
// is complete.
func (s *Store) Compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp := s.path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if err := bolt.Compact(dst, s.db, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("compact: close: %w", err)
	}
	renameErr := os.Rename(tmp, s.path)
	if dir, err := os.Open(filepath.Dir(s.path)); err == nil {
		dir.Sync()
		dir.Close()
	}
	db, err := bolt.Open(s.path, 0o600, s.opts)
	if err != nil {
		return fmt.Errorf("compact: reopen: %w", err)
	}
	s.db = db
	if renameErr != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", renameErr)
	}
	return nil
}
