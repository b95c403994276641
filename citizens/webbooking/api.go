package webbooking

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/internal/web"
	"buergerbuero/office"
)

const maxBody = 8 << 10

// The API's answers on the wire.
type (
	officeView struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		Address  string   `json:"address"`
		Phone    string   `json:"phone"`
		Email    string   `json:"email,omitempty"`
		Timezone string   `json:"timezone"`
		Concerns []string `json:"concerns"`
	}
	concernView struct {
		ID        string   `json:"id"`
		Name      string   `json:"name"`
		Minutes   int      `json:"minutes"`
		Documents []string `json:"documents"`
		Fee       string   `json:"fee,omitempty"`
		MaxCount  int      `json:"max_count"`
		// Online is false for a concern only staff book (online_share 0).
		Online bool `json:"online"`
	}
	timeView struct {
		Start time.Time `json:"start"`
		Label string    `json:"label"`
	}
	dayView struct {
		Date  string     `json:"date"`
		Label string     `json:"label"`
		Times []timeView `json:"times"`
	}
	timesView struct {
		Office  string    `json:"office"`
		Name    string    `json:"name"`
		Minutes int       `json:"minutes"`
		Days    []dayView `json:"days"`
	}
	bookingView struct {
		Office    string         `json:"office"`
		Number    string         `json:"number"`
		Status    string         `json:"status"`
		Start     time.Time      `json:"start"`
		When      string         `json:"when"`
		Minutes   int            `json:"minutes"`
		Concerns  []concernCount `json:"concerns"`
		Documents []string       `json:"documents"`
		Place     string         `json:"place"`
		// For a booking just made only:
		PIN      string `json:"pin,omitempty"`
		Text     string `json:"text,omitempty"`
		Calendar string `json:"calendar,omitempty"`
	}
	// concernCount is a concern and how many of it (office.ConcernCount
	// stores its count as "n").
	concernCount struct {
		ID    string `json:"id"`
		Count int    `json:"count"`
	}
	concernsIn struct {
		Concerns []concernCount `json:"concerns"`
		Start    time.Time      `json:"start"`
	}
	bookingIn struct {
		Concerns []concernCount `json:"concerns"`
		Start    time.Time      `json:"start"`
		Name     string         `json:"name"`
		Email    string         `json:"email"`
	}
)

func fromWire(cs []concernCount) []office.ConcernCount {
	out := make([]office.ConcernCount, 0, len(cs))
	for _, c := range cs {
		out = append(out, office.ConcernCount{ID: c.ID, Count: c.Count})
	}
	return out
}

func toWire(cs []office.ConcernCount) []concernCount {
	out := make([]concernCount, 0, len(cs))
	for _, c := range cs {
		out = append(out, concernCount{ID: c.ID, Count: c.Count})
	}
	return out
}

func (wb *Web) challenge(w http.ResponseWriter, r *http.Request) {
	if !wb.gate.Allow(r, "") {
		wb.problem(w, r, http.StatusTooManyRequests, "slow-down", "ChannelSlowDown")
		return
	}
	web.JSON(w, http.StatusOK, map[string]any{"challenge": wb.gate.Challenge(), "bits": wb.gate.Bits()})
}

func (wb *Web) session(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Challenge string `json:"challenge"`
		Nonce     string `json:"nonce"`
	}
	if !wb.read(w, r, &in) {
		return
	}
	token, ok := wb.gate.Redeem(in.Challenge, in.Nonce)
	if !ok {
		wb.problem(w, r, http.StatusForbidden, "session-refused", "ChatSessionFailed")
		return
	}
	web.JSON(w, http.StatusCreated, map[string]any{"token": token})
}

// read decodes the request's JSON body into v, or answers why not.
func (wb *Web) read(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		wb.problem(w, r, http.StatusUnsupportedMediaType, "json-needed", "ApiJSONNeeded")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		wb.problem(w, r, http.StatusRequestEntityTooLarge, "too-long", "ChannelTooLong", "KB", maxBody>>10)
		return false
	case err != nil || json.Unmarshal(body, v) != nil:
		wb.problem(w, r, http.StatusBadRequest, "unreadable", "ApiUnreadable")
		return false
	}
	return true
}

// open spends the address's budget of a request that needs no session.
func (wb *Web) open(w http.ResponseWriter, r *http.Request) (*Office, bool) {
	if !wb.gate.Allow(r, "") {
		wb.problem(w, r, http.StatusTooManyRequests, "slow-down", "ChannelSlowDown")
		return nil, false
	}
	if r.PathValue("office") == "" {
		return nil, true
	}
	o := wb.office(r)
	if o == nil {
		wb.problem(w, r, http.StatusNotFound, "unknown-office", "ApiUnknownOffice")
		return nil, false
	}
	return o, true
}

// asker wraps a handler that acts for a session: its bearer token, its
// budget, its office.
func (wb *Web) asker(h func(w http.ResponseWriter, r *http.Request, o *Office, a conversation.Asker)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		session := wb.gate.Session(strings.TrimSpace(token))
		if !ok || session == "" {
			wb.problem(w, r, http.StatusUnauthorized, "session-needed", "ApiSessionNeeded")
			return
		}
		if !wb.gate.Allow(r, session) {
			wb.problem(w, r, http.StatusTooManyRequests, "slow-down", "ChannelSlowDown")
			return
		}
		o := wb.office(r)
		if o == nil {
			wb.problem(w, r, http.StatusNotFound, "unknown-office", "ApiUnknownOffice")
			return
		}
		h(w, r, o, conversation.Asker{Session: session, Source: "net:" + clientaddr.Network(wb.addrs.Addr(r)), Lang: wb.lang(r)})
	})
}

func (wb *Web) listOffices(w http.ResponseWriter, r *http.Request) {
	if _, ok := wb.open(w, r); !ok {
		return
	}
	out := make([]officeView, 0, len(wb.offices))
	for _, o := range wb.offices {
		cfg := o.Desk.Config()
		v := officeView{ID: o.ID, Name: cfg.Office.Name, Address: cfg.Office.Address, Phone: cfg.Office.Phone, Email: cfg.Office.Email,
			Timezone: cfg.Location().String(), Concerns: []string{}}
		for _, c := range cfg.Concerns {
			v.Concerns = append(v.Concerns, c.ID)
		}
		out = append(out, v)
	}
	web.JSON(w, http.StatusOK, map[string]any{"offices": out})
}

func (wb *Web) concerns(w http.ResponseWriter, r *http.Request) {
	o, ok := wb.open(w, r)
	if !ok {
		return
	}
	l, cfg := wb.lang(r), o.Desk.Config()
	out := make([]concernView, 0, len(cfg.Concerns))
	for _, c := range cfg.Concerns {
		docs := c.Documents.In(l)
		if docs == nil {
			docs = []string{}
		}
		out = append(out, concernView{ID: c.ID, Name: c.Name.In(l), Minutes: c.Minutes, Documents: docs, Fee: c.Fee.In(l),
			MaxCount: max(c.MaxCount, 1), Online: c.OnlineShare == nil || *c.OnlineShare > 0})
	}
	web.JSON(w, http.StatusOK, map[string]any{"office": o.ID, "concerns": out})
}

// ParseConcerns reads "passport,id_card:2" (a concern id, and how many of
// it after a colon).
func ParseConcerns(s string) ([]office.ConcernCount, error) {
	var out []office.ConcernCount
	for part := range strings.SplitSeq(s, ",") {
		id, n, hasCount := strings.Cut(strings.TrimSpace(part), ":")
		count := 1
		if hasCount {
			c, err := strconv.Atoi(n)
			if err != nil || c < 1 || c > 99 {
				return nil, booking.ErrInvalidInput
			}
			count = c
		}
		if id == "" || len(out) >= 20 {
			return nil, booking.ErrInvalidInput
		}
		out = append(out, office.ConcernCount{ID: id, Count: count})
	}
	return out, nil
}

// span reads the query's concerns, from and to.
func (wb *Web) span(w http.ResponseWriter, r *http.Request, loc *time.Location) (concerns []office.ConcernCount, from, to time.Time, ok bool) {
	q := r.URL.Query()
	concerns, err := ParseConcerns(q.Get("concerns"))
	if err != nil {
		wb.problem(w, r, http.StatusBadRequest, "bad-concerns", "ApiBadConcerns")
		return nil, time.Time{}, time.Time{}, false
	}
	from, to = wb.now().In(loc), time.Time{}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			d, err := time.ParseInLocation(time.DateOnly, v, loc)
			if err != nil {
				wb.problem(w, r, http.StatusBadRequest, "bad-date", "ApiBadDate", "Text", v)
				return nil, time.Time{}, time.Time{}, false
			}
			*p.to = d
		}
	}
	if to.IsZero() {
		to = from.AddDate(1, 0, 0) // the office's horizon ends it
	}
	return concerns, from, to, true
}

func (wb *Web) times(w http.ResponseWriter, r *http.Request) {
	o, ok := wb.open(w, r)
	if !ok {
		return
	}
	concerns, from, to, ok := wb.span(w, r, o.Desk.Config().Location())
	if !ok {
		return
	}
	v, err := wb.timesAt(r.Context(), o, wb.lang(r), concerns, from, to)
	if err != nil {
		wb.refused(w, r, o, err, time.Time{}, "")
		return
	}
	web.JSON(w, http.StatusOK, v)
}

// townTimes are the free times at every office that offers the concerns,
// the office with the earliest first.
func (wb *Web) townTimes(w http.ResponseWriter, r *http.Request) {
	if _, ok := wb.open(w, r); !ok {
		return
	}
	concerns, from, to, ok := wb.span(w, r, wb.offices[0].Desk.Config().Location())
	if !ok {
		return
	}
	out := []timesView{}
	for i := range wb.offices {
		o := &wb.offices[i]
		v, err := wb.timesAt(r.Context(), o, wb.lang(r), concerns, from, to)
		switch {
		case errors.Is(err, booking.ErrUnknownConcern), errors.Is(err, booking.ErrNoCounter):
			continue // not offered here
		case err != nil:
			wb.refused(w, r, o, err, time.Time{}, "")
			return
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b timesView) int { return first(a).Compare(first(b)) })
	web.JSON(w, http.StatusOK, map[string]any{"offices": out})
}

// first is the earliest free time of v; far in the future for none.
func first(v timesView) time.Time {
	if len(v.Days) == 0 || len(v.Days[0].Times) == 0 {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return v.Days[0].Times[0].Start
}

func (wb *Web) timesAt(ctx context.Context, o *Office, l string, concerns []office.ConcernCount, from, to time.Time) (timesView, error) {
	cfg := o.Desk.Config()
	minutes, err := cfg.Minutes(concerns)
	if err != nil {
		return timesView{}, err
	}
	days, err := o.Desk.FreeTimes(ctx, concerns, from, to)
	if err != nil {
		return timesView{}, err
	}
	v := timesView{Office: o.ID, Name: cfg.Office.Name, Minutes: minutes, Days: make([]dayView, 0, len(days))}
	loc := cfg.Location()
	for _, d := range days {
		dv := dayView{Date: d.Day.In(loc).Format(time.DateOnly), Label: o.Desk.Day(l, d.Day), Times: make([]timeView, 0, len(d.Times))}
		for _, t := range d.Times {
			dv.Times = append(dv.Times, timeView{Start: t.In(loc), Label: t.In(loc).Format("15:04")})
		}
		v.Days = append(v.Days, dv)
	}
	return v, nil
}

func (wb *Web) walkIns(w http.ResponseWriter, r *http.Request) {
	o, ok := wb.open(w, r)
	if !ok {
		return
	}
	waits := []Wait{}
	if o.Waits != nil {
		var err error
		if waits, err = o.Waits(r.Context()); err != nil {
			wb.refused(w, r, o, err, time.Time{}, "")
			return
		}
	}
	type waitView struct {
		Group   string `json:"group"`
		Minutes int    `json:"minutes"`
	}
	out := make([]waitView, 0, len(waits))
	for _, wt := range waits {
		out = append(out, waitView(wt))
	}
	web.JSON(w, http.StatusOK, map[string]any{"office": o.ID, "waits": out})
}

func (wb *Web) hold(w http.ResponseWriter, r *http.Request, o *Office, a conversation.Asker) {
	var in concernsIn
	if !wb.read(w, r, &in) {
		return
	}
	until, err := o.Desk.Hold(r.Context(), a, fromWire(in.Concerns), in.Start)
	if err != nil {
		wb.refused(w, r, o, err, in.Start, "")
		return
	}
	web.JSON(w, http.StatusCreated, map[string]any{"start": in.Start.In(o.Desk.Config().Location()), "until": until.In(o.Desk.Config().Location())})
}

func (wb *Web) book(w http.ResponseWriter, r *http.Request, o *Office, a conversation.Asker) {
	var in bookingIn
	if !wb.read(w, r, &in) {
		return
	}
	b, err := o.Desk.Book(r.Context(), a, conversation.FormBooking{Concerns: fromWire(in.Concerns), Start: in.Start, Name: in.Name, Email: in.Email})
	if err != nil {
		wb.refused(w, r, o, err, in.Start, "")
		return
	}
	v := wb.view(o, a.Lang, b.Booking)
	v.PIN, v.Text, v.Calendar = b.PIN, b.Text, string(b.Calendar.Data)
	web.JSON(w, http.StatusCreated, v)
}

// view is booking b of office o on the wire, in lang.
func (wb *Web) view(o *Office, l string, b booking.Booking) bookingView {
	cfg := o.Desk.Config()
	return bookingView{Office: o.ID, Number: b.Number, Status: string(b.Status), Start: b.Start.In(cfg.Location()), When: o.Desk.When(l, b.Start),
		Minutes: b.Minutes, Concerns: toWire(b.Concerns), Documents: nonNil(o.Desk.Documents(l, b.Concerns)), Place: cfg.Office.Name + ", " + cfg.Office.Address}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// pin is the request's Booking-PIN header.
func pin(r *http.Request) string { return strings.TrimSpace(r.Header.Get("Booking-PIN")) }

// lookup is what is done with a booking named by number and PIN.
type lookup func(ctx context.Context, a conversation.Asker, number, pin string) (booking.Booking, error)

// byNumber answers a request about the booking with the path's number and
// the Booking-PIN header with what act does with it (look up, cancel).
func (wb *Web) byNumber(act func(d Desk) lookup) func(http.ResponseWriter, *http.Request, *Office, conversation.Asker) {
	return func(w http.ResponseWriter, r *http.Request, o *Office, a conversation.Asker) {
		number := r.PathValue("number")
		b, err := act(o.Desk)(r.Context(), a, number, pin(r))
		if err != nil {
			wb.refused(w, r, o, err, time.Time{}, number)
			return
		}
		web.JSON(w, http.StatusOK, wb.view(o, a.Lang, b))
	}
}

func (wb *Web) move(w http.ResponseWriter, r *http.Request, o *Office, a conversation.Asker) {
	number := r.PathValue("number")
	var in struct {
		Start time.Time `json:"start"`
	}
	if !wb.read(w, r, &in) {
		return
	}
	b, err := o.Desk.Move(r.Context(), a, number, pin(r), in.Start)
	if err != nil {
		wb.refused(w, r, o, err, in.Start, number)
		return
	}
	web.JSON(w, http.StatusOK, wb.view(o, a.Lang, b))
}
