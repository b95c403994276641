package storage

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"
)

// The etcd backend: the store's buckets as keys in an etcd cluster, for a
// town that runs several service instances on a replicated store. etcd's
// storage engine is bbolt, with Raft consensus over three or five members.
//
// Keys, under the configured prefix:
//
//	<prefix>b/<bucket>\x00<key>  a value
//	<prefix>m/<bucket>          the bucket exists; its value is its sequence
//	<prefix>lock                the writers' lock
//
// Write transactions are serialised across every instance by an etcd
// lock (concurrency.Mutex on a lease), which a busy instance keeps between
// its batches until another one waits for it (etcdbatch.go); each buffers
// its writes and commits them in one etcd transaction that succeeds only
// while it still holds the lock, so a writer whose lease ran out (a paused or partitioned
// instance) commits nothing. Read transactions read one revision: a
// consistent snapshot. A commit is durable when etcd answers: a majority
// of members has it on disk.

// EtcdConfig says how to reach the cluster.
type EtcdConfig struct {
	Endpoints []string
	// Prefix keeps this service's keys apart from others in the cluster
	// ("/buergerbuero/").
	Prefix string
	// TLS, if set, secures the connection (client certificates included).
	TLS *tls.Config
	// Username and Password, if set, log in with etcd's authentication.
	Username, Password string
	// DialTimeout defaults to 5s; RequestTimeout, per request, to 10s.
	DialTimeout, RequestTimeout time.Duration
	// LockTTL is how long the writers' lock outlives an instance that
	// died holding it; default 10s.
	LockTTL time.Duration
	// MaxTxnOps is the members' --max-txn-ops: how many writes one etcd
	// transaction may carry; default 128, etcd's own default. A rush
	// commits in fewer Raft rounds with more (1024 is a good value).
	MaxTxnOps int
}

type etcdBackend struct {
	cli     *clientv3.Client
	prefix  string
	timeout time.Duration
	ttl     int // seconds a lease outlives an instance
	txnOps  int // writes one etcd transaction carries at most (etcdbatch.go)

	mu      sync.Mutex          // guards session, lock and buckets
	buckets map[string]struct{} // buckets seen to exist, for views
	session *concurrency.Session
	lock    *concurrency.Mutex

	batchMu sync.Mutex // guards batch
	batch   *etcdBatch // the write transactions waiting to go together (etcdbatch.go)
	writers sync.Mutex // one batch of this process at a time (the lock is per session)
	cache   *readCache // what write transactions read (etcdbatch.go); guarded by writers
	// held is the writers' lock while this instance keeps it between
	// batches (etcdbatch.go: busy, and nobody else waiting); guarded by
	// writers, as are lastBatch and idle.
	held      *concurrency.Mutex
	lastBatch time.Time
	idle      *time.Timer
}

// current returns the live session and its writers' lock, making new ones
// when the old lease ran out (after a partition or a lost quorum).
func (e *etcdBackend) current() (*concurrency.Session, *concurrency.Mutex, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.session != nil {
		select {
		case <-e.session.Done():
			e.session = nil
		default:
			return e.session, e.lock, nil
		}
	}
	session, err := concurrency.NewSession(e.cli, concurrency.WithTTL(e.ttl))
	if err != nil {
		return nil, nil, etcdUnavailable("session", err)
	}
	e.session, e.lock = session, concurrency.NewMutex(session, e.prefix+"lock")
	return e.session, e.lock, nil
}

// campaign waits to lead the jobs called name; lost closes with the lease.
func (e *etcdBackend) Campaign(ctx context.Context, name, instance string) (<-chan struct{}, error) {
	session, _, err := e.current()
	if err != nil {
		return nil, err
	}
	election := concurrency.NewElection(session, e.prefix+"leader/"+name)
	if err := election.Campaign(ctx, instance); err != nil {
		return nil, err
	}
	go func() { // step down when the jobs stop, so another instance takes over at once
		select {
		case <-ctx.Done():
			resignCtx, cancel := e.ctx()
			defer cancel()
			election.Resign(resignCtx)
		case <-session.Done():
		}
	}()
	return session.Done(), nil
}

// OpenEtcd connects to the etcd cluster of cfg. The store's buckets live
// under cfg.Prefix.
func OpenEtcd(cfg EtcdConfig) (Backend, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("etcd: no endpoints: %w", ErrBadConfig)
	}
	cfg.DialTimeout = cmp.Or(cfg.DialTimeout, 5*time.Second)
	cfg.RequestTimeout = cmp.Or(cfg.RequestTimeout, 10*time.Second)
	cfg.LockTTL = cmp.Or(cfg.LockTTL, 10*time.Second)
	cli, err := clientv3.New(clientv3.Config{Endpoints: cfg.Endpoints, DialTimeout: cfg.DialTimeout, TLS: cfg.TLS, Logger: zap.NewNop(), // errors are returned, and logged by the service
		Username: cfg.Username, Password: cfg.Password})
	if err != nil {
		return nil, etcdUnavailable("connect", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DialTimeout)
	defer cancel()
	if _, err := cli.Get(ctx, cfg.Prefix+"m/", clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil {
		cli.Close()
		return nil, etcdUnavailable(fmt.Sprint(cfg.Endpoints), err)
	}
	e := &etcdBackend{cli: cli, prefix: cfg.Prefix, timeout: cfg.RequestTimeout, ttl: max(1, int(cfg.LockTTL/time.Second)),
		txnOps: max(cmp.Or(cfg.MaxTxnOps, 128)-etcdTxnSpare, 1),
		cache:  &readCache{values: map[string]cached{}, sorted: map[string][]string{}, big: map[string]bool{}}, buckets: map[string]struct{}{}}
	if _, _, err := e.current(); err != nil {
		cli.Close()
		return nil, err
	}
	return e, nil
}

func (e *etcdBackend) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), e.timeout)
}

func (e *etcdBackend) View(fn func(Tx) error) error {
	tx := &etcdTx{e: e, view: true} // its first read fixes the revision the others read at
	if err := fn(tx); err != nil {
		return err
	}
	return tx.err
}

// WriteTo writes a consistent copy as a bbolt file, the format the service
// runs on by default: a backup restores into either store (migrate).
func (e *etcdBackend) WriteTo(w io.Writer) (int64, error) {
	dir, err := os.MkdirTemp("", "buergerbuero-etcd-backup")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	file, err := OpenFile(filepath.Join(dir, "backup.db"), time.Second)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	if err := CopyBackend(file, e); err != nil {
		return 0, err
	}
	return file.WriteTo(w)
}

// Compact drops etcd's history up to now, so deleted values are gone from
// the cluster's disks once etcd defragments.
func (e *etcdBackend) Compact() error {
	ctx, cancel := e.ctx()
	defer cancel()
	res, err := e.cli.Get(ctx, e.prefix+"m/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return etcdUnavailable("read", err)
	}
	if _, err := e.cli.Compact(ctx, res.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		return fmt.Errorf("etcd compact: %w", err)
	}
	for _, ep := range e.cli.Endpoints() {
		if _, err := e.cli.Defragment(ctx, ep); err != nil {
			return fmt.Errorf("etcd defragment %s: %w", ep, err)
		}
	}
	return nil
}

func (e *etcdBackend) Close() error {
	e.writers.Lock()
	if e.idle != nil {
		e.idle.Stop()
	}
	e.release()
	e.writers.Unlock()
	e.mu.Lock()
	session := e.session
	e.mu.Unlock()
	var err error
	if session != nil {
		err = session.Close()
	}
	return errors.Join(err, e.cli.Close())
}

func (e *etcdBackend) dataKey(bucket, key string) string {
	return e.prefix + "b/" + bucket + "\x00" + key
}
func (e *etcdBackend) dataPrefix(bucket string) string { return e.prefix + "b/" + bucket + "\x00" }
func (e *etcdBackend) metaKey(bucket string) string    { return e.prefix + "m/" + bucket }

// etcdTx is one transaction: reads at rev (a view) or at the newest
// revision under the writers' lock (an update), writes buffered.
type etcdTx struct {
	e        *etcdBackend
	cache    *readCache         // an update's reads (etcdbatch.go); nil in a view
	lock     *concurrency.Mutex // an update's hold on the writers' lock
	view     bool               // read-only
	rev      int64              // a view's revision, fixed by its first read; 0 in an update
	writable bool
	puts     map[string][]byte       // data and meta keys -> value; nil value: deleted
	seqs     map[string]uint64       // bucket -> sequence set in this tx
	dropped  []string                // buckets deleted in this tx
	err      error                   // the first read error; the transaction fails with it
	loaded   map[string]*loadedRange // a view's buckets as its cursors read them
	size     int                     // bytes put, about: a commit stays under etcd's request size
	// undo and seqUndo are what a batch's function found before it wrote,
	// to take its writes back if it fails (etcdbatch.go); nil otherwise.
	undo    map[string]was[[]byte]
	seqUndo map[string]was[uint64]
}

// was is what a key held before a batch's function wrote it: its value,
// or nothing.
type was[V any] struct {
	value V
	had   bool
}

// noteWas notes what key held in m, the first time it is written since
// undo was started (nil: no notes taken).
func noteWas[V any](undo map[string]was[V], m map[string]V, key string) {
	if undo == nil {
		return
	}
	if _, noted := undo[key]; !noted {
		v, had := m[key]
		undo[key] = was[V]{v, had}
	}
}

// takeBack puts back into m what undo noted.
func takeBack[V any](undo map[string]was[V], m map[string]V) {
	for k, u := range undo {
		if u.had {
			m[k] = u.value
		} else {
			delete(m, k)
		}
	}
}

// setPut buffers a write of key (nil: a delete), noting what was there.
func (t *etcdTx) setPut(key string, value []byte) {
	noteWas(t.undo, t.puts, key)
	t.puts[key] = value
}

// dropPut forgets a buffered write of key.
func (t *etcdTx) dropPut(key string) {
	noteWas(t.undo, t.puts, key)
	delete(t.puts, key)
}

// setSeq buffers bucket's sequence, noting what was there.
func (t *etcdTx) setSeq(bucket string, n uint64) {
	noteWas(t.seqUndo, t.seqs, bucket)
	t.seqs[bucket] = n
}

func (t *etcdTx) dropSeq(bucket string) {
	noteWas(t.seqUndo, t.seqs, bucket)
	delete(t.seqs, bucket)
}

// loadedRange is a bucket from a key on, read once by a view, a page at
// a time.
type loadedRange struct {
	from  string
	keys  []string // in order
	vals  map[string][]byte
	more  bool // the bucket goes on after keys
	pages int
}

func (t *etcdTx) get(key string) ([]byte, bool) {
	if v, ok := t.puts[key]; ok {
		return v, v != nil
	}
	if t.cache != nil {
		if c, ok := t.cache.values[key]; ok {
			return c.value, c.present
		}
		if bucket, _, ok := t.e.splitDataKey(key); ok {
			ctx, cancel := t.e.ctx()
			defer cancel()
			_, whole, err := t.e.wholeBucket(ctx, t.cache, bucket)
			if err != nil {
				t.fail(err)
				return nil, false
			}
			if whole { // the whole bucket is in memory: not there is not there
				c := t.cache.values[key]
				return c.value, c.present
			}
		}
	}
	v, ok := t.fetch(key)
	if t.cache != nil && t.err == nil {
		t.cache.values[key] = cached{value: v, present: ok}
	}
	return v, ok
}

// fetch reads key from the cluster.
func (t *etcdTx) fetch(key string) ([]byte, bool) {
	ctx, cancel := t.e.ctx()
	defer cancel()
	opts := []clientv3.OpOption{}
	res, err := t.read(ctx, key, opts)
	if err != nil {
		t.fail(err)
		return nil, false
	}
	t.fixRev(res.Header.Revision)
	if len(res.Kvs) == 0 {
		return nil, false
	}
	return res.Kvs[0].Value, true
}

// read gets key with opts: in a view after its first read, at the
// view's revision from the member asked, without asking a quorum (the
// revision is known to be committed); where that member is behind, from
// the quorum.
func (t *etcdTx) read(ctx context.Context, key string, opts []clientv3.OpOption) (*clientv3.GetResponse, error) {
	if t.rev > 0 {
		// A member that is away must not spend the read's whole time: the
		// quorum gets the rest of it.
		local, cancel := context.WithTimeout(ctx, serializableWait)
		res, err := t.e.cli.Get(local, key, append(t.atRev(opts), clientv3.WithSerializable())...)
		cancel()
		if err == nil {
			return res, nil
		}
	}
	return t.e.cli.Get(ctx, key, t.atRev(opts)...)
}

// serializableWait is how long a view's read waits for the member asked
// before asking the quorum.
const serializableWait = time.Second

// atRev reads a view at its revision, once its first read fixed it.
func (t *etcdTx) atRev(opts []clientv3.OpOption) []clientv3.OpOption {
	if t.rev > 0 {
		return append(opts, clientv3.WithRev(t.rev))
	}
	return opts
}

// fixRev makes a view's first read's revision the one it reads at.
func (t *etcdTx) fixRev(rev int64) {
	if t.view && t.rev == 0 {
		t.rev = rev
	}
}

func (t *etcdTx) fail(err error) {
	if t.err == nil {
		t.err = etcdUnavailable("read", err)
	}
}

func (t *etcdTx) exists(bucket string) bool {
	if t.view && t.e.knownBucket(bucket) {
		return true
	}
	_, ok := t.get(t.e.metaKey(bucket))
	if ok {
		t.e.noteBucket(bucket)
	}
	return ok
}

// Views skip the round trip that asks whether a bucket exists once one
// was seen: buckets are made once and deleted only by the migration of
// a store's old layout, before the service runs, whose own commit
// forgets them here. A view of a bucket made after its revision reads it
// empty, as it should.

// knownBucket reports whether bucket was seen to exist.
func (e *etcdBackend) knownBucket(bucket string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.buckets[bucket]
	return ok
}

func (e *etcdBackend) noteBucket(bucket string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.buckets[bucket] = struct{}{}
}

// forgetBuckets forgets the buckets a commit deleted.
func (e *etcdBackend) forgetBuckets(dropped []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range dropped {
		delete(e.buckets, b)
	}
}

func (t *etcdTx) Bucket(name []byte) Bucket {
	if !t.exists(string(name)) {
		return missingBucket(name)
	}
	return &etcdBucket{tx: t, name: string(name)}
}

func (t *etcdTx) CreateBucket(name []byte) (Bucket, error) {
	if !t.writable {
		return nil, errors.New("etcd: create bucket in a read-only transaction")
	}
	if !t.exists(string(name)) {
		t.setPut(t.e.metaKey(string(name)), seqValue(0))
	}
	return &etcdBucket{tx: t, name: string(name)}, t.err
}

func (t *etcdTx) Buckets() ([][]byte, error) {
	ctx, cancel := t.e.ctx()
	defer cancel()
	prefix := t.e.prefix + "m/"
	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend)}
	res, err := t.read(ctx, prefix, opts)
	if err != nil {
		return nil, etcdUnavailable("read", err)
	}
	t.fixRev(res.Header.Revision)
	names := map[string]bool{}
	for _, kv := range res.Kvs {
		names[string(kv.Key[len(prefix):])] = true
	}
	for k, v := range t.puts {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			names[name] = v != nil
		}
	}
	var out [][]byte
	for name, exists := range names {
		if exists {
			out = append(out, []byte(name))
		}
	}
	slices.SortFunc(out, bytes.Compare)
	return out, nil
}

func (t *etcdTx) DeleteBucket(name []byte) error {
	if !t.writable {
		return errors.New("etcd: delete bucket in a read-only transaction")
	}
	bucket := string(name)
	t.dropped = append(t.dropped, bucket)
	for k := range t.puts {
		if len(k) > len(t.e.dataPrefix(bucket)) && k[:len(t.e.dataPrefix(bucket))] == t.e.dataPrefix(bucket) {
			t.dropPut(k)
		}
	}
	t.setPut(t.e.metaKey(bucket), nil)
	t.dropSeq(bucket)
	return t.err
}

// commit writes the buffered changes in one etcd transaction, only while
// this instance still holds the writers' lock; waiting says whether
// another instance waits for the lock (known only when something was
// written).
func (t *etcdTx) commit(ctx context.Context) (waiting, known bool, err error) {
	var ops []clientv3.Op
	for _, bucket := range t.dropped {
		// Key by key: a range delete may not overlap the puts of a bucket
		// made again in the same transaction.
		prefix := t.e.dataPrefix(bucket)
		res, err := t.e.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
		if err != nil {
			return false, false, etcdUnavailable("read", err)
		}
		for _, kv := range res.Kvs {
			if _, put := t.puts[string(kv.Key)]; !put {
				t.puts[string(kv.Key)] = nil
			}
		}
	}
	for bucket, seq := range t.seqs {
		t.puts[t.e.metaKey(bucket)] = seqValue(seq)
	}
	keys := make([]string, 0, len(t.puts))
	for k := range t.puts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := t.puts[k]; v == nil {
			ops = append(ops, clientv3.OpDelete(k))
		} else {
			ops = append(ops, clientv3.OpPut(k, string(v)))
		}
	}
	if len(ops) == 0 {
		return false, false, nil
	}
	n := len(ops)
	ops = append(ops, t.e.lockWaiters())
	res, err := t.e.cli.Txn(ctx).If(t.lock.IsOwner(), t.e.markerUnchanged()).Then(ops...).Commit()
	retried := false
	for try := 0; err != nil && try < commitRetries && ctx.Err() == nil; try++ {
		// A member went away with the request (a rolling restart): whether
		// it was applied is unknown, and the marker tells. Applied: done.
		// Not applied (the marker is still what the batch found): the same
		// transaction again, on another member. Anything else: an error.
		applied, known := t.e.committed(ctx, string(t.puts[t.e.prefix+"marker"]))
		if !known {
			break
		}
		if applied {
			return false, false, nil // the waiters are not known: counted again after the batch
		}
		time.Sleep(commitRetryWait << try)
		retried = true
		res, err = t.e.cli.Txn(ctx).If(t.lock.IsOwner(), t.e.markerUnchanged()).Then(ops...).Commit()
	}
	if err != nil {
		return false, false, etcdUnavailable(fmt.Sprintf("commit of %d writes", n), err)
	}
	if !res.Succeeded && retried {
		if applied, _ := t.e.committed(ctx, string(t.puts[t.e.prefix+"marker"])); applied {
			return false, false, nil // the lost first try was applied after all
		}
	}
	if !res.Succeeded {
		return false, false, fmt.Errorf("etcd commit: the writers' lock was lost (lease expired) or another instance wrote meanwhile; nothing written: %w", ErrUnavailable)
	}
	return res.Responses[len(res.Responses)-1].GetResponseRange().Count > 1, true, nil
}

// A commit whose answer was lost is looked up and, if not applied, sent
// again: at most commitRetries times, waiting commitRetryWait, doubling.
const (
	commitRetries   = 3
	commitRetryWait = 100 * time.Millisecond
)

// committed reads the marker after a commit whose answer was lost:
// applied when it is the commit's own, not applied when it is still what
// the batch found; unknown when it cannot be read or another instance
// wrote.
func (e *etcdBackend) committed(ctx context.Context, marker string) (applied, known bool) {
	res, err := e.cli.Get(ctx, e.prefix+"marker")
	if err != nil {
		return false, false
	}
	now := ""
	if len(res.Kvs) > 0 {
		now = string(res.Kvs[0].Value)
	}
	switch now {
	case marker:
		return true, true
	case e.cache.base:
		return false, true
	}
	return false, false
}

func seqValue(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

type etcdBucket struct {
	tx   *etcdTx
	name string
}

func (b *etcdBucket) Get(key []byte) []byte {
	k := b.tx.e.dataKey(b.name, string(key))
	if _, put := b.tx.puts[k]; !put && slices.Contains(b.tx.dropped, b.name) {
		return nil // dropped in this transaction
	}
	v, ok := b.tx.get(k)
	if !ok {
		return nil
	}
	return read(v)
}

func (b *etcdBucket) Put(key, value []byte) error {
	if !b.tx.writable {
		return errors.New("etcd: put in a read-only transaction")
	}
	if len(key) == 0 {
		return errors.New("etcd: empty key")
	}
	k := b.tx.e.dataKey(b.name, string(key))
	b.tx.size += len(k) + len(value)
	b.tx.setPut(k, stored(value))
	return nil
}

// stored is a value as a transaction keeps it until its commit: a copy,
// never nil (nil marks a delete), so an empty value (an index entry) is a
// key that is there, as in bbolt.
func stored(value []byte) []byte {
	if len(value) == 0 {
		return []byte{}
	}
	return bytes.Clone(value)
}

// read is a value as Get and cursors hand it out: etcd gives an empty
// value as nil, bbolt as an empty slice; a key that is there is never nil.
func read(value []byte) []byte {
	if value == nil {
		return []byte{}
	}
	return value
}

func (b *etcdBucket) Delete(key []byte) error {
	if !b.tx.writable {
		return errors.New("etcd: delete in a read-only transaction")
	}
	b.tx.setPut(b.tx.e.dataKey(b.name, string(key)), nil)
	return nil
}

func (b *etcdBucket) NextSequence() (uint64, error) {
	if !b.tx.writable {
		return 0, errors.New("etcd: sequence in a read-only transaction")
	}
	n := b.Sequence() + 1
	b.tx.setSeq(b.name, n)
	return n, b.tx.err
}

func (b *etcdBucket) Sequence() uint64 {
	if n, ok := b.tx.seqs[b.name]; ok {
		return n
	}
	v, _ := b.tx.get(b.tx.e.metaKey(b.name))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (b *etcdBucket) SetSequence(n uint64) error {
	if !b.tx.writable {
		return errors.New("etcd: sequence in a read-only transaction")
	}
	b.tx.setSeq(b.name, n)
	return nil
}

func (b *etcdBucket) Cursor() Cursor {
	t := b.tx
	if t.cache != nil && !slices.Contains(t.dropped, b.name) {
		ctx, cancel := t.e.ctx()
		defer cancel()
		if t.e.inMemory(ctx, t, b.name) {
			return newMemCursor(b)
		}
	}
	return &etcdCursor{b: b, pos: -1}
}

var errStrayDelete = errors.New("etcd: cursor delete off a key")

// etcdCursor walks a bucket: the keys from where it was placed to the end
// of the bucket, read at once, merged with the transaction's own writes.
type etcdCursor struct {
	b     *etcdBucket
	from  string // the first key loaded ("" = the whole bucket)
	keys  []string
	vals  map[string][]byte
	pos   int
	valid bool // keys hold the bucket from `from` on (as far as lr has read it)
	// lr is the view's range keys come from, read a page at a time; off is
	// where keys start in it.
	lr  *loadedRange
	off int
}

// viewPage is how many keys a view reads at first; each further page of
// the same range is twice as big.
const viewPage = 256

// page reads the next page of r (from its last key on).
func (c *etcdCursor) page(ctx context.Context, r *loadedRange) {
	t := c.b.tx
	prefix := t.e.dataPrefix(c.b.name)
	start := r.from
	if len(r.keys) > 0 {
		start = r.keys[len(r.keys)-1] + "\x00"
	}
	limit := int64(viewPage << min(r.pages, 6))
	opts := []clientv3.OpOption{clientv3.WithRange(clientv3.GetPrefixRangeEnd(prefix)), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend),
		clientv3.WithLimit(limit)}
	res, err := t.read(ctx, prefix+start, opts)
	if err != nil {
		t.fail(err)
		r.more = false
		return
	}
	t.fixRev(res.Header.Revision)
	for _, kv := range res.Kvs {
		k := string(kv.Key[len(prefix):])
		r.keys = append(r.keys, k)
		r.vals[k] = kv.Value
	}
	r.more, r.pages = res.More, r.pages+1
}

// grow reads the next page of the cursor's range, if there is one.
func (c *etcdCursor) grow() bool {
	if c.lr == nil || !c.lr.more {
		return false
	}
	ctx, cancel := c.b.tx.e.ctx()
	defer cancel()
	n := len(c.lr.keys)
	c.page(ctx, c.lr)
	c.keys = c.lr.keys[c.off:len(c.lr.keys):len(c.lr.keys)]
	return len(c.lr.keys) > n
}

// load reads the bucket from key from on.
func (c *etcdCursor) load(from string) {
	if c.valid && c.from <= from {
		return
	}
	t := c.b.tx
	prefix := t.e.dataPrefix(c.b.name)
	ctx, cancel := t.e.ctx()
	defer cancel()
	vals := map[string][]byte{}
	dropped := slices.Contains(t.dropped, c.b.name)
	switch {
	case dropped:
	case t.err != nil:
		return
	default: // a view (or a write transaction's bucket too big to keep): from `from` on, a page at a time, once per transaction
		r := t.loaded[c.b.name]
		if r == nil || r.from > from || (r.more && len(r.keys) > 0 && from > r.keys[len(r.keys)-1]) {
			r = &loadedRange{from: from, vals: map[string][]byte{}, more: true}
			c.page(ctx, r)
			if t.err != nil {
				return
			}
			if t.loaded == nil {
				t.loaded = map[string]*loadedRange{}
			}
			t.loaded[c.b.name] = r
		}
		if len(t.puts) == 0 { // nothing to merge (a view): walk what was read, not a copy
			c.lr, c.off = r, sort.SearchStrings(r.keys, from)
			c.keys, c.vals, c.from, c.valid = r.keys[c.off:len(r.keys):len(r.keys)], r.vals, from, true
			return
		}
		for r.more && t.err == nil { // merged with this transaction's writes: all of it
			c.page(ctx, r)
		}
		for _, k := range r.keys[sort.SearchStrings(r.keys, from):] {
			vals[k] = r.vals[k]
		}
	}
	for k, v := range t.puts {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix && k[len(prefix):] >= from {
			if v == nil {
				delete(vals, k[len(prefix):])
			} else {
				vals[k[len(prefix):]] = v
			}
		}
	}
	c.lr = nil
	c.keys = make([]string, 0, len(vals)) // never the slice of a view's range
	for k := range vals {
		c.keys = append(c.keys, k)
	}
	sort.Strings(c.keys)
	c.vals, c.from, c.valid = vals, from, true
}

func (c *etcdCursor) at(i int) ([]byte, []byte) {
	for i >= len(c.keys) && c.grow() {
	}
	if i < 0 || i >= len(c.keys) {
		c.pos = len(c.keys)
		return nil, nil
	}
	c.pos = i
	k := c.keys[i]
	return []byte(k), read(c.vals[k])
}

func (c *etcdCursor) First() ([]byte, []byte) { c.load(""); return c.at(0) }
func (c *etcdCursor) Last() ([]byte, []byte) {
	c.load("")
	for c.grow() {
	}
	return c.at(len(c.keys) - 1)
}

func (c *etcdCursor) Seek(seek []byte) ([]byte, []byte) {
	c.load(string(seek))
	for (len(c.keys) == 0 || c.keys[len(c.keys)-1] < string(seek)) && c.grow() {
	}
	return c.at(sort.SearchStrings(c.keys, string(seek)))
}

func (c *etcdCursor) Next() ([]byte, []byte) { return c.at(c.pos + 1) }

func (c *etcdCursor) Prev() ([]byte, []byte) {
	if c.pos < 0 || (c.pos == 0 && c.from == "") {
		c.pos = -1
		return nil, nil
	}
	if c.from != "" { // loaded from a seek: the keys before it are needed now
		end := c.pos >= len(c.keys)
		k := ""
		if !end {
			k = c.keys[c.pos]
		}
		c.load("")
		for (end || len(c.keys) == 0 || c.keys[len(c.keys)-1] < k) && c.grow() {
		}
		c.pos = len(c.keys)
		if !end {
			c.pos = sort.SearchStrings(c.keys, k)
		}
	}
	return c.at(c.pos - 1)
}

func (c *etcdCursor) Delete() error {
	if c.pos < 0 || c.pos >= len(c.keys) {
		return errStrayDelete
	}
	return c.b.Delete([]byte(c.keys[c.pos]))
}

// CopyBackend copies every bucket of from, with its sequence, into to: a
// backup of the etcd store as a bbolt file, or a bbolt file moved into
// etcd (buergerbuero migrate). It reads one snapshot of from and writes
// in transactions of at most copyChunk keys (etcd limits a transaction's
// writes), so run it while no service writes to.
func CopyBackend(to, from Backend) error {
	return from.View(func(src Tx) error {
		names, err := src.Buckets()
		if err != nil {
			return err
		}
		for _, name := range names {
			in := src.Bucket(name)
			seq := in.Sequence()
			c := in.Cursor()
			k, v := c.First()
			for first := true; first || k != nil; first = false {
				var keys, vals [][]byte // gathered first: an Update may run its function twice
				for ; k != nil && len(keys) < copyChunk; k, v = c.Next() {
					keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
				}
				err := to.Update(func(dst Tx) error {
					out, err := dst.CreateBucket(name)
					if err != nil {
						return err
					}
					if err := out.SetSequence(seq); err != nil {
						return err
					}
					for i := range keys {
						if err := out.Put(keys[i], vals[i]); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("copy bucket %q: %w", name, err)
				}
			}
		}
		return nil
	})
}

// copyChunk is how many keys CopyBackend writes per transaction: below
// etcd's default limit of 128 operations per transaction.
const copyChunk = 100

// etcdUnavailable wraps an etcd client error: the store cannot be reached
// or cannot decide.
func etcdUnavailable(what string, err error) error {
	return fmt.Errorf("etcd %s: %w: %w", what, ErrUnavailable, err)
}
