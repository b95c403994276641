package booking

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
)

// secretLabel separates the keys Secret derives from the PIN and sealing
// keys made of the same service key.
const secretLabel = "buergerbuero secret v1\x00"

// Secret returns the 32-byte key named name, derived from the service key
// (HMAC-SHA-256 of the name under it). Channels sign what they hand out
// with it (web chat sessions and proofs of work, mail thread ids,
// Mattermost buttons), so the signatures outlive a restart, are the same
// on every instance, and cannot be made from the data file or a backup:
// nothing of them is stored. After RotateKey they change, and what was
// signed before is refused. Without a service key they are random for the
// life of the store.
func (s *Store) Secret(_ context.Context, name string) ([]byte, error) {
	m := hmac.New(sha256.New, s.secrets)
	m.Write([]byte(secretLabel + name))
	return m.Sum(nil), nil
}
