package office

import "errors"

// Sentinel errors of the office's configuration that callers branch on
// (booking re-exports them under the same names).
var (
	// ErrUnknownConcern means a concern id is not in the office configuration.
	ErrUnknownConcern = errors.New("office: unknown concern")
	// ErrTooMany means more of one concern was asked for than one booking may hold.
	ErrTooMany = errors.New("office: too many of one concern")
	// ErrNoCounter means no single counter serves every chosen concern.
	ErrNoCounter = errors.New("office: no counter serves all these concerns")
	// ErrInvalidInput means a field is malformed.
	ErrInvalidInput = errors.New("office: invalid input")
	// ErrTooBigOnline means a citizen asked for more cases or minutes in one
	// booking than may be booked online; staff book such groups.
	ErrTooBigOnline = errors.New("office: too big to book online")
)
