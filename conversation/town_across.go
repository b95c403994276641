package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"buergerbuero/booking"
	"buergerbuero/conversation/understand"
)

// What spans a town's offices: where a message about an existing booking
// belongs, the limits that hold town-wide, and watches at every office.

// heldElsewhere counts the active appointments person and source hold at
// the town's offices other than e's, so the limits hold town-wide: a
// script gains nothing by booking one at each office.
func (t *Town) heldElsewhere(ctx context.Context, e *Engine, person, source string) (persons, sources booking.Holding, err error) {
	for _, o := range t.offices {
		if o.Engine == e {
			continue
		}
		p, s, err := o.Engine.store.ActiveHeld(ctx, person, source)
		if err != nil {
			return booking.Holding{}, booking.Holding{}, err
		}
		persons, sources = persons.Add(p), sources.Add(s)
	}
	return persons, sources, nil
}

// givenUp is held without booking b, which a move gives up.
func givenUp(held booking.Holding, b booking.Booking) booking.Holding {
	return booking.Holding{Bookings: max(0, held.Bookings-1), Minutes: max(0, held.Minutes-b.Minutes)}
}

// watchElsewhere leaves a town-wide watch w (kept at e) at the town's
// other offices that offer its concerns, each watching for anything
// earlier than its own first free time.
func (t *Town) watchElsewhere(ctx context.Context, e *Engine, w watch) error {
	for _, o := range t.offering(w.Concerns) {
		if o.Engine == e {
			continue
		}
		there := w
		there.ID, there.Offered, there.Before = 0, time.Time{}, o.Engine.firstFree(ctx, w.Concerns)
		if w.BookingID != 0 { // earlier there than the booking here: taking it moves the booking
			there.BookingID, there.FromOffice, there.FromBooking, there.Before = 0, t.idOf(e), w.BookingID, w.Before
		}
		if err := o.Engine.putWatch(ctx, &there); err != nil {
			return fmt.Errorf("watch at %s: %w", o.ID, err)
		}
	}
	return nil
}

// dropWatches drops the town-wide watches of a chat at offices other than
// e's.
func (t *Town) dropWatches(ctx context.Context, e *Engine, channel, chatID string) {
	for _, o := range t.offices {
		if o.Engine == e {
			continue
		}
		ws, err := o.Engine.watches(ctx)
		if err != nil {
			t.log.Error("town-wide watches", "office", o.ID, "err", err)
			continue
		}
		for _, w := range ws {
			if w.Town && w.Channel == channel && w.ChatID == chatID {
				o.Engine.dropWatch(ctx, w.ID)
			}
		}
	}
}

// heldAt is person's active upcoming appointment at an office other than
// e's, and that office.
func (t *Town) heldAt(ctx context.Context, e *Engine, person string) (booking.Booking, *TownOffice, bool) {
	for i := range t.offices {
		o := &t.offices[i]
		if o.Engine == e {
			continue
		}
		mine, err := o.Engine.store.PersonBookings(ctx, person)
		if err != nil {
			t.log.Error("person bookings", "office", o.ID, "err", err)
			continue
		}
		now := o.Engine.store.Now()
		for _, b := range mine {
			if b.Status == booking.StatusBooked && b.Kind == booking.KindAppointment && b.End().After(now) {
				return b, o, true
			}
		}
	}
	return booking.Booking{}, nil, false
}

// holder is the office a message about an existing booking (cancel, move,
// "where am I", "I am here", a waiting number; u is the message read) is
// for, when that is not the chat's office (and, without a number, the chat
// is at its menu): the one office holding the chat's own upcoming bookings
// (the one with the number given), else the one where the number and PIN
// typed match. Nil leaves the message to the chat's office.
func (t *Town) holder(ctx context.Context, b binding, msg Message, u understand.Understanding) *TownOffice {
	if msg.Option != "" || msg.Text == "" {
		return nil
	}
	switch u.Intent {
	case understand.IntentCancel, understand.IntentReschedule, understand.IntentStatus, understand.IntentCheckIn:
	default:
		if u.Number == "" {
			return nil
		}
	}
	bound := t.office(b.Office)
	if bound != nil && u.Number == "" { // without a number, only from the menu: "absagen" mid-booking is the booking's
		if idle, err := bound.Engine.idle(ctx, msg.Channel, msg.ChatID); err != nil || !idle {
			return nil
		}
	}
	var holders []*TownOffice
	for i := range t.offices {
		if t.offices[i].Engine.holdsOwn(ctx, msg, u.Number) {
			holders = append(holders, &t.offices[i])
		}
	}
	if len(holders) == 0 && u.Number != "" && u.PIN != "" {
		for i := range t.offices { // the chat's office checks the PIN itself: not twice
			if o := &t.offices[i]; o != bound && o.Engine.holdsByPIN(ctx, msg, u.Number, u.PIN) {
				holders = append(holders, o)
			}
		}
	}
	if len(holders) != 1 || holders[0] == bound {
		return nil
	}
	return holders[0]
}

// holdsOwn reports whether this office holds an active booking, still to
// come or under way, that msg's chat made itself (with number, if given).
func (e *Engine) holdsOwn(ctx context.Context, msg Message, number string) bool {
	owner := chatOwner{Channel: msg.Channel, ChatID: msg.ChatID, Proven: msg.Proven}
	if msg.Staff != "" || !owner.Trusted() {
		return false
	}
	mine, err := e.store.PersonBookings(ctx, msg.PersonKey)
	if err != nil {
		e.log.Error("own bookings", "err", err)
		return false
	}
	now := e.store.Now()
	return slices.ContainsFunc(mine, func(b booking.Booking) bool {
		return b.Channel == msg.Channel && b.ChatID == msg.ChatID && b.Active() && b.End().After(now) &&
			(number == "" || b.Number == booking.NormalizeNumber(number))
	})
}

// holdsByPIN reports whether this office holds the active booking number
// with pin. A wrong PIN counts as a guess here, as at the menu.
func (e *Engine) holdsByPIN(ctx context.Context, msg Message, number, pin string) bool {
	if b, err := e.store.Find(ctx, number); err != nil || !b.Active() {
		return false // no such number here: nothing to guess at
	}
	_, err := e.store.LookupAs(ctx, booking.Guesser{Person: msg.PersonKey, Source: msg.Source}, number, pin)
	return err == nil
}

// idOf is the id of e's office.
func (t *Town) idOf(e *Engine) string {
	for _, o := range t.offices {
		if o.Engine == e {
			return o.ID
		}
	}
	return ""
}

// bookingAt is booking id at office; false without a town, an office or a
// booking of that id.
func (t *Town) bookingAt(ctx context.Context, office string, id uint64) (booking.Booking, bool) {
	if t == nil {
		return booking.Booking{}, false
	}
	o := t.office(office)
	if o == nil {
		return booking.Booking{}, false
	}
	b, err := o.Engine.store.Get(ctx, id)
	return b, err == nil
}

// pendingMove is a booking at another office to cancel because its
// citizen took an earlier time here; kept with the new booking, so a crash
// between the two cannot leave both.
type pendingMove struct {
	Office  string `json:"office"`
	Booking uint64 `json:"booking"`
	Channel string `json:"channel"`
	ChatID  string `json:"chat"`
}

// moveAcross takes an offered earlier time at this office for a booking at
// another office of the town: the new booking here (a new number and PIN)
// and, in the same transaction, the note to cancel the old one, which is
// cancelled right after (or by the next tick, after a crash).
func (t *turn) moveAcross(ctx context.Context, w *watch, start time.Time, msg Message) {
	old, ok := t.e.town.bookingAt(ctx, w.FromOffice, w.FromBooking)
	from := t.e.town.office(w.FromOffice)
	if !ok || from == nil || old.Status != booking.StatusBooked || old.Channel != msg.Channel || old.ChatID != msg.ChatID {
		t.say(Reply{Text: t.text("BookingGone")})
		t.e.dropWatch(ctx, w.ID)
		return
	}
	req := booking.Request{Concerns: old.Concerns, Start: start, Name: old.Name, Email: old.Email, PersonKey: old.PersonKey, Source: old.Source,
		Channel: old.Channel, ChatID: old.ChatID, Lang: old.Lang}
	persons, sources, err := t.e.town.heldElsewhere(ctx, t.e, req.PersonKey, req.Source)
	if err != nil {
		t.sayError(err)
		return
	}
	req.HeldElsewhere, req.SourceHeldElsewhere = givenUp(persons, old), givenUp(sources, old) // the old booking is given up
	note, err := json.Marshal(pendingMove{Office: from.ID, Booking: old.ID, Channel: old.Channel, ChatID: old.ChatID})
	if err != nil {
		t.sayError(err)
		return
	}
	render := func(c booking.Change) (Reply, Reply) {
		chat, mail := t.bookedReplies(c.Booking, c.PIN, msg)
		moved := t.text("MovedAcross", "Office", t.e.cfg.Office.Name, "Old", t.e.when(t.d.Lang, old.Start), "From", from.Engine.cfg.Office.Name, "Number", old.Number)
		chat.Text, mail.Text = moved+"\n\n"+chat.Text, moved+"\n\n"+mail.Text
		gone := from.Engine.calendarFile(old, "CANCEL", t.d.Lang) // takes the old entry out of the calendar
		chat.Attachments, mail.Attachments = append(chat.Attachments, gone), append(mail.Attachments, gone)
		return chat, mail
	}
	tell := t.tellWith(render)
	tell.extra = []booking.Write{{Kind: movesKind, Key: tell.key, Value: note}}
	req.Effect = tell.effect
	_, _, err = t.e.store.Book(ctx, req)
	switch {
	case errors.Is(err, booking.ErrSlotTaken), errors.Is(err, booking.ErrNotBookable):
		tell.abandon()
		t.say(Reply{Text: t.text("OfferGone", "When", t.e.when(t.d.Lang, start))})
		t.quiet = true
		return
	case err != nil:
		tell.abandon()
		t.say(Reply{Text: t.text("BookingGone")})
		return
	}
	t.e.dropWatch(ctx, w.ID)
	t.dropTownWatches(ctx, w)
	t.e.finishMove(ctx, tell.key, note)
	t.reset(ctx)
	t.told(tell)
}

// movesKind is the records of moves across offices still to finish.
const movesKind = "town_moves"

// finishMoves cancels the old bookings of moves across offices that a
// crash left unfinished.
func (e *Engine) finishMoves(ctx context.Context) error {
	if e.town == nil {
		return nil
	}
	recs, err := e.moves.All(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		e.finishMove(ctx, r.Key, r.Value)
	}
	return nil
}

// finishMove cancels a move's old booking and forgets the note; a failure
// is logged and tried again at the next tick.
func (e *Engine) finishMove(ctx context.Context, key string, note []byte) {
	var m pendingMove
	if err := json.Unmarshal(note, &m); err != nil {
		e.log.Error("move across offices: unreadable note", "err", err)
		return
	}
	from := e.town.office(m.Office)
	if from == nil {
		e.log.Error("move across offices: no such office", "office", m.Office)
		return
	}
	_, err := from.Engine.store.CancelByOwner(ctx, m.Booking, booking.Owner{Channel: m.Channel, ChatID: m.ChatID}, nil)
	if err != nil && !errors.Is(err, booking.ErrNotActive) && !errors.Is(err, booking.ErrNotFound) {
		e.log.Warn("move across offices: old booking not cancelled yet", "office", m.Office, "err", err)
		return
	}
	if err := e.moves.Delete(ctx, key); err != nil {
		e.log.Error("move across offices: forget the note", "err", err)
	}
}
