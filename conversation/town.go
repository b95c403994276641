package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"buergerbuero/booking"
	"buergerbuero/conversation/understand"
	"buergerbuero/office"
)

// A town with several offices (issue 17) talks to its citizens through
// one Telegram bot, one mailbox and one web chat. Town stands in front of
// the offices' engines: a chat is bound to one office at a time, whose
// engine holds the dialogue. The town asks where only when it matters —
// when more than one office offers what the citizen named — and takes a
// typed office name ("in Ohligs") or "egal"/"wo es am schnellsten geht"
// (the earliest free time at any office that offers it). Every message
// after that comes from the office's engine, which names its office and
// address.

// TownMember is an office a town is made of: its id, its store and the
// options of its engine, which NewTown makes.
type TownMember struct {
	ID      string
	Store   *booking.Store
	Options Options
}

// TownOffice is one office of a town, with its engine.
type TownOffice struct {
	ID     string
	Engine *Engine
}

// Town is the dialogue of a town with several offices.
type Town struct {
	offices []TownOffice
	parser  *understand.Parser // the town's catalogue
	texts   *catalogue
	binds   *booking.Records // chat -> binding, in the first office's store
	log     *slog.Logger

	mu     sync.Mutex
	outbox map[string]*Engine // outbox key -> the engine that keeps it, for Delivered
}

// binding is where a chat stands with the town.
type binding struct {
	Office  string `json:"office,omitempty"`
	Pending string `json:"pending,omitempty"` // the message that made the town ask where
	Asked   bool   `json:"asked,omitempty"`   // the question where is open
	Lang    string `json:"lang,omitempty"`
}

// optOffice prefixes the options of the "where?" question; optAnywhere is
// the earliest time at any office.
const (
	optOffice   = "office:"
	optAnywhere = "office:*"
)

// NewTown makes the engines of members (at least two), each knowing the
// town it is part of, and stands in front of them; the town's catalogue
// of concerns is cfg.
func NewTown(cfg *office.Config, members []TownMember, log *slog.Logger) (*Town, error) {
	if len(members) < 2 {
		return nil, fmt.Errorf("a town needs two offices or more, not %d: %w", len(members), booking.ErrInvalidInput)
	}
	if log == nil {
		log = slog.Default()
	}
	binds, err := members[0].Store.Records("town_chats")
	if err != nil {
		return nil, err
	}
	t := &Town{parser: understand.NewParser(cfg), binds: binds, log: log, outbox: map[string]*Engine{}}
	for _, m := range members {
		m.Options.town = t
		e, err := New(m.Store, m.Options)
		if err != nil {
			return nil, fmt.Errorf("office %s: %w", m.ID, err)
		}
		t.offices = append(t.offices, TownOffice{ID: m.ID, Engine: e})
	}
	t.texts = t.offices[0].Engine.texts
	return t, nil
}

// Offices are the town's offices with their engines, in the order given.
func (t *Town) Offices() []TownOffice { return slices.Clone(t.offices) }

// Text is the catalogue's text, as Engine.Text.
func (t *Town) Text(langHint, id string, kv ...any) string {
	return t.offices[0].Engine.Text(langHint, id, kv...)
}

// Register sets a channel's sender at every office; each office's buttons
// are tagged with the office, so a press reaches it whichever office the
// chat is bound to by then (a reminder's "cancel" from another office).
func (t *Town) Register(channel string, s Sender) {
	for _, o := range t.offices {
		o.Engine.Register(channel, officeSender{office: o.ID, s: s})
	}
}

// officeSender tags the buttons of an office's messages with the office.
type officeSender struct {
	office string
	s      Sender
}

func (o officeSender) Send(ctx context.Context, chatID string, replies []Reply) error {
	return o.s.Send(ctx, chatID, tagOptions(o.office, replies))
}

// tagOptions marks the options of replies as office's ("@ohligs|own:7"),
// but for those already another office's.
func tagOptions(office string, replies []Reply) []Reply {
	out := make([]Reply, len(replies))
	for i, r := range replies {
		if len(r.Options) > 0 {
			opts := make([]Option, len(r.Options))
			for j, o := range r.Options {
				if !strings.HasPrefix(o.ID, "@") {
					o.ID = "@" + office + "|" + o.ID
				}
				opts[j] = o
			}
			r.Options = opts
		}
		out[i] = r
	}
	return out
}

// untag splits a tagged option into its office and the office's option.
func untag(option string) (office, inner string, ok bool) {
	rest, ok := strings.CutPrefix(option, "@")
	if !ok {
		return "", option, false
	}
	return strings.Cut(rest, "|")
}

// Handle runs one message: at the office the chat is bound to, or it asks
// where.
func (t *Town) Handle(ctx context.Context, msg Message) ([]Reply, error) {
	key := dialogueKey(msg.Channel, msg.ChatID)
	b, err := t.binding(ctx, key)
	if err != nil {
		return nil, err
	}
	if b.Lang == "" {
		b.Lang = langOf(msg.Lang)
	}
	if chosen, ok := strings.CutPrefix(msg.Option, optOffice); ok {
		return t.choose(ctx, key, b, chosen, msg)
	}
	if id, inner, ok := untag(msg.Option); ok { // a button of an office's message: that office answers
		o := t.office(id)
		if o == nil {
			return []Reply{t.askWhere(b.Lang, nil, false)}, nil
		}
		msg.Option = inner
		if o.ID != b.Office {
			return t.bindAndHandle(ctx, key, b, o, msg)
		}
		return t.forward(ctx, o, msg)
	}
	// The message is read once, for every question below.
	u := t.understand(msg.Text)
	if h := t.holder(ctx, b, msg, u); h != nil { // "absagen" where the chat's booking is at another office
		return t.bindAndHandle(ctx, key, b, h, msg)
	}
	if o := t.office(b.Office); o != nil && !t.leaves(ctx, o, msg, u) {
		return t.forward(ctx, o, msg)
	}
	if o := t.named(msg.Text); o != nil {
		return t.bindAndHandle(ctx, key, b, o, msg)
	}
	if b.Asked && msg.Option == "" { // "2" answers the question where (a mail's numbered list)
		asked := t.askWhere(b.Lang, t.offering(t.understand(b.Pending).Concerns), b.Pending != "")
		if i, ok := understand.OptionNumber(msg.Text, len(asked.Options), true); ok {
			chosen, _ := strings.CutPrefix(asked.Options[i].ID, optOffice)
			return t.choose(ctx, key, b, chosen, msg)
		}
	}
	candidates := t.offering(u.Concerns)
	switch {
	case len(u.Concerns) > 0 && len(candidates) == 1:
		return t.bindAndHandle(ctx, key, b, candidates[0], msg) // only one office does it: no question
	case len(u.Concerns) > 0 && len(candidates) > 1 && anywhere(msg.Text, u):
		return t.bindAndHandle(ctx, key, b, t.earliest(ctx, candidates, u.Concerns), msg)
	}
	b.Pending, b.Asked = msg.Text, true
	if err := t.save(ctx, key, b); err != nil {
		return nil, err
	}
	return []Reply{t.askWhere(b.Lang, candidates, len(u.Concerns) > 0)}, nil
}

// leaves reports whether a chat at its menu of office o turns to another
// office: it names one ("lieber in Ohligs"), or a concern o does not offer.
func (t *Town) leaves(ctx context.Context, o *TownOffice, msg Message, u understand.Understanding) bool {
	other := t.named(msg.Text)
	elsewhere := (other != nil && other != o) || (len(u.Concerns) > 0 && !slices.Contains(t.offering(u.Concerns), o))
	if !elsewhere || msg.Option != "" {
		return false
	}
	idle, err := o.Engine.idle(ctx, msg.Channel, msg.ChatID)
	return err == nil && idle
}

// choose binds the chat to the office picked (or the earliest anywhere)
// and goes on with the message that made the town ask.
func (t *Town) choose(ctx context.Context, key string, b binding, chosen string, msg Message) ([]Reply, error) {
	pending := Message{Channel: msg.Channel, ChatID: msg.ChatID, PersonKey: msg.PersonKey, Source: msg.Source, Lang: msg.Lang,
		Email: msg.Email, Proven: msg.Proven, Numbered: msg.Numbered, Staff: msg.Staff, Text: b.Pending}
	if pending.Text == "" {
		pending.Option = optMenuBook
	}
	var o *TownOffice
	if chosen == "*" {
		u := t.understand(b.Pending)
		o = t.earliest(ctx, t.offering(u.Concerns), u.Concerns)
	} else {
		o = t.office(chosen)
	}
	if o == nil {
		return []Reply{t.askWhere(b.Lang, nil, false)}, nil
	}
	b.Pending = ""
	return t.bindAndHandle(ctx, key, b, o, pending)
}

// bindAndHandle binds the chat to o and runs msg there, first saying
// which office it is.
func (t *Town) bindAndHandle(ctx context.Context, key string, b binding, o *TownOffice, msg Message) ([]Reply, error) {
	b.Office, b.Pending, b.Asked = o.ID, "", false
	if err := t.save(ctx, key, b); err != nil {
		return nil, err
	}
	replies, err := t.forward(ctx, o, msg)
	if err != nil {
		return nil, err
	}
	cfg := o.Engine.cfg
	here := Reply{Text: t.texts.T(b.Lang, "TownOffice", "Office", cfg.Office.Name, "Address", cfg.Office.Address)}
	return append([]Reply{here}, replies...), nil
}

// forward runs msg at office o, noting which engine keeps the replies'
// outbox entries, and tags their buttons with the office.
func (t *Town) forward(ctx context.Context, o *TownOffice, msg Message) ([]Reply, error) {
	replies, err := o.Engine.Handle(ctx, msg)
	replies = tagOptions(o.ID, replies)
	t.mu.Lock()
	for _, r := range replies {
		if r.Outbox != "" {
			t.outbox[r.Outbox] = o.Engine
		}
	}
	t.mu.Unlock()
	return replies, err
}

// Delivered tells the engines that kept the replies that they were shown.
func (t *Town) Delivered(ctx context.Context, replies []Reply) error {
	var errs []error
	for e, rs := range t.byEngine(replies) {
		errs = append(errs, e.Delivered(ctx, rs))
	}
	return errors.Join(errs...)
}

// Undelivered hands the replies back to the engines that keep them.
func (t *Town) Undelivered(replies []Reply) {
	for e, rs := range t.byEngine(replies) {
		e.Undelivered(rs)
	}
}

func (t *Town) byEngine(replies []Reply) map[*Engine][]Reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[*Engine][]Reply{}
	for _, r := range replies {
		if e, ok := t.outbox[r.Outbox]; ok && r.Outbox != "" {
			out[e] = append(out[e], r)
			delete(t.outbox, r.Outbox)
		}
	}
	return out
}

// askWhere asks which office, offering those that do what was named (all
// without a concern) and, where it helps, the earliest time anywhere.
func (t *Town) askWhere(lang string, candidates []*TownOffice, concerns bool) Reply {
	if len(candidates) == 0 {
		for i := range t.offices {
			candidates = append(candidates, &t.offices[i])
		}
	}
	var opts []Option
	for _, o := range candidates {
		opts = append(opts, Option{ID: optOffice + o.ID, Label: o.Engine.cfg.Office.Name})
	}
	if concerns && len(candidates) > 1 {
		opts = append(opts, Option{ID: optAnywhere, Label: t.texts.T(lang, "OptAnywhere")})
	}
	return Reply{Text: t.texts.T(lang, "AskWhere"), Options: opts}
}

// offering are the offices that offer every one of concerns (all offices
// for none).
func (t *Town) offering(concerns []office.ConcernCount) []*TownOffice {
	var out []*TownOffice
	for i := range t.offices {
		o := &t.offices[i]
		if !slices.ContainsFunc(concerns, func(c office.ConcernCount) bool { _, ok := o.Engine.cfg.Concern(c.ID); return !ok }) {
			out = append(out, o)
		}
	}
	return out
}

// earliest is the office among candidates with the earliest free time for
// concerns (the first, when none has one).
func (t *Town) earliest(ctx context.Context, candidates []*TownOffice, concerns []office.ConcernCount) *TownOffice {
	if len(candidates) == 0 {
		return nil
	}
	best, at := candidates[0], time.Time{}
	for _, o := range candidates {
		now := o.Engine.store.Now()
		days, err := o.Engine.store.FreeSlots(ctx, booking.ForCitizen, concerns, now, now.AddDate(0, 0, o.Engine.cfg.Booking.HorizonDays))
		if err != nil || len(days) == 0 {
			continue
		}
		if first := days[0].Times[0]; at.IsZero() || first.Before(at) {
			best, at = o, first
		}
	}
	return best
}

// named is the office a text names ("in Ohligs", "Bürgerbüro Mitte").
func (t *Town) named(text string) *TownOffice {
	toks := understand.Tokens(understand.Normalize(text))
	for i := range t.offices {
		o := &t.offices[i]
		words := understand.Tokens(understand.Normalize(o.ID))
		if slices.ContainsFunc(words, func(w string) bool { return len(w) >= 3 && slices.Contains(toks, w) }) {
			return o
		}
	}
	return nil
}

// anywhere reports whether the message leaves the office to the town:
// "egal wo", "wo es am schnellsten geht", "so früh wie möglich".
func anywhere(text string, u understand.Understanding) bool {
	if u.Intent == understand.IntentEarliest {
		return true
	}
	joined := " " + strings.Join(understand.Tokens(understand.Normalize(text)), " ") + " "
	for _, w := range []string{" egal ", " schnellsten ", " irgendwo ", " anywhere ", " any office ", " fastest "} {
		if strings.Contains(joined, w) {
			return true
		}
	}
	return false
}

// understand reads text at the store's time (the clock is injected).
func (t *Town) understand(text string) understand.Understanding {
	return t.parser.Understand(text, t.offices[0].Engine.store.Now())
}

func (t *Town) office(id string) *TownOffice {
	for i := range t.offices {
		if t.offices[i].ID == id {
			return &t.offices[i]
		}
	}
	return nil
}

func (t *Town) binding(ctx context.Context, key string) (binding, error) {
	var b binding
	rec, found, err := t.binds.Get(ctx, key)
	if err != nil || !found {
		return b, err
	}
	return b, json.Unmarshal(rec.Value, &b)
}

func (t *Town) save(ctx context.Context, key string, b binding) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return t.binds.Put(ctx, key, data)
}

// idle reports whether the chat's dialogue is at the menu (or has none).
func (e *Engine) idle(ctx context.Context, channel, chatID string) (bool, error) {
	d, err := e.load(ctx, channel, chatID)
	return d == nil || d.State == stIdle, err
}
