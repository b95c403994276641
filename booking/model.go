package booking

import (
	"time"

	"buergerbuero/office"
)

// Kind tells an appointment from a walk-in ticket.
type Kind string

// The kinds of booking.
const (
	KindAppointment Kind = "appointment"
	KindWalkIn      Kind = "walk_in"
)

// Status is where a booking stands in its life.
type Status string

// The statuses of a booking. Booked is waiting (for its time, or in the
// walk-in queue); the call system moves it on from there.
const (
	StatusBooked    Status = "booked"
	StatusCalled    Status = "called"
	StatusServing   Status = "serving"
	StatusDone      Status = "done"
	StatusNoShow    Status = "no_show"
	StatusExpired   Status = "expired"
	StatusParked    Status = "parked"
	StatusCancelled Status = "cancelled"
)

// ConcernCount is a concern and how many of it (office.ConcernCount).
type ConcernCount = office.ConcernCount

// Booking is an appointment or a walk-in ticket.
type Booking struct {
	ID     uint64 `json:"id"`
	Kind   Kind   `json:"kind"`
	Number string `json:"number"`
	// Start is the appointment's time; for a walk-in, when the ticket was issued.
	Start    time.Time      `json:"start"`
	Minutes  int            `json:"minutes"`
	Concerns []ConcernCount `json:"concerns"`
	Status   Status         `json:"status"`
	Priority bool           `json:"priority,omitempty"`

	// Personal data, deleted after the retention period.
	Name      string `json:"name,omitempty"`
	Email     string `json:"email,omitempty"`
	PersonKey string `json:"person,omitempty"`
	// Source is where the booking came from, coarser than the person: an
	// address block or a private mail domain (see Request.Source).
	Source string `json:"source,omitempty"`
	// Cohort is set when the booking was drawn from a day's waiting list:
	// the requests that waited together (pace.go).
	Cohort string `json:"cohort,omitempty"`
	// Channel and ChatID say where the citizen booked, to tell them of calls.
	Channel string `json:"channel,omitempty"`
	ChatID  string `json:"chat,omitempty"`
	Lang    string `json:"lang,omitempty"`
	// ByStaff is set for a booking staff made for a caller (phone, info
	// desk): it takes a place of the staff share, not the online one.
	ByStaff bool `json:"by_staff,omitempty"`

	CreatedAt   time.Time `json:"created"`
	CancelledAt time.Time `json:"cancelled,omitzero"`
	// CheckedInAt is when the citizen said "I am here" (or the info desk did).
	CheckedInAt time.Time `json:"checked_in,omitzero"`

	// The call system's state.
	Calls      int       `json:"calls,omitempty"`       // how often called
	CalledAt   time.Time `json:"called_at,omitzero"`    // the latest call
	Counter    string    `json:"counter,omitempty"`     // the counter of the latest call
	MissedAt   time.Time `json:"missed_at,omitzero"`    // a call not answered, waiting for the re-call
	StartedAt  time.Time `json:"started_at,omitzero"`   // arrived at the counter
	DoneAt     time.Time `json:"done_at,omitzero"`      // served, no-show or expired
	TransferTo string    `json:"transfer_to,omitempty"` // only this counter may call it next

	PIN            *PINHash  `json:"pin,omitempty"`
	PINFailures    int       `json:"pin_failures,omitempty"`
	PINLockedUntil time.Time `json:"pin_locked_until,omitzero"`
}

// End is when the appointment is expected to be over.
func (b Booking) End() time.Time { return b.Start.Add(time.Duration(b.Minutes) * time.Minute) }

// WaitBegan is when a citizen's wait begins: a walk-in waits from the
// ticket; an appointment from its time, or from the check-in if that came
// later (who comes late has not waited). Statistics, metrics and the staff
// bot all measure waiting from here, up to the first call.
func WaitBegan(kind Kind, ticket, start, checkedIn time.Time) time.Time {
	if kind == KindWalkIn {
		return ticket
	}
	if checkedIn.After(start) {
		return checkedIn
	}
	return start
}

// WaitFrom is when b's wait began (WaitBegan).
func (b Booking) WaitFrom() time.Time { return WaitBegan(b.Kind, b.CreatedAt, b.Start, b.CheckedInAt) }

// Active reports whether the booking is still waiting to be served or called.
func (b Booking) Active() bool { return b.Status == StatusBooked || b.Status == StatusCalled }
