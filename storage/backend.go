package storage

import (
	"context"
	"fmt"
	"io"
)

// The seam between the booking rules and their storage. A Store keeps
// everything in a Backend: named buckets of ordered keys, read and written
// in serialisable transactions. The bbolt file (OpenFile) is the one the
// service runs on; another (etcd, whose storage engine is bbolt too) must
// pass the same conformance suite, storage/backendtest.TestBackend. No type of
// a backend's library appears outside its implementation.

// Backend is the persistence behind a Store.
type Backend interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction, committed durably before
	// Update returns nil (a reply to a citizen goes out only after that);
	// an error from fn rolls everything back.
	Update(fn func(Tx) error) error
	// WriteTo writes a consistent copy of everything, for backups.
	WriteTo(w io.Writer) (int64, error)
	// Compact rewrites the storage without free space, so deleted data is
	// gone from the disk too.
	Compact() error
	Close() error
}

// Tx is a transaction of a Backend.
type Tx interface {
	// Bucket returns the named bucket; it must exist (CreateBucket).
	Bucket(name []byte) Bucket
	// CreateBucket makes the named bucket if it is not there yet.
	CreateBucket(name []byte) (Bucket, error)
	// DeleteBucket removes a bucket and everything in it, if it exists.
	DeleteBucket(name []byte) error
	// Buckets lists the names of every bucket, in order.
	Buckets() ([][]byte, error)
}

// Bucket is an ordered map of byte keys to byte values. Values returned are
// valid only during the transaction.
type Bucket interface {
	Get(key []byte) []byte
	Put(key, value []byte) error
	Delete(key []byte) error
	Cursor() Cursor
	// NextSequence returns a number one higher than the last it returned
	// in this bucket, starting at 1.
	NextSequence() (uint64, error)
	// Sequence is the last number NextSequence returned; SetSequence sets
	// it (a copy of a store keeps its ids).
	Sequence() uint64
	SetSequence(n uint64) error
}

// Cursor walks a bucket in key order. Each move returns the key and value
// it lands on, or a nil key past the end.
type Cursor interface {
	First() (key, value []byte)
	Last() (key, value []byte)
	Seek(seek []byte) (key, value []byte)
	Next() (key, value []byte)
	Prev() (key, value []byte)
	// Delete removes the pair the cursor is on.
	Delete() error
}

// missingBucket stands for a bucket a backend does not have: reading finds
// nothing, writing fails with the bucket's name (a programming error: every
// bucket is made when the store opens).
// Leader is a backend where several service instances compete to lead
// (etcd's election); a bbolt file has one instance, which always leads.
type Leader interface {
	// Campaign blocks until instance leads the jobs called name, or ctx
	// ends, and returns a channel closed when it no longer leads.
	Campaign(ctx context.Context, name, instance string) (lost <-chan struct{}, err error)
}

// Missing reports whether b is a bucket that does not exist (what
// Tx.Bucket returns for a name never created).
func Missing(b Bucket) bool {
	_, missing := b.(missingBucket)
	return missing
}

type missingBucket []byte

func (m missingBucket) Get([]byte) []byte        { return nil }
func (m missingBucket) Put([]byte, []byte) error { return m.err() }
func (m missingBucket) Delete([]byte) error      { return m.err() }
func (m missingBucket) Cursor() Cursor           { return emptyCursor{} }
func (m missingBucket) NextSequence() (uint64, error) {
	return 0, m.err()
}
func (m missingBucket) Sequence() uint64         { return 0 }
func (m missingBucket) SetSequence(uint64) error { return m.err() }
func (m missingBucket) err() error               { return fmt.Errorf("bucket %q does not exist", string(m)) }

type emptyCursor struct{}

func (emptyCursor) First() ([]byte, []byte)      { return nil, nil }
func (emptyCursor) Last() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) Seek([]byte) ([]byte, []byte) { return nil, nil }
func (emptyCursor) Next() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) Prev() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) Delete() error                { return fmt.Errorf("cursor of a missing bucket") }
