package booking

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// LoadKey reads the service's secret key from path, making it (32 random
// bytes, mode 0600) on first start. It keys the PIN hashes, so it must be
// kept apart from the data file and its backups: a backup alone then gives
// no PIN away. Losing it makes the PINs of existing bookings unusable (the
// chat that booked and staff can still act).
func LoadKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	switch {
	case err == nil && len(key) == 32:
		return key, nil
	case err == nil:
		return nil, fmt.Errorf("key file %s: %d bytes, want 32", path, len(key))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("key file: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("key file: %w", err)
	}
	return key, f.Close()
}
