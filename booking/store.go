package booking

import (
	"bytes"
	"context"
	"crypto/cipher"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// Clock tells the time. Tests inject a fake one.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options tune Open.
type Options struct {
	// Clock defaults to the system clock.
	Clock Clock
	// LockTimeout is how long Open waits for the file lock held by another
	// process before it fails; default 1s.
	LockTimeout time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Alert, if set, is told when PINs are guessed at a rate staff should
	// know of (after the change is stored).
	Alert func(context.Context, Alert)
	// PINKey is the service key: it keys the PIN hashes (HMAC-SHA-256)
	// and seals the outbox (Seal); keep it outside the data file (LoadKey).
	// Without it PINs are hashed with argon2id, slowly, and what is sealed
	// cannot be read after a restart.
	PINKey []byte
	// RetiredKeys are the service's older keys (LoadKeys, after RotateKey):
	// they still check the PINs of bookings made under them and open what
	// they sealed; nothing new is made with them.
	RetiredKeys [][]byte
}

// Store is an office's bookings, kept in a Backend (a bbolt file by
// default). It is safe for concurrent use.
type Store struct {
	backend storage.Backend
	cfg     *office.Config
	clock   Clock
	log     *slog.Logger
	hasher  *pinHasher
	// decoy is checked against when there is no PIN to check, so that an
	// unknown number costs the same time as a wrong PIN.
	decoy   PINHash
	onAlert func(context.Context, Alert)
	sealer  cipher.AEAD   // see Seal
	openers []cipher.AEAD // the sealer and those of the retired keys, for Unseal
	secrets []byte        // the root of Secret: the service key, or random without one
	// cohortsTold are the cohorts staff were told of (alertCohortFull).
	cohortsTold sync.Map
}

// Buckets of the store.
var (
	bucketBookings = []byte("bookings")  // id (8 bytes) -> Booking JSON
	bucketByDay    = []byte("by_day")    // "2026-11-25/T-042" -> dayEntry
	bucketByNumber = []byte("by_number") // "T-042/2026-11-25" -> id
	bucketByPerson = []byte("by_person") // person key + 0 + id -> nil
	bucketSeq      = []byte("sequences") // "2026-11-25/W" -> last walk-in number
	bucketEvents   = []byte("events")    // seq (8 bytes) -> Event JSON
	bucketMeta     = []byte("meta")      // "schema" -> version
	allBuckets     = [][]byte{bucketBookings, bucketByDay, bucketByNumber, bucketByPerson, bucketSeq, bucketEvents, bucketMeta, bucketGuessers, bucketHolds}
	schemaVersion  = []byte("1")
)

// Open opens (or creates) the store in the bbolt file at path for the
// office cfg.
func Open(path string, cfg *office.Config, opts Options) (*Store, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	backend, err := storage.OpenFile(path, opts.LockTimeout)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s, err := New(backend, cfg, opts)
	if err != nil {
		backend.Close()
		return nil, err
	}
	return s, nil
}

// New makes a store on backend for the office cfg, creating its buckets.
// Close closes the backend.
func New(backend storage.Backend, cfg *office.Config, opts Options) (*Store, error) {
	if cfg == nil {
		return nil, errors.New("open store: no config")
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	err := backend.Update(func(tx storage.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get([]byte("schema")); {
		case v == nil:
			if err := meta.Put([]byte("schema"), schemaVersion); err != nil {
				return err
			}
		case !bytes.Equal(v, schemaVersion):
			return fmt.Errorf("the data file is of format %s, written by a newer version of buergerbuero; this version reads format %s: "+
				"run the newer version again, or restore the backup made before the upgrade: %w", v, schemaVersion, ErrNewerFormat)
		}
		return migrateLegacy(tx, opts.Clock.Now())
	})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := reindexPeople(backend); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{backend: backend, cfg: cfg, clock: opts.Clock, log: opts.Logger, hasher: newPINHasher(opts.PINKey, opts.RetiredKeys), onAlert: opts.Alert}
	if s.decoy, err = s.hasher.hash(context.Background(), "decoy"); err != nil {
		return nil, err
	}
	if s.sealer, s.openers, err = newSealers(opts.PINKey, opts.RetiredKeys); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.secrets = opts.PINKey; s.secrets == nil {
		if s.secrets, err = newKey(); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	return s, nil
}

// Close closes the backend.
func (s *Store) Close() error { return s.backend.Close() }

// read runs fn in a read transaction.
func (s *Store) read(fn func(storage.Tx) error) error { return s.backend.View(fn) }

// write runs fn in a write transaction, durable when it returns nil.
func (s *Store) write(fn func(storage.Tx) error) error { return s.backend.Update(fn) }

// Config is the office configuration the store runs on.
func (s *Store) Config() *office.Config { return s.cfg }

// Now is the store's clock's time.
func (s *Store) Now() time.Time { return s.clock.Now() }

func u64key(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}

func dayKey(t time.Time) string { return t.Format(time.DateOnly) }

func getBooking(tx storage.Tx, id uint64) (*Booking, error) {
	v := tx.Bucket(bucketBookings).Get(u64key(id))
	if v == nil {
		return nil, fmt.Errorf("booking %d: %w", id, ErrNotFound)
	}
	var b Booking
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, fmt.Errorf("decode booking %d: %w", id, err)
	}
	b.Name = StripInvisible(b.Name) // a name stored before the rule
	return &b, nil
}

func putBooking(tx storage.Tx, b *Booking) error {
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode booking %d: %w", b.ID, err)
	}
	return tx.Bucket(bucketBookings).Put(u64key(b.ID), data)
}

// dayEntry is the value of the by_day index: what availability needs of a
// booking without decoding it.
type dayEntry struct {
	kind     Kind
	id       uint64
	from, to int       // minutes after midnight
	counters uint64    // counters that can serve it
	release  time.Time // zero: holds its time; else holds it only until then
	staff    bool      // booked by staff for a caller, not in the online share
}

func (e dayEntry) encode() []byte {
	v := make([]byte, 29)
	switch {
	case e.kind == KindWalkIn:
		v[0] = 'W'
	case e.staff:
		v[0] = 'S'
	default:
		v[0] = 'A'
	}
	binary.BigEndian.PutUint64(v[1:], e.id)
	binary.BigEndian.PutUint16(v[9:], uint16(e.from))
	binary.BigEndian.PutUint16(v[11:], uint16(e.to))
	binary.BigEndian.PutUint64(v[13:], e.counters)
	if !e.release.IsZero() {
		binary.BigEndian.PutUint64(v[21:], uint64(e.release.Unix()))
	}
	return v
}

func decodeDayEntry(v []byte) (dayEntry, error) {
	if len(v) != 29 {
		return dayEntry{}, fmt.Errorf("day index entry of %d bytes", len(v))
	}
	e := dayEntry{kind: KindAppointment, id: binary.BigEndian.Uint64(v[1:]),
		from: int(binary.BigEndian.Uint16(v[9:])), to: int(binary.BigEndian.Uint16(v[11:])),
		counters: binary.BigEndian.Uint64(v[13:])}
	switch v[0] {
	case 'W':
		e.kind = KindWalkIn
	case 'S':
		e.staff = true
	}
	if r := binary.BigEndian.Uint64(v[21:]); r != 0 {
		e.release = time.Unix(int64(r), 0)
	}
	return e, nil
}

// index writes b's entries in the day, number and person indexes.
func (s *Store) index(tx storage.Tx, b *Booking, release time.Time) error {
	day := s.cfg.Day(b.Start)
	from := minuteOfDay(b.Start.In(s.cfg.Location()))
	e := dayEntry{kind: b.Kind, id: b.ID, from: from, to: from + b.Minutes,
		counters: s.cfg.ServingMask(b.Concerns), release: release, staff: b.ByStaff}
	if err := tx.Bucket(bucketByDay).Put([]byte(dayKey(day)+"/"+b.Number), e.encode()); err != nil {
		return err
	}
	if err := tx.Bucket(bucketByNumber).Put([]byte(b.Number+"/"+dayKey(day)), u64key(b.ID)); err != nil {
		return err
	}
	if b.PersonKey != "" {
		if err := tx.Bucket(bucketByPerson).Put(personIndexKey(b.PersonKey, b.ID), nil); err != nil {
			return err
		}
	}
	if b.Source != "" {
		return tx.Bucket(bucketByPerson).Put(personIndexKey(sourceIndexPrefix+b.Source, b.ID), nil)
	}
	return nil
}

// sourceIndexPrefix marks a source's entries in the person index (no person
// key starts with it).
const sourceIndexPrefix = "\x00src:"

// unindexDay removes b's day and number entries (before it moves).
func (s *Store) unindexDay(tx storage.Tx, b *Booking) error {
	day := dayKey(s.cfg.Day(b.Start))
	if err := tx.Bucket(bucketByDay).Delete([]byte(day + "/" + b.Number)); err != nil {
		return err
	}
	return tx.Bucket(bucketByNumber).Delete([]byte(b.Number + "/" + day))
}

func personIndexKey(person string, id uint64) []byte {
	return append(append([]byte(person), 0), u64key(id)...)
}

func minuteOfDay(t time.Time) int { return t.Hour()*60 + t.Minute() }

// Ping reports whether the store answers (a read transaction).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read(func(storage.Tx) error { return nil }); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
