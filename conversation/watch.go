package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"buergerbuero/booking"
	"buergerbuero/office"
)

// Messages the engine starts on its own: offers of earlier times that
// became free, reminders, calls. What to send and when is derived from
// stored state and the clock each Tick, so it survives restarts.

// watch is a citizen's wish to hear of an earlier free time.
type watch struct {
	ID        uint64                `json:"id"`
	Channel   string                `json:"channel"`
	ChatID    string                `json:"chat"`
	Lang      string                `json:"lang"`
	BookingID uint64                `json:"booking,omitempty"` // 0: no booking yet
	Concerns  []office.ConcernCount `json:"concerns"`
	Before    time.Time             `json:"before"`           // offer only times before this
	Offered   time.Time             `json:"offered,omitzero"` // the last time offered
	Created   time.Time             `json:"created"`
	Town      bool                  `json:"town,omitempty"` // one of the watches left at every office of the town offering the concerns
	// FromOffice and FromBooking: the booking at another office of the
	// town that an offer here would replace (a town-wide watch for a
	// booking, left at this office).
	FromOffice  string `json:"from_office,omitempty"`
	FromBooking uint64 `json:"from_booking,omitempty"`
}

// onPushedOption handles the buttons of messages the engine sent on its
// own, and the "tell me" buttons; they work in any state.
func (t *turn) onPushedOption(ctx context.Context, opt string, msg Message) {
	owner := booking.Owner{Channel: msg.Channel, ChatID: msg.ChatID}
	kind, arg, _ := strings.Cut(opt, ":")
	switch kind + ":" {
	case prefCancelID:
		if !t.owner.Trusted() {
			t.say(Reply{Text: t.text("MailNeedsPIN")})
			return
		}
		id, _ := strconv.ParseUint(arg, 10, 64)
		tell := t.tellWith(t.cancelledReplies)
		if _, err := t.e.store.CancelByOwner(ctx, id, owner, tell.effect); err != nil {
			tell.abandon()
			t.say(Reply{Text: t.text("BookingGone")})
			return
		}
		t.told(tell)
	case prefWatch:
		w := &watch{Channel: msg.Channel, ChatID: msg.ChatID, Lang: t.d.Lang, Created: t.now}
		if opt == optWatchNew || opt == optWatchAnywhere {
			if len(t.d.Concerns) == 0 {
				t.notUnderstood()
				return
			}
			w.Concerns, w.Before = t.d.Concerns, t.e.firstFree(ctx, t.d.Concerns)
			w.Town = opt == optWatchAnywhere && t.e.town != nil
		} else {
			idText, anywhere := strings.CutPrefix(arg, "any:")
			id, _ := strconv.ParseUint(idText, 10, 64)
			b, err := t.e.store.Get(ctx, id)
			if err != nil || b.Channel != msg.Channel || b.ChatID != msg.ChatID || b.Status != booking.StatusBooked {
				t.say(Reply{Text: t.text("BookingGone")})
				return
			}
			w.BookingID, w.Concerns, w.Before = b.ID, b.Concerns, b.Start
			w.Town = anywhere && t.e.town != nil
		}
		if err := t.e.putWatch(ctx, w); err != nil {
			t.sayError(err)
			return
		}
		if w.Town {
			if err := t.e.town.watchElsewhere(ctx, t.e, *w); err != nil {
				t.sayError(err)
				return
			}
		}
		t.reset(ctx)
		if w.BookingID == 0 {
			t.say(Reply{Text: t.text("WatchStartedNew")})
		} else {
			t.say(Reply{Text: t.text("WatchStarted")})
		}
		t.quiet = true
	case prefUnwatch:
		id, _ := strconv.ParseUint(arg, 10, 64)
		if w, err := t.e.getWatch(ctx, id); err == nil && w.Channel == msg.Channel && w.ChatID == msg.ChatID {
			t.e.dropWatch(ctx, id)
			t.dropTownWatches(ctx, w)
		}
		t.say(Reply{Text: t.text("WatchStopped")})
		t.quiet = true
	case prefOffer:
		t.acceptOffer(ctx, arg, msg)
	}
}

// firstFree is the first free time for concerns from now, or the day after
// the booking window when none is: a new watch offers anything earlier.
func (e *Engine) firstFree(ctx context.Context, concerns []office.ConcernCount) time.Time {
	now := e.store.Now()
	_, last := e.window(now)
	if days, err := e.store.FreeSlots(ctx, booking.ForCitizen, concerns, now, last); err == nil && len(days) > 0 {
		return days[0].Times[0]
	}
	return last.AddDate(0, 0, 1)
}

// dropTownWatches drops the siblings of a town-wide watch at the other
// offices, once it is taken or stopped.
func (t *turn) dropTownWatches(ctx context.Context, w *watch) {
	if w.Town && t.e.town != nil {
		t.e.town.dropWatches(ctx, t.e, w.Channel, w.ChatID)
	}
}

// acceptOffer takes an offered earlier time: the first to accept gets it.
// With a booking, the move is one transaction that also frees the old time;
// without one, the dialogue goes on to the name with the time chosen.
func (t *turn) acceptOffer(ctx context.Context, arg string, msg Message) {
	idText, unix, _ := strings.Cut(arg, ":")
	id, _ := strconv.ParseUint(idText, 10, 64)
	sec, _ := strconv.ParseInt(unix, 10, 64)
	start := time.Unix(sec, 0)
	w, err := t.e.getWatch(ctx, id)
	if err != nil || w.Channel != msg.Channel || w.ChatID != msg.ChatID {
		t.say(Reply{Text: t.text("OfferGone", "When", t.e.when(t.d.Lang, start))})
		return
	}
	if w.FromBooking != 0 && t.e.town != nil {
		t.moveAcross(ctx, w, start, msg)
		return
	}
	if w.BookingID == 0 {
		t.reset(ctx)
		t.d.Flow, t.d.Concerns, t.d.Day, t.d.Start = "book", w.Concerns, t.e.cfg.Day(start).Format(time.DateOnly), start
		t.chosenAt = len(t.replies)
		for _, ev := range []string{"book", "concern_chosen", "concerns_done", "day_chosen", "time_chosen"} {
			t.fire(ctx, ev)
		}
		t.e.dropWatch(ctx, w.ID)
		t.dropTownWatches(ctx, w)
		return
	}
	tell := t.tellWith(t.movedReplies, booking.Write{Kind: "watches", Key: watchKey(w.ID)}) // the offer is taken
	_, err = t.e.store.MoveByOwner(ctx, w.BookingID, booking.Owner{Channel: msg.Channel, ChatID: msg.ChatID}, start, tell.effect)
	if err != nil {
		tell.abandon()
	}
	switch {
	case errors.Is(err, booking.ErrSlotTaken), errors.Is(err, booking.ErrNotBookable):
		t.say(Reply{Text: t.text("OfferGone", "When", t.e.when(t.d.Lang, start))})
		t.quiet = true
		return
	case err != nil:
		t.say(Reply{Text: t.text("BookingGone")})
		t.e.dropWatch(ctx, w.ID)
		return
	}
	t.dropTownWatches(ctx, w)
	t.reset(ctx)
	t.told(tell)
}

// Push stores replies the engine starts on its own for a chat in the
// outbox, with extra records in the same transaction, and remembers their
// options so a typed number answers them; the outbox delivers them. lang
// is the chat's language, for a chat that has no stored dialogue.
func (e *Engine) Push(ctx context.Context, channel, chatID, lang string, replies []Reply, extra ...booking.Write) error {
	if e.sender(channel) == nil {
		return fmt.Errorf("no sender for channel %q", channel)
	}
	var opts []Option
	for _, r := range replies {
		if len(r.Options) > 0 {
			opts = r.Options
		}
	}
	if opts != nil {
		defer e.lock(channel, chatID)()
		d, err := e.load(ctx, channel, chatID)
		if err != nil {
			return fmt.Errorf("remember pushed options: %w", err)
		}
		if d == nil {
			d = &dialogue{State: stIdle, Lang: langOf(lang), Updated: e.store.Now()}
		}
		d.Options = opts
		state, err := json.Marshal(d)
		if err != nil {
			return err
		}
		extra = append(extra, booking.Write{Kind: "dialogues", Key: dialogueKey(channel, chatID), Value: state})
	}
	return e.enqueue(ctx, outgoing{Channel: channel, ChatID: chatID, Lang: lang, Replies: replies}, extra...)
}

// CallEffect is the call system's effect (passed with each call): the message
// that calls the citizen in the chat they booked from ("T-042: please go
// to Platz 3") is stored with the call, so a crash cannot call a number
// without telling its chat. Bookings without a chat get none.
func (e *Engine) CallEffect(c booking.Change) ([]booking.Write, error) {
	b := c.Booking
	if b.Status != booking.StatusCalled || b.Channel == "" || b.ChatID == "" || e.sender(b.Channel) == nil {
		return nil, nil // a start, a no-show, a finished case: nothing to tell
	}
	counter, _ := e.cfg.CounterByID(b.Counter)
	// In a town, numbers repeat from office to office: the call names its office.
	r := Reply{Text: e.texts.T(langOf(b.Lang), "Called", "Number", b.Number, "Counter", counter.Name, "Office", e.townOffice())}
	w, err := e.outboxWrite(newOutboxKey(c.Now), outgoing{Channel: b.Channel, ChatID: b.ChatID, Lang: b.Lang, Replies: []Reply{r}, Created: c.Now})
	if err != nil {
		return nil, err
	}
	return []booking.Write{w}, nil
}

// DeliverSoon wakes the outbox's delivery, after a change whose effect
// stored a message (a call).
func (e *Engine) DeliverSoon() { e.kick() }

// CancelledByOffice is the effect of a clerk's cancellation of one
// booking (/bb cancel: on the phone, at the counter): the message that
// tells the citizen, stored in the cancellation's own transaction (see
// toldOfCancellation).
func (e *Engine) CancelledByOffice(c booking.Change) ([]booking.Write, error) {
	return e.toldOfCancellation(c, "CancelledByOffice")
}

// CancelledInCluster is the effect of cancelling a cluster of hoarded
// bookings: the message says why.
func (e *Engine) CancelledInCluster(c booking.Change) ([]booking.Write, error) {
	return e.toldOfCancellation(c, "CancelledInCluster")
}

// toldOfCancellation is the outbox entry (and its copy by mail where an
// address is known) that tells the citizen of booking c.Booking, with the
// calendar entry's cancellation, in the words of textID: a crash right
// after the cancellation cannot keep them from hearing of it.
func (e *Engine) toldOfCancellation(c booking.Change, textID string) ([]booking.Write, error) {
	b := c.Booking
	lang := langOf(b.Lang)
	r := Reply{Text: e.texts.T(lang, textID, "Number", b.Number, "When", e.when(lang, b.Start), "Phone", e.cfg.Office.Phone),
		Attachments: []Attachment{e.calendarFile(b, "CANCEL", lang)}}
	key := fmt.Sprintf("%s-%d", newOutboxKey(c.Now), b.ID) // a cluster's cancellations share c.Now
	writes, err := e.mailCopy(c, key+"-mail", r)
	if err != nil || b.ChatID == "" || e.sender(b.Channel) == nil {
		return writes, err
	}
	w, err := e.outboxWrite(key, outgoing{Channel: b.Channel, ChatID: b.ChatID, Lang: lang, Replies: []Reply{r}, Created: c.Now})
	if err != nil {
		return nil, err
	}
	return append([]booking.Write{w}, writes...), nil
}
