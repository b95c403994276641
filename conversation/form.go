package conversation

import (
	"context"
	"fmt"
	"time"

	"buergerbuero/booking"
	"buergerbuero/office"
)

// The form: booking without a dialogue, for the web booking page and the
// citizens' API. A form asks in one step what a dialogue asks in several
// (concerns, time, name, e-mail), but under the same rules: the same
// person and source limits (town-wide), the same holds, the same guessing
// limits on number and PIN, and the same outbox, which copies each change
// by mail in the change's own transaction.

// FormChannel is the channel name of bookings made through a form.
const FormChannel = "api"

// Asker is who uses a form: a session that proved its work (the person),
// the address block it comes from (the source) and its language.
type Asker struct {
	Session string
	Source  string
	Lang    string
}

func (a Asker) person() string { return FormChannel + ":" + a.Session }

func (a Asker) holder() string { return dialogueKey(FormChannel, a.Session) }

func (a Asker) guesser() booking.Guesser {
	return booking.Guesser{Person: a.person(), Source: a.Source, Owner: booking.Owner{Channel: FormChannel, ChatID: a.Session}}
}

// FormBooking is what a form books.
type FormBooking struct {
	Concerns []office.ConcernCount
	Start    time.Time
	Name     string
	Email    string
}

// Booked is a booking just made through a form: the booking, its PIN, the
// confirmation as a chat shows it, what to bring and the calendar entry.
type Booked struct {
	Booking   booking.Booking
	PIN       string
	Text      string
	Documents []string
	Calendar  Attachment
}

// Form is an office's booking without a dialogue.
type Form struct{ e *Engine }

// Form is the engine's booking without a dialogue.
func (e *Engine) Form() Form { return Form{e} }

// Config is the office's configuration (read-only).
func (f Form) Config() *office.Config { return f.e.cfg }

// Text is a text of the catalogue in the language hinted at.
func (f Form) Text(langHint, id string, kv ...any) string { return f.e.Text(langHint, id, kv...) }

// Documents is what to bring for concerns, each item once, in lang.
func (f Form) Documents(lang string, concerns []office.ConcernCount) []string {
	return f.e.documentList(langOf(lang), concerns)
}

// When is a time as the catalogue writes it in lang ("Do 26.11.2026, 10:00").
func (f Form) When(lang string, t time.Time) string { return f.e.when(langOf(lang), t) }

// Day is a day as the catalogue writes it in lang ("Do 26.11.").
func (f Form) Day(lang string, t time.Time) string { return f.e.dayName(langOf(lang), t) }

// FreeTimes are the times citizens may book for concerns between from and
// to (days in the office's time zone), as the dialogue offers them.
func (f Form) FreeTimes(ctx context.Context, concerns []office.ConcernCount, from, to time.Time) ([]booking.DaySlots, error) {
	if err := f.e.cfg.CheckOnlineSize(concerns); err != nil {
		return nil, err
	}
	return f.e.store.FreeSlots(ctx, booking.ForCitizen, concerns, from, to)
}

// Hold keeps start for the asker while they type their name (replacing a
// hold they had), as a dialogue holds a chosen time; it returns when the
// hold ends. It refuses as a booking would.
func (f Form) Hold(ctx context.Context, a Asker, concerns []office.ConcernCount, start time.Time) (time.Time, error) {
	req := &booking.HoldRequest{Concerns: concerns, Start: start, PersonKey: a.person(), Source: a.Source}
	var err error
	if req.HeldElsewhere, req.SourceHeldElsewhere, err = f.e.heldElsewhere(ctx, req.PersonKey, req.Source); err != nil {
		return time.Time{}, err
	}
	return f.e.store.SetHold(ctx, a.holder(), req)
}

// Book books for the asker; the copy by mail (with the PIN) is stored in
// the booking's transaction and sent by the outbox.
func (f Form) Book(ctx context.Context, a Asker, fb FormBooking) (Booked, error) {
	e, lang := f.e, langOf(a.Lang)
	req := booking.Request{Concerns: fb.Concerns, Start: fb.Start, Name: fb.Name, Email: fb.Email, PersonKey: a.person(), Source: a.Source,
		Channel: FormChannel, ChatID: a.Session, Lang: lang, Holder: a.holder()}
	var err error
	if req.HeldElsewhere, req.SourceHeldElsewhere, err = e.heldElsewhere(ctx, req.PersonKey, req.Source); err != nil {
		return Booked{}, err
	}
	req.Effect = func(c booking.Change) ([]booking.Write, error) {
		mail := Reply{Text: e.bookedText(lang, c.Booking, c.PIN, false), Attachments: []Attachment{e.calendarFile(c.Booking, "REQUEST", lang)}}
		return e.mailCopy(c, newOutboxKey(c.Now), mail)
	}
	b, pin, err := e.store.Book(ctx, req)
	if err != nil {
		return Booked{}, err
	}
	e.kick()
	return Booked{Booking: b, PIN: pin, Text: e.bookedText(lang, b, pin, false), Documents: e.documentList(lang, b.Concerns),
		Calendar: e.calendarFile(b, "REQUEST", lang)}, nil
}

// Lookup is the appointment with number and PIN, checked as a dialogue
// checks them: wrong tries count against the asker, their source and
// everybody together (booking.ErrTooManyGuesses, *booking.GuessError).
func (f Form) Lookup(ctx context.Context, a Asker, number, pin string) (booking.Booking, error) {
	b, err := f.e.store.LookupAs(ctx, a.guesser(), number, pin)
	if err == nil && b.Kind != booking.KindAppointment {
		return booking.Booking{}, fmt.Errorf("number %s is a walk-in ticket: %w", number, booking.ErrNotFound)
	}
	return b, err
}

// Cancel cancels the appointment with number and PIN; the copy by mail is
// stored in the cancellation's transaction.
func (f Form) Cancel(ctx context.Context, a Asker, number, pin string) (booking.Booking, error) {
	b, err := f.Lookup(ctx, a, number, pin)
	if err != nil {
		return booking.Booking{}, err
	}
	return f.kicked(f.e.store.CancelByID(ctx, b.ID, "", f.copyByMail(f.e.cancelledReply)))
}

// Move moves the appointment with number and PIN to start; the copy by
// mail is stored in the move's transaction.
func (f Form) Move(ctx context.Context, a Asker, number, pin string, start time.Time) (booking.Booking, error) {
	b, err := f.Lookup(ctx, a, number, pin)
	if err != nil {
		return booking.Booking{}, err
	}
	if b.Start.Equal(start) {
		return booking.Booking{}, fmt.Errorf("the appointment is at that time already: %w", booking.ErrInvalidInput)
	}
	return f.kicked(f.e.store.MoveByID(ctx, b.ID, start, "", a.holder(), f.copyByMail(f.e.movedReply)))
}

// kicked wakes the outbox after a change went through: a copy by mail may
// wait in it.
func (f Form) kicked(b booking.Booking, err error) (booking.Booking, error) {
	if err == nil {
		f.e.kick()
	}
	return b, err
}

// copyByMail is the effect that copies a change by mail, as render tells it.
func (f Form) copyByMail(render func(lang string, b booking.Booking) Reply) booking.Effect {
	return func(c booking.Change) ([]booking.Write, error) {
		return f.e.mailCopy(c, newOutboxKey(c.Now), render(langOf(c.Booking.Lang), c.Booking))
	}
}
