package booking

import (
	"errors"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// Sentinel errors that callers branch on. Every error returned by this
// package wraps one of them (or a storage error), so use errors.Is.
var (
	// ErrSlotTaken means the requested start time has no free capacity (any
	// more): somebody else was faster, or it is kept for walk-ins.
	ErrSlotTaken = errors.New("booking: slot taken")
	// ErrNotBookable means the start time is not one the office offers for
	// these concerns: outside the opening hours, on a closed day, off the slot
	// grid, before the lead time or beyond the horizon.
	ErrNotBookable = errors.New("booking: time not bookable")
	// ErrClosed means the office is closed on that day.
	ErrClosed = errors.New("booking: office closed")
	// ErrUnknownConcern means a concern id is not in the office configuration.
	ErrUnknownConcern = office.ErrUnknownConcern
	// ErrTooMany means more of one concern was asked for than one booking may hold.
	ErrTooMany = office.ErrTooMany
	// ErrNoCounter means no single counter serves every chosen concern.
	ErrNoCounter = office.ErrNoCounter
	// ErrInvalidInput means a name, e-mail address or other field is malformed.
	ErrInvalidInput = office.ErrInvalidInput
	// ErrNotFound means no active booking has that number.
	ErrNotFound = errors.New("booking: not found")
	// ErrWrongPIN means the number exists but the PIN does not match.
	ErrWrongPIN = errors.New("booking: wrong PIN")
	// ErrPINLocked means too many wrong PINs were tried for the booking; it is
	// locked for PIN use until the lock-out ends (staff can still act).
	ErrPINLocked = errors.New("booking: locked after too many wrong PINs")
	// ErrTooManyGuesses means the person tried too many wrong PINs or
	// unknown numbers lately and is locked out of PIN checks for a while.
	ErrTooManyGuesses = errors.New("booking: too many wrong PINs from this person")
	// ErrLimitReached means the person already holds the maximum number of
	// active future bookings.
	ErrLimitReached = errors.New("booking: active booking limit reached")
	// ErrSourceLimitReached means the request's source (an address block, a
	// mail domain) already holds the maximum number of active bookings.
	ErrSourceLimitReached = errors.New("booking: active booking limit of the source reached")
	// ErrTooBigOnline means a citizen asked for more cases or minutes in one
	// booking than may be booked online; staff book such groups.
	ErrTooBigOnline = office.ErrTooBigOnline
	// ErrPaced means a citizen's booking comes faster than the day's pace
	// (or while its first requests are collected for a draw): it is not
	// refused, it waits for a draw (pace.go).
	ErrPaced = errors.New("booking: beyond the day's pace; waits for a draw")
	// ErrCohortFull means the request's cohort (requests that waited
	// together) already holds its share of the day.
	ErrCohortFull = errors.New("booking: the cohort holds its share of the day")
	// ErrNotActive means the booking is cancelled, past or already served and
	// cannot be changed any more.
	ErrNotActive = errors.New("booking: booking no longer active")
	// ErrContingentExhausted means today's walk-in numbers for the concern
	// group are all given out.
	ErrContingentExhausted = errors.New("booking: walk-in contingent exhausted")
	// ErrUnreadable means a sealed record cannot be opened: it was sealed
	// under another service key (or none) or was changed.
	ErrUnreadable = errors.New("booking: sealed record unreadable")
	// ErrUnavailable means the store cannot be reached or cannot decide
	// (an etcd cluster without a quorum): nothing was written; try later.
	// It is the store's own (storage.ErrUnavailable).
	ErrUnavailable = storage.ErrUnavailable
	// ErrNewerFormat means the store was written by a newer version of the
	// program, in a format this one does not know: nothing is changed.
	ErrNewerFormat = errors.New("booking: data file of a newer format")
	// ErrNobodyNamed means an erasure (Erase) names no e-mail address,
	// person key or waiting number.
	ErrNobodyNamed = errors.New("booking: name an e-mail address, a person key or a waiting number")
)
