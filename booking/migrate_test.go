package booking

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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

// A store whose person index is missing (an etcd store before empty
// values were kept) gets it again when opened, in parts: the person's
// limit holds again, and a chat finds its own bookings.
func TestPersonIndexWrittenAgain(t *testing.T) {
	s, _, path := newStore(t, testOffice, monday)
	ctx := context.Background()
	var people []string
	for d := 1; d <= 21 && len(people) < 2*reindexPart+5; d++ {
		for minute := 8 * 60; minute < 12*60; minute += 30 {
			for c := range 3 {
				person := fmt.Sprintf("tg:%d-%d-%d", d, minute, c)
				start := monday.Add(time.Duration(d)*24*time.Hour - 7*time.Hour + time.Duration(minute)*time.Minute)
				_, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start, Name: "Erika Mustermann", PersonKey: person, Source: "ip:" + person})
				if err == nil {
					people = append(people, person)
				}
			}
		}
	}
	if len(people) < 2*reindexPart+5 {
		t.Fatalf("only %d bookings made", len(people))
	}
	err := s.backend.Update(func(tx storage.Tx) error { // as the etcd store left it
		if err := tx.DeleteBucket(bucketByPerson); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketByPerson); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Delete(personIndexWritten)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, mustConfig(t, testOffice), Options{Clock: fakeclock.New(monday)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{people[0], people[reindexPart], people[len(people)-1]} {
		if mine, err := s.PersonBookings(ctx, p); err != nil || len(mine) != 1 {
			t.Errorf("%s's bookings after the reindex: %d, %v", p, len(mine), err)
		}
	}
	last := people[len(people)-1]
	if _, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: at(2026, 11, 24, 8, 0), Name: "Erika Mustermann", PersonKey: last}); !errors.Is(err, ErrLimitReached) {
		t.Errorf("a second booking after the reindex: %v, want ErrLimitReached", err)
	}
	if _, source, err := s.ActiveHeld(ctx, "", "ip:"+last); err != nil || source.Bookings != 1 {
		t.Errorf("the source holds %d bookings after the reindex, want 1 (%v)", source.Bookings, err)
	}
}
