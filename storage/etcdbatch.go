package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
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
	big    map[string]bool // buckets too big to keep whole
	// sorted holds, for a bucket a write transaction walked with a cursor,
	// all its keys in order; their values are all in values. Cursors of
	// write transactions then walk memory, not the cluster.
	sorted map[string][]string
	marker string // the marker this instance's last commit wrote
	base   string // the marker as the store holds it now, as far as this batch knows ("": none)
	seq    uint64
}

// reset empties the cache.
func (c *readCache) reset() {
	clear(c.values)
	clear(c.sorted)
	clear(c.big)
}

// wholeBucketMax is the most keys a bucket may have to be kept whole in
// the cache; bigger ones (the event log) are read key by key.
const wholeBucketMax = 20_000

// wholeBucket reads bucket once into the cache (its keys in order, with
// their values), kept up to date by the commits after; whole is false for
// a bucket too big to keep.
func (e *etcdBackend) wholeBucket(ctx context.Context, c *readCache, bucket string) (keys []string, whole bool, err error) {
	if keys, ok := c.sorted[bucket]; ok {
		return keys, true, nil
	}
	if c.big[bucket] {
		return nil, false, nil
	}
	prefix := e.dataPrefix(bucket)
	res, err := e.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend),
		clientv3.WithLimit(wholeBucketMax+1))
	if err != nil {
		return nil, false, etcdUnavailable("read", err)
	}
	if res.More || len(res.Kvs) > wholeBucketMax {
		c.big[bucket] = true
		return nil, false, nil
	}
	keys = make([]string, 0, len(res.Kvs))
	for _, kv := range res.Kvs {
		keys = append(keys, string(kv.Key[len(prefix):]))
		c.values[string(kv.Key)] = cached{value: kv.Value, present: true}
	}
	c.sorted[bucket] = keys
	return keys, true, nil
}

// inMemory reports whether a write transaction walks bucket in memory.
func (e *etcdBackend) inMemory(ctx context.Context, t *etcdTx, bucket string) bool {
	_, whole, err := e.wholeBucket(ctx, t.cache, bucket)
	if err != nil {
		t.fail(err)
	}
	return whole
}

// splitDataKey is the bucket and key of a data key.
func (e *etcdBackend) splitDataKey(k string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(k, e.prefix+"b/")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "\x00")
}

// noteSorted brings a whole bucket's keys up to a committed put (or
// delete) of the data key k.
func (e *etcdBackend) noteSorted(c *readCache, k string, present bool) {
	bucket, key, ok := e.splitDataKey(k)
	keys, whole := c.sorted[bucket]
	if !ok || !whole {
		return
	}
	i, found := slices.BinarySearch(keys, key)
	switch {
	case present && !found:
		c.sorted[bucket] = slices.Insert(keys, i, key)
	case !present && found:
		c.sorted[bucket] = slices.Delete(keys, i, i+1)
	}
}

// readCacheMax bounds the cache; beyond it, it starts afresh.
const readCacheMax = 200_000

// validate keeps the cache if the marker is as this instance left it.
// It runs before every batch, and every commit of the batch goes through
// only if the marker is still what it found (or what the batch's own
// commits wrote): so the cache can never lead a commit astray, whatever
// happened to the lock in between (a lease that ran out unnoticed).
func (e *etcdBackend) validateCache(ctx context.Context) error {
	c := e.cache
	res, err := e.cli.Get(ctx, e.prefix+"marker")
	if err != nil {
		c.reset()
		c.marker = ""
		return etcdUnavailable("read", err)
	}
	c.base = ""
	if len(res.Kvs) > 0 {
		c.base = string(res.Kvs[0].Value)
	}
	if c.marker == "" || c.base != c.marker || len(c.values) > readCacheMax {
		c.reset()
	}
	return nil
}

// markerUnchanged is the condition of a commit: nobody wrote since the
// batch checked the marker (or since its own last commit).
func (e *etcdBackend) markerUnchanged() clientv3.Cmp {
	if e.cache.base == "" {
		return clientv3.Compare(clientv3.CreateRevision(e.prefix+"marker"), "=", 0)
	}
	return clientv3.Compare(clientv3.Value(e.prefix+"marker"), "=", e.cache.base)
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
	// etcdBatchCalls is how many write transactions one batch runs at
	// most, so a batch of a rush ends well within a request's timeout.
	etcdBatchCalls = 256
	// etcdTxnSpare is what a commit adds to its writes (the marker, the
	// count of the lock's waiters) and a margin: the transactions of a
	// batch carry at most MaxTxnOps less this (etcd allows 128 operations
	// per transaction by default); more go in the next one, under the same
	// lock.
	etcdTxnSpare = 28
	// etcdTxnBytes is about how many bytes of writes one etcd transaction
	// carries at most, well below etcd's request limit (1.5 MiB by default).
	etcdTxnBytes = 1 << 20
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
	if e.batch == nil || len(e.batch.calls) >= etcdBatchCalls { // full: the next one waits behind it
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
	// The batch stays open while the previous one commits: what arrives
	// meanwhile goes with it, so a busy writer makes bigger batches, not
	// a queue of small ones.
	e.writers.Lock()
	defer e.writers.Unlock()
	e.batchMu.Lock()
	if e.batch == b {
		e.batch = nil
	}
	e.batchMu.Unlock()
	ctx, cancel := e.ctx()
	defer cancel()
	fail := func(err error) {
		for _, c := range b.calls {
			c.done <- err
		}
	}
	lock, err := e.prepare(ctx)
	if err != nil {
		fail(err)
		return
	}
	waiting, known, failed := false, false, false
	defer func() {
		ctx, cancel := e.ctx() // the batch may have taken a while
		defer cancel()
		e.keepOrRelease(ctx, waiting, known, failed)
	}()
	for i := 0; i < len(b.calls); {
		tx := &etcdTx{e: e, cache: e.cache, lock: lock, writable: true, puts: map[string][]byte{}, seqs: map[string]uint64{}}
		var ok []etcdCall
		for ; i < len(b.calls) && (len(ok) == 0 || len(tx.puts)+len(tx.seqs) < e.txnOps && tx.size < etcdTxnBytes); i++ {
			saved := tx.save()
			err := b.calls[i].fn(tx)
			if err == nil {
				err = tx.err
			}
			if err == nil && len(ok) > 0 && (len(tx.puts)+len(tx.seqs) > e.txnOps || tx.size > etcdTxnBytes) {
				tx.restore(saved) // too much to go with the others: first in the next transaction
				break
			}
			if err != nil {
				tx.restore(saved)
				b.calls[i].done <- err
				continue
			}
			tx.undo, tx.seqUndo = nil, nil // kept: no more notes needed
			ok = append(ok, b.calls[i])
		}
		marker := e.nextMarker()
		if len(tx.puts)+len(tx.seqs)+len(tx.dropped) > 0 {
			tx.puts[e.prefix+"marker"] = []byte(marker)
		}
		commitCtx, cancel := e.ctx()
		w, k, err := tx.commit(commitCtx)
		cancel()
		waiting, known, failed = waiting || w, known || k, failed || err != nil
		e.noteCommit(tx, marker, err)
		for _, c := range ok {
			c.done <- err
		}
	}
}

// prepare takes the writers' lock and checks the cache for a batch; e.writers
// is held. Nothing is written yet, so a member that goes away meanwhile (a
// rolling restart) costs a short wait and another try, not an error.
func (e *etcdBackend) prepare(ctx context.Context) (*concurrency.Mutex, error) {
	for try := 0; ; try++ {
		lock, err := e.hold(ctx)
		if err == nil {
			err = e.validateCache(ctx)
		}
		if err == nil || try == commitRetries || ctx.Err() != nil || !errors.Is(err, ErrUnavailable) {
			return lock, err
		}
		time.Sleep(commitRetryWait << try)
	}
}

// The writers' lock is kept between batches while this instance is busy:
// taking it costs two Raft writes and giving it back one more, three times
// what a batch's commit costs. It is given back when another instance
// waits for it (each commit counts the lock's keys in its transaction),
// after etcdHoldIdle without a batch, and when a commit fails.

// etcdHoldIdle is how long the lock is kept without a batch.
const etcdHoldIdle = 50 * time.Millisecond

// lockWaiters counts the keys of the writers' lock: one is the holder's,
// any more wait for it.
func (e *etcdBackend) lockWaiters() clientv3.Op {
	return clientv3.OpGet(e.prefix+"lock/", clientv3.WithPrefix(), clientv3.WithCountOnly())
}

// hold takes the writers' lock, or keeps it if this instance still holds
// it from its last batch; e.writers is held.
func (e *etcdBackend) hold(ctx context.Context) (*concurrency.Mutex, error) {
	_, lock, err := e.current()
	if err != nil {
		return nil, err
	}
	if e.held == lock {
		return lock, nil // ours since the last batch
	}
	e.release() // a lock of a session that ended
	if err := lock.Lock(ctx); err != nil {
		return nil, etcdUnavailable("lock", err)
	}
	e.held = lock
	return lock, nil
}

// keepOrRelease keeps the lock after a batch, unless another instance
// waits for it or a commit failed; e.writers is held.
func (e *etcdBackend) keepOrRelease(ctx context.Context, waiting, known, failed bool) {
	e.lastBatch = time.Now()
	if !known && !failed {
		res, err := e.cli.Get(ctx, e.prefix+"lock/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		waiting = err != nil || res.Count > 1
	}
	if waiting || failed {
		e.release()
		return
	}
	if e.idle == nil {
		e.idle = time.AfterFunc(etcdHoldIdle, e.releaseIfIdle)
	} else {
		e.idle.Reset(etcdHoldIdle)
	}
}

// releaseIfIdle gives the lock back when no batch ran for etcdHoldIdle.
func (e *etcdBackend) releaseIfIdle() {
	e.writers.Lock()
	defer e.writers.Unlock()
	if time.Since(e.lastBatch) >= etcdHoldIdle {
		e.release()
	}
}

// release gives the writers' lock back, if held; e.writers is held.
func (e *etcdBackend) release() {
	if e.held == nil {
		return
	}
	ctx, cancel := e.ctx()
	defer cancel()
	e.held.Unlock(ctx) // failing, the lease ends it
	e.held = nil
}

// txState is where a transaction stood before a batch's function ran, to
// take the function's writes back (with the undo notes the writes made).
type txState struct {
	dropped int
	size    int
}

// save starts noting what the next function overwrites.
func (t *etcdTx) save() txState {
	t.undo, t.seqUndo = map[string]was[[]byte]{}, map[string]was[uint64]{}
	return txState{dropped: len(t.dropped), size: t.size}
}

// restore takes back the writes since save.
func (t *etcdTx) restore(s txState) {
	takeBack(t.undo, t.puts)
	takeBack(t.seqUndo, t.seqs)
	t.dropped, t.size, t.err = t.dropped[:s.dropped], s.size, nil
	t.undo, t.seqUndo = nil, nil
}

// noteCommit brings the cache up to what tx committed; a failed commit
// (its outcome unknown) empties it.
func (e *etcdBackend) noteCommit(tx *etcdTx, marker string, err error) {
	c := e.cache
	switch {
	case len(tx.dropped) > 0:
		e.forgetBuckets(tx.dropped)
		c.reset()
		c.marker = ""
		if err == nil {
			c.base = marker
		}
		return
	case err != nil, len(c.values) > readCacheMax:
		c.reset()
		c.marker = ""
		return
	case len(tx.puts) == 0:
		return // nothing written: the marker stays
	}
	for k, v := range tx.puts {
		c.values[k] = cached{value: v, present: v != nil}
		e.noteSorted(c, k, v != nil)
	}
	c.marker, c.base = marker, marker
}
