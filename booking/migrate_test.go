package booking

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"buergerbuero/internal/fakeclock"

	"buergerbuero/storage"
)

// A file of the previous version, with the buckets the dialogue and the
// channels kept themselves, opens with those moved into records.
func TestLegacyBucketsBecomeRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := storage.OpenFile(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	watchID := make([]byte, 8)
	binary.BigEndian.PutUint64(watchID, 7)
	err = db.Update(func(tx storage.Tx) error {
		for bucket, kv := range map[string][2]string{"dialogues": {"web\x00abc", `{"state":"name"}`}, "watches": {string(watchID), `{"id":7}`},
			"mattermost": {"counter/u1", "2"}, "email_secret": {"thread", "old-key"}} {
			b, err := tx.CreateBucket([]byte(bucket))
			if err != nil {
				return err
			}
			if err := b.Put([]byte(kv[0]), []byte(kv[1])); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, mustConfig(t, testOffice), Options{Clock: fakeclock.New(monday)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for kind, kv := range map[string][2]string{"dialogues": {"web\x00abc", `{"state":"name"}`}, "watches": {"0000000000000007", `{"id":7}`}, "mattermost": {"counter/u1", "2"}} {
		r, err := s.Records(kind)
		if err != nil {
			t.Fatal(err)
		}
		rec, found, err := r.Get(context.Background(), kv[0])
		if err != nil || !found || string(rec.Value) != kv[1] || !rec.Written.Equal(monday) {
			t.Errorf("%s: %+v %v %v", kind, rec, found, err)
		}
	}
	watches, _ := s.Records("watches")
	if id, _ := watches.NextSequence(context.Background()); id != 8 {
		t.Errorf("next watch id %d, want 8", id)
	}
	s.read(func(tx storage.Tx) error {
		for _, old := range []string{"dialogues", "watches", "mattermost", "email_secret"} {
			if !storage.Missing(tx.Bucket([]byte(old))) {
				t.Errorf("legacy bucket %s is still there", old)
			}
		}
		return nil
	})
}

// A data file of a newer format is refused, unchanged, with words that
// say what to do.
func TestNewerFormatIsRefused(t *testing.T) {
	s, _, path := newStore(t, testOffice, monday)
	if err := s.backend.Update(func(tx storage.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(path, mustConfig(t, testOffice), Options{})
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "newer version of buergerbuero") || !strings.Contains(err.Error(), "restore the backup") {
		t.Fatalf("opening a newer format: %v", err)
	}
}
