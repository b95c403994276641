package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"buergerbuero/booking"
	"buergerbuero/conversation/understand"
	"buergerbuero/office"
)

// onIdle starts a flow from the menu, or from what a free text asks for.
func (t *turn) onIdle(ctx context.Context, in input) bool {
	u := in.u
	intent := u.Intent
	switch in.option {
	case optMenuBook:
		intent = understand.IntentBook
	case optMenuCancel:
		intent = understand.IntentCancel
	case optMenuReschedule:
		intent = understand.IntentReschedule
	case optMenuDocs:
		intent = understand.IntentDocs
	case optMenuHours:
		intent = understand.IntentHours
	case optMenuStatus:
		intent = understand.IntentStatus
	case "":
	default:
		if strings.HasPrefix(in.option, prefConcern) { // a concern button from an old message
			intent = understand.IntentBook
		}
	}
	if intent == understand.IntentNone && (len(u.Concerns) > 0 || u.HasDay || u.HasTime) {
		intent = understand.IntentBook // "Personalausweis" or "Mittwoch 10 Uhr" alone means: book it
	}
	if intent == understand.IntentStop && u.SaysCancel {
		intent = understand.IntentCancel // "I want to cancel" with nothing going on
	}
	// A number typed with the request, or just before it, is kept for the
	// flows that need one; anything else forgets it.
	if u.Number != "" {
		t.d.Number = u.Number
	} else if intent != understand.IntentCancel && intent != understand.IntentReschedule && intent != understand.IntentStatus {
		t.d.Number = ""
	}
	if intent == understand.IntentNone && in.option == "" && u.Number != "" {
		// A waiting number alone: ask what it is about; the PIN, if it
		// came along, is asked for again rather than kept in the file.
		t.say(Reply{Text: t.text("NumberWhat", "Number", u.Number), Options: []Option{
			{optMenuCancel, t.text("OptCancel")}, {optMenuReschedule, t.text("OptReschedule")}, {optMenuStatus, t.text("OptStatus")}}})
		t.quiet = true
		return true
	}
	t.d.WantDay, t.d.WantMinute = "", 0
	switch intent {
	case understand.IntentBook, understand.IntentEarlier, understand.IntentEarliest:
		t.noteWanted(u)
		t.d.Flow = "book"
		t.fire(ctx, "book")
		return true
	case understand.IntentCancel:
		t.d.Flow = "cancel"
		t.fire(ctx, "cancel")
		return true
	case understand.IntentReschedule:
		t.d.Flow = "reschedule"
		t.fire(ctx, "reschedule")
		return true
	case understand.IntentDocs:
		t.d.Flow = "docs"
		t.fire(ctx, "docs")
		return true
	case understand.IntentHours:
		t.sayHours()
		return true
	case understand.IntentStatus:
		t.sayStatus(ctx, in.msg, t.d.Number)
		t.d.Number = ""
		return true
	case understand.IntentCheckIn:
		t.checkIn(ctx, in.msg)
		return true
	}
	if in.msg.Text != "" || in.option != "" {
		if t.badDate == "" && in.option == "" {
			// Nothing of what this assistant does: say who else can help.
			t.say(Reply{Text: t.text("NotUnderstoodIdle", "Phone", t.e.cfg.Office.Phone)})
			return false
		}
		t.notUnderstood()
	}
	return false
}

func (t *turn) promptConcern(question string) {
	opts := make([]Option, 0, len(t.e.cfg.Concerns)+1)
	for _, c := range t.e.cfg.Concerns {
		opts = append(opts, Option{concernOption(c.ID), c.Name.In(t.d.Lang)})
	}
	t.say(Reply{Text: t.text(question), Options: append(opts, t.back())})
}

// concernsOf reads the chosen concerns from an option or typed text.
func (t *turn) concernsOf(in input) []office.ConcernCount {
	if id, ok := optionArg(in.option, prefConcern); ok {
		if _, known := t.e.cfg.Concern(id); known {
			return []office.ConcernCount{{ID: id, Count: 1}}
		}
		return nil
	}
	return in.u.Concerns
}

// splitText says that the concerns left cannot be done with those kept,
// and what to do about them: a second appointment where a person may hold
// one, else a walk-in number or a phone call (staff bookings have no limit).
func (t *turn) splitText(id string, kept, left []office.ConcernCount) string {
	if t.e.cfg.Booking.MaxActivePerPerson < 2 && !t.staff {
		id += "One"
	}
	return t.text(id, "Kept", t.e.concernList(t.d.Lang, kept), "Left", t.e.concernList(t.d.Lang, left), "Phone", t.e.cfg.Office.Phone)
}

func (t *turn) onConcern(ctx context.Context, in input) bool {
	chosen := t.concernsOf(in)
	if len(chosen) == 0 {
		switch {
		case in.chained:
		case in.u.HasDay || in.u.HasTime: // kept by noteWanted for the day step, or said why not
			if t.d.WantDay != "" || t.d.WantMinute > 0 {
				t.say(Reply{Text: t.text("ThanksNoted", "What", t.wantedText())})
			}
		default:
			t.notUnderstood()
		}
		return false
	}
	merged := append(append([]office.ConcernCount(nil), t.d.Concerns...), chosen...)
	minutes, err := t.e.cfg.Minutes(merged)
	if errors.Is(err, booking.ErrNoCounter) {
		// No one counter does all of it: take what fits together, and say
		// so, with what to do about the rest.
		merged = append(append([]office.ConcernCount(nil), t.d.Concerns...), chosen[0])
		if minutes, err = t.e.cfg.Minutes(merged); err == nil {
			t.say(Reply{Text: t.splitText("NoCounter", merged, chosen[1:])})
		} else if len(t.d.Concerns) > 0 {
			t.say(Reply{Text: t.splitText("NoCounterAdd", t.d.Concerns, chosen)})
			t.fire(ctx, "concern_chosen") // back to "another concern?" with what there was
			return true
		}
	}
	if err == nil && !t.staff {
		err = t.e.cfg.CheckOnlineSize(merged)
	}
	switch {
	case errors.Is(err, booking.ErrTooMany):
		t.say(Reply{Text: t.e.tooManyText(t.d.Lang, merged)})
		if len(t.d.Concerns) > 0 {
			t.fire(ctx, "concern_chosen") // no dead end: back to "another concern?" with what there was
		}
		return false
	case errors.Is(err, booking.ErrTooBigOnline):
		t.say(Reply{Text: t.tooBigText()})
		if len(t.d.Concerns) > 0 {
			t.fire(ctx, "concern_chosen")
		}
		return false
	case err != nil:
		t.notUnderstood()
		return false
	}
	t.d.Concerns = mergeConcerns(merged)
	t.say(Reply{Text: t.text("ChosenConcerns", "List", t.e.concernList(t.d.Lang, t.d.Concerns), "Minutes", minutes)})
	t.fire(ctx, "concern_chosen")
	for _, id := range in.u.Plural {
		if c, ok := t.e.cfg.Concern(id); ok && c.MaxCount > 1 && countOf(t.d.Concerns, id) == 1 {
			t.d.AskCount = id
			return false // ask how many before going on
		}
	}
	return true
}

// tooBigText says that a booking this big is made by staff, not online.
func (t *turn) tooBigText() string {
	r := t.e.cfg.Booking
	return t.text("TooBigOnline", "Cases", r.MaxCasesPerBooking, "Minutes", r.MaxMinutesPerBooking, "Phone", t.e.cfg.Office.Phone)
}

func countOf(cs []office.ConcernCount, id string) int {
	for _, c := range cs {
		if c.ID == id {
			return c.Count
		}
	}
	return 0
}

// onCount takes the answer to "for how many people?"; anything else
// leaves the count at one and goes on as the "another concern?" step.
// used reports whether the input was the answer.
func (t *turn) onCount(in input) (used bool) {
	id := t.d.AskCount
	t.d.AskCount = ""
	n, ok := 0, false
	if v, found := optionArg(in.option, prefCount); found {
		n, _ = strconv.Atoi(v)
		ok = true
	} else if toks := understand.Tokens(understand.Normalize(in.msg.Text)); len(toks) > 0 && in.option == "" {
		n, ok = understand.NumberWord(toks[0])
	}
	if !ok {
		return false
	}
	c, known := t.e.cfg.Concern(id)
	if !known || n < 1 || n > c.MaxCount {
		t.d.AskCount = id
		if known {
			t.say(Reply{Text: t.text("TooMany", "Concern", c.Name.In(t.d.Lang), "Max", c.MaxCount)})
		}
		return true
	}
	cs := append([]office.ConcernCount(nil), t.d.Concerns...)
	for i := range cs {
		if cs[i].ID == id {
			cs[i].Count = n
		}
	}
	minutes, err := t.e.cfg.Minutes(cs)
	if err == nil && !t.staff {
		if err = t.e.cfg.CheckOnlineSize(cs); err != nil {
			t.say(Reply{Text: t.tooBigText()})
			return true
		}
	}
	if err != nil {
		t.say(Reply{Text: t.e.tooManyText(t.d.Lang, cs)})
		return true
	}
	t.d.Concerns = cs
	t.say(Reply{Text: t.text("ChosenConcerns", "List", t.e.concernList(t.d.Lang, cs), "Minutes", minutes)})
	return true
}

func mergeConcerns(cs []office.ConcernCount) []office.ConcernCount {
	var out []office.ConcernCount
	idx := map[string]int{}
	for _, c := range cs {
		if i, ok := idx[c.ID]; ok {
			out[i].Count += c.Count
			continue
		}
		idx[c.ID] = len(out)
		out = append(out, c)
	}
	return out
}

func (t *turn) onMore(ctx context.Context, in input) bool {
	u := in.u
	if t.d.AskCount != "" && !in.chained && t.onCount(in) {
		return false // the next question is "another concern?"
	}
	switch {
	case in.option == optMoreYes || (!in.chained && u.Yes):
		t.fire(ctx, "more_concerns")
		return false // ask which concern
	case in.option == optMoreNo || (!in.chained && u.No) || u.HasDay || u.HasTime || u.HasPart || u.Intent == understand.IntentEarliest:
		t.applyPart(u)
		t.d.DayFrom = ""
		t.say(Reply{Text: t.text("BringDocs", "Docs", t.e.documents(t.d.Lang, t.d.Concerns))})
		t.fire(ctx, "concerns_done")
		return true
	case !in.chained && len(u.Concerns) > 0: // another concern typed right away
		t.fire(ctx, "more_concerns")
		return true
	}
	if !in.chained && !t.rememberAhead(in) {
		t.notUnderstood()
	}
	return false
}

func (t *turn) applyPart(u understand.Understanding) {
	if u.HasPart {
		t.d.PartFrom, t.d.PartTo = u.PartFrom, u.PartTo
	}
}

// freeDays lists the first days with free times for the dialogue's
// concerns from day from on, filtered by the part of day asked for: a
// page of them and one more (to offer later days). It asks the store a
// week at a time, so an office booked up far ahead reads only the weeks
// it shows.
func (t *turn) freeDays(ctx context.Context, from time.Time) ([]booking.DaySlots, error) {
	_, last := t.e.window(t.now)
	var out []booking.DaySlots
	for start := from; !start.After(last) && len(out) <= t.e.opts.DaysPerPage; start = start.AddDate(0, 0, 7) {
		days, err := t.e.store.FreeSlots(ctx, t.booker(), t.d.Concerns, start, start.AddDate(0, 0, 6))
		if err != nil {
			return nil, err
		}
		for _, d := range days {
			if d.Times = t.filterPart(d.Times); len(d.Times) > 0 {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

func (t *turn) filterPart(times []time.Time) []time.Time {
	if t.d.PartTo == 0 {
		return times
	}
	var out []time.Time
	for _, tm := range times {
		m := tm.In(t.e.cfg.Location())
		if mm := m.Hour()*60 + m.Minute(); mm >= t.d.PartFrom && mm < t.d.PartTo {
			out = append(out, tm)
		}
	}
	return out
}

func (t *turn) promptDay(ctx context.Context) {
	from := t.now
	if d, err := time.ParseInLocation(time.DateOnly, t.d.DayFrom, t.e.cfg.Location()); err == nil {
		from = d
	}
	days, err := t.freeDays(ctx, from)
	if err != nil {
		t.sayError(err)
		return
	}
	if len(days) == 0 {
		if t.d.DayFrom != "" {
			t.d.DayFrom = ""
			t.say(Reply{Text: t.text("NoMoreDays")})
			t.promptDay(ctx)
			return
		}
		if t.d.PartTo != 0 { // nothing in that part of the day: try all day
			t.d.PartFrom, t.d.PartTo = 0, 0
			t.promptDay(ctx)
			return
		}
		opts := []Option{t.back(), {"restart", t.text("OptRestart")}}
		if !t.staff {
			opts = append(append([]Option{{optWatchNew, t.text("OptEarlierNoTime")}}, t.watchAnywhere()...), opts...)
		}
		t.say(Reply{Text: t.text("NoDays", "Horizon", t.e.cfg.Booking.HorizonDays, "Phone", t.e.cfg.Office.Phone), Options: opts})
		return
	}
	var opts []Option
	for i, d := range days {
		if i == t.e.opts.DaysPerPage {
			opts = append(opts, Option{daysOption(d.Day), t.text("OptLaterDays")})
			break
		}
		opts = append(opts, Option{dayOption(d.Day), t.text("DayLabel", "Day", t.e.dayName(t.d.Lang, d.Day), "N", len(d.Times))})
	}
	question := t.text("AskDay")
	if t.d.PartTo != 0 {
		question = t.text("AskDayPart", "Part", strings.TrimSpace(t.partName()))
	}
	if !t.staff {
		opts = append(append(opts, Option{optWatchNew, t.text("OptEarlier")}), t.watchAnywhere()...)
	}
	t.say(Reply{Text: question, Options: append(opts, t.back())})
}

// watchAnywhere offers, in a town where other offices offer the concerns
// too, to hear of a free time at any of them.
func (t *turn) watchAnywhere() []Option {
	if t.e.town == nil || len(t.e.town.offering(t.d.Concerns)) < 2 {
		return nil
	}
	return []Option{{optWatchAnywhere, t.text("OptEarlierAnywhere")}}
}

// openInPart reports whether the office is open on day at some time in
// the part of the day asked for.
func (t *turn) openInPart(day time.Time) bool {
	for _, o := range t.e.cfg.Openings(day) {
		from := o.From.Hour()*60 + o.From.Minute()
		to := o.To.Hour()*60 + o.To.Minute()
		if from < t.d.PartTo && to > t.d.PartFrom {
			return true
		}
	}
	return false
}

// partName is the part of the day asked for, with its trailing space
// ("vormittags "), or nothing when none was.
func (t *turn) partName() string {
	switch {
	case t.d.PartTo == 0:
		return ""
	case t.d.PartTo <= 12*60:
		return t.text("PartMorning")
	default:
		return t.text("PartAfternoon")
	}
}

func (t *turn) onDay(ctx context.Context, in input) bool {
	u := in.u
	if day, ok := optionArg(in.option, prefDays); ok {
		t.d.DayFrom = day
		return false
	}
	if day, ok := optionArg(in.option, prefDay); ok {
		return t.chooseDay(ctx, day, in)
	}
	t.applyPart(u)
	if u.Intent == understand.IntentEarliest && !u.HasDay {
		days, err := t.freeDays(ctx, t.now)
		if err != nil || len(days) == 0 {
			return false // the prompt says there is nothing free
		}
		return t.chooseDay(ctx, days[0].Day.Format(time.DateOnly), in)
	}
	if u.HasDay && u.Week && !u.HasTime {
		// "nächste Woche": the free days from then on, to choose from
		if first, _ := t.e.window(t.now); u.Day.Before(first) {
			u.Day = first
		}
		t.d.DayFrom = u.Day.Format(time.DateOnly)
		return false
	}
	if u.HasDay {
		if from, err := time.ParseInLocation(time.DateOnly, t.d.DayFrom, t.e.cfg.Location()); err == nil && u.ByWeekday {
			for u.Day.Before(from) { // "Dienstag" with next week's days shown: that Tuesday
				u.Day = u.Day.AddDate(0, 0, 7)
			}
		}
		return t.chooseDay(ctx, u.Day.Format(time.DateOnly), in)
	}
	if in.option == "" && u.Intent == understand.IntentMore {
		t.d.DayFrom = t.nextPageDay(ctx)
		return false
	}
	if u.HasPart || in.chained {
		return false // show the days again, filtered
	}
	if !t.rememberAhead(in) {
		t.notUnderstood()
	}
	return false
}

// nextPageDay is the first day after the shown page.
func (t *turn) nextPageDay(ctx context.Context) string {
	for i := len(t.d.Options) - 1; i >= 0; i-- {
		if day, ok := optionArg(t.d.Options[i].ID, prefDays); ok {
			return day
		}
	}
	return t.d.DayFrom
}

// chooseDay takes day if it has free times, else says why not.
func (t *turn) chooseDay(ctx context.Context, day string, in input) bool {
	d, err := time.ParseInLocation(time.DateOnly, day, t.e.cfg.Location())
	if err != nil {
		t.notUnderstood()
		return false
	}
	label := t.e.dayName(t.d.Lang, d)
	days, err := t.freeDays(ctx, d)
	if err != nil {
		t.sayError(err)
		return false
	}
	if len(days) > 0 && days[0].Day.Equal(d) {
		t.d.Day, t.d.TimeFrom = day, 0
		t.fire(ctx, "day_chosen")
		return true
	}
	if in.u.HasTime {
		t.d.WantMinute = in.u.Minute + 1 // "10 Uhr" still holds for the day chosen next
	}
	switch {
	case t.sayUnbookable(d):
		t.d.DayFrom = day // a closed day: show the free days from there on
		if first, last := t.e.window(t.now); d.Before(first) || d.After(last) {
			t.d.DayFrom = "" // outside the window: from the first bookable day
		}
		return false
	case t.d.PartTo != 0 && !t.openInPart(d):
		t.say(Reply{Text: t.text("PartClosed", "Day", label, "Part", t.partName(), "Hours", strings.Join(t.e.cfg.WeeklyOpenings(d.Weekday()), ", "))})
	default:
		t.say(Reply{Text: t.text("DayFull", "Day", label)})
	}
	t.d.DayFrom = day // show the free days from there on
	return false
}

// sayUnbookable says why day cannot be booked at all (outside the booking
// window, or the office is closed), and reports whether it did.
func (t *turn) sayUnbookable(day time.Time) bool {
	first, last := t.e.window(t.now)
	label := t.e.dayName(t.d.Lang, day)
	switch {
	case day.Before(first) || day.After(last):
		t.say(Reply{Text: t.text("DayOutside", "Day", label, "First", t.e.dayName(t.d.Lang, first), "Last", t.e.dayName(t.d.Lang, last))})
	case genericClosed(t.e.cfg.ClosedReason(day)):
		t.say(Reply{Text: t.text("DayClosedPlain", "Day", label)}) // not "geschlossen (geschlossen)"
	case t.e.cfg.ClosedReason(day) != "":
		t.say(Reply{Text: t.text("DayClosed", "Day", label, "Reason", t.e.closedReason(t.d.Lang, day))})
	default:
		return false
	}
	return true
}

// sayWhichDay asks which day a time named in words means ("nach Ostern"),
// with the days that can be booked.
func (t *turn) sayWhichDay() {
	first, last := t.e.window(t.now)
	t.say(Reply{Text: t.text("WhichDay", "Words", t.vague, "First", t.e.dayName(t.d.Lang, first), "Last", t.e.dayName(t.d.Lang, last))})
}

func (e *Engine) window(now time.Time) (time.Time, time.Time) {
	first := e.cfg.Day(now.Add(e.cfg.Booking.LeadTime))
	return first, e.cfg.Day(now).AddDate(0, 0, e.cfg.Booking.HorizonDays)
}

func (e *Engine) closedReason(lang string, d time.Time) string {
	r := e.cfg.ClosedReason(d)
	if genericClosed(r) {
		return e.texts.T(lang, "HoursClosedDay")
	}
	return r
}

// genericClosed reports whether a day's closed reason only says that it is
// closed (no opening hours that weekday, or a closed day without a name).
func genericClosed(reason string) bool {
	return reason == office.ReasonNoHours || reason == office.ReasonClosed
}

// dayTimes are the free times of the chosen day, filtered by part of day.
func (t *turn) dayTimes(ctx context.Context) ([]time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, t.d.Day, t.e.cfg.Location())
	if err != nil {
		return nil, err
	}
	days, err := t.e.store.FreeSlots(ctx, t.booker(), t.d.Concerns, d, d)
	if err != nil || len(days) == 0 {
		return nil, err
	}
	return t.filterPart(days[0].Times), nil
}

func (t *turn) promptTime(ctx context.Context) {
	times, err := t.dayTimes(ctx)
	if err != nil {
		t.sayError(err)
		return
	}
	d, _ := time.ParseInLocation(time.DateOnly, t.d.Day, t.e.cfg.Location())
	if len(times) == 0 {
		t.say(Reply{Text: t.text("NoTimes", "Day", t.e.dayName(t.d.Lang, d), "Part", t.partName())})
		t.d.PartFrom, t.d.PartTo = 0, 0
		t.fire(ctx, "back")
		t.promptDay(ctx)
		return
	}
	var opts []Option
	for i, tm := range times {
		if i < t.d.TimeFrom {
			continue
		}
		if len(opts) == t.e.opts.TimesPerPage {
			opts = append(opts, Option{timesOption(i), t.text("OptLaterTimes")})
			break
		}
		opts = append(opts, Option{timeOption(tm), tm.In(t.e.cfg.Location()).Format("15:04")})
	}
	opts = append(opts, Option{optBack, t.text("OptOtherDay")})
	t.say(Reply{Text: t.text("AskTime", "Day", t.e.dayName(t.d.Lang, d)), Options: opts})
}

func (t *turn) onTime(ctx context.Context, in input) bool {
	u := in.u
	if from, ok := optionArg(in.option, prefTimes); ok {
		t.d.TimeFrom, _ = strconv.Atoi(from)
		return false
	}
	if v, ok := optionArg(in.option, prefTime); ok {
		start, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.notUnderstood()
			return false
		}
		return t.chooseTime(ctx, start)
	}
	if in.option == "" && u.Intent == understand.IntentMore && !u.HasTime && !u.HasDay {
		for _, o := range t.d.Options {
			if from, ok := optionArg(o.ID, prefTimes); ok {
				t.d.TimeFrom, _ = strconv.Atoi(from)
			}
		}
		return false
	}
	if u.HasDay && u.Day.Format(time.DateOnly) != t.d.Day && !in.chained {
		// Another day, perhaps with a time: "Donnerstag 15 Uhr".
		t.fire(ctx, "back")
		if !t.chooseDay(ctx, u.Day.Format(time.DateOnly), in) {
			return false
		}
		in.chained = true
		t.onTime(ctx, in)
		return false // the new day's times, or the next question, are asked by the prompt
	}
	if !u.HasTime && !u.HasDay && !in.chained && in.option == "" { // "9" at this question means 9 o'clock
		if h, err := strconv.Atoi(strings.TrimSpace(in.msg.Text)); err == nil && h >= 0 && h <= 23 {
			u.Minute, u.HasTime = h*60, true
		}
	}
	if u.HasTime {
		d, _ := time.ParseInLocation(time.DateOnly, t.d.Day, t.e.cfg.Location())
		t.typedTime = true
		return t.chooseTime(ctx, time.Date(d.Year(), d.Month(), d.Day(), u.Minute/60, u.Minute%60, 0, 0, d.Location()))
	}
	if u.Intent == understand.IntentEarliest {
		if times, err := t.dayTimes(ctx); err == nil && len(times) > 0 {
			t.typedTime = true
			return t.chooseTime(ctx, times[0])
		}
	}
	if u.HasPart {
		t.applyPart(u)
		t.d.TimeFrom = 0
		return false
	}
	if !in.chained && !t.rememberAhead(in) {
		t.notUnderstood()
	}
	return false
}

// noteWanted keeps a day, time or part of the day named before the day
// step, so that step can take it.
func (t *turn) noteWanted(u understand.Understanding) {
	if u.BadDate != "" && len(u.Concerns) > 0 {
		// "Meldebescheinigung am 31.02.": the concern is taken, the date named
		t.say(Reply{Text: t.text("NoSuchDate", "Date", u.BadDate)})
		t.badDate = ""
	}
	if u.VagueDay != "" && !u.HasDay && len(u.Concerns) > 0 {
		t.sayWhichDay() // "Perso nach Ostern": the concern is taken, the day asked
		t.vague = ""
	}
	if u.HasDay {
		t.d.WantDay = u.Day.Format(time.DateOnly)
		// A day that cannot be booked is said at once, not kept; with a
		// concern in the same message the day step comes now and says it.
		switch {
		case len(u.Concerns) > 0:
		case u.Week:
			t.d.WantDay = "" // a week: its days are offered at the day step
			t.d.DayFrom = u.Day.Format(time.DateOnly)
		case t.sayUnbookable(u.Day):
			t.d.WantDay = ""
		}
	}
	if u.HasTime {
		t.d.WantMinute = u.Minute + 1
	}
	t.applyPart(u)
}

// wantedText is the kept day and time as the citizen reads them.
func (t *turn) wantedText() string {
	var parts []string
	if d, err := time.ParseInLocation(time.DateOnly, t.d.WantDay, t.e.cfg.Location()); err == nil {
		parts = append(parts, t.e.dayName(t.d.Lang, d))
	}
	if t.d.WantMinute > 0 {
		m := t.d.WantMinute - 1
		parts = append(parts, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	return strings.Join(parts, ", ")
}

// withWanted adds the kept day and time to the input at the day step,
// where the input has none of its own, and forgets them.
func (t *turn) withWanted(in input) input {
	if t.d.WantDay == "" && t.d.WantMinute == 0 {
		return in
	}
	if d, err := time.ParseInLocation(time.DateOnly, t.d.WantDay, t.e.cfg.Location()); err == nil && !in.u.HasDay {
		in.u.Day, in.u.HasDay = d, true
	}
	t.d.WantDay = ""
	// The time waits for a day to be chosen ("Spätere Tage" first, then
	// "Montag"); chooseDay keeps it again if that day has no room.
	if _, dayButton := optionArg(in.option, prefDay); !in.u.HasDay && !dayButton {
		return in
	}
	if t.d.WantMinute > 0 && !in.u.HasTime {
		in.u.Minute, in.u.HasTime = t.d.WantMinute-1, true
	}
	t.d.WantMinute = 0
	return in
}

// rememberAhead keeps a name or an e-mail address given before it was asked
// for ("Hans Meier" at the time question), thanks for it, and reports
// whether there was one.
func (t *turn) rememberAhead(in input) bool {
	text := strings.TrimSpace(in.msg.Text)
	switch {
	case in.u.Email != "" && booking.CheckEmail(in.u.Email) == nil:
		t.d.Email, t.d.EmailDone = in.u.Email, true
		t.say(Reply{Text: t.text("ThanksNoted", "What", in.u.Email)})
		return true
	case understand.LooksLikeName(text):
		if name, err := booking.CleanName(text); err == nil {
			t.d.Name = name
			t.say(Reply{Text: t.text("ThanksNoted", "What", name)})
			return true
		}
	}
	return false
}

// chooseTime takes start if it is free, else offers the nearest free times.
func (t *turn) chooseTime(ctx context.Context, start time.Time) bool {
	times, err := t.dayTimes(ctx)
	if err != nil {
		t.sayError(err)
		return false
	}
	for _, tm := range times {
		if tm.Equal(start) {
			t.d.Start, t.chosenAt = start, len(t.replies)
			if t.d.Flow == "reschedule" {
				t.fire(ctx, "time_chosen_move")
			} else {
				t.fire(ctx, "time_chosen")
			}
			return true
		}
	}
	t.sayNearest(start, times, "TimeNotFree")
	return false
}

// sayNearest offers the free times nearest to start.
func (t *turn) sayNearest(start time.Time, times []time.Time, textID string) {
	near := nearest(start, times, 4)
	opts := make([]Option, 0, len(near)+1)
	for _, tm := range near {
		opts = append(opts, Option{timeOption(tm), tm.In(t.e.cfg.Location()).Format("15:04")})
	}
	opts = append(opts, Option{optBack, t.text("OptOtherDay")})
	t.say(Reply{Text: t.text(textID, "Time", start.In(t.e.cfg.Location()).Format("15:04"), "Day", t.e.dayName(t.d.Lang, start), "When", t.e.when(t.d.Lang, start)), Options: opts})
	t.quiet = true
}

// nearest picks the n times closest to start, in time order.
func nearest(start time.Time, times []time.Time, n int) []time.Time {
	if len(times) <= n {
		return times
	}
	best := 0
	for i, tm := range times {
		if tm.Sub(start).Abs() < times[best].Sub(start).Abs() {
			best = i
		}
	}
	lo := max(0, min(best-n/2, len(times)-n))
	return times[lo : lo+n]
}

func (t *turn) onName(ctx context.Context, in input) bool {
	name := strings.TrimSpace(in.msg.Text)
	if in.chained {
		name = t.d.Name // given earlier in the dialogue ("..., Max Mustermann")
		if name == "" {
			return false
		}
	}
	if !in.chained && (in.u.HasTime || in.u.HasDay) && strings.ContainsAny(name, "0123456789") {
		// "17:50" at the name question: another time (or day), not a name.
		t.fire(ctx, "back")
		if in.u.HasDay && in.u.Day.Format(time.DateOnly) != t.d.Day {
			t.fire(ctx, "back")
		}
		return true
	}
	clean, err := booking.CleanName(name)
	if toks := understand.Tokens(understand.Normalize(name)); err != nil || (len(toks) == 1 && (in.u.Yes || in.u.No)) { // "ja" is no name
		t.say(Reply{Text: t.text("BadName")})
		return false
	}
	t.d.Name = clean
	if in.msg.Email != "" { // the e-mail channel knows the address
		t.d.Email = in.msg.Email
		t.fire(ctx, "email_known")
		return true
	}
	if t.e.sender(MailChannel) == nil {
		t.d.EmailDone = true // no mail would come: the question is not asked
	}
	t.fire(ctx, "name_given")
	return true
}

func (t *turn) onEmail(ctx context.Context, in input) bool {
	if in.chained && t.d.EmailDone { // answered before, e.g. ahead of a slot taken at confirm
		t.fire(ctx, "email_given")
		return true
	}
	if in.option == optNoEmail || (!in.chained && in.u.No) {
		t.d.Email, t.d.EmailDone = "", true
		t.fire(ctx, "email_given")
		return true
	}
	addr := in.u.Email
	if addr == "" {
		text := strings.TrimSpace(in.msg.Text)
		switch {
		case in.chained:
		case understand.LooksLikeName(text) && len(strings.Fields(text)) > 1 && !strings.EqualFold(text, t.d.Name):
			// The full name, after only a surname at the name question.
			if name, err := booking.CleanName(text); err == nil {
				t.d.Name = name
				t.say(Reply{Text: t.text("ThanksNoted", "What", name)})
				break
			}
			fallthrough
		default:
			t.say(Reply{Text: t.text("BadEmail", "Text", clip(in.msg.Text, 60))})
		}
		return false
	}
	if err := booking.CheckEmail(addr); err != nil {
		t.say(Reply{Text: t.text("BadEmail", "Text", clip(addr, 60))})
		return false
	}
	t.d.Email, t.d.EmailDone = addr, true
	t.fire(ctx, "email_given")
	return true
}

func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(r)
}

func (t *turn) promptConfirm(ctx context.Context) {
	minutes, _ := t.e.cfg.Minutes(t.d.Concerns)
	if t.d.Flow == "reschedule" {
		b, err := t.e.store.Get(ctx, t.d.BookingID)
		if err != nil {
			t.sayError(err)
			return
		}
		t.say(Reply{Text: t.text("SummaryMove", "Number", b.Number, "Old", t.e.when(t.d.Lang, b.Start), "When", t.e.when(t.d.Lang, t.d.Start)),
			Options: []Option{{optConfirmYes, t.text("OptYes")}, {optConfirmNo, t.text("OptNo")}, t.back()}})
		return
	}
	t.say(Reply{Text: t.text("Summary", "Concerns", t.e.concernList(t.d.Lang, t.d.Concerns), "When", t.e.when(t.d.Lang, t.d.Start),
		"Minutes", minutes, "Name", t.d.Name, "Email", t.d.Email),
		Options: []Option{{optConfirmYes, t.text("OptConfirm")}, {optConfirmNo, t.text("OptDontBook")}, t.back()}})
}

func (t *turn) onConfirm(ctx context.Context, in input) bool {
	yes := in.option == optConfirmYes || (in.option == "" && in.u.Yes)
	no := in.option == optConfirmNo || (in.option == "" && in.u.No)
	switch {
	case in.chained:
		return false
	case in.option == "" && !in.u.Yes && (in.u.HasTime || in.u.HasDay || in.u.HasPart):
		// "Nein, lieber 15:10" / "better Thursday": another time, not a no.
		if in.u.HasDay && in.u.Day.Format(time.DateOnly) != t.d.Day {
			t.fire(ctx, "change_day")
		} else {
			t.fire(ctx, "change_time")
		}
		return true
	case no && t.d.Flow == "reschedule":
		t.reset(ctx)
		t.say(Reply{Text: t.text("KeptBooking")})
		return true
	case no:
		t.reset(ctx)
		t.say(Reply{Text: t.text("NotBooked")})
		return true
	case !yes:
		t.notUnderstood()
		return false
	}
	if t.d.Flow == "reschedule" {
		return t.confirmMove(ctx)
	}
	msg := in.msg
	if msg.Channel == MailChannel && msg.Staff == "" && !msg.Proven {
		// A mail's sender can be forged: only a reply to the summary mail,
		// which went to the address itself, books.
		t.say(Reply{Text: t.text("ConfirmByReply")})
		t.promptConfirm(ctx)
		t.quiet = true
		return false
	}
	req := booking.Request{Concerns: t.d.Concerns, Start: t.d.Start, Name: t.d.Name, Email: t.d.Email,
		PersonKey: msg.PersonKey, Source: msg.Source, Channel: msg.Channel, ChatID: msg.ChatID, Lang: t.d.Lang, Holder: holder(msg)}
	if msg.Staff != "" {
		req.PersonKey, req.Channel, req.ChatID, req.Actor = "", "", "", msg.Staff
	}
	var err error
	if req.HeldElsewhere, req.SourceHeldElsewhere, err = t.heldElsewhere(ctx, req.PersonKey, req.Source); err != nil {
		t.sayError(err)
		return false
	}
	render := func(c booking.Change) (Reply, Reply) { return t.bookedReplies(c.Booking, c.PIN, msg) }
	tell := t.tellWith(render)
	req.Effect = tell.effect
	if _, _, err := t.e.store.Book(ctx, req); err != nil {
		tell.abandon()
		return t.bookFailed(ctx, err, msg)
	}
	t.told(tell)
	t.reset(ctx)
	return true
}

// bookedReplies are the confirmation of booking b with its PIN: for the
// chat, and for a copy by mail.
func (t *turn) bookedReplies(b booking.Booking, pin string, msg Message) (chat, mail Reply) {
	booked := func(chat bool) string { return t.e.bookedText(t.d.Lang, b, pin, chat) }
	ics := t.e.calendarFile(b, "REQUEST", t.d.Lang)
	chat = Reply{Text: booked(msg.Channel != MailChannel && msg.Staff == ""), Attachments: []Attachment{ics}}
	if msg.Staff == "" {
		chat.Options = []Option{{watchOption(b.ID), t.text("OptEarlier")}}
		if t.e.town != nil && len(t.e.town.offering(b.Concerns)) > 1 {
			chat.Options = append(chat.Options, Option{watchAnywhereOption(b.ID), t.text("OptEarlierAnywhere")})
		}
	}
	return chat, Reply{Text: booked(false), Attachments: []Attachment{ics}}
}

// bookedText is the confirmation of booking b with its PIN, in lang;
// inChat says it is shown in the chat the citizen booked in (not a copy by
// mail or a clerk's screen).
func (e *Engine) bookedText(lang string, b booking.Booking, pin string, inChat bool) string {
	return e.texts.T(lang, "Booked", "Number", b.Number, "PIN", pin, "When", e.when(lang, b.Start), "Office", e.cfg.Office.Name, "Address", e.cfg.Office.Address,
		"Docs", e.documents(lang, b.Concerns), "Recall", int(e.cfg.Calls.RecallDelay/time.Minute), "Chat", inChat)
}

// heldInTown is the person's appointment at another office of the town,
// when this office holds none: the one that reached the town-wide limit.
func (t *turn) heldInTown(ctx context.Context, person string) (booking.Booking, *TownOffice, bool) {
	if t.e.town == nil {
		return booking.Booking{}, nil, false
	}
	if held, _, err := t.e.store.ActiveHeld(ctx, person, ""); err != nil || held.Bookings > 0 {
		return booking.Booking{}, nil, false
	}
	return t.e.town.heldAt(ctx, t.e, person)
}

// bookFailed explains why a confirmed booking did not go through.
func (t *turn) bookFailed(ctx context.Context, err error, msg Message) bool {
	switch {
	case errors.Is(err, booking.ErrSlotTaken), errors.Is(err, booking.ErrNotBookable), errors.Is(err, booking.ErrClosed):
		t.say(Reply{Text: t.text("SlotGone", "When", t.e.when(t.d.Lang, t.d.Start))})
		t.fire(ctx, "slot_gone")
		times, _ := t.dayTimes(ctx)
		if len(times) > 0 {
			t.sayNearest(t.d.Start, times, "AskTimeNearest")
		}
		return true
	case errors.Is(err, booking.ErrLimitReached):
		if b, o, ok := t.heldInTown(ctx, msg.PersonKey); ok {
			r := Reply{Text: t.text("LimitReachedAt", "Number", b.Number, "When", t.e.when(t.d.Lang, b.Start), "Office", o.Engine.cfg.Office.Name,
				"Max", t.e.cfg.Booking.MaxActivePerPerson)}
			if b.Channel == msg.Channel && b.ChatID == msg.ChatID && t.owner.Trusted() { // that office's button
				r.Options = tagOptions(o.ID, []Reply{{Options: []Option{{cancelIDOption(b.ID), t.text("OptCancelThis")}}}})[0].Options
			}
			t.say(r)
			t.reset(ctx)
			return true
		}
		mine, _ := t.e.store.PersonBookings(ctx, msg.PersonKey)
		for _, b := range mine {
			if b.Status == booking.StatusBooked && b.Kind == booking.KindAppointment && b.End().After(t.now) {
				r := Reply{Text: t.text("LimitReached", "Number", b.Number, "When", t.e.when(t.d.Lang, b.Start), "Max", t.e.cfg.Booking.MaxActivePerPerson)}
				// Made in this chat, it can go with one tap, PIN or not:
				// the PIN may be lost, or never arrived.
				if b.Channel == msg.Channel && b.ChatID == msg.ChatID && t.owner.Trusted() {
					r.Options = []Option{{cancelIDOption(b.ID), t.text("OptCancelThis")}}
				}
				t.say(r)
				break
			}
		}
		t.reset(ctx)
		return true
	case errors.Is(err, booking.ErrSourceLimitReached):
		t.say(Reply{Text: t.text("SourceLimitReached", "Max", t.e.cfg.Booking.MaxActivePerSource, "Minutes", t.e.cfg.Booking.MaxMinutesPerSource, "Phone", t.e.cfg.Office.Phone)})
		t.reset(ctx)
		return true
	case errors.Is(err, booking.ErrTooBigOnline):
		t.say(Reply{Text: t.tooBigText()})
		t.reset(ctx)
		return true
	case errors.Is(err, booking.ErrPaced) && t.d.Flow == "reschedule":
		t.say(Reply{Text: t.text("MovePaced", "Day", t.e.dayName(t.d.Lang, t.d.Start))})
		t.reset(ctx)
		return true
	case errors.Is(err, booking.ErrPaced):
		return t.wait(ctx, msg)
	case errors.Is(err, booking.ErrInvalidInput):
		t.say(Reply{Text: t.text("BadName")})
		t.fire(ctx, "back")
		t.fire(ctx, "back")
		return true
	}
	t.sayError(err)
	return false
}

func (t *turn) sayError(err error) {
	t.e.log.Error("dialogue step failed", "err", err, "state", t.d.State)
	if errors.Is(err, booking.ErrUnavailable) {
		t.say(Reply{Text: t.text("StoreDown", "Phone", t.e.cfg.Office.Phone)})
		return
	}
	t.say(Reply{Text: t.text("Error", "Phone", t.e.cfg.Office.Phone)})
}
