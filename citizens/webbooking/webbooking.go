// Package webbooking is the town's booking on the web: the citizens' API
// (/api/v1/…, described by openapi.yaml) and the booking page built on it
// (/book/, for the town's own site or embedded into its CMS with one
// snippet). It knows only its wire formats: JSON (problems as RFC 9457
// problem details), the page, and CORS for the origins the config names.
// The rules are the office's, through conversation.Form: the same limits,
// holds, PIN checks and outbox as every chat.
package webbooking

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/internal/webgate"
	"buergerbuero/office"
)

// Desk is what the web booking needs of an office (conversation.Form).
type Desk interface {
	Config() *office.Config
	Text(langHint, id string, kv ...any) string
	Documents(lang string, concerns []office.ConcernCount) []string
	When(lang string, t time.Time) string
	Day(lang string, t time.Time) string
	FreeTimes(ctx context.Context, concerns []office.ConcernCount, from, to time.Time) ([]booking.DaySlots, error)
	Hold(ctx context.Context, a conversation.Asker, concerns []office.ConcernCount, start time.Time) (time.Time, error)
	Book(ctx context.Context, a conversation.Asker, fb conversation.FormBooking) (conversation.Booked, error)
	Lookup(ctx context.Context, a conversation.Asker, number, pin string) (booking.Booking, error)
	Cancel(ctx context.Context, a conversation.Asker, number, pin string) (booking.Booking, error)
	Move(ctx context.Context, a conversation.Asker, number, pin string, start time.Time) (booking.Booking, error)
}

// Wait is how long somebody who takes a walk-in number now would wait, for
// one group of concerns.
type Wait struct {
	Group   string
	Minutes int
}

// Office is an office the web booking books at.
type Office struct {
	// ID names the office in the API's paths (its id in a town, "main" alone).
	ID   string
	Desk Desk
	// Waits estimates the walk-in waits; nil: not offered.
	Waits func(ctx context.Context) ([]Wait, error)
}

// Options set up the web booking.
type Options struct {
	// Secret signs sessions; keep it across restarts. Required.
	Secret []byte
	// WorkBits is the proof of work a session costs (as the web chat's).
	WorkBits int
	// Addrs tells the client's address behind trusted proxies.
	Addrs *clientaddr.Resolver
	// Origins are the town's websites (https://www.example.de) that may
	// embed the page and call the API from a citizen's browser.
	Origins []string
	// SendsMail says whether the office confirms by mail: the page then
	// asks for an address.
	SendsMail bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Web is the citizens' API and the booking page.
type Web struct {
	offices   []Office
	gate      *webgate.Gate
	addrs     *clientaddr.Resolver
	origins   []string
	sendsMail bool
	now       func() time.Time
	log       *slog.Logger
}

// New makes the web booking over offices (at least one).
func New(offices []Office, log *slog.Logger, opts Options) (*Web, error) {
	if len(offices) == 0 {
		return nil, errors.New("web booking: no office")
	}
	if log == nil {
		log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	gate, err := webgate.New(webgate.Options{Secret: opts.Secret, WorkBits: opts.WorkBits, Addrs: opts.Addrs, Now: opts.Now})
	if err != nil {
		return nil, err
	}
	for _, o := range opts.Origins {
		if err := CheckOrigin(o); err != nil {
			return nil, err
		}
	}
	return &Web{offices: offices, gate: gate, addrs: opts.Addrs, origins: opts.Origins, sendsMail: opts.SendsMail, now: opts.Now, log: log}, nil
}

// CheckOrigin reports whether o is an origin as a browser sends it
// ("https://www.example.de", no path).
func CheckOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil ||
		strings.ContainsAny(o, " ;,'\"") {
		return errors.New(`"` + o + `" is not an origin like https://www.example.de (scheme and host, no path)`)
	}
	return nil
}

// API is the citizens' API, to mount at /api/v1/.
func (wb *Web) API() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.yaml", serveSpec)
	mux.HandleFunc("GET /challenge", wb.challenge)
	mux.HandleFunc("POST /sessions", wb.session)
	mux.HandleFunc("GET /offices", wb.listOffices)
	mux.HandleFunc("GET /offices/{office}/concerns", wb.concerns)
	mux.HandleFunc("GET /offices/{office}/times", wb.times)
	mux.HandleFunc("GET /times", wb.townTimes)
	mux.HandleFunc("GET /offices/{office}/walk-ins", wb.walkIns)
	mux.Handle("POST /offices/{office}/holds", wb.asker(wb.hold))
	mux.Handle("POST /offices/{office}/bookings", wb.asker(wb.book))
	mux.Handle("GET /offices/{office}/bookings/{number}", wb.asker(wb.byNumber(func(d Desk) lookup { return d.Lookup })))
	mux.Handle("DELETE /offices/{office}/bookings/{number}", wb.asker(wb.byNumber(func(d Desk) lookup { return d.Cancel })))
	mux.Handle("PATCH /offices/{office}/bookings/{number}", wb.asker(wb.move))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		wb.problem(w, r, http.StatusNotFound, "not-found", "ApiNotFound")
	})
	return wb.cors(mux)
}

// office is the office of the request's path, or nil.
func (wb *Web) office(r *http.Request) *Office {
	id := r.PathValue("office")
	for i := range wb.offices {
		if wb.offices[i].ID == id {
			return &wb.offices[i]
		}
	}
	return nil
}

// origin reports whether the request comes from the service's own pages,
// from an origin the config names, or (no Origin header) not from a
// browser page at all.
func (wb *Web) origin(r *http.Request) (origin string, allowed bool) {
	origin = r.Header.Get("Origin")
	if origin == "" {
		return "", true
	}
	if u, err := url.Parse(origin); err == nil && u.Host == r.Host {
		return origin, true
	}
	return origin, slices.Contains(wb.origins, origin)
}
