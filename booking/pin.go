package booking

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math"
	"math/big"
	"runtime"

	"golang.org/x/crypto/argon2"
)

// PINHash is a PIN stored as an argon2id hash with its salt and parameters.
// The PIN itself is never stored.
type PINHash struct {
	Salt   []byte `json:"salt"`
	Hash   []byte `json:"hash"`
	Time   uint32 `json:"t"`
	MemKiB uint32 `json:"m"`
}

// pinHasher hashes and checks PINs. argon2id makes an offline search of the
// million possible PINs in a stolen file slow; a semaphore bounds how many
// hashes (each needing MemKiB of memory) run at once.
type pinHasher struct {
	time, memKiB uint32
	slots        chan struct{}
}

func newPINHasher() *pinHasher {
	return &pinHasher{time: 1, memKiB: 4 * 1024, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
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
	if err := h.acquire(ctx); err != nil {
		return PINHash{}, err
	}
	defer func() { <-h.slots }()
	return PINHash{Salt: salt, Time: h.time, MemKiB: h.memKiB,
		Hash: argon2.IDKey([]byte(pin), salt, h.time, h.memKiB, 1, 32)}, nil
}

// check reports whether pin matches the stored hash, in constant time.
func (h *pinHasher) check(ctx context.Context, stored PINHash, pin string) (bool, error) {
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
