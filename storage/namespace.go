package storage

import (
	"bytes"
	"io"
)

// Namespaces: several stores in one backend, each in buckets of its own
// (the offices of a town in one bbolt file or one etcd prefix). A store
// within namespace "office/ohligs/" keeps "bookings" as the bucket
// "office/ohligs/bookings"; the namespace "" is the backend itself, so the
// store of a single office becomes a town's first office without moving
// any data.

// Within returns a view of b whose buckets all lie in namespace. Its
// backups and compaction are those of the whole backend, and closing it
// closes b.
func Within(b Backend, namespace string) Backend {
	if namespace == "" {
		return b
	}
	return nsBackend{b, []byte(namespace)}
}

type nsBackend struct {
	Backend
	ns []byte
}

func (n nsBackend) View(fn func(Tx) error) error {
	return n.Backend.View(func(tx Tx) error { return fn(nsTx{tx, n.ns}) })
}

func (n nsBackend) Update(fn func(Tx) error) error {
	return n.Backend.Update(func(tx Tx) error { return fn(nsTx{tx, n.ns}) })
}

func (n nsBackend) WriteTo(w io.Writer) (int64, error) { return n.Backend.WriteTo(w) }

type nsTx struct {
	Tx
	ns []byte
}

func (t nsTx) name(bucket []byte) []byte { return append(bytes.Clone(t.ns), bucket...) }

func (t nsTx) Bucket(name []byte) Bucket { return t.Tx.Bucket(t.name(name)) }

func (t nsTx) CreateBucket(name []byte) (Bucket, error) { return t.Tx.CreateBucket(t.name(name)) }

func (t nsTx) DeleteBucket(name []byte) error { return t.Tx.DeleteBucket(t.name(name)) }

// Buckets lists the namespace's buckets, by their names within it.
func (t nsTx) Buckets() ([][]byte, error) {
	all, err := t.Tx.Buckets()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, name := range all {
		if rest, ok := bytes.CutPrefix(name, t.ns); ok && len(rest) > 0 {
			out = append(out, rest)
		}
	}
	return out, nil
}

// Shared returns b for one of several stores on it (the offices of a
// town): closing that store leaves b open; whoever opened b closes it.
func Shared(b Backend) Backend { return sharedBackend{b} }

type sharedBackend struct{ Backend }

func (sharedBackend) Close() error { return nil }
