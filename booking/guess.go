package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"buergerbuero/storage"
)

// Guessing PINs. Waiting numbers are public (the foyer display shows them),
// so number + PIN is what a stranger can guess. Wrong tries are bounded
// three ways, each within an hour:
//
//   - per booking (PINError): a few wrong PINs lock the booking for
//     strangers; the chat that made it still acts, as do staff;
//   - per guesser: their person key and their source (an address block, a
//     mail domain), so fresh cookies or addresses from one place do not give
//     fresh tries;
//   - in total: all wrong tries from everybody together. This is what bounds
//     a script with unlimited identities: at the limit, the expected time to
//     hit any one booking is 10^6 / PINGuessesTotal hours (see the README).
//
// An unknown number counts as a wrong try and is answered alike, after the
// same (slow) PIN check, so the answer tells nobody which numbers exist.

var bucketGuessers = []byte("guessers") // scope key -> guesser JSON

// Guesser is who tries a number and PIN.
type Guesser struct {
	// Person is their person key (a Telegram user, a mail address, a web
	// chat); empty when unknown.
	Person string
	// Source is where they come from, coarser than the person (an address
	// block, a private mail domain), where the channel knows it.
	Source string
	// Owner is the chat they write from: the chat that made a booking may act
	// on it with or without the PIN, even while strangers have it locked.
	Owner Owner
}

// Scopes of a guessing limit, as GuessError.Scope names them.
const (
	ScopePerson = "person"
	ScopeSource = "network"
	ScopeAll    = "all"
)

// totalKey is the guess record of everybody together.
const totalKey = "\x00all"

type guesser struct {
	Tries       []int64   `json:"tries"` // unix times of counted tries in the last hour
	LockedUntil time.Time `json:"locked,omitzero"`
	Alerted     time.Time `json:"alerted,omitzero"` // when staff were last told (total only)
}

// GuessError tells a guesser that PIN checks are refused to them (Scope
// person or network) or to every stranger (Scope all) until when.
type GuessError struct {
	Scope string
	Until time.Time
}

func (e *GuessError) Error() string {
	return fmt.Sprintf("too many wrong PINs (%s); try again after %s", e.Scope, e.Until.Format("15:04"))
}

// Unwrap lets errors.Is see ErrTooManyGuesses.
func (e *GuessError) Unwrap() error { return ErrTooManyGuesses }

// Alert tells staff that PINs are being guessed at a rate worth a look. It
// holds no personal data.
type Alert struct {
	// Cohort, if set, says that a cohort of the waiting list (requests that
	// came together faster than a day's pace) reached its share of Day: a
	// suspected farm, a cluster staff can look at and cancel. The other
	// fields are then unset.
	Cohort string
	Day    time.Time
	// Tries is how many wrong tries were counted in the last hour, of Limit.
	Tries, Limit int
	// Paused is set when the limit is reached: strangers' PIN checks are
	// refused until Until (chats that booked and staff still act).
	Paused bool
	Until  time.Time
}

// guessScope is one record a try counts against, with its limit.
type guessScope struct {
	name, key string
	limit     int
}

func (s *Store) guessScopes(g Guesser) []guessScope {
	r := s.cfg.Booking
	scopes := []guessScope{{ScopeAll, totalKey, r.PINGuessesTotal}}
	if g.Person != "" {
		scopes = append(scopes, guessScope{ScopePerson, "p:" + g.Person, r.PINGuessesPerPerson})
	}
	if g.Source != "" {
		scopes = append(scopes, guessScope{ScopeSource, "s:" + g.Source, r.PINGuessesPerSource})
	}
	return scopes
}

func getGuesser(tx storage.Tx, key string) (guesser, error) {
	var g guesser
	if v := tx.Bucket(bucketGuessers).Get([]byte(key)); v != nil {
		if err := json.Unmarshal(v, &g); err != nil {
			return g, fmt.Errorf("guess record %q: %w", key, err)
		}
	}
	return g, nil
}

func putGuesser(tx storage.Tx, key string, g guesser) error {
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketGuessers).Put([]byte(key), data)
}

// guessOutcome is what counting a try decided: a refusal to return after the
// transaction commits (so the count and any lock are kept), and alerts for
// staff.
type guessOutcome struct {
	refused *GuessError
	alerts  []Alert
}

// countGuess refuses a guesser that a limit holds and counts this try
// against every scope. Storage errors are returned; a refusal is in the
// outcome.
func (s *Store) countGuess(tx storage.Tx, who Guesser, now time.Time) (guessOutcome, error) {
	var out guessOutcome
	scopes := s.guessScopes(who)
	records := make([]guesser, len(scopes))
	for i, sc := range scopes {
		g, err := getGuesser(tx, sc.key)
		if err != nil {
			return out, err
		}
		if now.Before(g.LockedUntil) && out.refused == nil {
			out.refused = &GuessError{Scope: sc.name, Until: g.LockedUntil}
		}
		records[i] = g
	}
	if out.refused != nil {
		return out, nil
	}
	for i, sc := range scopes {
		g := records[i]
		g.Tries = append(recentTries(g.Tries, now), now.Unix())
		tries, locked := len(g.Tries), false
		if tries > sc.limit {
			g.Tries, g.LockedUntil, locked = nil, now.Add(s.cfg.Booking.PINLockout), true
			if out.refused == nil {
				out.refused = &GuessError{Scope: sc.name, Until: g.LockedUntil}
			}
		}
		if sc.name == ScopeAll {
			if a, ok := s.alertFor(&g, tries, locked, now); ok {
				out.alerts = append(out.alerts, a)
			}
		}
		if err := putGuesser(tx, sc.key, g); err != nil {
			return out, err
		}
	}
	return out, nil
}

// alertFor decides whether staff hear of the total count: once an hour when
// it passes half the limit, and whenever the limit pauses PIN checks.
func (s *Store) alertFor(g *guesser, tries int, locked bool, now time.Time) (Alert, bool) {
	a := Alert{Tries: tries, Limit: s.cfg.Booking.PINGuessesTotal}
	switch {
	case locked:
		a.Paused, a.Until = true, g.LockedUntil
	case 2*tries < a.Limit || now.Sub(g.Alerted) < time.Hour:
		return Alert{}, false
	}
	g.Alerted = now
	return a, true
}

func recentTries(tries []int64, now time.Time) []int64 {
	recent := tries[:0:0]
	for _, t := range tries {
		if now.Unix()-t < 3600 {
			recent = append(recent, t)
		}
	}
	return recent
}

// forgiveGuess takes back the try of a guesser who had the right PIN.
func (s *Store) forgiveGuess(tx storage.Tx, who Guesser) error {
	for _, sc := range s.guessScopes(who) {
		g, err := getGuesser(tx, sc.key)
		if err != nil {
			return err
		}
		if n := len(g.Tries); n > 0 {
			g.Tries = g.Tries[:n-1]
		}
		if err := putGuesser(tx, sc.key, g); err != nil {
			return err
		}
	}
	return nil
}

// alert hands alerts to the Options.Alert hook, after the transaction that
// counted them committed.
func (s *Store) alert(ctx context.Context, alerts []Alert) {
	for _, a := range alerts {
		s.log.Warn("PIN guessing", "wrong_tries_last_hour", a.Tries, "limit", a.Limit, "paused", a.Paused)
		if s.onAlert != nil {
			s.onAlert(ctx, a)
		}
	}
}
