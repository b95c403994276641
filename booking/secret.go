package booking

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
)

// Secret returns the store's random 32-byte key named name, making it on
// first use. Channels sign what they hand out with it (web chat sessions,
// mail thread ids), so the signatures outlive a restart. A backup holds the
// keys, like everything else in the file.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	var key []byte
	err := s.write(func(tx Tx) error {
		meta := tx.Bucket(bucketMeta)
		k := []byte("secret/" + name)
		if key = bytes.Clone(meta.Get(k)); key != nil {
			return nil
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		return meta.Put(k, key)
	})
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return key, nil
}
