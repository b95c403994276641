package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"buergerbuero/booking"
	"buergerbuero/office"
)

// onDocs answers "what do I need for ...?" with documents and fee.
func (t *turn) onDocs(ctx context.Context, in input) bool {
	chosen := t.concernsOf(in)
	if len(chosen) == 0 {
		if !in.chained {
			t.notUnderstood()
		}
		return false
	}
	t.sayDocs(chosen)
	t.fire(ctx, "done")
	return true
}

// sayDocs tells what to bring and what it costs for each concern.
func (t *turn) sayDocs(concerns []office.ConcernCount) {
	for _, cc := range concerns {
		c, _ := t.e.cfg.Concern(cc.ID)
		t.say(Reply{Text: t.text("Docs", "Concern", c.Name.In(t.d.Lang), "Docs", bullets(c.Documents.In(t.d.Lang)), "Fee", c.Fee.In(t.d.Lang))})
	}
}

// sayHours tells the weekly opening hours and the next closed days.
// hoursLines are the weekly opening hours, a line a weekday.
func (e *Engine) hoursLines(lang string) string {
	var lines []string
	for _, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		ranges := e.cfg.WeeklyOpenings(wd)
		if len(ranges) == 0 {
			if wd >= time.Saturday || wd == time.Sunday {
				continue
			}
			ranges = []string{e.texts.T(lang, "HoursClosedDay")}
		}
		lines = append(lines, e.texts.T(lang, fmt.Sprintf("Weekday%d", wd))+": "+strings.Join(ranges, ", "))
	}
	return strings.Join(lines, "\n")
}

func (t *turn) sayHours() {
	var closed []string
	today := t.e.cfg.Day(t.now)
	for d := today; d.Before(today.AddDate(0, 0, 21)); d = d.AddDate(0, 0, 1) {
		if len(t.e.cfg.WeeklyOpenings(d.Weekday())) > 0 && !t.e.cfg.IsOpenDay(d) {
			closed = append(closed, t.e.dayName(t.d.Lang, d)+" ("+t.e.closedReason(t.d.Lang, d)+")")
		}
	}
	c := t.e.cfg.Office
	t.say(Reply{Text: t.text("Hours", "Office", c.Name, "Hours", t.e.hoursLines(t.d.Lang), "Closed", strings.Join(closed, ", "), "Address", c.Address, "Phone", c.Phone)})
}

// today is the chat's bookings of today that are still in play.
func (t *turn) todays(ctx context.Context, msg Message) []booking.Booking {
	mine, err := t.e.store.PersonBookings(ctx, msg.PersonKey)
	if err != nil {
		t.e.log.Error("person bookings", "err", err)
	}
	var out []booking.Booking
	today := t.e.cfg.Day(t.now)
	for _, b := range mine {
		if t.e.cfg.Day(b.Start).Equal(today) && b.Active() {
			out = append(out, b)
		}
	}
	return out
}

// sayStatus answers "where am I?" for today's bookings of the person.
func (t *turn) sayStatus(ctx context.Context, msg Message, number string) {
	todays := t.todays(ctx, msg)
	// A ticket from the info desk is not tied to a chat: its number tells.
	if b, err := t.e.store.Find(ctx, number); number != "" && err == nil && t.e.cfg.Day(b.Start).Equal(t.e.cfg.Day(t.now)) && b.Active() {
		todays = []booking.Booking{b}
	}
	if len(todays) == 0 {
		t.say(Reply{Text: t.text("NoToday")})
		t.sayNext(ctx, msg)
		return
	}
	for _, b := range todays {
		t.say(Reply{Text: t.statusText(ctx, b)})
	}
}

func (t *turn) statusText(ctx context.Context, b booking.Booking) string {
	if q := t.e.opts.Queue; q != nil {
		pos, err := q.Position(ctx, b)
		if err == nil {
			if pos.Called {
				return t.text("StatusCalled", "Number", b.Number, "Counter", pos.Counter)
			}
			if b.Kind == booking.KindWalkIn || !b.Start.After(t.now) {
				return t.text("StatusWaiting", "Number", b.Number, "Ahead", pos.Ahead, "Wait", int(pos.Wait.Round(time.Minute)/time.Minute))
			}
		}
	}
	return t.text("StatusAppointment", "Number", b.Number, "Time", b.Start.In(t.e.cfg.Location()).Format("15:04"))
}

// sayNext mentions the person's next appointment, if any.
func (t *turn) sayNext(ctx context.Context, msg Message) {
	mine, _ := t.e.store.PersonBookings(ctx, msg.PersonKey)
	for i := len(mine) - 1; i >= 0; i-- {
		if b := mine[i]; b.Status == booking.StatusBooked && b.Start.After(t.now) {
			t.say(Reply{Text: t.text("NextAppointment", "Number", b.Number, "When", t.e.when(t.d.Lang, b.Start))})
			return
		}
	}
}

// checkIn records "I am here" for today's appointment booked in this chat.
func (t *turn) checkIn(ctx context.Context, msg Message) {
	for _, b := range t.todays(ctx, msg) {
		if b.Kind != booking.KindAppointment {
			continue
		}
		_, err := t.e.store.CheckIn(ctx, b.ID, booking.Owner{Channel: msg.Channel, ChatID: msg.ChatID}, "")
		if err == nil {
			t.say(Reply{Text: t.text("CheckedIn", "Number", b.Number)})
			return
		}
		if !errors.Is(err, booking.ErrNotFound) && !errors.Is(err, booking.ErrNotActive) {
			t.sayError(err)
			return
		}
	}
	t.say(Reply{Text: t.text("NoCheckIn")})
}
