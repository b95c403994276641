package booking

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// Sealing: what the store keeps that must not be read from the data file
// alone (a confirmation with its PIN waiting in the outbox) is encrypted
// with AES-256-GCM under a key derived from the service key, which lives
// outside the data file (LoadKey). Without a service key the store seals
// under a key made at open and lost at exit: what is sealed then cannot be
// read after a restart (Unseal returns ErrUnreadable).

// sealLabel separates the sealing key from the PIN key made of the same
// service key.
const sealLabel = "buergerbuero seal v1"

// newSealers makes the sealer of the newest key and the openers of every
// key, newest first.
func newSealers(serviceKey []byte, retired [][]byte) (cipher.AEAD, []cipher.AEAD, error) {
	sealer, err := newSealer(serviceKey)
	if err != nil {
		return nil, nil, err
	}
	openers := []cipher.AEAD{sealer}
	for _, k := range retired {
		o, err := newSealer(k)
		if err != nil {
			return nil, nil, err
		}
		openers = append(openers, o)
	}
	return sealer, openers, nil
}

func newSealer(serviceKey []byte) (cipher.AEAD, error) {
	key := make([]byte, 32)
	if serviceKey == nil {
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	} else {
		mac := hmac.New(sha256.New, serviceKey)
		mac.Write([]byte(sealLabel))
		key = mac.Sum(nil)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plain for storing; only this service's key opens it.
func (s *Store) Seal(plain []byte) ([]byte, error) {
	nonce := make([]byte, s.sealer.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return s.sealer.Seal(nonce, nonce, plain, nil), nil
}

// Unseal opens what Seal made, under the newest key or a retired one;
// ErrUnreadable when it was sealed under another key or changed.
func (s *Store) Unseal(sealed []byte) ([]byte, error) {
	n := s.sealer.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("unseal %d bytes: %w", len(sealed), ErrUnreadable)
	}
	for _, o := range s.openers {
		if plain, err := o.Open(nil, sealed[:n], sealed[n:], nil); err == nil {
			return plain, nil
		}
	}
	return nil, fmt.Errorf("unseal: %w", ErrUnreadable)
}
