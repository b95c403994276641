package webbooking

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/lang"
)

// Problem is an error answer as RFC 9457 describes it: type names the
// problem for programs (its last part, Code, too), detail says it to a
// person in their language, from the catalogue.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// problemBase is where the problem types are described (the API's own
// document, section "Problems").
const problemBase = "/api/v1/openapi.yaml#problem-"

// lang is the request's language: ?lang=, else the browser's.
func (wb *Web) lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return lang.Of(l)
	}
	return lang.Of(r.Header.Get("Accept-Language"))
}

// problem answers with a problem whose detail is the catalogue's text id.
func (wb *Web) problem(w http.ResponseWriter, r *http.Request, status int, code, id string, kv ...any) {
	l := wb.lang(r)
	d := wb.offices[0].Desk
	p := Problem{Type: problemBase + code, Title: d.Text(l, "ApiProblemTitle"), Status: status, Code: code, Detail: d.Text(l, id, kv...)}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", l)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p) // a failed error answer has nothing left to say
}

// refused answers with what the rules said to a request of o: a time
// taken, a limit, a wrong PIN; or that the service failed. start and
// number are what the request named, for the words.
func (wb *Web) refused(w http.ResponseWriter, r *http.Request, o *Office, err error, start time.Time, number string) {
	cfg := o.Desk.Config()
	l := wb.lang(r)
	phone := cfg.Office.Phone
	var ge *booking.GuessError
	switch {
	case errors.As(err, &ge):
		wb.problem(w, r, http.StatusTooManyRequests, "too-many-guesses", "TooManyGuesses", "Until", ge.Until.In(cfg.Location()).Format("15:04"), "Phone", phone)
	case errors.Is(err, booking.ErrTooManyGuesses):
		wb.problem(w, r, http.StatusTooManyRequests, "too-many-guesses", "TooManyGuesses", "Until", "–", "Phone", phone)
	case errors.Is(err, booking.ErrSlotTaken), errors.Is(err, booking.ErrNotBookable), errors.Is(err, booking.ErrClosed):
		wb.problem(w, r, http.StatusConflict, "time-taken", "SlotGone", "When", o.Desk.When(l, start))
	case errors.Is(err, booking.ErrPaced), errors.Is(err, booking.ErrCohortFull):
		wb.problem(w, r, http.StatusConflict, "paced", "ApiPaced", "Day", o.Desk.Day(l, start))
	case errors.Is(err, booking.ErrLimitReached):
		wb.problem(w, r, http.StatusConflict, "person-limit", "ApiLimitReached", "Max", cfg.Booking.MaxActivePerPerson, "Phone", phone)
	case errors.Is(err, booking.ErrSourceLimitReached):
		wb.problem(w, r, http.StatusConflict, "source-limit", "SourceLimitReached", "Max", cfg.Booking.MaxActivePerSource,
			"Minutes", cfg.Booking.MaxMinutesPerSource, "Phone", phone)
	case errors.Is(err, booking.ErrTooBigOnline):
		wb.problem(w, r, http.StatusUnprocessableEntity, "too-big", "TooBigOnline", "Cases", cfg.Booking.MaxCasesPerBooking,
			"Minutes", cfg.Booking.MaxMinutesPerBooking, "Phone", phone)
	case errors.Is(err, booking.ErrUnknownConcern), errors.Is(err, booking.ErrTooMany), errors.Is(err, booking.ErrNoCounter):
		wb.problem(w, r, http.StatusUnprocessableEntity, "bad-concerns", "ApiBadConcerns")
	case errors.Is(err, booking.ErrNotFound), errors.Is(err, booking.ErrWrongPIN), errors.Is(err, booking.ErrPINLocked), errors.Is(err, booking.ErrNotActive):
		// One answer for an unknown number, a wrong PIN and a locked
		// booking: nothing tells which numbers exist.
		wb.problem(w, r, http.StatusNotFound, "no-match", "NoMatch", "Number", booking.NormalizeNumber(number), "Phone", phone)
	case errors.Is(err, booking.ErrInvalidInput):
		wb.problem(w, r, http.StatusUnprocessableEntity, "invalid-input", "ApiInvalidInput")
	case errors.Is(err, booking.ErrUnavailable):
		wb.log.Error("web booking: store unavailable", "err", err)
		wb.problem(w, r, http.StatusServiceUnavailable, "unavailable", "StoreDown", "Phone", phone)
	default:
		wb.log.Error("web booking", "err", err, "path", r.URL.Path)
		wb.problem(w, r, http.StatusInternalServerError, "error", "Error", "Phone", phone)
	}
}
