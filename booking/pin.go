package booking

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// PINHash is a PIN as stored: never the PIN itself. With the service's key
// (Options.PINKey) it is an HMAC-SHA-256 of a random salt and the PIN under
// that key (MAC); without one, and for PINs stored before the key, an
// argon2id hash with its salt and parameters (Hash, Time, MemKiB).
type PINHash struct {
	Salt   []byte `json:"salt"`
	Hash   []byte `json:"hash,omitempty"`
	Time   uint32 `json:"t,omitempty"`
	MemKiB uint32 `json:"m,omitempty"`
	MAC    []byte `json:"mac,omitempty"`
}

// pinHasher makes and checks PIN hashes. The keyed MAC is why a stolen data
// file or backup gives no PIN away: without the key, kept outside the file,
// none of the million PINs can be tried offline — which a slow hash of six
// digits cannot promise — and it costs microseconds, not milliseconds, per
// booking. argon2id stays for stores without a key and to check old PINs; a
// semaphore bounds how many of those hashes (each MemKiB of memory) run at
// once.
type pinHasher struct {
	key          []byte
	retired      [][]byte // older service keys: they check, never make
	time, memKiB uint32
	slots        chan struct{}
	checks       atomic.Uint64 // how many PINs were checked, for tests of equal work
}

func newPINHasher(key []byte, retired [][]byte) *pinHasher {
	return &pinHasher{key: key, retired: retired, time: 1, memKiB: 4 * 1024, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// mac is the hash of salt and pin under key.
func mac(key, salt []byte, pin string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(salt)
	m.Write([]byte(normalizePIN(pin)))
	return m.Sum(nil)
}

// PINDigits is how many digits a PIN has. The guessing limits are set
// against it (BookingRules.PINGuessesTotal).
const PINDigits = 6

// newPIN returns PINDigits random digits from crypto/rand.
func newPIN() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(math.Pow10(PINDigits))))
	if err != nil {
		return "", fmt.Errorf("generate PIN: %w", err)
	}
	return fmt.Sprintf("%0*d", PINDigits, n.Int64()), nil
}

func (h *pinHasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *pinHasher) hash(ctx context.Context, pin string) (PINHash, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return PINHash{}, fmt.Errorf("PIN salt: %w", err)
	}
	if h.key != nil {
		return PINHash{Salt: salt, MAC: mac(h.key, salt, pin)}, nil
	}
	if err := h.acquire(ctx); err != nil {
		return PINHash{}, err
	}
	defer func() { <-h.slots }()
	return PINHash{Salt: salt, Time: h.time, MemKiB: h.memKiB,
		Hash: argon2.IDKey([]byte(pin), salt, h.time, h.memKiB, 1, 32)}, nil
}

// check reports whether pin matches the stored hash, in constant time.
func (h *pinHasher) check(ctx context.Context, stored PINHash, pin string) (bool, error) {
	h.checks.Add(1)
	if stored.MAC != nil {
		if h.key == nil {
			return false, fmt.Errorf("a PIN stored with the key, checked without it: %w", ErrInvalidInput)
		}
		match := false
		for _, key := range append([][]byte{h.key}, h.retired...) { // every key, so the time says nothing of which
			match = hmac.Equal(mac(key, stored.Salt, pin), stored.MAC) || match
		}
		return match, nil
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-h.slots }()
	got := argon2.IDKey([]byte(normalizePIN(pin)), stored.Salt, stored.Time, stored.MemKiB, 1, uint32(len(stored.Hash)))
	return subtle.ConstantTimeCompare(got, stored.Hash) == 1, nil
}

// normalizePIN drops the spaces and dashes people type inside a PIN.
func normalizePIN(pin string) string {
	out := make([]byte, 0, 6)
	for i := 0; i < len(pin); i++ {
		if c := pin[i]; c != ' ' && c != '-' && c != '\t' {
			out = append(out, c)
		}
	}
	return string(out)
}
