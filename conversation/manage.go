package conversation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"buergerbuero/booking"
)

// onNumberOrPIN reads a waiting number and PIN (together or one after the
// other) for cancelling or rescheduling, and checks them.
func (t *turn) onNumberOrPIN(ctx context.Context, in input) bool {
	u := in.u
	if v, ok := optionArg(in.option, prefOwn); ok {
		id, _ := strconv.ParseUint(v, 10, 64)
		b, err := t.ownBooking(ctx, id)
		if err != nil {
			t.say(Reply{Text: t.text("BookingGone")})
			return false
		}
		return t.managing(ctx, b)
	}
	if u.Number != "" {
		t.d.Number = u.Number
	}
	if t.d.Number == "" && t.d.State == stNumber && ((!in.chained && u.Yes) || (t.d.Flow == "reschedule" && (u.HasDay || u.HasTime))) {
		// "ja" or "auf Freitag" with one booking of this chat offered: that one.
		if own := t.ownBookings(ctx); len(own) == 1 {
			return t.managing(ctx, own[0])
		}
	}
	if t.d.Number == "" {
		if !in.chained {
			t.notUnderstood()
		}
		return false
	}
	if u.PIN == "" {
		for _, b := range t.ownBookings(ctx) {
			if b.Number == booking.NormalizeNumber(t.d.Number) {
				return t.managing(ctx, b) // the chat that booked needs no PIN
			}
		}
		if t.d.State == stNumber {
			t.fire(ctx, "number_given")
			return true
		}
		if !in.chained {
			t.notUnderstood()
		}
		return false
	}
	b, err := t.e.store.LookupAs(ctx, t.guesser(in.msg), t.d.Number, u.PIN)
	var ge *booking.GuessError
	switch {
	case errors.As(err, &ge):
		key := "TooManyGuesses"
		if ge.Scope == booking.ScopeAll {
			key = "GuessingPaused"
			t.askOwner(ctx)
		}
		t.say(Reply{Text: t.text(key, "Until", ge.Until.In(t.e.cfg.Location()).Format("15:04"), "Phone", t.e.cfg.Office.Phone, "Number", booking.NormalizeNumber(t.d.Number))})
		t.reset(ctx)
		return true
	case errors.Is(err, booking.ErrNotFound), errors.Is(err, booking.ErrNotActive), errors.Is(err, booking.ErrWrongPIN), errors.Is(err, booking.ErrPINLocked):
		// One answer for an unknown number, a wrong PIN and a locked
		// booking, and the same next step: nothing tells which numbers exist.
		t.say(Reply{Text: t.text("NoMatch", "Number", t.d.Number, "Phone", t.e.cfg.Office.Phone), Options: []Option{t.back()}})
		if t.d.State == stNumber {
			t.fire(ctx, "number_given")
		}
		t.quiet = true
		return false
	case err != nil:
		t.sayError(err)
		return false
	}
	return t.managing(ctx, b)
}

// askOwner asks the chat that made the booking with the number given, while
// strangers' PIN checks are paused: a citizen who writes from another
// channel is not refused by a flood of somebody else's wrong PINs, but
// confirms in the chat they booked from, where no PIN is needed. Nothing is
// checked, so the pause's bound on guessing holds; each booking's chat is
// asked at most once an hour, so a flood cannot spam it; the stranger hears
// the same whether the number exists or not.
func (t *turn) askOwner(ctx context.Context) {
	b, err := t.e.store.Find(ctx, t.d.Number)
	if err != nil || !b.Active() || b.Kind != booking.KindAppointment || b.ChatID == "" || t.e.sender(b.Channel) == nil ||
		(b.Channel == t.owner.Channel && b.ChatID == t.owner.ChatID) {
		return
	}
	key := fmt.Sprintf("%d/asked/%d", b.ID, t.now.Unix()/3600)
	if asked, err := t.e.reminded(ctx, key); err != nil || asked {
		return
	}
	lang := langOf(b.Lang)
	ask := Reply{Text: t.e.texts.T(lang, "OwnerAsked", "Number", b.Number, "When", t.e.when(lang, b.Start)),
		Options: []Option{{cancelIDOption(b.ID), t.e.texts.T(lang, "OptCancelThis")}}}
	if err := t.e.Push(ctx, b.Channel, b.ChatID, b.Lang, []Reply{ask}, booking.Write{Kind: "reminders", Key: key, Value: []byte{}}); err != nil {
		t.e.log.Warn("ask the booking's chat while PIN checks pause", "err", err)
	}
}

// guesser is who tries a number and PIN in this message: the chat counts
// as the booking's owner only where it proves who it is.
func (t *turn) guesser(msg Message) booking.Guesser {
	g := booking.Guesser{Person: msg.PersonKey, Source: msg.Source}
	if !t.staff && t.owner.Trusted() {
		g.Owner = booking.Owner{Channel: t.owner.Channel, ChatID: t.owner.ChatID}
	}
	return g
}

// managing goes on with booking b, whose PIN (or owning chat) is checked.
func (t *turn) managing(ctx context.Context, b booking.Booking) bool {
	t.d.BookingID, t.d.Concerns, t.d.Number = b.ID, b.Concerns, b.Number
	if t.d.Flow == "reschedule" {
		t.fire(ctx, "pin_ok_move")
	} else {
		t.fire(ctx, "pin_ok_cancel")
	}
	return true
}

// ownBookings are the upcoming bookings this chat made itself; it may
// cancel or move them without the PIN, as with a reminder's button.
func (t *turn) ownBookings(ctx context.Context) []booking.Booking {
	if t.staff || !t.owner.Trusted() {
		return nil
	}
	bs, err := t.e.store.PersonBookings(ctx, t.person)
	if err != nil {
		t.e.log.Error("own bookings", "err", err)
		return nil
	}
	var out []booking.Booking
	for _, b := range slices.Backward(bs) { // newest first: oldest first for the buttons
		if b.Channel == t.owner.Channel && b.ChatID == t.owner.ChatID && b.Status == booking.StatusBooked && b.Kind == booking.KindAppointment && b.End().After(t.now) {
			out = append(out, b)
		}
	}
	return out
}

func (t *turn) ownBookingOptions(ctx context.Context) []Option {
	var opts []Option
	for _, b := range t.ownBookings(ctx) {
		opts = append(opts, Option{ownOption(b.ID), b.Number + " – " + t.e.when(t.d.Lang, b.Start)})
	}
	return opts
}

// ownBooking is booking id if this chat made it and it is still upcoming.
func (t *turn) ownBooking(ctx context.Context, id uint64) (booking.Booking, error) {
	for _, b := range t.ownBookings(ctx) {
		if b.ID == id {
			return b, nil
		}
	}
	return booking.Booking{}, booking.ErrNotFound
}

func (t *turn) promptCancelConfirm(ctx context.Context) {
	b, err := t.e.store.Get(ctx, t.d.BookingID)
	if err != nil {
		t.sayError(err)
		return
	}
	t.say(Reply{Text: t.text("AskCancelConfirm", "Number", b.Number, "When", t.e.when(t.d.Lang, b.Start), "Concerns", t.e.concernList(t.d.Lang, b.Concerns)),
		Options: []Option{{optConfirmYes, t.text("OptDoCancel")}, {optConfirmNo, t.text("OptKeep")}}})
}

func (t *turn) onCancelConfirm(ctx context.Context, in input) bool {
	switch {
	case in.chained:
		return false
	case in.option == optConfirmNo || (in.option == "" && in.u.No):
		t.reset(ctx)
		t.say(Reply{Text: t.text("KeptBooking")})
		return true
	case in.option != optConfirmYes && !(in.option == "" && in.u.Yes):
		t.notUnderstood()
		return false
	}
	tell := t.tellWith(t.cancelledReplies)
	if _, err := t.e.store.CancelByID(ctx, t.d.BookingID, "", tell.effect); err != nil {
		tell.abandon()
		if errors.Is(err, booking.ErrNotActive) || errors.Is(err, booking.ErrNotFound) {
			t.say(Reply{Text: t.text("NotFound", "Number", t.d.Number)})
			t.reset(ctx)
			return true
		}
		t.sayError(err)
		return false
	}
	t.told(tell)
	t.reset(ctx)
	return true
}

// cancelledReplies tell of a cancelled booking, with the calendar entry
// that removes it: for the chat and for a copy by mail.
func (t *turn) cancelledReplies(c booking.Change) (chat, mail Reply) {
	r := t.e.cancelledReply(t.d.Lang, c.Booking)
	return r, r
}

// cancelledReply tells of cancelled booking b in lang, with the calendar
// entry that removes it.
func (e *Engine) cancelledReply(lang string, b booking.Booking) Reply {
	return Reply{Text: e.texts.T(lang, "Cancelled", "Number", b.Number, "When", e.when(lang, b.Start)),
		Attachments: []Attachment{e.calendarFile(b, "CANCEL", lang)}}
}

// movedReplies tell of a moved booking, with the updated calendar entry.
func (t *turn) movedReplies(c booking.Change) (chat, mail Reply) {
	r := t.e.movedReply(t.d.Lang, c.Booking)
	return r, r
}

// movedReply tells of moved booking b in lang, with the updated calendar
// entry.
func (e *Engine) movedReply(lang string, b booking.Booking) Reply {
	return Reply{Text: e.texts.T(lang, "Moved", "Number", b.Number, "When", e.when(lang, b.Start)),
		Attachments: []Attachment{e.calendarFile(b, "REQUEST", lang)}}
}

// confirmMove moves the booking whose PIN this dialogue checked.
func (t *turn) confirmMove(ctx context.Context) bool {
	tell := t.tellWith(t.movedReplies)
	if _, err := t.e.store.MoveByID(ctx, t.d.BookingID, t.d.Start, "", dialogueKey(t.owner.Channel, t.owner.ChatID), tell.effect); err != nil {
		tell.abandon()
		return t.bookFailed(ctx, err, Message{})
	}
	t.told(tell)
	t.reset(ctx)
	return true
}
