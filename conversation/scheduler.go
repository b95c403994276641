package conversation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/retry"
)

// The scheduler: what the engine does on its own at the clock's time, each
// Tick, derived from stored state, so it survives restarts: offering
// earlier times that became free to those watching, reminders the day
// before and an hour before, and deleting old dialogues.

// Run calls Tick now and every interval until ctx ends.
func (e *Engine) Run(ctx context.Context, interval time.Duration) {
	tick := func() {
		if err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("conversation tick", "err", err)
		}
	}
	tick()
	retry.Every(ctx, interval, tick)
}

// Tick does what is due at the clock's now: offers earlier times to those
// watching, sends reminders, forgets stale dialogues.
func (e *Engine) Tick(ctx context.Context) error {
	return errors.Join(e.drawWaiting(ctx), e.offerEarlier(ctx), e.remind(ctx), e.pruneDialogues(ctx), e.finishMoves(ctx))
}

// townOffice is the office's name where a town has several, for the
// messages that must say which office (a call, an offer, a reminder); ""
// for a single office.
func (e *Engine) townOffice() string {
	if e.town == nil {
		return ""
	}
	return e.cfg.Office.Name
}

// offerEarlier offers each watcher the first free time before the one they
// hold or named. Watchers are served fairly, not by speed: in an order
// drawn by lot, and one watcher per free time and tick, so whoever is
// offered a freed time first is chosen by lot, not by who polls fastest.
func (e *Engine) offerEarlier(ctx context.Context) error {
	ws, err := e.watches(ctx)
	if err != nil {
		return err
	}
	rand.Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
	offeredNow := map[int64]bool{} // free times offered this tick
	now := e.store.Now()
	for _, w := range ws {
		old := ""
		if w.FromBooking != 0 { // a town-wide watch for a booking at another office
			b, ok := e.town.bookingAt(ctx, w.FromOffice, w.FromBooking)
			if !ok || b.Status != booking.StatusBooked || !b.Start.After(now) {
				e.dropWatch(ctx, w.ID)
				continue
			}
			w.Before, old = b.Start, e.when(langOf(w.Lang), b.Start)
		}
		if w.BookingID != 0 {
			b, err := e.store.Get(ctx, w.BookingID)
			if err != nil || b.Status != booking.StatusBooked || !b.Start.After(now) {
				e.dropWatch(ctx, w.ID)
				continue
			}
			w.Before = b.Start
		}
		if !w.Before.After(now) {
			e.dropWatch(ctx, w.ID)
			continue
		}
		days, err := e.store.FreeSlots(ctx, booking.ForCitizen, w.Concerns, now, w.Before)
		if err != nil || len(days) == 0 {
			continue
		}
		first := days[0].Times[0]
		if !first.Before(w.Before) || first.Equal(w.Offered) || offeredNow[first.Unix()] || e.sender(w.Channel) == nil {
			continue
		}
		lang := langOf(w.Lang)
		if w.BookingID != 0 {
			old = e.when(lang, w.Before)
		}
		reply := Reply{Text: e.texts.T(lang, "Offer", "When", e.when(lang, first), "Old", old, "Office", e.townOffice()), Options: []Option{
			{offerOption(w.ID, first.Unix()), e.texts.T(lang, "OptTakeOffer")},
			{unwatchOption(w.ID), e.texts.T(lang, "OptStopWatching")},
		}}
		if err := e.Push(ctx, w.Channel, w.ChatID, w.Lang, []Reply{reply}); err != nil {
			e.log.Warn("offer earlier time", "channel", w.Channel, "err", err)
			continue
		}
		offeredNow[first.Unix()] = true
		w.Offered = first
		if err := e.putWatch(ctx, &w); err != nil {
			return err
		}
	}
	return nil
}

// remind sends the day-before and the hour-before reminder of each
// appointment booked by chat, each once.
func (e *Engine) remind(ctx context.Context) error {
	now := e.store.Now()
	bs, err := e.store.Between(ctx, now, now.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.Kind != booking.KindAppointment || b.Status != booking.StatusBooked || !b.CheckedInAt.IsZero() {
			continue // a citizen who has checked in is here: no reminder to come
		}
		lang := langOf(b.Lang)
		var cancel []Option // one tap to cancel, where the chat proves who it is
		if (chatOwner{Channel: b.Channel, ChatID: b.ChatID}).Trusted() {
			cancel = []Option{{cancelIDOption(b.ID), e.texts.T(lang, "OptCancelThis")}}
		}
		day := e.texts.T(lang, "ReminderDay", "Number", b.Number, "When", e.when(lang, b.Start), "Docs", e.documents(lang, b.Concerns), "Office", e.townOffice())
		for _, r := range []struct {
			kind, channel, chat string
			before              time.Duration
			reply               Reply
		}{
			{"day", b.Channel, b.ChatID, 24 * time.Hour, Reply{Text: day, Options: cancel}},
			{"hour", b.Channel, b.ChatID, time.Hour, Reply{Text: e.texts.T(lang, "ReminderHour", "Number", b.Number,
				"Time", b.Start.In(e.cfg.Location()).Format("15:04"), "Office", e.cfg.Office.Name, "Address", e.cfg.Office.Address), Options: cancel}},
			// A booking made on another channel with an e-mail address gets a mail too.
			{"mail", MailChannel, b.Email, e.opts.MailReminderBefore, Reply{Text: day}},
		} {
			if r.chat == "" || (r.kind == "mail" && b.Channel == MailChannel) || e.sender(r.channel) == nil {
				continue
			}
			due := b.Start.Add(-r.before)
			// Due, not past, and the booking was made before it fell due.
			if now.Before(due) || !now.Before(b.Start) || !b.CreatedAt.Before(due) {
				continue
			}
			if r.kind != "hour" && !now.Before(b.Start.Add(-time.Hour)) {
				continue // the hour reminder says it all
			}
			key := fmt.Sprintf("%d/%s", b.ID, r.kind)
			if sent, err := e.reminded(ctx, key); err != nil || sent {
				if err != nil {
					return err
				}
				continue
			}
			// The reminder and the note that it went out are stored together.
			if err := e.Push(ctx, r.channel, r.chat, b.Lang, []Reply{r.reply}, booking.Write{Kind: "reminders", Key: key, Value: []byte{}}); err != nil {
				e.log.Warn("reminder", "channel", r.channel, "err", err)
				continue
			}
		}
	}
	return nil
}
