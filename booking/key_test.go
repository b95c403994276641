package booking

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"buergerbuero/internal/fakeclock"
)

// With the service's key, a PIN is stored as an HMAC under a key that is
// not in the file: a stolen file gives no PIN away (no offline search),
// and a store with another key cannot check it. PINs hashed before the key
// (argon2id) still verify.
func TestKeyedPINs(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "buergerbuero.key")
	key, err := LoadKey(keyPath)
	if err != nil || len(key) != 32 {
		t.Fatalf("key %d bytes: %v", len(key), err)
	}
	if info, _ := os.Stat(keyPath); info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	if again, _ := LoadKey(keyPath); !bytes.Equal(again, key) {
		t.Fatal("a second start made another key")
	}
	path := filepath.Join(dir, "bb.db")
	cfg := mustConfig(t, testOffice)
	// A booking from before the key: argon2id.
	s, err := Open(path, cfg, Options{Clock: fakeclock.New(monday)})
	if err != nil {
		t.Fatal(err)
	}
	old, oldPIN := book(t, s, "ausweis", at(2026, 11, 24, 8, 0), "old")
	s.Close()
	s, err = Open(path, cfg, Options{Clock: fakeclock.New(monday), PINKey: key})
	if err != nil {
		t.Fatal(err)
	}
	b, pin := book(t, s, "ausweis", at(2026, 11, 24, 8, 30), "new")
	if got, _ := s.Get(ctx, b.ID); got.PIN.MAC == nil || got.PIN.Hash != nil {
		t.Fatalf("new PIN stored as %+v, want a keyed MAC", got.PIN)
	}
	for num, p := range map[string]string{b.Number: pin, old.Number: oldPIN} {
		if _, err := s.Lookup(ctx, num, p); err != nil {
			t.Errorf("%s with its PIN: %v", num, err)
		}
	}
	if _, err := s.Lookup(ctx, b.Number, "000000"); !errors.Is(err, ErrWrongPIN) {
		t.Errorf("a wrong PIN: %v", err)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, key) {
		t.Fatal("the key is in the data file")
	}
	other := bytes.Repeat([]byte{7}, 32)
	s, err = Open(path, cfg, Options{Clock: fakeclock.New(monday), PINKey: other})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Lookup(ctx, b.Number, pin); err == nil {
		t.Fatal("another key checked the PIN: the file alone would give it away")
	}
}
