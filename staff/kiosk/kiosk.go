// Package kiosk is the info desk's page: pick a concern, get a walk-in
// number with the documents to bring, printed as a ticket. It is a small
// web page behind a password (HTTP Basic, user "kiosk"), for the tablet or
// PC at the info desk. With a ticket printer on the network (escpos) the
// service prints the ticket itself; otherwise, or when the printer fails,
// the page prints it through the browser.
package kiosk

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/web"
	"buergerbuero/internal/webguard"
	"buergerbuero/office"
	"buergerbuero/staff/kiosk/escpos"
)

//go:embed static
var static embed.FS

// Desk is what the kiosk needs of the booking store.
type Desk interface {
	Config() *office.Config
	IssueWalkIn(ctx context.Context, req booking.WalkInRequest) (booking.Booking, error)
}

// Queue tells a new ticket's place in the queue.
type Queue interface {
	Position(ctx context.Context, b booking.Booking) (callsystem.Position, error)
}

// Texts gives the page's words from the catalogue (the conversation
// engine's), in the language the browser asks for.
type Texts interface {
	Text(langHint, id string, kv ...any) string
}

// Printer prints a ticket (escpos.Network); nil: the browser prints.
type Printer interface {
	PrintTicket(ctx context.Context, t escpos.Ticket) error
}

// Kiosk serves the info desk page and its API.
type Kiosk struct {
	desk    Desk
	queue   Queue
	logins  []basicauth.Account
	guard   *basicauth.Guard
	texts   Texts
	printer Printer
	log     *slog.Logger
	mux     *http.ServeMux
	page    http.Handler // mux behind the login and the browser-side guards, made once
}

// New makes the kiosk; without logins it is off. guard throttles wrong
// passwords (nil: a guard of its own that trusts no proxy); printer prints
// the tickets (nil: the page prints them through the browser).
func New(desk Desk, queue Queue, texts Texts, printer Printer, logins []basicauth.Account, guard *basicauth.Guard, log *slog.Logger) *Kiosk {
	if log == nil {
		log = slog.Default()
	}
	if guard == nil {
		guard = basicauth.NewGuard(nil, log, nil)
	}
	k := &Kiosk{desk: desk, queue: queue, texts: texts, printer: printer, logins: logins, guard: guard, log: log, mux: http.NewServeMux()}
	files, _ := fs.Sub(static, "static")
	k.mux.Handle("GET /", http.FileServerFS(files))
	k.mux.HandleFunc("GET /api/concerns", k.concerns)
	k.mux.HandleFunc("POST /api/ticket", k.ticket)
	k.page = webguard.Page("default-src 'self'; object-src 'none'", k.guard.Require("buergerbuero kiosk", k.logins,
		"The kiosk is off: set kiosk.accounts or kiosk.password (or BUERGERBUERO_KIOSK_PASSWORD).", k.mux))
	return k
}

// ServeHTTP serves the page and its API behind the login.
func (k *Kiosk) ServeHTTP(w http.ResponseWriter, r *http.Request) { k.page.ServeHTTP(w, r) }

type concern struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Minutes   int      `json:"minutes"`
	Documents []string `json:"documents"`
}

func (k *Kiosk) concerns(w http.ResponseWriter, r *http.Request) {
	cfg := k.desk.Config()
	lang := web.Lang(r)
	out := make([]concern, 0, len(cfg.Concerns))
	for _, c := range cfg.Concerns {
		out = append(out, concern{ID: c.ID, Name: c.Name.In(lang), Minutes: c.Minutes, Documents: c.Documents.In(lang)})
	}
	words := map[string]string{}
	for _, id := range []string{"PageKioskTitle", "PageKioskPick", "PageKioskYourNumber", "PageKioskHaveReady", "PageKioskWatchDisplay",
		"PageKioskAgain", "PageKioskMinutes", "PageKioskAhead", "PageKioskOffline"} {
		words[id] = k.say(r, id)
	}
	web.JSON(w, http.StatusOK, map[string]any{"office": cfg.Office.Name, "concerns": out, "lang": lang, "words": words})
}

// ticket is what the page prints.
type ticket struct {
	Number    string   `json:"number"`
	Concern   string   `json:"concern"`
	Office    string   `json:"office"`
	Issued    string   `json:"issued"`
	Ahead     int      `json:"ahead"`
	WaitMin   int      `json:"wait_min"`
	Documents []string `json:"documents"`
	// Printed is set when the ticket printer printed it; else the page does.
	Printed bool `json:"printed"`
}

func (k *Kiosk) ticket(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Concern string `json:"concern"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		web.JSON(w, http.StatusBadRequest, map[string]string{"error": k.say(r, "PageUnreadable")})
		return
	}
	cfg := k.desk.Config()
	c, ok := cfg.Concern(req.Concern)
	if !ok {
		web.JSON(w, http.StatusBadRequest, map[string]string{"error": k.say(r, "PageNoSuchConcern")})
		return
	}
	b, err := k.desk.IssueWalkIn(r.Context(), booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: c.ID, Count: 1}}, Actor: "kiosk:" + basicauth.User(r)})
	switch {
	case errors.Is(err, booking.ErrContingentExhausted):
		web.JSON(w, http.StatusConflict, map[string]string{"error": k.say(r, "PageContingentExhausted")})
		return
	case errors.Is(err, booking.ErrClosed):
		web.JSON(w, http.StatusConflict, map[string]string{"error": k.say(r, "PageClosedForWalkIns")})
		return
	case err != nil:
		k.log.Error("kiosk ticket", "err", err)
		web.JSON(w, http.StatusInternalServerError, map[string]string{"error": k.say(r, "PageFailed")})
		return
	}
	lang := web.Lang(r)
	t := ticket{Number: b.Number, Concern: c.Name.In(lang), Office: cfg.Office.Name, Issued: b.CreatedAt.In(cfg.Location()).Format("02.01.2006 15:04"),
		Documents: c.Documents.In(lang)}
	if pos, err := k.queue.Position(r.Context(), b); err == nil {
		t.Ahead, t.WaitMin = pos.Ahead, int(pos.Wait.Round(time.Minute)/time.Minute)
	}
	t.Printed = k.print(r, t)
	web.JSON(w, http.StatusOK, t)
}

// print sends t to the ticket printer, if there is one, in the browser's
// language, and reports whether it printed. A printer that fails leaves the
// ticket to the page (the browser's print), logged for the office's IT.
func (k *Kiosk) print(r *http.Request, t ticket) bool {
	if k.printer == nil {
		return false
	}
	lines := []string{t.Concern, strings.NewReplacer("{ahead}", strconv.Itoa(t.Ahead), "{min}", strconv.Itoa(t.WaitMin)).Replace(k.say(r, "PageKioskAhead")), t.Issued}
	if len(t.Documents) > 0 {
		lines = append(lines, "", k.say(r, "PageKioskHaveReady"))
		for _, d := range t.Documents {
			lines = append(lines, "- "+d)
		}
	}
	lines = append(lines, "", k.say(r, "PageKioskWatchDisplay"))
	err := k.printer.PrintTicket(r.Context(), escpos.Ticket{Heading: t.Office, Caption: k.say(r, "PageKioskYourNumber"), Big: t.Number, Lines: lines})
	if err != nil {
		k.log.Error("ticket printer failed; the page prints the ticket", "number", t.Number, "err", err)
		return false
	}
	return true
}

// say is a word of the catalogue in the browser's language.
func (k *Kiosk) say(r *http.Request, id string) string {
	return k.texts.Text(r.Header.Get("Accept-Language"), id)
}
