// Package counter is a clerk's page in the browser: call the next citizen
// to a counter, mark them arrived, no-show or done, see the queue. It is
// the staff side for offices without Mattermost and for trying the demo,
// behind a password (HTTP Basic, user "counter").
package counter

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/web"
	"buergerbuero/internal/webguard"
	"buergerbuero/office"
)

//go:embed static
var static embed.FS

// Calls is what the page needs of the call system.
type Calls interface {
	Next(ctx context.Context, counter, actor string) (booking.Booking, error)
	Act(ctx context.Context, id uint64, action booking.CallAction, target, actor string) (booking.Booking, error)
	Queue(ctx context.Context) (callsystem.Queue, error)
}

// Texts gives the page's words from the catalogue (the conversation
// engine's), in the language the browser asks for.
type Texts interface {
	Text(langHint, id string, kv ...any) string
}

// Page serves the clerks' page and its API.
type Page struct {
	cfg    *office.Config
	calls  Calls
	logins []basicauth.Account
	guard  *basicauth.Guard
	texts  Texts
	log    *slog.Logger
	mux    *http.ServeMux
	page   http.Handler // mux behind the login and the browser-side guards, made once
}

// New makes the page; without logins it is off. guard throttles wrong
// passwords (nil: a guard of its own that trusts no proxy).
func New(cfg *office.Config, calls Calls, texts Texts, logins []basicauth.Account, guard *basicauth.Guard, log *slog.Logger) *Page {
	if log == nil {
		log = slog.Default()
	}
	if guard == nil {
		guard = basicauth.NewGuard(nil, log, nil)
	}
	p := &Page{cfg: cfg, calls: calls, texts: texts, logins: logins, guard: guard, log: log, mux: http.NewServeMux()}
	files, _ := fs.Sub(static, "static")
	p.mux.Handle("GET /", http.FileServerFS(files))
	p.mux.HandleFunc("GET /api/state", p.state)
	p.mux.HandleFunc("POST /api/next", p.next)
	p.mux.HandleFunc("POST /api/act", p.act)
	p.page = webguard.Page("default-src 'self'; object-src 'none'", p.guard.Require("buergerbuero counter", p.logins,
		"The counter page is off: set counter.accounts or counter.password (or BUERGERBUERO_COUNTER_PASSWORD).", p.mux))
	return p
}

// ServeHTTP serves the page and its API behind the login.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.page.ServeHTTP(w, r) }

// entry is a number as the page shows it.
type entry struct {
	ID       uint64 `json:"id"`
	Number   string `json:"number"`
	Concerns string `json:"concerns"`
	Name     string `json:"name,omitempty"`
	Status   string `json:"status"`
	Label    string `json:"status_label"` // the status in the clerk's words
	When     string `json:"when"`
	Counter  string `json:"counter,omitempty"`
}

func (p *Page) entry(r *http.Request, b booking.Booking) entry {
	lang := r.Header.Get("Accept-Language")
	var names []string
	for _, cc := range b.Concerns {
		if c, ok := p.cfg.Concern(cc.ID); ok {
			names = append(names, c.Name.In(web.Lang(r)))
		}
	}
	when := p.texts.Text(lang, "StaffSince", "Time", b.CreatedAt.In(p.cfg.Location()).Format("15:04"))
	if b.Kind == booking.KindAppointment {
		when = p.texts.Text(lang, "StaffKindAppointment", "Time", b.Start.In(p.cfg.Location()).Format("15:04"))
	}
	counter := ""
	if c, ok := p.cfg.CounterByID(b.Counter); ok {
		counter = c.Name
	}
	return entry{ID: b.ID, Number: b.Number, Concerns: strings.Join(names, ", "), Name: b.Name, Status: string(b.Status),
		Label: p.texts.Text(lang, "StaffStatus_"+string(b.Status)), When: when, Counter: counter}
}

// pageWords are the counter page's own words, sent with its state in the
// browser's language (the page fills its labels from them).
var pageWords = []string{"PageCounterTitle", "PageCounterMine", "PageCounterNext", "StaffBtnArrived", "StaffBtnRecall", "StaffBtnNoShow",
	"StaffBtnPark", "StaffBtnDone", "PageCounterWaiting", "PageCounterCounters", "PageCounterLater", "PageCounterFree",
	"PageCounterNobodyWaiting", "PageCounterNoLater", "PageCounterCalled"}

func (p *Page) state(w http.ResponseWriter, r *http.Request) {
	q, err := p.calls.Queue(r.Context())
	if err != nil {
		web.JSON(w, http.StatusInternalServerError, map[string]string{"error": p.say(r, "PageQueueUnreadable")})
		return
	}
	type counterState struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Serving *entry `json:"serving"`
	}
	var counters []counterState
	for _, c := range p.cfg.Counters {
		cs := counterState{ID: c.ID, Name: c.Name}
		if b, ok := q.Serving[c.ID]; ok {
			e := p.entry(r, b)
			cs.Serving = &e
		}
		counters = append(counters, cs)
	}
	waiting := []entry{}
	for _, b := range q.Waiting {
		waiting = append(waiting, p.entry(r, b))
	}
	later := []entry{}
	for _, b := range q.Later {
		later = append(later, p.entry(r, b))
	}
	words := map[string]string{}
	for _, id := range pageWords {
		words[id] = p.say(r, id)
	}
	web.JSON(w, http.StatusOK, map[string]any{"office": p.cfg.Office.Name, "counters": counters, "waiting": waiting, "later": later,
		"lang": web.Lang(r), "words": words})
}

func (p *Page) next(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Counter string `json:"counter"`
	}
	if !p.decode(w, r, &req) {
		return
	}
	if _, ok := p.cfg.CounterByID(req.Counter); !ok {
		web.JSON(w, http.StatusBadRequest, map[string]string{"error": p.say(r, "PageNoSuchCounter")})
		return
	}
	b, err := p.calls.Next(r.Context(), req.Counter, actor(r))
	switch {
	case errors.Is(err, callsystem.ErrNobodyWaiting):
		web.JSON(w, http.StatusOK, map[string]any{"message": p.say(r, "PageNobodyWaiting")})
	case err != nil:
		p.log.Error("counter page: next", "err", err)
		web.JSON(w, http.StatusInternalServerError, map[string]string{"error": p.failed(r, err)})
	default:
		web.JSON(w, http.StatusOK, map[string]any{"called": p.entry(r, b)})
	}
}

func (p *Page) act(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     uint64 `json:"id"`
		Action string `json:"action"`
		Target string `json:"target"`
	}
	if !p.decode(w, r, &req) {
		return
	}
	action := booking.CallAction(req.Action)
	switch action {
	case booking.ActionRecall, booking.ActionStart, booking.ActionDone, booking.ActionNoShow, booking.ActionPark, booking.ActionUnpark, booking.ActionTransfer:
	default:
		web.JSON(w, http.StatusBadRequest, map[string]string{"error": p.say(r, "PageNoSuchAction")})
		return
	}
	b, err := p.calls.Act(r.Context(), req.ID, action, req.Target, actor(r))
	switch {
	case errors.Is(err, booking.ErrNotActive):
		web.JSON(w, http.StatusConflict, map[string]string{"error": p.say(r, "PageAlreadyFurther")})
	case errors.Is(err, booking.ErrNotFound), errors.Is(err, booking.ErrInvalidInput):
		web.JSON(w, http.StatusBadRequest, map[string]string{"error": p.say(r, "PageUnknownNumberOrCounter")})
	case err != nil:
		p.log.Error("counter page: act", "err", err)
		web.JSON(w, http.StatusInternalServerError, map[string]string{"error": p.failed(r, err)})
	default:
		web.JSON(w, http.StatusOK, map[string]any{"booking": p.entry(r, b)})
	}
}

func (p *Page) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		web.JSON(w, http.StatusBadRequest, map[string]string{"error": p.say(r, "PageUnreadable")})
		return false
	}
	return true
}

// say is a word of the catalogue in the browser's language.
func (p *Page) say(r *http.Request, id string) string {
	return p.texts.Text(r.Header.Get("Accept-Language"), id)
}

// failed says why an action did not go through: the store being
// unreachable in plain words, anything else as a failure.
func (p *Page) failed(r *http.Request, err error) string {
	if errors.Is(err, booking.ErrUnavailable) {
		return p.say(r, "StaffStoreDown")
	}
	return p.say(r, "PageFailed")
}

// actor names who acted in the audit trail: the clerk's own login, or the
// page's shared one ("counter-page:counter").
func actor(r *http.Request) string { return "counter-page:" + basicauth.User(r) }
