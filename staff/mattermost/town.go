package mattermost

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"buergerbuero/conversation"
)

// Town is the staff side of a town with several offices in one Mattermost
// team: one bot account, one /bb command and one button address, and a
// Bot per office with its own channels, clerks, queue board and alarms.
// A /bb acts at the office whose staff or queue channel it is typed in,
// else at the clerk's office: the one they are staff of, or the one they
// chose with "/bb office <id>". A button names its office, signed. What a
// clerk writes to the bot goes to the clerk's office.
type Town struct {
	bots []*Bot
	log  *slog.Logger
}

// NewTown puts the offices' bots (made with Config.ForOffice) behind one
// command and one button address.
func NewTown(bots []*Bot, log *slog.Logger) (*Town, error) {
	if len(bots) < 2 {
		return nil, fmt.Errorf("a town's staff bot needs two offices or more, not %d", len(bots))
	}
	if log == nil {
		log = slog.Default()
	}
	return &Town{bots: bots, log: log.With("channel", Channel)}, nil
}

// Run connects every office's bot and keeps their boards, and listens
// once for the clerks' direct messages, until ctx ends.
func (t *Town) Run(ctx context.Context) error {
	var started sync.WaitGroup
	for _, b := range t.bots {
		started.Go(func() { b.start(ctx) })
	}
	started.Wait()
	if ctx.Err() == nil {
		listen(ctx, t.bots[0].cfg, t.log, t.onPosted)
	}
	return nil
}

// CommandHandler serves /bb for every office.
func (t *Town) CommandHandler() http.Handler {
	return commandHandler(t.bots[0].cfg.CommandToken, t.log, t.command)
}

// ActionHandler serves every office's buttons.
func (t *Town) ActionHandler() http.Handler {
	return actionHandler(t.log, t.office)
}

func (t *Town) command(ctx context.Context, c command) string {
	verb, args, _ := strings.Cut(c.text, " ")
	if v := strings.ToLower(verb); v == "office" || v == "büro" || v == "buero" {
		return t.choose(c, strings.TrimSpace(args))
	}
	b, staff := t.officeFor(c.userID, c.teamID, c.channelID)
	switch {
	case b == nil && !staff:
		t.log.Warn("slash command by non-staff refused", "user", c.userName)
		return t.say("StaffOnlyCommands")
	case b == nil:
		return t.say("StaffWhichOffice", "Offices", t.list())
	}
	answer := b.command(ctx, c)
	if v := strings.ToLower(verb); v == "" || v == "help" || v == "hilfe" {
		answer += "\n" + b.say("StaffHelpOffice", "Office", b.store.Config().Office.Name, "Offices", t.list())
	}
	return answer
}

// choose remembers the office a clerk works at today.
func (t *Town) choose(c command, id string) string {
	b := t.office(strings.ToLower(id))
	if b == nil {
		return t.say("StaffNoSuchOffice", "Given", clip(id, 20), "Offices", t.list())
	}
	if !b.isStaff(c.userID, c.teamID) {
		return t.say("StaffNotOfThisOffice", "Office", b.store.Config().Office.Name)
	}
	t.bots[0].remember(c.userID, "office", b.cfg.office)
	return t.say("StaffOfficeChosen", "Office", b.store.Config().Office.Name)
}

// officeFor is the bot of the office a clerk acts at: the office whose
// channel it is, the one chosen, or the only one. Without one, staff says
// whether the user is a clerk at all (and has to choose).
func (t *Town) officeFor(userID, teamID, channelID string) (b *Bot, staff bool) {
	var mine []*Bot
	for _, b := range t.bots {
		if !b.isStaff(userID, teamID) {
			continue
		}
		if b.hasChannel(channelID) {
			return b, true
		}
		mine = append(mine, b)
	}
	chosen := t.bots[0].recall("office/" + userID)
	for _, b := range mine {
		if b.cfg.office == chosen {
			return b, true
		}
	}
	if len(mine) == 1 {
		return mine[0], true
	}
	return nil, len(mine) > 0
}

// onPosted hands a clerk's direct message to their office's dialogue.
func (t *Town) onPosted(ctx context.Context, data map[string]any) {
	post, name, ok := directMessage(data, t.bots[0].botID())
	if !ok {
		return
	}
	b, staff := t.officeFor(post.UserId, "", "")
	switch {
	case b == nil && !staff:
		t.bots[0].reply(ctx, post.ChannelId, t.say("StaffOnlyBot"))
		return
	case b == nil:
		t.bots[0].reply(ctx, post.ChannelId, t.say("StaffWhichOffice", "Offices", t.list()))
		return
	}
	if err := b.converse(ctx, post.ChannelId, name, conversation.Message{Text: post.Message}); err != nil {
		t.log.Warn("dialogue in a direct message", "office", b.cfg.office, "err", err)
	}
}

func (t *Town) office(id string) *Bot {
	for _, b := range t.bots {
		if b.cfg.office == id {
			return b
		}
	}
	return nil
}

// list names the offices as "`id` (name)".
func (t *Town) list() string {
	var out []string
	for _, b := range t.bots {
		out = append(out, fmt.Sprintf("`%s` (%s)", b.cfg.office, b.store.Config().Office.Name))
	}
	return strings.Join(out, ", ")
}

func (t *Town) say(id string, kv ...any) string { return t.bots[0].say(id, kv...) }
