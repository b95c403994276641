package conversation

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"buergerbuero/booking"
	"buergerbuero/office"
)

// The waiting list. A booking that comes faster than its day's pace
// (booking/pace.go) is not refused: the citizen's request waits on the
// day's list, and each tick draws from it as the pace allows — the cohorts
// (requests that came in the same window) in turn, one request each, in an
// order drawn by lot, at the time nearest to the one chosen. The drawn
// citizen is told in their chat with number and PIN, stored with the
// booking (the outbox); one who cannot get a time that day is told so, with
// the other days to choose from.

const waitingKind = "waiting"

// waitingEntry is one request on a day's waiting list.
type waitingEntry struct {
	Concerns  []office.ConcernCount `json:"concerns"`
	Start     time.Time             `json:"start"` // the time chosen
	Name      string                `json:"name"`
	Email     string                `json:"email,omitempty"`
	PersonKey string                `json:"person"`
	Source    string                `json:"source,omitempty"`
	Channel   string                `json:"channel"`
	ChatID    string                `json:"chat"`
	Lang      string                `json:"lang"`
	Cohort    string                `json:"cohort"`
	Arrived   time.Time             `json:"arrived"`
}

// wait puts this dialogue's request on its day's waiting list and tells
// the citizen when they will hear of it.
func (t *turn) wait(ctx context.Context, msg Message) bool {
	w := waitingEntry{Concerns: t.d.Concerns, Start: t.d.Start, Name: t.d.Name, Email: t.d.Email, PersonKey: msg.PersonKey, Source: msg.Source,
		Channel: msg.Channel, ChatID: msg.ChatID, Lang: t.d.Lang, Cohort: t.e.cfg.Cohort(t.now), Arrived: t.now}
	value, err := json.Marshal(w)
	if err != nil {
		t.sayError(err)
		return false
	}
	key := fmt.Sprintf("%s/%020d/%s", t.e.cfg.Day(w.Start).Format(time.DateOnly), t.now.UnixNano(), dialogueKey(msg.Channel, msg.ChatID))
	if err := t.e.store.Apply(ctx, booking.Write{Kind: waitingKind, Key: key, Value: value}); err != nil {
		t.sayError(err)
		return false
	}
	pace := t.e.cfg.Booking.Pace
	until := pace.CohortWindow // beyond the pace: the draws of the next minutes
	if t.e.cfg.InCollectWindow(w.Start, t.now) {
		until = t.e.cfg.DayOpens(w.Start).Add(pace.Collect).Sub(t.now) // the day's first draw
	}
	t.say(Reply{Text: t.text("Waiting", "Day", t.e.dayName(t.d.Lang, w.Start), "Minutes", int(math.Ceil(until.Minutes())))})
	t.reset(ctx)
	return true
}

// drawWaiting draws from every day's waiting list what its pace allows.
func (e *Engine) drawWaiting(ctx context.Context) error {
	recs, err := e.waitingList.All(ctx)
	if err != nil || len(recs) == 0 {
		return err
	}
	type waiting struct {
		key   string
		entry waitingEntry
	}
	days := map[time.Time]map[string][]waiting{} // day -> cohort -> requests
	for _, rec := range recs {
		var w waitingEntry
		if err := json.Unmarshal(rec.Value, &w); err != nil {
			e.log.Error("waiting list entry unreadable; dropped", "key", rec.Key, "err", err)
			if err := e.waitingList.Delete(ctx, rec.Key); err != nil {
				return err
			}
			continue
		}
		day := e.cfg.Day(w.Start)
		if days[day] == nil {
			days[day] = map[string][]waiting{}
		}
		days[day][w.Cohort] = append(days[day][w.Cohort], waiting{rec.Key, w})
	}
	now := e.store.Now()
	for day, cohorts := range days {
		if e.cfg.InCollectWindow(day, now) {
			continue // its first draw comes after the window
		}
		for len(cohorts) > 0 {
			order := slices.Sorted(maps.Keys(cohorts))
			rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, c := range order {
				list := cohorts[c]
				i := rand.IntN(len(list))
				w := list[i]
				if paced := e.serveWaiting(ctx, w.key, w.entry); paced {
					clear(cohorts) // the pace allows no more this day now
					break
				}
				if cohorts[c] = slices.Delete(list, i, i+1); len(cohorts[c]) == 0 {
					delete(cohorts, c)
				}
			}
		}
	}
	return nil
}

// serveWaiting books w at the free time of its day nearest to the one
// chosen, telling the citizen with the booking, or tells them why not and
// takes w off the list. paced says the day's pace allows nothing now: w
// stays.
func (e *Engine) serveWaiting(ctx context.Context, key string, w waitingEntry) (paced bool) {
	lang := langOf(w.Lang)
	drop := booking.Write{Kind: waitingKind, Key: key}
	free, err := e.store.FreeSlots(ctx, booking.ForCitizen, w.Concerns, w.Start, w.Start)
	if err != nil {
		e.log.Error("waiting list: free times", "err", err)
		return true
	}
	var times []time.Time
	for _, d := range free {
		times = append(times, d.Times...)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return cmp.Compare(absDuration(a.Sub(w.Start)), absDuration(b.Sub(w.Start))) })
	req := booking.Request{Concerns: w.Concerns, Name: w.Name, Email: w.Email, PersonKey: w.PersonKey, Source: w.Source,
		Channel: w.Channel, ChatID: w.ChatID, Lang: w.Lang, Cohort: w.Cohort}
	if e.town != nil { // what the person and the source hold at the town's other offices counts, as in the dialogue
		if req.HeldElsewhere, req.SourceHeldElsewhere, err = e.town.heldElsewhere(ctx, e, req.PersonKey, req.Source); err != nil {
			e.log.Error("waiting list: held elsewhere", "err", err)
			return true // try again next tick
		}
	}
	req.Effect = e.drawnEffect(w, drop)
	for _, start := range times {
		req.Start = start
		_, _, err := e.store.Book(ctx, req)
		switch {
		case err == nil:
			return false
		case errors.Is(err, booking.ErrSlotTaken):
			continue
		case errors.Is(err, booking.ErrPaced):
			return true
		case errors.Is(err, booking.ErrCohortFull):
			e.tellWaiting(ctx, w, drop, e.texts.T(lang, "WaitingDayGone", "Day", e.dayName(lang, w.Start)))
			return false
		case errors.Is(err, booking.ErrLimitReached), errors.Is(err, booking.ErrSourceLimitReached), errors.Is(err, booking.ErrTooBigOnline):
			e.tellWaiting(ctx, w, drop, e.texts.T(lang, "WaitingLimit", "Phone", e.cfg.Office.Phone))
			return false
		default:
			e.log.Error("waiting list: book", "err", err)
			return true // try again next tick
		}
	}
	e.tellWaiting(ctx, w, drop, e.texts.T(lang, "WaitingDayGone", "Day", e.dayName(lang, w.Start)))
	return false
}

func absDuration(d time.Duration) time.Duration { return max(d, -d) }

// drawnEffect stores, with the booking drawn for w, the message that tells
// the citizen (and its copy by mail) and w's removal from the list.
func (e *Engine) drawnEffect(w waitingEntry, drop booking.Write) booking.Effect {
	return func(c booking.Change) ([]booking.Write, error) {
		lang := langOf(w.Lang)
		intro := e.texts.T(lang, "WaitingDrawn")
		chat := Reply{Text: intro + "\n\n" + e.bookedText(lang, c.Booking, c.PIN, w.Channel != MailChannel),
			Attachments: []Attachment{e.calendarFile(c.Booking, "REQUEST", lang)}}
		o, err := e.outboxWrite(newOutboxKey(c.Now), outgoing{Channel: w.Channel, ChatID: w.ChatID, Lang: lang, Replies: []Reply{chat}, Created: c.Now})
		if err != nil {
			return nil, err
		}
		copied, err := e.mailCopy(c, newOutboxKey(c.Now)+"-mail", Reply{Text: e.bookedText(lang, c.Booking, c.PIN, false), Attachments: chat.Attachments})
		if err != nil {
			return nil, err
		}
		return append([]booking.Write{o, drop}, copied...), nil
	}
}

// tellWaiting tells w's citizen text and takes w off the list, together.
func (e *Engine) tellWaiting(ctx context.Context, w waitingEntry, drop booking.Write, text string) {
	if err := e.Push(ctx, w.Channel, w.ChatID, w.Lang, []Reply{{Text: text}}, drop); err != nil {
		e.log.Error("waiting list: tell", "err", err)
	}
}
