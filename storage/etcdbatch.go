package storage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// A read cache for write transactions: under the writers' lock nobody
// else writes, so what one transaction read stays true for the next, as
// long as no other instance committed in between. Every commit writes a
// marker key with a value of its own; a batch that finds the marker as
// this instance left it keeps the cache, else starts it afresh.

type cached struct {
	value   []byte
	present bool
}

type readCache struct {
	values map[string]cached
	marker string // the marker this instance's last commit wrote
	seq    uint64
}

// readCacheMax bounds the cache; beyond it, it starts afresh.
const readCacheMax = 200_000

// validate keeps the cache if the marker is as this instance left it.
func (e *etcdBackend) validateCache(ctx context.Context) {
	c := e.cache
	res, err := e.cli.Get(ctx, e.prefix+"marker")
	if err != nil || c.marker == "" || len(res.Kvs) == 0 || string(res.Kvs[0].Value) != c.marker || len(c.values) > readCacheMax {
		clear(c.values)
	}
}

// nextMarker is the marker the next commit writes.
func (e *etcdBackend) nextMarker() string {
	e.cache.seq++
	return fmt.Sprintf("%p-%d-%d", e, time.Now().UnixNano(), e.cache.seq)
}

// Group commit on etcd. A write transaction costs the writers' lock (two
// Raft writes) and its commit (one more); a rush of bookings from one
// instance shares them: the write transactions that arrive within
// etcdBatchDelay run one after another in one etcd transaction, each
// seeing the ones before, as bbolt's DB.Batch does. A function that fails
// has its writes taken back and gets its error alone; the others commit.

const (
	// etcdBatchDelay is how long a write transaction waits for others.
	etcdBatchDelay = 2 * time.Millisecond
	// etcdBatchOps is how many writes one etcd transaction carries at most
	// (etcd allows 128 operations per transaction by default); more go in
	// the next one, under the same lock.
	etcdBatchOps = 100
)

type etcdCall struct {
	fn   func(Tx) error
	done chan error
}

type etcdBatch struct {
	calls []etcdCall
	timer *time.Timer
}

func (e *etcdBackend) Update(fn func(Tx) error) error {
	call := etcdCall{fn: fn, done: make(chan error, 1)}
	e.batchMu.Lock()
	if e.batch == nil {
		b := &etcdBatch{}
		b.timer = time.AfterFunc(etcdBatchDelay, func() { e.runBatch(b) })
		e.batch = b
	}
	e.batch.calls = append(e.batch.calls, call)
	e.batchMu.Unlock()
	return <-call.done
}

// runBatch takes b off the queue and runs its calls under the writers'
// lock.
func (e *etcdBackend) runBatch(b *etcdBatch) {
	e.batchMu.Lock()
	if e.batch == b {
		e.batch = nil
	}
	e.batchMu.Unlock()
	e.writers.Lock()
	defer e.writers.Unlock()
	ctx, cancel := e.ctx()
	defer cancel()
	fail := func(err error) {
		for _, c := range b.calls {
			c.done <- err
		}
	}
	_, lock, err := e.current()
	if err != nil {
		fail(err)
		return
	}
	if err := lock.Lock(ctx); err != nil {
		fail(etcdUnavailable("lock", err))
		return
	}
	defer func() {
		unlockCtx, cancel := e.ctx()
		defer cancel()
		lock.Unlock(unlockCtx)
	}()
	e.validateCache(ctx)
	for i := 0; i < len(b.calls); {
		tx := &etcdTx{e: e, cache: e.cache, lock: lock, writable: true, puts: map[string][]byte{}, seqs: map[string]uint64{}}
		var ok []etcdCall
		for ; i < len(b.calls) && (len(ok) == 0 || len(tx.puts)+len(tx.seqs) < etcdBatchOps); i++ {
			saved := tx.save()
			err := b.calls[i].fn(tx)
			if err == nil {
				err = tx.err
			}
			if err != nil {
				tx.restore(saved)
				b.calls[i].done <- err
				continue
			}
			ok = append(ok, b.calls[i])
		}
		marker := e.nextMarker()
		if len(tx.puts)+len(tx.seqs)+len(tx.dropped) > 0 {
			tx.puts[e.prefix+"marker"] = []byte(marker)
		}
		err := tx.commit(ctx)
		e.noteCommit(tx, marker, err)
		for _, c := range ok {
			c.done <- err
		}
	}
}

// txState is what a transaction has buffered, to take a failed function's
// writes back.
type txState struct {
	puts    map[string][]byte
	seqs    map[string]uint64
	dropped []string
}

func (t *etcdTx) save() txState {
	return txState{puts: maps.Clone(t.puts), seqs: maps.Clone(t.seqs), dropped: slices.Clone(t.dropped)}
}

func (t *etcdTx) restore(s txState) {
	t.puts, t.seqs, t.dropped, t.err = s.puts, s.seqs, s.dropped, nil
}

// noteCommit brings the cache up to what tx committed; a failed commit
// (its outcome unknown) empties it.
func (e *etcdBackend) noteCommit(tx *etcdTx, marker string, err error) {
	c := e.cache
	switch {
	case err != nil, len(tx.dropped) > 0:
		clear(c.values)
		c.marker = ""
		return
	case len(tx.puts) == 0:
		return // nothing written: the marker stays
	}
	for k, v := range tx.puts {
		c.values[k] = cached{value: v, present: v != nil}
	}
	c.marker = marker
}
