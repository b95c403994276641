// Package webchat is a small web chat page for the booking dialogue: the
// channel a newcomer tries the whole flow on with no token, and a kiosk
// channel for offices without a messenger. It knows only its wire format:
// JSON over HTTP, a cookie that names the chat, and polling for messages
// the engine sends on its own.
package webchat

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"buergerbuero/conversation"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/internal/lang"
	"buergerbuero/internal/web"
	"buergerbuero/internal/webgate"
	"buergerbuero/internal/webguard"
)

// Channel is the channel name the web chat's messages carry.
const Channel = "web"

// Dialogue is what the web chat needs of the conversation engine.
type Dialogue interface {
	Handle(ctx context.Context, msg conversation.Message) ([]conversation.Reply, error)
	// Delivered and Undelivered say whether the replies of a turn were
	// shown: what the engine keeps in its outbox is then done, or its to
	// deliver.
	Delivered(ctx context.Context, replies []conversation.Reply) error
	Undelivered(replies []conversation.Reply)
	// Text is a word from the catalogue, in the language hinted at.
	Text(langHint, id string, kv ...any) string
}

//go:embed static
var static embed.FS

const (
	cookieName   = "bb_chat"
	maxBody      = 8 << 10
	maxQueued    = 50
	forgetQueues = 24 * time.Hour
)

// Options set up the web chat.
type Options struct {
	// Secret signs sessions (chat ids); keep it across restarts so chats
	// resume. Required.
	Secret []byte
	// WorkBits is the proof of work a new session costs: 2^WorkBits SHA-256
	// hashes on average; default 20 (about a second on a phone).
	WorkBits int
	// Addrs tells the client's address behind trusted proxies; nil trusts
	// none.
	Addrs *clientaddr.Resolver
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Chat serves the web chat. It is an http.Handler and, for the engine, the
// Sender of its channel.
type Chat struct {
	dialogue Dialogue
	log      *slog.Logger
	mux      *http.ServeMux
	addrs    *clientaddr.Resolver
	now      func() time.Time

	gate *webgate.Gate

	mu     sync.Mutex
	queues map[string]*queue // chat id -> pushed replies not yet fetched
}

type queue struct {
	replies []reply
	touched time.Time
}

// New makes the web chat over the dialogue. Register it with the engine as
// the Sender of Channel so reminders and calls reach the page.
func New(d Dialogue, log *slog.Logger, opts Options) (*Chat, error) {
	if log == nil {
		log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	gate, err := webgate.New(webgate.Options{Secret: opts.Secret, WorkBits: opts.WorkBits, Addrs: opts.Addrs, Now: opts.Now})
	if err != nil {
		return nil, fmt.Errorf("web chat: %w", err)
	}
	c := &Chat{dialogue: d, log: log, mux: http.NewServeMux(), addrs: opts.Addrs, now: opts.Now, gate: gate, queues: map[string]*queue{}}
	files, _ := fs.Sub(static, "static")
	page := template.Must(template.ParseFS(files, "index.html"))
	c.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { c.page(w, r, page) })
	c.mux.Handle("GET /", http.FileServerFS(files))
	c.mux.Handle("GET /pow.js", webgate.Worker())
	c.mux.HandleFunc("GET /api/challenge", c.challenge)
	c.mux.HandleFunc("POST /api/session", c.session)
	c.mux.HandleFunc("POST /api/message", c.message)
	c.mux.HandleFunc("GET /api/poll", c.poll)
	return c, nil
}

func (c *Chat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	webguard.Page("default-src 'self'; img-src 'self' data:; object-src 'none'", c.mux).ServeHTTP(w, r)
}

// challenge hands out work for a new session.
func (c *Chat) challenge(w http.ResponseWriter, r *http.Request) {
	if !c.gate.Allow(r, "") {
		writeError(w, http.StatusTooManyRequests, c.dialogue.Text(langHint(r), "ChannelSlowDown"))
		return
	}
	web.JSON(w, http.StatusOK, map[string]any{"challenge": c.gate.Challenge(), "bits": c.gate.Bits()})
}

// session turns a solved challenge into a signed chat id in a cookie.
func (c *Chat) session(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Challenge string `json:"challenge"`
		Nonce     string `json:"nonce"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<10))
	if err != nil || json.Unmarshal(body, &req) != nil {
		writeError(w, http.StatusBadRequest, c.dialogue.Text(langHint(r), "ChannelUnreadable"))
		return
	}
	value, ok := c.gate.Redeem(req.Challenge, req.Nonce)
	if !ok {
		writeError(w, http.StatusForbidden, c.dialogue.Text(langHint(r), "ChatSessionFailed"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/", HttpOnly: true, Secure: c.addrs.Secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: 30 * 24 * 3600})
	web.JSON(w, http.StatusOK, map[string]any{"ok": true})
}

// reply is a conversation.Reply on the wire.
type reply struct {
	Text        string                `json:"text"`
	Options     []conversation.Option `json:"options,omitempty"`
	Attachments []attachment          `json:"attachments,omitempty"`
}

type attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"` // base64 in JSON
}

func toWire(rs []conversation.Reply) []reply {
	out := make([]reply, 0, len(rs))
	for _, r := range rs {
		w := reply{Text: r.Text, Options: r.Options}
		for _, a := range r.Attachments {
			w.Attachments = append(w.Attachments, attachment{a.Name, a.ContentType, a.Data})
		}
		out = append(out, w)
	}
	return out
}

type request struct {
	Text   string `json:"text"`
	Option string `json:"option"`
}

// langHint is the catalogue's language for the browser's Accept-Language.
func langHint(r *http.Request) string { return web.Lang(r) }

// page serves the chat page in the browser's language, right to left in
// Arabic.
func (c *Chat) page(w http.ResponseWriter, r *http.Request, tmpl *template.Template) {
	l := langHint(r)
	t := func(id string) string { return c.dialogue.Text(l, id) }
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", l)
	data := map[string]string{"Lang": l, "Dir": lang.Dir(l), "Title": t("ChatTitle"), "Intro": t("ChatIntro"), "Log": t("ChatLog"),
		"Label": t("ChatInputLabel"), "Placeholder": t("ChatPlaceholder"), "Send": t("ChatSend")}
	if err := tmpl.Execute(w, data); err != nil {
		c.log.Warn("web chat page", "err", err)
	}
}

func (c *Chat) message(w http.ResponseWriter, r *http.Request) {
	id := c.chatID(r)
	lang := langHint(r)
	if id == "" {
		// The page starts a session (a proof of work) and sends again.
		web.JSON(w, http.StatusUnauthorized, map[string]any{"session": "needed", "error": c.dialogue.Text(lang, "ChatConnecting")})
		return
	}
	if !c.gate.Allow(r, id) {
		writeError(w, http.StatusTooManyRequests, c.dialogue.Text(lang, "ChannelSlowDown"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, c.dialogue.Text(lang, "ChannelTooLong", "KB", maxBody>>10))
		return
	}
	var req request
	if err != nil || json.Unmarshal(body, &req) != nil {
		writeError(w, http.StatusBadRequest, c.dialogue.Text(lang, "ChannelUnreadable"))
		return
	}
	replies, err := c.dialogue.Handle(r.Context(), conversation.Message{Channel: Channel, ChatID: id, PersonKey: Channel + ":" + id,
		Source: "net:" + clientaddr.Network(c.addrs.Addr(r)), Lang: lang, Text: req.Text, Option: req.Option})
	if err != nil {
		c.log.Error("web chat", "err", err)
		writeError(w, http.StatusInternalServerError, c.dialogue.Text(lang, "ChannelError"))
		return
	}
	if err := web.JSON(w, http.StatusOK, map[string]any{"replies": toWire(replies)}); err != nil {
		c.dialogue.Undelivered(replies) // the outbox delivers what must reach the page
		return
	}
	if err := c.dialogue.Delivered(r.Context(), replies); err != nil {
		c.log.Error("web chat: note delivery", "err", err)
	}
}

func (c *Chat) poll(w http.ResponseWriter, r *http.Request) {
	id := c.chatID(r)
	c.mu.Lock()
	var out []reply
	if q, ok := c.queues[id]; ok {
		out = q.replies
		delete(c.queues, id)
	}
	c.mu.Unlock()
	if out == nil {
		out = []reply{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"replies": out})
}

// Send queues replies the engine starts (reminders, offers, calls) until the
// page fetches them.
func (c *Chat) Send(_ context.Context, chatID string, replies []conversation.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for id, q := range c.queues {
		if now.Sub(q.touched) > forgetQueues {
			delete(c.queues, id)
		}
	}
	q := c.queues[chatID]
	if q == nil {
		q = &queue{}
		c.queues[chatID] = q
	}
	q.replies = append(q.replies, toWire(replies)...)
	if len(q.replies) > maxQueued {
		q.replies = q.replies[len(q.replies)-maxQueued:]
	}
	q.touched = now
	return nil
}

// writeError answers with msg, as the error and as a reply to show.
func writeError(w http.ResponseWriter, status int, msg string) {
	web.JSON(w, status, map[string]any{"error": msg, "replies": []reply{{Text: msg}}}) // a failed error answer has nothing left to say
}

// chatID returns the chat id of the request's signed session cookie, or "".
func (c *Chat) chatID(r *http.Request) string {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return c.gate.Session(ck.Value)
}
