package booking

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Guessing PINs: each booking locks after a few wrong PINs (PINError), and
// each person (person key) is locked after a few wrong PINs or unknown
// numbers within an hour, whichever bookings and numbers they try, so
// nobody can sweep many bookings with a few tries each.

var bucketGuessers = []byte("guessers") // person key -> guesser JSON

type guesser struct {
	Tries       []int64   `json:"tries"` // unix times of counted tries in the last hour
	LockedUntil time.Time `json:"locked,omitzero"`
}

// GuessError tells a person locked out of PIN checks until when.
type GuessError struct{ Until time.Time }

func (e *GuessError) Error() string {
	return fmt.Sprintf("too many wrong PINs; try again after %s", e.Until.Format("15:04"))
}

// Unwrap lets errors.Is see ErrTooManyGuesses.
func (e *GuessError) Unwrap() error { return ErrTooManyGuesses }

func getGuesser(tx *bolt.Tx, who string) guesser {
	var g guesser
	if v := tx.Bucket(bucketGuessers).Get([]byte(who)); v != nil {
		json.Unmarshal(v, &g)
	}
	return g
}

func putGuesser(tx *bolt.Tx, who string, g guesser) error {
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketGuessers).Put([]byte(who), data)
}

// countGuess refuses a locked person and counts this try against them.
func (s *Store) countGuess(tx *bolt.Tx, who string, now time.Time) error {
	if who == "" {
		return nil
	}
	g := getGuesser(tx, who)
	if now.Before(g.LockedUntil) {
		return &GuessError{Until: g.LockedUntil}
	}
	recent := g.Tries[:0]
	for _, t := range g.Tries {
		if now.Unix()-t < 3600 {
			recent = append(recent, t)
		}
	}
	g.Tries = append(recent, now.Unix())
	if len(g.Tries) > s.cfg.Booking.PINGuessesPerPerson {
		g.Tries, g.LockedUntil = nil, now.Add(s.cfg.Booking.PINLockout)
		if err := putGuesser(tx, who, g); err != nil {
			return err
		}
		return &GuessError{Until: g.LockedUntil}
	}
	return putGuesser(tx, who, g)
}

// forgiveGuess takes back the try of a person who had the right PIN.
func (s *Store) forgiveGuess(tx *bolt.Tx, who string) error {
	if who == "" {
		return nil
	}
	g := getGuesser(tx, who)
	if n := len(g.Tries); n > 0 {
		g.Tries = g.Tries[:n-1]
	}
	return putGuesser(tx, who, g)
}
