package booking

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"buergerbuero/storage"
)

// legacyBuckets are the buckets the dialogue and the channels kept in the
// file themselves before they kept records through the store; opening a
// store moves them into records (written now, so retention counts from the
// move) and deletes them. The mail channel's old thread key is dropped: a
// new one is made.
var legacyBuckets = []struct{ bucket, kind string }{
	{"dialogues", "dialogues"}, {"watches", "watches"}, {"reminders", "reminders"},
	{"email_processed", "email_processed"}, {"email_rate", "email_rate"}, {"email_threads", "email_threads"},
	{"mattermost", "mattermost"}, {"email_secret", ""},
}

// migrateLegacy moves the legacy buckets into records, in the open
// transaction.
func migrateLegacy(tx storage.Tx, now time.Time) error {
	for _, l := range legacyBuckets {
		old := tx.Bucket([]byte(l.bucket))
		if storage.Missing(old) {
			continue
		}
		if l.kind != "" {
			if err := copyLegacy(tx, old, l.kind, now); err != nil {
				return fmt.Errorf("move %s: %w", l.bucket, err)
			}
		}
		if err := tx.DeleteBucket([]byte(l.bucket)); err != nil {
			return err
		}
	}
	return dropStoredSecrets(tx)
}

// dropStoredSecrets deletes the signing keys stores before the key ring
// kept in the file ("secret/<name>" in meta): Secret now derives them from
// the service key, and a key left in the file would let a backup forge.
func dropStoredSecrets(tx storage.Tx) error {
	meta := tx.Bucket(bucketMeta)
	var stale [][]byte
	c := meta.Cursor()
	for k, _ := c.Seek([]byte("secret/")); k != nil && bytes.HasPrefix(k, []byte("secret/")); k, _ = c.Next() {
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := meta.Delete(k); err != nil {
			return fmt.Errorf("drop stored secret: %w", err)
		}
	}
	return nil
}

func copyLegacy(tx storage.Tx, old storage.Bucket, kind string, now time.Time) error {
	name := []byte(recordsPrefix + kind)
	to, err := tx.CreateBucket(name)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketMeta).Put(name, []byte{1}); err != nil {
		return err
	}
	var maxID uint64
	c := old.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		key := bytes.Clone(k)
		if kind == "watches" && len(k) == 8 { // ids were 8 binary bytes, now hex
			id := binary.BigEndian.Uint64(k)
			maxID = max(maxID, id)
			key = []byte(fmt.Sprintf("%016x", id))
		}
		if err := to.Put(key, encodeRecord(v, now)); err != nil {
			return err
		}
	}
	for n := uint64(0); n < maxID; { // new watch ids continue after the old ones
		if n, err = to.NextSequence(); err != nil {
			return err
		}
	}
	return nil
}

// personIndexWritten in meta marks a store whose person and source index was
// written again from its bookings. The etcd store kept none before (it took
// an index entry's empty value for a delete), so the limits per person and
// source and a chat's own bookings saw nothing there.
var personIndexWritten = []byte("person_index")

// reindexPart is how many bookings one transaction of reindexPeople
// indexes: two entries each stay within an etcd transaction's default 128
// operations.
const reindexPart = 40

// reindexPeople writes the person and source index entries of every stored
// booking, once per store, a part at a time (each part its own
// transaction; writing an entry twice changes nothing).
func reindexPeople(backend storage.Backend) error {
	written := false
	if err := backend.View(func(tx storage.Tx) error {
		written = tx.Bucket(bucketMeta).Get(personIndexWritten) != nil
		return nil
	}); err != nil || written {
		return err
	}
	for from, more := uint64(0), true; more; {
		err := backend.Update(func(tx storage.Tx) error {
			next, rest, err := indexPeopleFrom(tx, from)
			if err != nil || rest {
				from, more = next, rest
				return err
			}
			more = false
			return tx.Bucket(bucketMeta).Put(personIndexWritten, []byte("1"))
		})
		if err != nil {
			return fmt.Errorf("write the person index again: %w", err)
		}
	}
	return nil
}

// indexPeopleFrom writes the person and source index entries of up to
// reindexPart bookings from id from on; rest says more follow from next.
func indexPeopleFrom(tx storage.Tx, from uint64) (next uint64, rest bool, err error) {
	c := tx.Bucket(bucketBookings).Cursor()
	n := 0
	for k, _ := c.Seek(u64key(from)); k != nil; k, _ = c.Next() {
		id := decodeU64(k)
		if n == reindexPart {
			return id, true, nil
		}
		b, err := getBooking(tx, id)
		if err != nil {
			return 0, false, err
		}
		for _, key := range []string{b.PersonKey, sourceKey(b.Source)} {
			if key == "" {
				continue
			}
			if err := tx.Bucket(bucketByPerson).Put(personIndexKey(key, id), nil); err != nil {
				return 0, false, err
			}
		}
		n++
	}
	return 0, false, nil
}
