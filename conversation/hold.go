package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"buergerbuero/booking"
)

// Holds: a time a citizen chose for a new booking is kept for their chat
// while they give name and e-mail and confirm (booking.SetHold), so in a
// race for the last places the losers learn it at the time step. The turn
// that chooses a time (or leaves the steps after it) stores the hold, or
// its end, with the dialogue in one write transaction; the booking ends it
// in its own. When the time cannot be held, the turn's answer is the one
// of the time step: taken, and the nearest free times.

// holdWanted is the time the chat should hold as the turn ends: the one
// chosen for a new booking, while the name, the e-mail and the "yes" are
// still to come.
func (d *dialogue) holdWanted() time.Time {
	switch {
	case d.Flow == "book" && (d.State == stName || d.State == stEmail || d.State == stConfirm),
		d.Flow == "reschedule" && d.State == stConfirm && d.BookingID != 0:
		return d.Start
	}
	return time.Time{}
}

// holder names a chat as the holder of a time.
func holder(msg Message) string { return dialogueKey(msg.Channel, msg.ChatID) }

// storeWithHold stores the dialogue together with the hold it wants
// (want) or the end of the one it has, in one transaction. When want
// cannot be held, the turn's replies since the time was chosen give way to
// the time step's answer.
func (e *Engine) storeWithHold(ctx context.Context, t *turn, msg Message, want time.Time, stored bool) ([]Reply, error) {
	var req *booking.HoldRequest
	if !want.IsZero() {
		var err error
		if req, err = t.holdRequest(ctx, msg, want); err != nil {
			return nil, err
		}
	}
	before := t.d.Held
	t.d.Held = want
	w, _, err := e.dialogueWrite(t, msg)
	if err != nil {
		return nil, err
	}
	_, err = e.store.SetHold(ctx, holder(msg), req, w)
	switch {
	case err == nil:
		return t.replies, nil
	case !refused(err):
		return nil, err // the store failed: nothing was written, as for a dialogue not saved
	}
	t.d.Held = before // the transaction wrote nothing: the hold before stands
	t.lostTime(ctx, err, msg)
	if !t.quiet {
		t.prompt(ctx)
	}
	if t.d.holdWanted().Equal(t.d.Held) {
		return t.replies, e.storeDialogue(ctx, t, msg, stored)
	}
	if _, err := e.store.SetHold(ctx, holder(msg), nil); err != nil { // the hold before ends too
		return nil, err
	}
	t.d.Held = time.Time{}
	return t.replies, e.storeDialogue(ctx, t, msg, stored)
}

// refused reports whether err is the store's no to a hold (the time is
// taken or not offered, the person or source hold enough), not a failure.
func refused(err error) bool {
	for _, no := range []error{booking.ErrSlotTaken, booking.ErrNotBookable, booking.ErrClosed,
		booking.ErrLimitReached, booking.ErrSourceLimitReached, booking.ErrTooBigOnline} {
		if errors.Is(err, no) {
			return true
		}
	}
	return false
}

// holdRequest asks to hold start for the chat of msg, with what its person
// and source hold at a town's other offices.
func (t *turn) holdRequest(ctx context.Context, msg Message, start time.Time) (*booking.HoldRequest, error) {
	req := &booking.HoldRequest{Concerns: t.d.Concerns, Start: start, PersonKey: msg.PersonKey, Source: msg.Source}
	if t.d.Flow == "reschedule" {
		req.Replaces = t.d.BookingID // the booking moved holds its place in the limits
	}
	if msg.Staff != "" {
		req.PersonKey, req.Source, req.Staff = "", "", true
	}
	var err error
	req.HeldElsewhere, req.SourceHeldElsewhere, err = t.heldElsewhere(ctx, req.PersonKey, req.Source)
	return req, err
}

// booker is whom the turn looks up free times for: staff booking for a
// caller may take every place, a citizen only the online share's.
func (t *turn) booker() booking.For {
	if t.staff {
		return booking.ForStaff
	}
	return booking.ForCitizen
}

// heldElsewhere is what person and source hold at a town's other offices;
// nothing for an office on its own.
func (t *turn) heldElsewhere(ctx context.Context, person, source string) (persons, sources booking.Holding, err error) {
	return t.e.heldElsewhere(ctx, person, source)
}

// heldElsewhere is what person and source hold at the town's other
// offices; nothing for an office on its own.
func (e *Engine) heldElsewhere(ctx context.Context, person, source string) (persons, sources booking.Holding, err error) {
	if e.town == nil || (person == "" && source == "") {
		return booking.Holding{}, booking.Holding{}, nil
	}
	return e.town.heldElsewhere(ctx, e, person, source)
}

// dialogueWrite is the record of the chat's dialogue as the turn leaves
// it: its new value, or its deletion when it holds no more than a fresh
// one; and the dialogue as stored, to compare with what a change stored.
func (e *Engine) dialogueWrite(t *turn, msg Message) (booking.Write, *committed, error) {
	d := t.settled()
	w := booking.Write{Kind: "dialogues", Key: dialogueKey(msg.Channel, msg.ChatID)}
	final, err := e.committedDialogue(*d, msg.Lang)
	if err != nil || !final.kept {
		return w, final, err
	}
	if w.Value, err = json.Marshal(d); err != nil {
		return w, nil, fmt.Errorf("dialogue: %w", err)
	}
	return w, final, nil
}

// lostTime answers a turn whose chosen time could not be held: back at
// the time step with the nearest free times when somebody else has it,
// the booking's own answers to the limits otherwise.
func (t *turn) lostTime(ctx context.Context, err error, msg Message) {
	start := t.d.Start
	t.replies = t.replies[:min(t.chosenAt, len(t.replies))]
	t.quiet = false
	switch {
	case errors.Is(err, booking.ErrSlotTaken), errors.Is(err, booking.ErrNotBookable), errors.Is(err, booking.ErrClosed):
		t.d.Start = time.Time{}
		t.m.SetState(stTime)
		t.d.State = stTime
		times, _ := t.dayTimes(ctx)
		if len(times) > 0 {
			t.sayNearest(start, times, "TimeJustTaken")
			return
		}
		t.say(Reply{Text: t.text("TimeJustTakenDayFull", "Time", start.In(t.e.cfg.Location()).Format("15:04"), "Day", t.e.dayName(t.d.Lang, start))})
		t.fire(ctx, "back") // to the day: this one is full
	default:
		t.bookFailed(ctx, err, msg)
	}
}
