package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/web"
)

// eraseRequest names the citizen whose data is to be deleted: their e-mail
// address, person key ("tg:12345" for a Telegram user) or the waiting
// number of their booking still to come (booking.Someone).
type eraseRequest struct {
	Email  string `json:"email"`
	Person string `json:"person"`
	Number string `json:"number"`
}

// erasedAnswer tells the admin what was deleted, summed over the offices.
type erasedAnswer struct {
	Bookings  int `json:"bookings"`
	Cancelled int `json:"cancelled"`
	Records   int `json:"records"`
}

// eraseHandler deletes, on a citizen's request (DSGVO Art. 17), what every
// office keeps of them: their bookings' personal data (bookings still to
// come are cancelled) and what the dialogue keeps of their chats. It is an
// admin's JSON POST (/admin/erase), and an audit line names the admin.
func eraseHandler(runs []*officeRun, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req eraseRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
			web.JSON(w, http.StatusBadRequest, map[string]string{"error": "send {\"email\": …}, {\"person\": …} or {\"number\": …}"})
			return
		}
		admin := basicauth.User(r)
		var out erasedAnswer
		for _, o := range runs {
			erased, err := o.store.Erase(r.Context(), booking.Someone{Email: req.Email, PersonKey: req.Person, Number: req.Number}, "admin:"+admin)
			if errors.Is(err, booking.ErrNobodyNamed) {
				web.JSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			if err != nil {
				log.Error("erase", "office", o.id, "err", err)
				web.JSON(w, http.StatusInternalServerError, map[string]string{"error": "the store failed; nothing more was deleted"})
				return
			}
			chats := erased.Chats
			if req.Email != "" {
				chats = append(chats, booking.Owner{Channel: conversation.MailChannel, ChatID: req.Email})
			}
			n, err := o.engine.ForgetChats(r.Context(), chats)
			if err != nil {
				log.Error("erase chats", "office", o.id, "err", err)
				web.JSON(w, http.StatusInternalServerError, map[string]string{"error": "the bookings were erased, the chats' records not: try again"})
				return
			}
			out.Bookings, out.Cancelled, out.Records = out.Bookings+erased.Bookings, out.Cancelled+erased.Cancelled, out.Records+n
		}
		log.Info("erased on request", "audit", true, "admin", admin, "bookings", out.Bookings, "cancelled", out.Cancelled, "records", out.Records)
		web.JSON(w, http.StatusOK, out)
	})
}
