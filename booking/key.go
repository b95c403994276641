package booking

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// KeySize is the length of one service key.
const KeySize = 32

// The service key file holds one or more 32-byte keys, newest first. The
// newest keys the PIN hashes of new bookings, seals the outbox and is the
// root of every signing key the channels use (Store.Secret); the older
// ones, left by RotateKey, only check the PINs of bookings made under them
// and open what they sealed. Nothing of it is in the data file, so a data
// file or a backup alone can neither check a PIN nor forge a session, a
// proof of work, a mail thread or a button.

// LoadKey reads the service's newest key from path, making the file (32
// random bytes, mode 0600) on first start. See LoadKeys.
func LoadKey(path string) ([]byte, error) {
	keys, err := LoadKeys(path)
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

// LoadKeys reads the service's keys from path, newest first, making the
// file with one key on first start. The file must be kept apart from the
// data file and its backups. Losing it makes the PINs of existing bookings
// unusable (the chat that booked and staff can still act) and ends every
// web chat session.
func LoadKeys(path string) ([][]byte, error) {
	raw, err := os.ReadFile(path)
	switch {
	case err == nil && len(raw) > 0 && len(raw)%KeySize == 0:
		var keys [][]byte
		for k := range slices.Chunk(raw, KeySize) {
			keys = append(keys, k)
		}
		return keys, nil
	case err == nil:
		return nil, fmt.Errorf("key file %s: %d bytes, want a multiple of %d", path, len(raw), KeySize)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("key file: %w", err)
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	if err := writeKeyFile(path, key, os.O_EXCL); err != nil {
		return nil, err
	}
	return [][]byte{key}, nil
}

// RotateKey puts a new key in front of the key file at path and keeps the
// older ones behind it, at most keep in all (the newest included; at least
// 2). From the next start the new key signs and seals: web chat sessions
// and proofs of work under the old key end (the page starts a new one), a
// reply to a mail sent before proves no mailbox (it needs number and PIN),
// buttons of older Mattermost posts are refused; PINs and sealed outbox
// messages made before still work while their key is kept.
func RotateKey(path string, keep int) error {
	keys, err := LoadKeys(path)
	if err != nil {
		return err
	}
	key, err := newKey()
	if err != nil {
		return err
	}
	keys = append([][]byte{key}, keys...)
	if len(keys) > max(keep, 2) {
		keys = keys[:max(keep, 2)]
	}
	tmp := path + ".new"
	if err := writeKeyFile(tmp, bytes.Join(keys, nil), os.O_TRUNC); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	return nil
}

func newKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return key, nil
}

// writeKeyFile writes data to path with mode 0600 and syncs it; flag adds
// O_EXCL (never overwrite) or O_TRUNC.
func writeKeyFile(path string, data []byte, flag int) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|flag, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	return nil
}
