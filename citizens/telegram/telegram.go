// Package telegram connects the booking dialogue to Telegram through the Bot
// API (github.com/go-telegram/bot). It only translates: updates become
// conversation Messages, Replies become messages with inline keyboards and
// documents. Messages of one chat are handled in order, chats in parallel;
// outgoing messages respect Telegram's rate limits and retry after 429.
package telegram

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"buergerbuero/conversation"
	"buergerbuero/internal/lang"
	"buergerbuero/internal/retry"
)

// Channel is the channel name of Telegram messages.
const Channel = "telegram"

// Config configures the Telegram channel. Without a token it is off.
type Config struct {
	// Token is the bot's token from BotFather (or the environment variable
	// BUERGERBUERO_TELEGRAM_TOKEN).
	Token string `yaml:"token"`
	// APIURL is the Bot API server; default https://api.telegram.org (an
	// office may run its own Bot API server).
	APIURL string `yaml:"api_url"`
	// WebhookURL switches from long polling to a webhook at this public
	// URL; the service serves it at /telegram/webhook. WebhookSecret is
	// checked on every call.
	WebhookURL    string `yaml:"webhook_url"`
	WebhookSecret string `yaml:"webhook_secret"`
	// MessagesPerSecond limits all sending (default 30); ChatMessagesPerSecond
	// limits sending to one chat (default 1, with bursts of ChatBurst, default 3).
	MessagesPerSecond     float64 `yaml:"messages_per_second"`
	ChatMessagesPerSecond float64 `yaml:"chat_messages_per_second"`
	ChatBurst             int     `yaml:"chat_burst"`
	// PollTimeout is the long-polling timeout; default 50s.
	PollTimeout time.Duration `yaml:"poll_timeout"`
}

func (c *Config) defaults() {
	if c.APIURL == "" {
		c.APIURL = "https://api.telegram.org"
	}
	if c.MessagesPerSecond == 0 {
		c.MessagesPerSecond = 30
	}
	if c.ChatMessagesPerSecond == 0 {
		c.ChatMessagesPerSecond = 1
	}
	if c.ChatBurst == 0 {
		c.ChatBurst = 3
	}
	if c.PollTimeout == 0 {
		c.PollTimeout = 50 * time.Second
	}
}

// Dialogue is what the channel needs of the conversation engine.
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

// Bot is the Telegram channel. It is also the engine's Sender for Telegram.
type Bot struct {
	cfg      Config
	api      *bot.Bot
	dialogue Dialogue
	log      *slog.Logger
	global   *rate.Limiter

	mu    sync.Mutex
	chats map[int64]*chatState
}

// chatState keeps one chat's order of work and its send limiter.
type chatState struct {
	limiter *rate.Limiter
	pending []func(context.Context)
	running bool
	used    time.Time
}

// keepAlive is an HTTP transport that keeps enough connections to the Bot
// API open for many chats answered at once (Go's default keeps two, so a
// busy minute would open and close a connection per message).
func keepAlive() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 128
	return t
}

// New makes the channel. It does not reach the network yet; Run does.
func New(cfg Config, d Dialogue, log *slog.Logger) (*Bot, error) {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	b := &Bot{cfg: cfg, dialogue: d, log: log.With("channel", Channel), chats: map[int64]*chatState{},
		global: rate.NewLimiter(rate.Limit(cfg.MessagesPerSecond), max(1, int(cfg.MessagesPerSecond)))}
	opts := []bot.Option{
		bot.WithServerURL(strings.TrimRight(cfg.APIURL, "/")),
		bot.WithSkipGetMe(),
		bot.WithNotAsyncHandlers(), // updates reach onUpdate in order; it queues them per chat
		bot.WithDefaultHandler(b.onUpdate),
		bot.WithErrorsHandler(func(err error) { b.log.Warn("telegram", "err", err) }),
		bot.WithHTTPClient(cfg.PollTimeout, &http.Client{Timeout: cfg.PollTimeout + 15*time.Second, Transport: keepAlive()}),
		bot.WithAllowedUpdates(bot.AllowedUpdates{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery}),
	}
	if cfg.WebhookSecret != "" {
		opts = append(opts, bot.WithWebhookSecretToken(cfg.WebhookSecret))
	}
	api, err := bot.New(cfg.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	b.api = api
	return b, nil
}

// Run connects (waiting while the API cannot be reached), registers the
// commands and receives updates until ctx ends: by long polling, or by
// webhook when WebhookURL is set (serve WebhookHandler then).
func (b *Bot) Run(ctx context.Context) error {
	err := retry.Until(ctx, b.log, "telegram connect", func() error {
		me, err := b.api.GetMe(ctx)
		if err == nil {
			b.log.Info("telegram connected", "bot", me.Username)
		}
		return err
	}, func(err error) bool { return errors.Is(err, bot.ErrorUnauthorized) })
	if err != nil {
		return fmt.Errorf("telegram: the token was refused: %w", err)
	}
	if ctx.Err() != nil {
		return nil
	}
	b.setCommands(ctx)
	if b.cfg.WebhookURL != "" {
		if _, err := b.api.SetWebhook(ctx, &bot.SetWebhookParams{URL: b.cfg.WebhookURL, SecretToken: b.cfg.WebhookSecret,
			AllowedUpdates: []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery}}); err != nil {
			return fmt.Errorf("telegram: set webhook: %w", err)
		}
		b.api.StartWebhook(ctx)
		return nil
	}
	if _, err := b.api.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		b.log.Warn("telegram: delete webhook", "err", err)
	}
	return b.pollUpdates(ctx) // poll.go: an update is confirmed only once handled
}

// WebhookHandler receives updates in webhook mode. A call without the right
// secret token header is refused with 401.
func (b *Bot) WebhookHandler() http.Handler {
	inner := b.api.WebhookHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if b.cfg.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(b.cfg.WebhookSecret)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		inner(w, r)
	})
}

// commandMenu is registered with setMyCommands; Telegram shows the list in
// the user's language: each of the catalogue's, English for everyone else.
func (b *Bot) commandMenu() map[string][]models.BotCommand {
	menu := map[string][]models.BotCommand{}
	for _, l := range lang.All() {
		code := l
		if l == "en" {
			code = "" // the default for every language the catalogue has not
		}
		t := func(id string) string { return b.dialogue.Text(l, id) }
		menu[code] = []models.BotCommand{{Command: "start", Description: t("CmdStart")}, {Command: "termin", Description: t("CmdBook")},
			{Command: "absagen", Description: t("CmdCancel")}, {Command: "status", Description: t("CmdStatus")},
			{Command: "unterlagen", Description: t("CmdDocs")}, {Command: "hilfe", Description: t("CmdHelp")},
			{Command: "language", Description: t("CmdLanguage")}}
	}
	return menu
}

func (b *Bot) setCommands(ctx context.Context) {
	for code, cmds := range b.commandMenu() {
		if _, err := b.api.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: cmds, LanguageCode: code}); err != nil {
			b.log.Warn("telegram: set commands", "lang", code, "err", err)
		}
	}
}

// commandMessage turns a command into what the dialogue understands.
func commandMessage(text string) (conversation.Message, bool) {
	if !strings.HasPrefix(text, "/") {
		return conversation.Message{}, false
	}
	cmd, rest, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
	cmd, _, _ = strings.Cut(cmd, "@") // /termin@buergerbuero_bot
	switch strings.ToLower(cmd) {
	case "start":
		return conversation.Message{Text: "start"}, true
	case "termin", "book":
		if rest != "" {
			return conversation.Message{Text: "Termin " + rest}, true
		}
		return conversation.Message{Option: "menu:book"}, true
	case "absagen", "cancel":
		if rest != "" {
			return conversation.Message{Text: "absagen " + rest}, true
		}
		return conversation.Message{Option: "menu:cancel"}, true
	case "status":
		return conversation.Message{Option: "menu:status"}, true
	case "unterlagen", "documents":
		if rest != "" {
			return conversation.Message{Text: "Unterlagen " + rest}, true
		}
		return conversation.Message{Option: "menu:docs"}, true
	case "hilfe", "help":
		return conversation.Message{Text: "hilfe"}, true
	case "language", "sprache":
		return conversation.Message{Text: "language"}, true
	}
	return conversation.Message{Text: text}, true // unknown: the dialogue says it did not understand
}

// onUpdate is called by the library for each update of the webhook, in
// order; it queues the work on the update's chat.
func (b *Bot) onUpdate(ctx context.Context, _ *bot.Bot, u *models.Update) { b.route(ctx, u, nil) }

// route queues an update's work on its chat; done, if set, is called once
// the work is done (or there is none).
func (b *Bot) route(ctx context.Context, u *models.Update, done func()) {
	if done == nil {
		done = func() {}
	}
	switch {
	case u.Message != nil && u.Message.From != nil:
		b.enqueue(u.Message.Chat.ID, func(ctx context.Context) { defer done(); b.onMessage(ctx, u.ID, u.Message) })
	case u.CallbackQuery != nil:
		chat := u.CallbackQuery.From.ID
		if m := u.CallbackQuery.Message.Message; m != nil {
			chat = m.Chat.ID
		}
		// Answer at once so the button stops spinning, then queue the work.
		if _, err := b.api.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: u.CallbackQuery.ID}); err != nil {
			b.log.Warn("telegram: answer callback", "err", err)
		}
		b.enqueue(chat, func(ctx context.Context) { defer done(); b.onCallback(ctx, u.ID, chat, u.CallbackQuery) })
	default:
		done()
	}
}

// enqueue runs job after the chat's earlier jobs; chats run in parallel.
func (b *Bot) enqueue(chat int64, job func(context.Context)) {
	b.mu.Lock()
	st := b.chatLocked(chat)
	st.pending = append(st.pending, job)
	start := !st.running
	st.running = true
	b.mu.Unlock()
	if start {
		go b.drain(chat, st)
	}
}

func (b *Bot) drain(chat int64, st *chatState) {
	for {
		b.mu.Lock()
		if len(st.pending) == 0 {
			st.running = false
			b.mu.Unlock()
			return
		}
		job := st.pending[0]
		st.pending = st.pending[1:]
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		job(ctx)
		cancel()
	}
}

// chatLocked returns the chat's state; b.mu is held. Idle chats are
// forgotten now and then so the map does not grow without end.
func (b *Bot) chatLocked(chat int64) *chatState {
	now := time.Now()
	if len(b.chats) > 10000 {
		for id, st := range b.chats {
			if !st.running && now.Sub(st.used) > 10*time.Minute {
				delete(b.chats, id)
			}
		}
	}
	st := b.chats[chat]
	if st == nil {
		st = &chatState{limiter: rate.NewLimiter(rate.Limit(b.cfg.ChatMessagesPerSecond), b.cfg.ChatBurst)}
		b.chats[chat] = st
	}
	st.used = now
	return st
}

func (b *Bot) onMessage(ctx context.Context, update int64, m *models.Message) {
	msg, isCommand := commandMessage(m.Text)
	if !isCommand {
		msg = conversation.Message{Text: m.Text}
		if m.Text == "" {
			msg.Text = m.Caption
			msg.Unsupported = m.Caption == ""
		}
	}
	msg.ID = updateID(update)
	b.handle(ctx, m.Chat.ID, m.From, msg)
}

// updateID names an update for the dialogue, which drops one it has seen:
// after a crash Telegram delivers the updates not yet confirmed again.
func updateID(update int64) string { return "tg-update:" + strconv.FormatInt(update, 10) }

func (b *Bot) onCallback(ctx context.Context, update int64, chat int64, q *models.CallbackQuery) {
	msg := conversation.Message{Option: q.Data}
	if n, ok := strings.CutPrefix(q.Data, "n:"); ok {
		msg = conversation.Message{Text: n}
	}
	msg.ID = updateID(update)
	replies := b.answer(ctx, chat, &q.From, msg)
	pressed := q.Message.Message
	if pressed == nil || pressed.ReplyMarkup == nil {
		b.deliverLogged(ctx, chat, replies)
		return
	}
	choice := pressedLabel(pressed, q.Data)
	// The next question takes the pressed message's place: one call, and
	// the old buttons are gone so they cannot be pressed twice.
	if next, ok := editable(replies); ok {
		text := next.Text
		if choice != "" {
			text = "✓ " + choice + "\n\n" + text
		}
		if utf8.RuneCountInString(text) <= 4096 && b.edit(ctx, chat, pressed.ID, text, keyboard(next.Options)) == nil {
			b.settle(ctx, chat, replies, nil)
			return
		}
	}
	// Otherwise the pressed message keeps its text, shows the choice and
	// loses its buttons, and the answer comes as new messages (they notify).
	text := pressed.Text
	if choice != "" {
		text += "\n\n✓ " + choice
	}
	if err := b.edit(ctx, chat, pressed.ID, clip(text, 4096), models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}); err != nil {
		b.log.Warn("edit pressed message", "err", err) // it keeps its buttons; the answer still comes
	}
	b.deliverLogged(ctx, chat, replies)
}

// pressedLabel is the label of the button with data in the pressed message.
func pressedLabel(m *models.Message, data string) string {
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, btn := range row {
			if btn.CallbackData == data {
				return btn.Text
			}
		}
	}
	return ""
}

// editable tells whether replies are one question with buttons and nothing
// else, which can replace the pressed message. Answers without buttons (a
// confirmation, a PIN) come as new messages, so they notify and stay.
func editable(replies []conversation.Reply) (conversation.Reply, bool) {
	merged := conversation.Merge(replies)
	if len(merged) != 1 || len(merged[0].Options) == 0 || len(merged[0].Attachments) > 0 || strings.TrimSpace(merged[0].Text) == "" {
		return conversation.Reply{}, false
	}
	return merged[0], true
}

// edit replaces a message's text and buttons within the rate limits.
func (b *Bot) edit(ctx context.Context, chat int64, id int, text string, kb models.InlineKeyboardMarkup) error {
	return b.send(ctx, chat, func(ctx context.Context) error {
		_, err := b.api.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat, MessageID: id, Text: text, ReplyMarkup: kb})
		return err
	})
}

// AccountsMadeTogether is the size of the blocks of Telegram user ids the
// channel counts as one source: ids are handed out in order, so accounts a
// farm makes together have ids close to each other (2^16 ids are about an
// hour of Telegram's sign-ups), while the citizens of a town are spread
// over all of them.
const AccountsMadeTogether = 1 << 16

// SourceOf is the source of a Telegram user for the per-source limits: the
// block of ids the account was made in.
func SourceOf(userID int64) string {
	return "tg:ids/" + strconv.FormatInt(userID/AccountsMadeTogether, 10)
}

func (b *Bot) handle(ctx context.Context, chat int64, from *models.User, msg conversation.Message) {
	b.deliverLogged(ctx, chat, b.answer(ctx, chat, from, msg))
}

// answer asks the dialogue for its replies to msg; an error becomes a
// polite message.
func (b *Bot) answer(ctx context.Context, chat int64, from *models.User, msg conversation.Message) []conversation.Reply {
	msg.Channel = Channel
	msg.ChatID = strconv.FormatInt(chat, 10)
	msg.PersonKey = "tg:" + strconv.FormatInt(from.ID, 10)
	msg.Source = SourceOf(from.ID)
	msg.Lang = from.LanguageCode
	replies, err := b.dialogue.Handle(ctx, msg)
	if err != nil {
		b.log.Error("dialogue", "chat", chat, "err", err)
		return []conversation.Reply{{Text: b.dialogue.Text(msg.Lang, "ChannelError")}}
	}
	return replies
}

func (b *Bot) deliverLogged(ctx context.Context, chat int64, replies []conversation.Reply) {
	b.settle(ctx, chat, replies, b.deliver(ctx, chat, replies))
}

// settle tells the dialogue whether a turn's replies were shown; what it
// keeps in its outbox is then done, or its to deliver.
func (b *Bot) settle(ctx context.Context, chat int64, replies []conversation.Reply, err error) {
	if err != nil {
		b.log.Warn("telegram: deliver", "chat", chat, "err", err)
		b.dialogue.Undelivered(replies)
		return
	}
	if err := b.dialogue.Delivered(ctx, replies); err != nil {
		b.log.Error("telegram: note delivery", "chat", chat, "err", err)
	}
}

// Send delivers replies the engine starts (reminders, offers, calls).
func (b *Bot) Send(ctx context.Context, chatID string, replies []conversation.Reply) error {
	chat, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return fmt.Errorf("telegram chat id %q: %w", chatID, err)
	}
	return b.deliver(ctx, chat, replies)
}

// deliver sends replies as messages: text-only replies are joined to the
// next one, options become an inline keyboard, attachments documents.
func (b *Bot) deliver(ctx context.Context, chat int64, replies []conversation.Reply) error {
	var errs []error
	for _, r := range conversation.Merge(replies) {
		parts := split(r.Text, 4096)
		for j, part := range parts {
			if strings.TrimSpace(part) == "" {
				continue
			}
			params := &bot.SendMessageParams{ChatID: chat, Text: part}
			if j == len(parts)-1 && len(r.Options) > 0 {
				params.ReplyMarkup = keyboard(r.Options)
			}
			errs = append(errs, b.send(ctx, chat, func(ctx context.Context) error {
				_, err := b.api.SendMessage(ctx, params)
				return err
			}))
		}
		for _, a := range r.Attachments {
			errs = append(errs, b.send(ctx, chat, func(ctx context.Context) error {
				_, err := b.api.SendDocument(ctx, &bot.SendDocumentParams{ChatID: chat,
					Document: &models.InputFileUpload{Filename: a.Name, Data: bytes.NewReader(a.Data)}})
				return err
			}))
		}
	}
	return errors.Join(errs...)
}

// send makes one call within the rate limits, retrying after 429 (as long
// as Telegram asks) and after network errors (with back-off).
func (b *Bot) send(ctx context.Context, chat int64, call func(context.Context) error) error {
	b.mu.Lock()
	limiter := b.chatLocked(chat).limiter
	b.mu.Unlock()
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if err := b.global.Wait(ctx); err != nil {
			return err
		}
		if err := limiter.Wait(ctx); err != nil {
			return err
		}
		err := call(ctx)
		var tooMany *bot.TooManyRequestsError
		var netErr net.Error
		switch {
		case err == nil:
			return nil
		case attempt >= 5:
			return err
		case errors.As(err, &tooMany):
			wait := time.Duration(max(1, tooMany.RetryAfter)) * time.Second
			b.log.Info("telegram asks to wait", "retry_after", wait, "chat", chat)
			if err := sleep(ctx, wait); err != nil {
				return err
			}
		case errors.As(err, &netErr), strings.Contains(err.Error(), "error do request"):
			if err := sleep(ctx, backoff); err != nil {
				return err
			}
			backoff *= 2
		default:
			return err // refused by Telegram (blocked by the user, bad request): trying again will not help
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// keyboard lays options out as inline buttons: short labels (times) four to
// a row, middling ones two, long ones alone.
func keyboard(opts []conversation.Option) models.InlineKeyboardMarkup {
	longest := 0
	for _, o := range opts {
		longest = max(longest, utf8.RuneCountInString(o.Label))
	}
	perRow := 1
	switch {
	case longest <= 6:
		perRow = 4
	case longest <= 16:
		perRow = 2
	}
	var rows [][]models.InlineKeyboardButton
	for i, o := range opts {
		data := o.ID
		if len(data) > 64 { // Telegram's limit: answer by the option's number instead
			data = "n:" + strconv.Itoa(i+1)
		}
		btn := models.InlineKeyboardButton{Text: clip(o.Label, 60), CallbackData: data}
		if i%perRow == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], btn)
	}
	return models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// split cuts text into pieces of at most n characters, at line ends where it can.
func split(text string, n int) []string {
	var out []string
	for utf8.RuneCountInString(text) > n {
		r := []rune(text)
		cut := n
		if i := strings.LastIndex(string(r[:n]), "\n"); i > 0 {
			cut = utf8.RuneCountInString(string(r[:n])[:i])
		}
		out = append(out, string(r[:cut]))
		text = strings.TrimLeft(string(r[cut:]), "\n")
	}
	return append(out, text)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
