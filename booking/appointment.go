package booking

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// Request asks for an appointment.
type Request struct {
	Concerns []ConcernCount
	Start    time.Time
	// Name is required; Email is optional (for the confirmation).
	Name  string
	Email string
	// PersonKey identifies the person across bookings for the limit on
	// active bookings (a Telegram user id, a normalised e-mail address).
	// Empty for staff booking on behalf of a caller: no limit applies.
	PersonKey string
	// Source is where the request comes from, coarser than the person: an
	// address block ("net:198.51.100.0/24") or a mail domain that is not a
	// public provider's ("mail:example.org"). At most MaxActivePerSource
	// active bookings come from one source, so a script with fresh cookies
	// or fresh addresses of its own domain gains nothing. Empty: no limit.
	Source string
	// Channel, ChatID and Lang say how to reach the citizen.
	Channel, ChatID, Lang string
	// Actor is the staff member booking on the citizen's behalf, if any.
	Actor string
	// HeldElsewhere and SourceHeldElsewhere are what the person and the
	// source hold at a town's other offices (their ActiveHeld): it counts
	// toward the limits here, so the limits hold town-wide.
	HeldElsewhere, SourceHeldElsewhere Holding
	// Cohort is set for a request drawn from a day's waiting list: the
	// requests that waited together (pace.go).
	Cohort string
	// Holder is the chat that may hold the time (SetHold): its hold ends
	// with the booking, in its transaction, and is not counted against it.
	Holder string
	// Effect is what is stored with the booking, in its transaction: the
	// message that tells the citizen, the dialogue's new state (nil: none).
	Effect Effect
}

// Book books an appointment in one write transaction that re-checks the
// capacity, and returns it with its PIN. The PIN is shown once and only
// its hash is stored.
func (s *Store) Book(ctx context.Context, req Request) (Booking, string, error) {
	concerns, minutes, mask, err := s.cfg.Plan(req.Concerns)
	if err != nil {
		return Booking{}, "", err
	}
	name, email, err := cleanContact(req.Name, req.Email)
	if err != nil {
		return Booking{}, "", err
	}
	pin, err := newPIN()
	if err != nil {
		return Booking{}, "", err
	}
	hash, err := s.hasher.hash(ctx, pin)
	if err != nil {
		return Booking{}, "", err
	}
	var booked Booking
	err = s.write(func(tx storage.Tx) error {
		now := s.clock.Now()
		if err := dropHold(tx, req.Holder); err != nil { // the holder's own time is theirs to book
			return err
		}
		if err := s.checkLimits(tx, req, minutes, office.Cases(concerns), now); err != nil {
			return err
		}
		if err := s.checkPace(tx, req, minutes, now); err != nil {
			return err
		}
		if err := s.checkBookable(tx, req.Start, ask{minutes: minutes, mask: mask, concerns: concerns, staff: req.Actor != ""}, now); err != nil {
			return err
		}
		num, err := allocateAppointmentNumber(tx, dayKey(s.cfg.Day(now)))
		if err != nil {
			return err
		}
		id, err := tx.Bucket(bucketBookings).NextSequence()
		if err != nil {
			return err
		}
		b := &Booking{ID: id, Kind: KindAppointment, Number: num, Start: req.Start.In(s.cfg.Location()),
			Minutes: minutes, Concerns: concerns, Status: StatusBooked, Name: name, Email: email,
			PersonKey: req.PersonKey, Source: req.Source, Cohort: req.Cohort, Channel: req.Channel, ChatID: req.ChatID, Lang: req.Lang, ByStaff: req.Actor != "",
			CreatedAt: now, PIN: &hash}
		if err := s.save(tx, b, nil); err != nil {
			return err
		}
		ev := eventFor(EventBooked, b, now)
		ev.Actor = req.Actor
		if err := appendEvent(tx, ev); err != nil {
			return err
		}
		booked = *b
		return applyEffect(tx, req.Effect, Change{Booking: booked, PIN: pin, Now: now})
	})
	if errors.Is(err, ErrCohortFull) {
		s.alertCohortFull(ctx, req.Cohort, s.cfg.Day(req.Start))
	}
	if err != nil {
		return Booking{}, "", fmt.Errorf("book: %w", err)
	}
	return booked, pin, nil
}

// save writes b and its index entries. old is b as it was stored before
// (nil for a new booking); a move re-indexes it.
func (s *Store) save(tx storage.Tx, b *Booking, old *Booking) error {
	if old != nil && (old.Number != b.Number || !s.cfg.Day(old.Start).Equal(s.cfg.Day(b.Start))) {
		if err := s.unindexDay(tx, old); err != nil {
			return err
		}
	}
	if err := putBooking(tx, b); err != nil {
		return err
	}
	var release time.Time
	if b.Status == StatusCancelled {
		release = b.CancelledAt.Add(s.cfg.Booking.ReleaseDelay)
	}
	return s.index(tx, b, release)
}

// Cancel cancels the appointment with number and PIN. The slot becomes
// bookable again after the release delay.
// effect is stored with it.
func (s *Store) Cancel(ctx context.Context, number, pin string, effect Effect) (Booking, error) {
	return s.withPIN(ctx, Guesser{}, number, pin, func(tx storage.Tx, b *Booking, now time.Time) error {
		return s.cancel(tx, b, now, "")
	}, effect)
}

// CancelByID cancels booking id without a PIN, for callers that checked
// the right to it themselves: staff (actor names the clerk), or a dialogue
// that checked the PIN earlier (actor empty). effect is stored with it.
func (s *Store) CancelByID(ctx context.Context, id uint64, actor string, effect Effect) (Booking, error) {
	b, err := s.update(ctx, id, nil, func(tx storage.Tx, b *Booking, now time.Time) error {
		return s.cancel(tx, b, now, actor)
	}, effect)
	if err != nil {
		return Booking{}, fmt.Errorf("cancel: %w", err)
	}
	return b, nil
}

// update runs fn on booking id, which must still be waiting, in one write
// transaction and saves it. allow, if set, may refuse the caller. effect
// is stored with the change.
func (s *Store) update(ctx context.Context, id uint64, allow func(*Booking) error, fn func(storage.Tx, *Booking, time.Time) error, effect Effect) (Booking, error) {
	var out Booking
	err := s.write(func(tx storage.Tx) error {
		b, err := getBooking(tx, id)
		if err != nil {
			return err
		}
		if allow != nil {
			if err := allow(b); err != nil {
				return err
			}
		}
		if b.Status != StatusBooked {
			return fmt.Errorf("%s is %s: %w", b.Number, b.Status, ErrNotActive)
		}
		now := s.clock.Now()
		if err := fn(tx, b, now); err != nil {
			return err
		}
		out = *b
		if err := putBooking(tx, b); err != nil {
			return err
		}
		return applyEffect(tx, effect, Change{Booking: out, Now: now})
	})
	return out, err
}

func (s *Store) cancel(tx storage.Tx, b *Booking, now time.Time, actor string) error {
	old := *b
	b.Status, b.CancelledAt = StatusCancelled, now
	if err := s.save(tx, b, &old); err != nil {
		return err
	}
	ev := eventFor(EventCancelled, b, now)
	ev.Actor = actor
	return appendEvent(tx, ev)
}

// Reschedule moves the appointment with number and PIN to start. The number,
// PIN, name and e-mail stay; the old time is released after the release
// delay, as for a cancellation.
func (s *Store) Reschedule(ctx context.Context, number, pin string, start time.Time, effect Effect) (Booking, error) {
	return s.withPIN(ctx, Guesser{}, number, pin, func(tx storage.Tx, b *Booking, now time.Time) error {
		return s.moveTo(tx, b, start, now, "", "")
	}, effect)
}

// MoveByID moves booking id to start without a PIN, for callers that
// checked the right to it themselves (see CancelByID). The hold of holder
// (SetHold), if any, ends with the move.
func (s *Store) MoveByID(ctx context.Context, id uint64, start time.Time, actor, holder string, effect Effect) (Booking, error) {
	b, err := s.update(ctx, id, nil, func(tx storage.Tx, b *Booking, now time.Time) error {
		return s.moveTo(tx, b, start, now, actor, holder)
	}, effect)
	if err != nil {
		return Booking{}, fmt.Errorf("move: %w", err)
	}
	return b, nil
}

// moveTo moves b to start inside tx, after checking the new time; the
// hold of holder ends with it.
func (s *Store) moveTo(tx storage.Tx, b *Booking, start, now time.Time, actor, holder string) error {
	concerns, minutes, mask, err := s.cfg.Plan(b.Concerns)
	if err != nil {
		return err
	}
	if err := dropHold(tx, holder); err != nil {
		return err
	}
	if err := s.checkBookable(tx, start, ask{minutes: minutes, mask: mask, concerns: concerns, staff: actor != "" || b.ByStaff, exclude: b.ID}, now); err != nil {
		return err
	}
	if actor == "" && !s.cfg.Day(start).Equal(s.cfg.Day(b.Start)) { // a citizen moves to another day: its pace holds
		if err := s.checkPace(tx, Request{PersonKey: b.PersonKey, Start: start}, minutes, now); err != nil {
			return err
		}
	}
	old := *b
	// The old time stays blocked for the release delay, so a move cannot
	// hand a slot to a buyer waiting for it.
	day := s.cfg.Day(old.Start)
	from := minuteOfDay(old.Start.In(s.cfg.Location()))
	ghost := dayEntry{kind: KindAppointment, from: from, to: from + old.Minutes,
		counters: mask, release: now.Add(s.cfg.Booking.ReleaseDelay), staff: old.ByStaff}
	key := fmt.Sprintf("%s/~%s/%d", dayKey(day), old.Number, now.UnixNano())
	if err := tx.Bucket(bucketByDay).Put([]byte(key), ghost.encode()); err != nil {
		return err
	}
	b.Start, b.Minutes = start.In(s.cfg.Location()), minutes
	if err := s.save(tx, b, &old); err != nil {
		return err
	}
	ev := eventFor(EventRescheduled, b, now)
	ev.Actor = actor
	return appendEvent(tx, ev)
}

// Lookup returns the appointment with number and PIN.
func (s *Store) Lookup(ctx context.Context, number, pin string) (Booking, error) {
	return s.LookupAs(ctx, Guesser{}, number, pin)
}

// LookupAs is Lookup by who: the chat that made the booking gets it without
// the PIN; anybody else's wrong tries are counted against them, across all
// bookings and channels, and against everybody together.
func (s *Store) LookupAs(ctx context.Context, who Guesser, number, pin string) (Booking, error) {
	return s.withPIN(ctx, who, number, pin, func(storage.Tx, *Booking, time.Time) error { return nil }, nil)
}

// PINError tells a wrong PIN apart from a lock-out, with how many tries are
// left. It matches ErrWrongPIN or ErrPINLocked with errors.Is.
type PINError struct {
	// Remaining is how many tries are left before the lock-out.
	Remaining int
	// LockedUntil is set when the booking is locked.
	LockedUntil time.Time
	// Wrong is true when this attempt's PIN was wrong (false: it was not
	// checked because the booking was locked already).
	Wrong bool
}

func (e *PINError) Error() string {
	if !e.LockedUntil.IsZero() {
		return fmt.Sprintf("too many wrong PINs; locked until %s", e.LockedUntil.Format("15:04"))
	}
	return fmt.Sprintf("wrong PIN, %d tries left", e.Remaining)
}

// Unwrap lets errors.Is see ErrWrongPIN and ErrPINLocked.
func (e *PINError) Unwrap() []error {
	var errs []error
	if e.Wrong {
		errs = append(errs, ErrWrongPIN)
	}
	if !e.LockedUntil.IsZero() {
		errs = append(errs, ErrPINLocked)
	}
	return errs
}

// withPIN finds the upcoming appointment with number, checks the PIN and, if
// it is right, runs fn on it in a write transaction and saves it.
//
// The chat that made the booking (who.Owner) acts at once, with or without
// the PIN, whatever strangers did. For everybody else the try is counted
// (per booking, per guesser, in total) before the slow hash is checked,
// outside any transaction, so parallel guesses cannot get past the limits.
// An unknown number or a locked booking is checked against a decoy hash, so
// it takes as long as a wrong PIN; callers answer ErrNotFound, ErrWrongPIN
// and ErrPINLocked alike to the citizen.
func (s *Store) withPIN(ctx context.Context, who Guesser, number, pin string, fn func(storage.Tx, *Booking, time.Time) error, effect Effect) (Booking, error) {
	number = NormalizeNumber(number)
	var id uint64
	var stored PINHash
	var refused error // why no PIN can be checked: unknown number, locked booking, a guessing limit
	var owned *Booking
	var counted guessOutcome
	var lockedNow *Booking // a booking this try locked for strangers, for the log
	err := s.write(func(tx storage.Tx) error {
		// A batching backend may run this twice: only the last run counts.
		id, stored, refused, owned, counted, lockedNow = 0, PINHash{}, nil, nil, guessOutcome{}, nil
		now := s.clock.Now()
		b, findErr := s.findUpcoming(tx, number, now)
		if findErr == nil && who.Owner.owns(b) {
			if err := fn(tx, b, now); err != nil {
				return err
			}
			owned = b
			if err := putBooking(tx, b); err != nil {
				return err
			}
			return applyEffect(tx, effect, Change{Booking: *b, Now: now})
		}
		var err error
		if counted, err = s.countGuess(tx, who, now); err != nil || counted.refused != nil {
			return err
		}
		switch {
		case findErr != nil:
			refused = findErr // the counted guess stays: trying numbers is guessing too
			return nil
		case now.Before(b.PINLockedUntil):
			refused = &PINError{LockedUntil: b.PINLockedUntil}
			return nil
		}
		b.PINFailures++
		if b.PINFailures >= s.cfg.Booking.PINMaxAttempts {
			b.PINFailures, b.PINLockedUntil = 0, now.Add(s.cfg.Booking.PINLockout)
			lockedNow = b
		}
		id, stored = b.ID, *b.PIN
		return putBooking(tx, b)
	})
	s.alert(ctx, counted.alerts)
	if err == nil && lockedNow != nil {
		s.log.Warn("booking locked for strangers after wrong PINs", "number", lockedNow.Number, "until", lockedNow.PINLockedUntil.In(s.cfg.Location()).Format("15:04"))
	}
	if err == nil && counted.refused != nil {
		s.log.Info("PIN check refused by a guessing limit", "scope", counted.refused.Scope)
	}
	switch {
	case err != nil:
		return Booking{}, err
	case owned != nil:
		return *owned, nil
	case counted.refused != nil:
		return Booking{}, counted.refused
	case refused != nil:
		if _, err := s.hasher.check(ctx, s.decoy, pin); err != nil {
			return Booking{}, err
		}
		return Booking{}, refused
	}
	ok, err := s.hasher.check(ctx, stored, pin)
	if err != nil {
		return Booking{}, err
	}
	var out Booking
	err = s.write(func(tx storage.Tx) error {
		now := s.clock.Now()
		b, err := getBooking(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			if b.PINLockedUntil.After(now) {
				return &PINError{Wrong: true, LockedUntil: b.PINLockedUntil}
			}
			return &PINError{Wrong: true, Remaining: s.cfg.Booking.PINMaxAttempts - b.PINFailures}
		}
		if b.Status != StatusBooked {
			return fmt.Errorf("%s is %s: %w", b.Number, b.Status, ErrNotActive)
		}
		b.PINFailures, b.PINLockedUntil = 0, time.Time{}
		if err := s.forgiveGuess(tx, who); err != nil {
			return err
		}
		if err := fn(tx, b, now); err != nil {
			return actionError{err}
		}
		if err := putBooking(tx, b); err != nil {
			return err
		}
		out = *b
		return applyEffect(tx, effect, Change{Booking: out, Now: now})
	})
	var failed actionError
	if errors.As(err, &failed) {
		// The PIN was right but the action failed (e.g. the new time was
		// taken) and rolled back: still clear the count of wrong tries.
		if rerr := s.resetPINFailures(id); rerr != nil {
			return Booking{}, errors.Join(failed.err, rerr)
		}
		return Booking{}, failed.err
	}
	if err != nil {
		return Booking{}, err
	}
	return out, nil
}

// actionError marks the error of the action behind a right PIN.
type actionError struct{ err error }

func (e actionError) Error() string { return e.err.Error() }

func (s *Store) resetPINFailures(id uint64) error {
	return s.write(func(tx storage.Tx) error {
		b, err := getBooking(tx, id)
		if err != nil {
			return err
		}
		b.PINFailures, b.PINLockedUntil = 0, time.Time{}
		return putBooking(tx, b)
	})
}

// findUpcoming finds the appointment of today or later with number that is
// still waiting.
func (s *Store) findUpcoming(tx storage.Tx, number string, now time.Time) (*Booking, error) {
	prefix := []byte(number + "/")
	c := tx.Bucket(bucketByNumber).Cursor()
	for k, v := c.Seek([]byte(number + "/" + dayKey(s.cfg.Day(now)))); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		b, err := getBooking(tx, decodeU64(v))
		if err != nil {
			return nil, err
		}
		if b.Kind == KindAppointment && b.Status == StatusBooked && b.End().After(now) && b.PIN != nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", number, ErrNotFound)
}

// NormalizeNumber turns what people type ("t42", "T 042", "t-42") into the
// number's canonical form ("T-042").
func NormalizeNumber(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return s
	}
	prefix, digits := s[:1], strings.TrimLeft(strings.TrimSpace(s[1:]), "-– ")
	if prefix != "T" && prefix != "W" {
		return s
	}
	for _, r := range digits {
		if !unicode.IsDigit(r) {
			return s
		}
	}
	digits = strings.TrimLeft(digits, "0")
	for len(digits) < 3 {
		digits = "0" + digits
	}
	return prefix + "-" + digits
}

// Get returns booking id.
func (s *Store) Get(ctx context.Context, id uint64) (Booking, error) {
	var out Booking
	err := s.read(func(tx storage.Tx) error {
		b, err := getBooking(tx, id)
		if err == nil {
			out = *b
		}
		return err
	})
	return out, err
}

// DayBookings returns every appointment and walk-in ticket of day's date,
// in any status, ordered by number.
func (s *Store) DayBookings(ctx context.Context, day time.Time) ([]Booking, error) {
	var out []Booking
	err := s.read(func(tx storage.Tx) error {
		var err error
		out, err = s.dayBookings(tx, s.cfg.Day(day))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("day bookings: %w", err)
	}
	return out, nil
}

// SetPriority marks booking id as urgent (or not); staff only.
func (s *Store) SetPriority(ctx context.Context, id uint64, urgent bool, actor string) (Booking, error) {
	var out Booking
	err := s.write(func(tx storage.Tx) error {
		b, err := getBooking(tx, id)
		if err != nil {
			return err
		}
		if !b.Active() {
			return fmt.Errorf("%s is %s: %w", b.Number, b.Status, ErrNotActive)
		}
		b.Priority = urgent
		if err := putBooking(tx, b); err != nil {
			return err
		}
		ev := eventFor(EventPriority, b, s.clock.Now())
		ev.Actor = actor
		out = *b
		return appendEvent(tx, ev)
	})
	if err != nil {
		return Booking{}, fmt.Errorf("set priority: %w", err)
	}
	return out, nil
}

// cleanContact checks and tidies a name and an optional e-mail address.
func cleanContact(name, email string) (string, string, error) {
	name, err := CleanName(name)
	if err != nil {
		return "", "", err
	}
	email = strings.TrimSpace(email)
	if email != "" {
		if err := CheckEmail(email); err != nil {
			return "", "", err
		}
	}
	return name, email, nil
}

// CheckEmail checks that addr is a bare e-mail address (no display name,
// no line breaks). It wraps ErrInvalidInput otherwise.
func CheckEmail(addr string) error {
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || len(addr) > 254 || strings.ContainsAny(addr, "\r\n") {
		return fmt.Errorf("%q is not an e-mail address: %w", addr, ErrInvalidInput)
	}
	return nil
}

func decodeU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
