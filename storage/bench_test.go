package storage

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkRawBoltWrite is one fsync'd bbolt write transaction putting a
// booking-sized value: the floor under Book.
func BenchmarkRawBoltWrite(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	value := make([]byte, 400)
	var n uint64
	for b.Loop() {
		n++
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("raw"))
			if err != nil {
				return err
			}
			return bk.Put(binary.BigEndian.AppendUint64(nil, n), value)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
