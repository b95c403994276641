package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// boltFile is the Backend on a bbolt file: the only code of the project
// that knows bbolt.
type boltFile struct {
	// mu guards db: every transaction holds it for reading; Compact holds it
	// for writing while it swaps the file.
	mu   sync.RWMutex
	db   *bolt.DB
	path string
	opts *bolt.Options
}

// OpenFile opens (or creates) a bbolt file as a Backend, waiting up to
// lockTimeout for another process's lock.
func OpenFile(path string, lockTimeout time.Duration) (Backend, error) {
	return openBolt(path, &bolt.Options{Timeout: lockTimeout})
}

func openBolt(path string, opts *bolt.Options) (*boltFile, error) {
	db, err := bolt.Open(path, 0o600, opts)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrFileLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond // a lone write waits at most this for company
	return &boltFile{db: db, path: path, opts: opts}, nil
}

// BackupFile writes a consistent copy of the store file at path, which no
// process may hold (ErrFileLocked: ask the running service instead).
func BackupFile(path string, w io.Writer) (int64, error) {
	f, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.WriteTo(w)
}

func (f *boltFile) View(fn func(Tx) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

// Update runs fn through bbolt's DB.Batch: writes that many chats make at
// once share one transaction and one fsync (group commit), and each call
// still returns only once its change is durable. fn may therefore run more
// than once (if another function of the batch fails, the rest run again);
// the store's functions have no effect outside the transaction but the last
// run's, which the conformance suite checks (backendtest.Retrying).
func (f *boltFile) Update(fn func(Tx) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.db.Batch(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (f *boltFile) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := f.View(func(tx Tx) error {
		var err error
		n, err = tx.(boltTx).tx.WriteTo(w)
		return err
	})
	return n, err
}

func (f *boltFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.db.Close()
}

// Compact copies the live data into a new file and swaps it in; the
// store pauses for the copy, and the old file is replaced only once the new
// one is complete.
func (f *boltFile) Compact() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	tmp := f.path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if err := bolt.Compact(dst, f.db, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("compact: close: %w", err)
	}
	renameErr := os.Rename(tmp, f.path)
	if dir, err := os.Open(filepath.Dir(f.path)); err == nil {
		dir.Sync()
		dir.Close()
	}
	db, err := bolt.Open(f.path, 0o600, f.opts)
	if err != nil {
		return fmt.Errorf("compact: reopen: %w", err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	f.db = db
	if renameErr != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", renameErr)
	}
	return nil
}

type boltTx struct{ tx *bolt.Tx }

func (t boltTx) Bucket(name []byte) Bucket {
	b := t.tx.Bucket(name)
	if b == nil {
		return missingBucket(name)
	}
	return boltBucket{b}
}

func (t boltTx) CreateBucket(name []byte) (Bucket, error) {
	b, err := t.tx.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, err
	}
	return boltBucket{b}, nil
}

func (t boltTx) DeleteBucket(name []byte) error {
	err := t.tx.DeleteBucket(name)
	if errors.Is(err, berrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

type boltBucket struct{ b *bolt.Bucket }

func (b boltBucket) Get(key []byte) []byte         { return b.b.Get(key) }
func (b boltBucket) Put(key, value []byte) error   { return b.b.Put(key, value) }
func (b boltBucket) Delete(key []byte) error       { return b.b.Delete(key) }
func (b boltBucket) Cursor() Cursor                { return b.b.Cursor() }
func (b boltBucket) NextSequence() (uint64, error) { return b.b.NextSequence() }
func (b boltBucket) Sequence() uint64              { return b.b.Sequence() }
func (b boltBucket) SetSequence(n uint64) error    { return b.b.SetSequence(n) }

func (t boltTx) Buckets() ([][]byte, error) {
	var names [][]byte
	err := t.tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, bytes.Clone(name))
		return nil
	})
	return names, err
}
