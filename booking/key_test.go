package booking

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"buergerbuero/internal/fakeclock"

	"buergerbuero/storage"
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

// Rotating the service key: what the new key makes differs (signing keys
// change, so what was signed before is refused), while the PINs of
// bookings made under the old key and what it sealed still work, until
// the old key is dropped.
func TestRotateKeyKeepsPINsAndSealedRecords(t *testing.T) {
	dir := t.TempDir()
	keyPath, path := filepath.Join(dir, "buergerbuero.key"), filepath.Join(dir, "bb.db")
	cfg := mustConfig(t, testOffice)
	open := func() *Store {
		t.Helper()
		keys, err := LoadKeys(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, cfg, Options{Clock: fakeclock.New(monday), PINKey: keys[0], RetiredKeys: keys[1:]})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	b, pin := book(t, s, "ausweis", at(2026, 11, 24, 8, 0), "tg:1")
	sealed, err := s.Seal([]byte("Ihr Termin ist gebucht"))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := s.Secret(ctx, "webchat")
	s.Close()

	if err := RotateKey(keyPath, 3); err != nil {
		t.Fatal(err)
	}
	if keys, _ := LoadKeys(keyPath); len(keys) != 2 {
		t.Fatalf("%d keys after a rotation, want 2", len(keys))
	}
	s = open()
	if _, err := s.Lookup(ctx, b.Number, pin); err != nil {
		t.Errorf("the PIN made under the old key: %v", err)
	}
	if plain, err := s.Unseal(sealed); err != nil || string(plain) != "Ihr Termin ist gebucht" {
		t.Errorf("sealed under the old key: %q, %v", plain, err)
	}
	if after, _ := s.Secret(ctx, "webchat"); bytes.Equal(before, after) {
		t.Error("the signing key did not change with the service key")
	}
	s.Close()

	// Rotated until the old key is dropped: its PINs stop working (staff
	// and the chat that booked still act).
	for range 2 {
		if err := RotateKey(keyPath, 2); err != nil {
			t.Fatal(err)
		}
	}
	s = open()
	defer s.Close()
	if _, err := s.Lookup(ctx, b.Number, pin); !errors.Is(err, ErrWrongPIN) {
		t.Errorf("a PIN of a dropped key: %v, want ErrWrongPIN", err)
	}
}

// The data file alone (a backup) derives none of the signing keys: a
// store opened on it without the key file derives others, no derived key
// is in the file, and the keys older versions stored in it are gone.
func TestTheDataFileHoldsNoSigningKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bb.db")
	cfg := mustConfig(t, testOffice)
	key, err := LoadKey(filepath.Join(dir, "buergerbuero.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, cfg, Options{Clock: fakeclock.New(monday)})
	if err != nil {
		t.Fatal(err)
	}
	err = s.write(func(tx storage.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte("secret/webchat"), bytes.Repeat([]byte{9}, 32))
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	real, err := Open(path, cfg, Options{Clock: fakeclock.New(monday), PINKey: key})
	if err != nil {
		t.Fatal(err)
	}
	var mine [][]byte
	for _, name := range []string{"webchat", "email_thread", "mattermost_buttons"} {
		k, _ := real.Secret(ctx, name)
		mine = append(mine, k)
	}
	err = real.read(func(tx storage.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte("secret/webchat")); v != nil {
			return errors.New("a stored signing key is still in the file")
		}
		return nil
	})
	real.Close()
	if err != nil {
		t.Fatal(err)
	}
	thief, err := Open(path, cfg, Options{Clock: fakeclock.New(monday)})
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Close()
	raw, _ := os.ReadFile(path)
	for i, name := range []string{"webchat", "email_thread", "mattermost_buttons"} {
		stolen, _ := thief.Secret(ctx, name)
		if bytes.Equal(mine[i], stolen) || bytes.Contains(raw, mine[i]) || bytes.Contains(raw, key) {
			t.Errorf("%s: the data file alone gives the signing key", name)
		}
	}
}
