// Package telegramtest is a local HTTP server that speaks the part of the
// Telegram Bot API the bot uses (getMe, getUpdates, sendMessage,
// editMessageText, editMessageReplyMarkup, answerCallbackQuery,
// sendDocument, setMyCommands, setWebhook, deleteWebhook), built from the
// go-telegram/bot model types. Tests and the load tool drive simulated
// users through it and read what the bot sent. It can answer 429 with a
// retry_after and play dead, to test how the bot copes.
package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Sent is one call the bot made that shows something to a user.
type Sent struct {
	Method    string // sendMessage, sendDocument, editMessageText, editMessageReplyMarkup
	ChatID    int64
	MessageID int
	Text      string
	Keyboard  [][]models.InlineKeyboardButton
	FileName  string
	FileData  []byte
	At        time.Time
}

// Buttons lists the keyboard's buttons, row by row.
func (s Sent) Buttons() []models.InlineKeyboardButton {
	var out []models.InlineKeyboardButton
	for _, row := range s.Keyboard {
		out = append(out, row...)
	}
	return out
}

// Commands is one setMyCommands call.
type Commands struct {
	LanguageCode string
	Commands     []models.BotCommand
}

// Server is the fake Bot API.
type Server struct {
	*httptest.Server
	Token string

	mu         sync.Mutex
	cond       *sync.Cond
	updates    []models.Update
	nextUpdate int64
	nextMsg    int
	sent       []Sent
	sentTo     map[int64][]Sent        // the same, by chat: thousands of users each read their own
	news       map[int64]chan struct{} // per chat, closed at the next message sent to it: wakes WaitFor
	answered   map[string]bool
	commands   []Commands
	webhook    string
	secret     string
	calls      map[string]int
	failures   map[string][]int // method -> retry_after of the next failures
	down       bool
	pollWait   time.Duration
	closed     bool
}

// NewServer starts a fake Bot API server for token.
func NewServer(token string) *Server {
	s := &Server{Token: token, answered: map[string]bool{}, calls: map[string]int{}, failures: map[string][]int{}, pollWait: 2 * time.Second,
		sentTo: map[int64][]Sent{}, news: map[int64]chan struct{}{}}
	s.cond = sync.NewCond(&s.mu)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server and releases waiting long polls.
// Citizen is the Telegram user id of the i-th of many citizens of a test:
// spread over the ids as a town's citizens are, each in a block of its own
// (telegram.AccountsMadeTogether), not made together as a farm's.
func Citizen(i int) int64 { return 5_000_000_000 + int64(i)*(1<<16) + 4711 }

func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
	s.Server.CloseClientConnections()
	s.Server.Close()
}

// SetDown makes the server drop every connection (true) or serve again.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
	s.cond.Broadcast()
}

// FailNext makes the next n calls of method answer 429 with retryAfter.
func (s *Server) FailNext(method string, n, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], retryAfter)
	}
}

// Calls is how often method was called (including refused calls).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Text queues a text message from user in their private chat.
func (s *Server) Text(user int64, lang, text string) {
	s.push(models.Update{Message: &models.Message{Date: int(time.Now().Unix()),
		From: &models.User{ID: user, FirstName: "User", LanguageCode: lang},
		Chat: models.Chat{ID: user, Type: models.ChatTypePrivate}, Text: text}})
}

// Photo queues a photo without caption from user.
func (s *Server) Photo(user int64, lang string) {
	s.push(models.Update{Message: &models.Message{Date: int(time.Now().Unix()),
		From:  &models.User{ID: user, FirstName: "User", LanguageCode: lang},
		Chat:  models.Chat{ID: user, Type: models.ChatTypePrivate},
		Photo: []models.PhotoSize{{FileID: "photo", Width: 10, Height: 10}}}})
}

// Press queues the user's press of the button with data on message msg.
func (s *Server) Press(user int64, lang string, msg Sent, data string) string {
	s.mu.Lock()
	id := fmt.Sprintf("cb%d", s.nextUpdate+1)
	s.mu.Unlock()
	m := &models.Message{ID: msg.MessageID, Date: int(time.Now().Unix()), Chat: models.Chat{ID: msg.ChatID, Type: models.ChatTypePrivate},
		Text: msg.Text, ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: msg.Keyboard}}
	s.push(models.Update{CallbackQuery: &models.CallbackQuery{ID: id, Data: data,
		From:    models.User{ID: user, FirstName: "User", LanguageCode: lang},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: m}}})
	return id
}

func (s *Server) push(u models.Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate++
	u.ID = s.nextUpdate
	s.updates = append(s.updates, u)
	s.cond.Broadcast()
}

// Sent returns what was sent to chat so far.
func (s *Server) Sent(chat int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sentTo[chat]...)
}

// sentAndNews returns what was sent to chat and a channel closed at the
// next message sent to it.
func (s *Server) sentAndNews(chat int64) ([]Sent, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.news[chat]
	if !ok {
		ch = make(chan struct{})
		s.news[chat] = ch
	}
	return append([]Sent(nil), s.sentTo[chat]...), ch
}

// Answered reports whether the callback query was answered.
func (s *Server) Answered(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answered[id]
}

// Commands returns the setMyCommands calls.
func (s *Server) Commands() []Commands {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Commands(nil), s.commands...)
}

// Webhook returns the webhook URL and secret set by the bot.
func (s *Server) Webhook() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook, s.secret
}

// WaitFor waits until chat has received a message for which ok is true
// among those after the first skip, and returns all after skip.
func (s *Server) WaitFor(chat int64, skip int, timeout time.Duration, ok func(Sent) bool) ([]Sent, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		all, news := s.sentAndNews(chat)
		if len(all) > skip {
			for _, m := range all[skip:] {
				if ok(m) {
					return all[skip:], nil
				}
			}
		}
		select {
		case <-news: // something was sent: look again
		case <-timer.C:
			if len(all) > skip {
				return all[skip:], fmt.Errorf("chat %d: nothing matching within %s", chat, timeout)
			}
			return nil, fmt.Errorf("chat %d: nothing sent within %s", chat, timeout)
		}
	}
}

type response struct {
	OK          bool   `json:"ok"`
	Result      any    `json:"result,omitempty"`
	ErrorCode   int    `json:"error_code,omitempty"`
	Description string `json:"description,omitempty"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters,omitempty"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	prefix := "/bot" + s.Token + "/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		writeJSON(w, response{ErrorCode: 401, Description: "Unauthorized"})
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	if err := r.ParseMultipartForm(32 << 20); err != nil && err != http.ErrNotMultipart && !errors.Is(err, io.EOF) && !strings.HasSuffix(err.Error(), "EOF") {
		writeJSON(w, response{ErrorCode: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	s.mu.Lock()
	s.calls[method]++
	if f := s.failures[method]; len(f) > 0 {
		s.failures[method] = f[1:]
		s.mu.Unlock()
		writeJSON(w, response{ErrorCode: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", f[0]),
			Parameters: &struct {
				RetryAfter int `json:"retry_after"`
			}{f[0]}})
		return
	}
	s.mu.Unlock()
	switch method {
	case "getMe":
		writeJSON(w, response{OK: true, Result: models.User{ID: 1, IsBot: true, FirstName: "Bürgerbüro", Username: "buergerbuero_test_bot"}})
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument":
		s.record(w, r, method)
	case "answerCallbackQuery":
		s.mu.Lock()
		s.answered[r.FormValue("callback_query_id")] = true
		s.mu.Unlock()
		writeJSON(w, response{OK: true, Result: true})
	case "setMyCommands":
		var cmds []models.BotCommand
		json.Unmarshal([]byte(r.FormValue("commands")), &cmds)
		s.mu.Lock()
		s.commands = append(s.commands, Commands{LanguageCode: r.FormValue("language_code"), Commands: cmds})
		s.mu.Unlock()
		writeJSON(w, response{OK: true, Result: true})
	case "setWebhook":
		s.mu.Lock()
		s.webhook, s.secret = r.FormValue("url"), r.FormValue("secret_token")
		s.mu.Unlock()
		writeJSON(w, response{OK: true, Result: true})
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook, s.secret = "", ""
		s.mu.Unlock()
		writeJSON(w, response{OK: true, Result: true})
	default:
		writeJSON(w, response{ErrorCode: 404, Description: "Not Found: method " + method})
	}
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.ParseInt(r.FormValue("offset"), 10, 64)
	timeout, _ := strconv.Atoi(r.FormValue("timeout"))
	wait := min(time.Duration(timeout)*time.Second, s.pollWait)
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	var out []models.Update
	for {
		out = out[:0]
		for _, u := range s.updates {
			if u.ID >= offset {
				out = append(out, u)
			}
		}
		if len(out) > 0 || ctx.Err() != nil || s.closed || s.down {
			break
		}
		s.cond.Wait()
	}
	// Updates before the offset are confirmed: forget them.
	kept := s.updates[:0]
	for _, u := range s.updates {
		if u.ID >= offset {
			kept = append(kept, u)
		}
	}
	s.updates = kept
	s.mu.Unlock()
	if out == nil {
		out = []models.Update{}
	}
	writeJSON(w, response{OK: true, Result: out})
}

func (s *Server) record(w http.ResponseWriter, r *http.Request, method string) {
	chat, err := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	if err != nil {
		writeJSON(w, response{ErrorCode: 400, Description: "Bad Request: chat_id is empty"})
		return
	}
	m := Sent{Method: method, ChatID: chat, Text: r.FormValue("text"), At: time.Now()}
	if method == "sendMessage" && strings.TrimSpace(m.Text) == "" {
		writeJSON(w, response{ErrorCode: 400, Description: "Bad Request: message text is empty"})
		return
	}
	if len([]rune(m.Text)) > 4096 {
		writeJSON(w, response{ErrorCode: 400, Description: "Bad Request: message is too long"})
		return
	}
	if rm := r.FormValue("reply_markup"); rm != "" {
		var kb models.InlineKeyboardMarkup
		if err := json.Unmarshal([]byte(rm), &kb); err != nil {
			writeJSON(w, response{ErrorCode: 400, Description: "Bad Request: can't parse reply keyboard markup JSON object"})
			return
		}
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				if n := len(b.CallbackData); n < 1 || n > 64 {
					writeJSON(w, response{ErrorCode: 400, Description: "Bad Request: BUTTON_DATA_INVALID"})
					return
				}
			}
		}
		m.Keyboard = kb.InlineKeyboard
	}
	if method == "sendDocument" {
		f, hdr, err := r.FormFile("document")
		if err != nil {
			writeJSON(w, response{ErrorCode: 400, Description: "Bad Request: there is no document in the request"})
			return
		}
		m.FileName = hdr.Filename
		m.FileData, _ = io.ReadAll(f)
		f.Close()
		m.Text = r.FormValue("caption")
	}
	s.mu.Lock()
	if method == "sendMessage" || method == "sendDocument" {
		s.nextMsg++
		m.MessageID = s.nextMsg
	} else {
		m.MessageID, _ = strconv.Atoi(r.FormValue("message_id"))
	}
	s.sent = append(s.sent, m)
	s.sentTo[chat] = append(s.sentTo[chat], m)
	if ch, ok := s.news[chat]; ok {
		close(ch)
		delete(s.news, chat)
	}
	s.mu.Unlock()
	writeJSON(w, response{OK: true, Result: models.Message{ID: m.MessageID, Date: int(m.At.Unix()),
		Chat: models.Chat{ID: chat, Type: models.ChatTypePrivate}, Text: m.Text}})
}

func writeJSON(w http.ResponseWriter, r response) {
	w.Header().Set("Content-Type", "application/json")
	if !r.OK && r.ErrorCode != 0 {
		w.WriteHeader(r.ErrorCode)
	}
	json.NewEncoder(w).Encode(r)
}
