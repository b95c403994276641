// Package mattermost is the clerks' side: a Mattermost bot through which
// staff run the queue and the info desk. A slash command (/bb) and
// interactive buttons reach our HTTP handlers, verified by the command's
// token and by an HMAC over each button's context; posts go out through
// model.Client4, and the bot listens on Mattermost's websocket for what
// clerks type in its direct messages (the booking dialogue for callers).
// Only this package imports the Mattermost library.
package mattermost

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/conversation"
	"buergerbuero/conversation/understand"
	"buergerbuero/internal/retry"
	"buergerbuero/internal/web"
	"buergerbuero/office"
)

// Channel is the channel name of dialogues run in the bot's direct messages.
const Channel = "mattermost"

// Config configures the staff bot. Without a URL it is off.
type Config struct {
	// URL is the Mattermost server, e.g. https://chat.musterstadt.de.
	URL string `yaml:"url"`
	// Token is the bot account's access token.
	Token string `yaml:"token"`
	// CommandToken is the token Mattermost shows for the /bb slash command;
	// every command request must carry it.
	CommandToken string `yaml:"command_token"`
	// ActionSecret is no longer used: buttons are signed with a key derived
	// from the service key file (Store.Secret), which no backup holds. Kept
	// so that older config files still load.
	ActionSecret string `yaml:"action_secret"`
	// PublicURL is this service's address as Mattermost reaches it; the
	// buttons post to PublicURL/mattermost/action.
	PublicURL string `yaml:"public_url"`
	// Team is the team's name; StaffChannel gets alarms, QueueChannel the
	// live queue board (channel names in Team).
	Team         string `yaml:"team"`
	StaffChannel string `yaml:"staff_channel"`
	QueueChannel string `yaml:"queue_channel"`
	// StaffUsers are the usernames allowed to act; StaffTeam, if set, lets
	// every member of that team act.
	StaffUsers []string `yaml:"staff_users"`
	StaffTeam  bool     `yaml:"staff_team"`
	// Offices gives each office of a town with several offices its own
	// channels and clerks, by the office's id. The staff users above act
	// in every office.
	Offices map[string]OfficeStaff `yaml:"offices"`

	office string // the office this bot serves in a town (ForOffice)
}

// OfficeStaff are one office's channels and clerks in a town's Mattermost.
type OfficeStaff struct {
	// StaffChannel gets the office's alarms, QueueChannel its queue board;
	// a /bb typed in either acts at this office.
	StaffChannel string `yaml:"staff_channel"`
	QueueChannel string `yaml:"queue_channel"`
	// StaffUsers are the office's clerks.
	StaffUsers []string `yaml:"staff_users"`
}

// ForOffice is the config of office id's bot in a town: the office's
// channels, and its clerks beside the town-wide staff users.
func (c Config) ForOffice(id string) Config {
	o := c.Offices[id]
	c.office = id
	c.StaffChannel, c.QueueChannel = o.StaffChannel, o.QueueChannel
	c.StaffUsers = append(slices.Clone(c.StaffUsers), o.StaffUsers...)
	c.Offices = nil
	return c
}

// Problems lists what is wrong with the config, as (field, why) pairs.
func (c *Config) Problems() [][2]string {
	if c.URL == "" {
		return nil
	}
	var out [][2]string
	for _, f := range []struct{ name, v string }{{"mattermost.token", c.Token}, {"mattermost.command_token", c.CommandToken},
		{"mattermost.public_url", c.PublicURL}, {"mattermost.team", c.Team}} {
		if f.v == "" {
			out = append(out, [2]string{f.name, "is required"})
		}
	}
	officeStaff := false
	for _, o := range c.Offices {
		officeStaff = officeStaff || len(o.StaffUsers) > 0
	}
	if len(c.StaffUsers) == 0 && !c.StaffTeam && !officeStaff {
		out = append(out, [2]string{"mattermost.staff_users", "name the staff (or set staff_team: true)"})
	}
	return out
}

// Calls is what the bot needs of the call system.
type Calls interface {
	Next(ctx context.Context, counter, actor string) (booking.Booking, error)
	Act(ctx context.Context, id uint64, action booking.CallAction, target, actor string) (booking.Booking, error)
	Queue(ctx context.Context) (callsystem.Queue, error)
}

// Store is what the bot needs of the booking store.
type Store interface {
	Config() *office.Config
	Now() time.Time
	Records(kind string) (*booking.Records, error)
	Find(ctx context.Context, number string) (booking.Booking, error)
	IssueWalkIn(ctx context.Context, req booking.WalkInRequest) (booking.Booking, error)
	CancelByID(ctx context.Context, id uint64, actor string, effect booking.Effect) (booking.Booking, error)
	SetPriority(ctx context.Context, id uint64, urgent bool, actor string) (booking.Booking, error)
	CheckIn(ctx context.Context, id uint64, owner booking.Owner, actor string) (booking.Booking, error)
	DayBookings(ctx context.Context, day time.Time) ([]booking.Booking, error)
	Clusters(ctx context.Context) ([]booking.Cluster, error)
	CancelCluster(ctx context.Context, key, actor string, effect booking.Effect) ([]booking.Booking, error)
	Events(ctx context.Context, after uint64, fn func(booking.Event) bool) error
	// Secret is a key derived from the service key; it signs the buttons.
	Secret(ctx context.Context, name string) ([]byte, error)
}

// Dialogue is what the bot needs of the conversation engine.
type Dialogue interface {
	Handle(ctx context.Context, msg conversation.Message) ([]conversation.Reply, error)
	// CancelledByOffice and CancelledInCluster are what a clerk's
	// cancellation of one booking or of a cluster stores with it: the
	// message that tells the citizen (the outbox delivers it).
	CancelledByOffice(c booking.Change) ([]booking.Write, error)
	CancelledInCluster(c booking.Change) ([]booking.Write, error)
	// DeliverSoon wakes the outbox's delivery.
	DeliverSoon()
	// Text is a word from the catalogue, in the language hinted at.
	Text(langHint, id string, kv ...any) string
}

// Bot is the staff bot. It is also the engine's Sender for its channel.
type Bot struct {
	cfg Config
	// buttonKey signs the buttons' context (HMAC-SHA256), so nobody can
	// forge a press; derived from the service key (Store.Secret).
	buttonKey []byte
	client    *model.Client4
	store     Store
	calls     Calls
	dialogue  Dialogue
	parser    *understand.Parser
	log       *slog.Logger
	facts     *booking.Records // small facts about clerks and the board, kept across restarts

	mu           sync.Mutex
	me           *model.User
	staffIDs     map[string]bool // the configured staff users' ids
	teamID       string
	staffChannel string
	queueChannel string
}

// New makes the bot; Run connects it.
func New(cfg Config, store Store, calls Calls, d Dialogue, log *slog.Logger) (*Bot, error) {
	if log == nil {
		log = slog.Default()
	}
	facts, err := store.Records("mattermost") // counter/<user id>, seen/<user id>, name/<user id>, board/<day>
	if err != nil {
		return nil, err
	}
	buttonKey, err := store.Secret(context.Background(), "mattermost_buttons")
	if err != nil {
		return nil, err
	}
	client := model.NewAPIv4Client(strings.TrimRight(cfg.URL, "/"))
	client.SetToken(cfg.Token)
	return &Bot{cfg: cfg, buttonKey: buttonKey, client: client, facts: facts, store: store, calls: calls, dialogue: d, parser: understand.NewParser(store.Config()),
		log: log.With("channel", Channel)}, nil
}

// Run connects to Mattermost (waiting while it cannot be reached), keeps
// the queue board up to date and listens for direct messages to the bot,
// until ctx ends.
func (b *Bot) Run(ctx context.Context) error {
	if b.start(ctx) {
		listen(ctx, b.cfg, b.log, b.onPosted)
	}
	return nil
}

// start connects (waiting while Mattermost cannot be reached) and keeps
// the queue board up to date; false if ctx ended first.
func (b *Bot) start(ctx context.Context) bool {
	retry.Until(ctx, b.log, "mattermost connect", func() error { return b.connect(ctx) }, nil)
	if ctx.Err() != nil {
		return false
	}
	b.refreshBoard(ctx)
	go retry.Every(ctx, time.Minute, func() { b.refreshBoard(ctx) })
	return true
}

// connect learns the bot's own user and the team's channels.
func (b *Bot) connect(ctx context.Context) error {
	me, _, err := b.client.GetMe(ctx, "")
	if err != nil {
		return fmt.Errorf("users/me: %w", err)
	}
	team, _, err := b.client.GetTeamByName(ctx, b.cfg.Team, "")
	if err != nil {
		return fmt.Errorf("team %s: %w", b.cfg.Team, err)
	}
	var staff, queue string
	for _, ch := range []struct {
		name string
		id   *string
	}{{b.cfg.StaffChannel, &staff}, {b.cfg.QueueChannel, &queue}} {
		if ch.name == "" {
			continue
		}
		c, _, err := b.client.GetChannelByNameForTeamName(ctx, ch.name, b.cfg.Team, "")
		if err != nil {
			return fmt.Errorf("channel %s: %w", ch.name, err)
		}
		*ch.id = c.Id
	}
	staffIDs := map[string]bool{}
	if len(b.cfg.StaffUsers) > 0 {
		users, _, err := b.client.GetUsersByUsernames(ctx, b.cfg.StaffUsers)
		if err != nil {
			return fmt.Errorf("staff users: %w", err)
		}
		for _, u := range users {
			staffIDs[u.Id] = true
		}
		if len(users) < len(b.cfg.StaffUsers) {
			b.log.Warn("some staff_users are not known to Mattermost", "configured", len(b.cfg.StaffUsers), "found", len(users))
		}
	}
	b.mu.Lock()
	b.me, b.teamID, b.staffChannel, b.queueChannel, b.staffIDs = me, team.Id, staff, queue, staffIDs
	b.mu.Unlock()
	b.log.Info("mattermost connected", "bot", me.Username, "team", b.cfg.Team)
	return nil
}

func (b *Bot) botID() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.me == nil {
		return ""
	}
	return b.me.Id
}

// isStaff reports whether the user may act. Staff are recognised by their
// user id (looked up from staff_users at connect): a user name can be
// changed by its owner to a clerk's old one, an id cannot.
func (b *Bot) isStaff(userID, teamID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return (userID != "" && b.staffIDs[userID]) || (b.cfg.StaffTeam && teamID != "" && teamID == b.teamID)
}

// hasChannel reports whether id is the office's staff or queue channel.
func (b *Bot) hasChannel(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return id != "" && (id == b.staffChannel || id == b.queueChannel)
}

// sign is the HMAC of a button's action and target (and, in a town, of
// its office, so a button cannot be sent to another office).
func (b *Bot) sign(parts ...string) string {
	mac := hmac.New(sha256.New, b.buttonKey)
	if b.cfg.office != "" {
		mac.Write([]byte("office\x00" + b.cfg.office + "\x00"))
	}
	mac.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(mac.Sum(nil))
}

func (b *Bot) verify(sig string, parts ...string) bool {
	want := b.sign(parts...)
	return subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1
}

// CommandHandler serves the /bb slash command.
func (b *Bot) CommandHandler() http.Handler {
	return commandHandler(b.cfg.CommandToken, b.log, func(ctx context.Context, c command) string {
		if !b.isStaff(c.userID, c.teamID) {
			b.log.Warn("slash command by non-staff refused", "user", c.userName)
			return b.say("StaffOnlyCommands")
		}
		return b.command(ctx, c)
	})
}

// commandHandler checks a /bb request's token and hands it to answer.
func commandHandler(token string, log *slog.Logger, answer func(context.Context, command) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(token)) != 1 || token == "" {
			log.Warn("slash command with a wrong token refused", "user", r.PostForm.Get("user_name"))
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		c := command{userID: r.PostForm.Get("user_id"), userName: r.PostForm.Get("user_name"), teamID: r.PostForm.Get("team_id"),
			channelID: r.PostForm.Get("channel_id"), text: strings.TrimSpace(r.PostForm.Get("text"))}
		web.JSON(w, http.StatusOK, &model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: answer(r.Context(), c)})
	})
}

// ActionHandler serves the bot's buttons.
func (b *Bot) ActionHandler() http.Handler {
	return actionHandler(b.log, func(string) *Bot { return b })
}

// actionHandler serves buttons, each at the bot of the office it names
// (office "" on a single office's bot).
func actionHandler(log *slog.Logger, botOf func(office string) *Bot) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		var req model.PostActionIntegrationRequest
		if err := decodeJSON(r, &req); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		ctxString := func(k string) string { v, _ := req.Context[k].(string); return v }
		action, target, expires, sig := ctxString("action"), ctxString("target"), ctxString("expires"), ctxString("sig")
		b := botOf(ctxString("office"))
		if b == nil || action == "" || !b.verify(sig, req.PostId, action, target, expires) {
			log.Warn("forged or damaged button refused", "user", req.UserName, "action", action)
			w.WriteHeader(http.StatusForbidden)
			if b == nil {
				return
			}
			web.JSON(w, http.StatusOK, &model.PostActionIntegrationResponse{EphemeralText: b.say("StaffButtonInvalid")})
			return
		}
		if until, err := time.Parse(time.RFC3339, expires); err != nil || !b.store.Now().Before(until) {
			web.JSON(w, http.StatusOK, &model.PostActionIntegrationResponse{EphemeralText: b.say("StaffButtonExpired")})
			return
		}
		if !b.isStaff(req.UserId, req.TeamId) {
			b.log.Warn("button by non-staff refused", "user", req.UserName)
			web.JSON(w, http.StatusOK, &model.PostActionIntegrationResponse{EphemeralText: b.say("StaffOnlyButtons")})
			return
		}
		web.JSON(w, http.StatusOK, b.action(r.Context(), req, action, target))
	})
}

// Send posts replies into a direct-message dialogue (the engine's Sender).
// Text-only replies are joined to the next one, options become buttons.
func (b *Bot) Send(ctx context.Context, chatID string, replies []conversation.Reply) error {
	var errs []error
	for _, r := range conversation.Merge(replies) {
		if r.Text == "" && len(r.Options) == 0 {
			continue // a file alone: the caller gets it by mail
		}
		post := &model.Post{ChannelId: chatID, Message: r.Text}
		if len(r.Options) == 0 {
			if _, _, err := b.client.CreatePost(ctx, post); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		err := b.postWithButtons(ctx, post, func(p *model.Post) {
			actions := make([]*model.PostAction, 0, len(r.Options))
			for _, o := range r.Options {
				actions = append(actions, b.button(p.Id, o.Label, "opt", chatID+"\x00"+o.ID, ""))
			}
			model.ParseSlackAttachment(p, []*model.SlackAttachment{{Actions: actions}})
		})
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// buttonLifetime is how long a button works: a working day. Later, the
// clerk uses /bb (a stale post cannot act on today's queue).
const buttonLifetime = 12 * time.Hour

// button makes an interactive button whose context is signed together with
// the post it is on and its expiry, so it cannot be copied to another post,
// given another action, or pressed days later.
func (b *Bot) button(postID, name, action, target, style string) *model.PostAction {
	expires := b.store.Now().Add(buttonLifetime).UTC().Format(time.RFC3339)
	context := map[string]any{"action": action, "target": target, "expires": expires, "sig": b.sign(postID, action, target, expires)}
	if b.cfg.office != "" {
		context["office"] = b.cfg.office
	}
	return &model.PostAction{Type: model.PostActionTypeButton, Name: name, Style: style, Integration: &model.PostActionIntegration{
		URL: strings.TrimRight(b.cfg.PublicURL, "/") + "/mattermost/action", Context: context,
	}}
}

// postWithButtons creates a post, then adds its buttons, which are signed
// with the post's id; render draws the post (without buttons while it has
// no id).
func (b *Bot) postWithButtons(ctx context.Context, post *model.Post, render func(*model.Post)) error {
	render(post)
	model.ParseSlackAttachment(post, withoutActions(post.Attachments()))
	created, _, err := b.client.CreatePost(ctx, post)
	if err != nil {
		return fmt.Errorf("create post: %w", err)
	}
	render(created)
	if _, _, err := b.client.UpdatePost(ctx, created.Id, created); err != nil {
		return fmt.Errorf("add buttons to post: %w", err)
	}
	return nil
}

func withoutActions(as []*model.SlackAttachment) []*model.SlackAttachment {
	out := make([]*model.SlackAttachment, 0, len(as))
	for _, a := range as {
		c := *a
		c.Actions = nil
		out = append(out, &c)
	}
	return out
}
