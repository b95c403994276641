package conversation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/looplab/fsm"

	"buergerbuero/booking"
	"buergerbuero/conversation/understand"
	"buergerbuero/internal/lang"
	"buergerbuero/office"
)

// Message is one thing a citizen sent, as a channel adapter hands it over.
type Message struct {
	// Channel names the adapter ("telegram", "email", "mattermost", "web").
	Channel string
	// ChatID identifies the conversation within the channel.
	ChatID string
	// PersonKey identifies the person for the limit on active bookings (a
	// Telegram user id, a normalised e-mail address).
	PersonKey string
	// Lang is the channel's hint of the user's language ("de", "en-GB").
	Lang string
	// Text is what was typed; Option is the id of a chosen option (button).
	Text   string
	Option string
	// Email is the sender's address where the channel knows it.
	Email string
	// Unsupported is set when the citizen sent something the channel cannot
	// pass on as text (a photo, a voice message, a sticker).
	Unsupported bool
	// ID identifies the message (an e-mail's Message-ID) where a channel may
	// deliver it twice: a message already handled in its chat gets no replies.
	ID string
	// Numbered is set when the channel shows options as a numbered list
	// (e-mail): then a bare number answers with that option. Elsewhere only
	// "Nr. 2" or "#2" does, and "9" at the time question means 9 o'clock.
	Numbered bool
	// Source is where the message comes from, coarser than the person: an
	// address block (web chat) or a mail domain that is not a public
	// provider's. Limits on cheap identities (fresh cookies, fresh
	// addresses) count per source.
	Source string
	// Proven is set by the mail channel when the mail answers, in its
	// thread, a mail the service sent to the sender's address: that proves
	// the mailbox, which a forged From alone does not.
	Proven bool
	// Staff names the clerk who books for a citizen (on the phone, at the
	// desk). Such a booking is not tied to the clerk's chat or person: no
	// limit per person, no calls or reminders to the clerk; the citizen gets
	// mail if an address is given.
	Staff string
}

// MailChannel is the channel name of the e-mail channel. The engine sends
// copies of confirmations and reminders there for bookings made on other
// channels that gave an e-mail address.
const MailChannel = "email"

// Option is a choice offered with a reply: channels render it as a button
// or a numbered line. Typing its number chooses it too.
type Option struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Attachment is a file sent with a reply, such as an .ics calendar entry.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Reply is one message to the citizen.
type Reply struct {
	Text        string
	Options     []Option
	Attachments []Attachment
	// Outbox names the outbox entry that keeps this reply until the channel
	// says it was shown (Delivered); empty for replies a crash may lose
	// (a question asked again is asked again).
	Outbox string `json:"-"`
}

// Sender delivers replies the engine sends on its own (reminders, offers of
// earlier times, calls) to a chat of one channel.
type Sender interface {
	Send(ctx context.Context, chatID string, replies []Reply) error
}

// QueueInfo tells where a booking stands in today's queue. The call system
// provides it; without one, status answers give the appointment time only.
type QueueInfo interface {
	Position(ctx context.Context, b booking.Booking) (Position, error)
}

// Position is a booking's place in today's queue.
type Position struct {
	Ahead   int
	Wait    time.Duration
	Called  bool
	Counter string
}

// Options tune the engine.
type Options struct {
	// DialogueTTL is how long an untouched dialogue is kept; default 2h.
	DialogueTTL time.Duration
	// DaysPerPage and TimesPerPage size the lists of days and times.
	DaysPerPage, TimesPerPage int
	// Queue answers "where am I?"; optional.
	Queue QueueInfo
	// MailReminderBefore is how long before an appointment a reminder mail
	// goes to the e-mail address of a booking made on another channel;
	// default 24h.
	MailReminderBefore time.Duration
	Logger             *slog.Logger
	// Instance names this service instance, the same across its restarts:
	// of several instances on one store, each knows the messages it
	// handed to a channel itself (the outbox).
	Instance string
	// town is the town the engine's office is part of (NewTown); nil for
	// an office on its own.
	town *Town
}

// Engine runs the booking dialogue of every chat of every channel.
type Engine struct {
	store   *booking.Store
	cfg     *office.Config
	parser  *understand.Parser
	texts   *catalogue
	opts    Options
	log     *slog.Logger
	lockMu  sync.Mutex
	locks   map[string]*chatLock // the chats being handled, each with its own lock
	mu      sync.RWMutex
	senders map[string]Sender
	// What the engine keeps across restarts (storage.go).
	dialogues, watchRecords, reminders, outbox, waitingList *booking.Records
	// The outbox's delivery (outbox.go).
	outMu     sync.Mutex
	inflight  map[string]time.Time // entries handed to a channel with a turn's replies
	shown     map[string]time.Time // entries a channel said it showed: never sent again, whatever a delivery pass read before
	unswept   map[string]struct{}  // shown entries still stored, for the next pass to delete (sweepShown)
	kicked    chan struct{}
	deliverMu sync.Mutex
	started   time.Time
	// town is the rest of the town this office is part of, if any
	// (NewTown makes the engine with it): limits hold town-wide.
	town  neighbours
	moves *booking.Records // moves across offices still to finish (town_across.go)
}

// neighbours is what an office's engine asks of the town it is part of
// (Town): what a person and a source hold at the other offices, which
// offices offer a concern, and the bookings and watches there that a move
// across offices takes along.
type neighbours interface {
	heldElsewhere(ctx context.Context, e *Engine, person, source string) (persons, sources booking.Holding, err error)
	heldAt(ctx context.Context, e *Engine, person string) (booking.Booking, *TownOffice, bool)
	offering(concerns []office.ConcernCount) []*TownOffice
	office(id string) *TownOffice
	bookingAt(ctx context.Context, office string, id uint64) (booking.Booking, bool)
	watchElsewhere(ctx context.Context, e *Engine, w watch) error
	dropWatches(ctx context.Context, e *Engine, channel, chatID string)
}

// New makes an engine on the store. It keeps its dialogues, watches and
// reminders in the store's file, in buckets of its own.
func New(store *booking.Store, opts Options) (*Engine, error) {
	texts, err := newCatalogue()
	if err != nil {
		return nil, err
	}
	if opts.DialogueTTL == 0 {
		opts.DialogueTTL = 2 * time.Hour
	}
	if opts.DaysPerPage == 0 {
		opts.DaysPerPage = 5
	}
	if opts.TimesPerPage == 0 {
		opts.TimesPerPage = 12
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MailReminderBefore == 0 {
		opts.MailReminderBefore = 24 * time.Hour
	}
	e := &Engine{store: store, cfg: store.Config(), parser: understand.NewParser(store.Config()), texts: texts,
		opts: opts, log: opts.Logger, senders: map[string]Sender{}, locks: map[string]*chatLock{},
		inflight: map[string]time.Time{}, shown: map[string]time.Time{}, unswept: map[string]struct{}{}, kicked: make(chan struct{}, 1), started: store.Now()}
	recs, err := store.RecordsOf("dialogues", "watches", "reminders", outboxKind, waitingKind)
	if err != nil {
		return nil, err
	}
	e.dialogues, e.watchRecords, e.reminders, e.outbox, e.waitingList = recs[0], recs[1], recs[2], recs[3], recs[4]
	if opts.town != nil {
		e.town = opts.town
		if e.moves, err = store.Records(movesKind); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Register sets the sender of a channel, for messages the engine starts.
func (e *Engine) Register(channel string, s Sender) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.senders[channel] = s
}

func (e *Engine) sender(channel string) Sender {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.senders[channel]
}

// lock holds the chat's own lock, so its messages are handled one at a
// time while other chats go on; it returns the unlock.
func (e *Engine) lock(channel, chatID string) func() {
	key := channel + "\x00" + chatID
	e.lockMu.Lock()
	l := e.locks[key]
	if l == nil {
		l = &chatLock{}
		e.locks[key] = l
	}
	l.users++
	e.lockMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		e.lockMu.Lock()
		if l.users--; l.users == 0 {
			delete(e.locks, key) // only chats in hand hold a lock
		}
		e.lockMu.Unlock()
	}
}

// chatLock orders one chat's messages; users counts who holds or waits.
type chatLock struct {
	mu    sync.Mutex
	users int
}

// dialogue is the persisted state of one chat.
type dialogue struct {
	State    string                `json:"state"`
	Lang     string                `json:"lang"`
	Flow     string                `json:"flow,omitempty"` // book, reschedule, cancel, docs
	Concerns []office.ConcernCount `json:"concerns,omitempty"`
	Day      string                `json:"day,omitempty"` // chosen day, YYYY-MM-DD
	// WantDay and WantMinute (minutes after midnight plus one) keep a day
	// and time named before the concern ("Mittwoch 10 Uhr"), for the day step.
	// AskCount is a concern named in the plural without a count, whose
	// number of cases is asked next ("Ausweise": for how many people?).
	AskCount   string    `json:"ask_count,omitempty"`
	WantDay    string    `json:"want_day,omitempty"`
	WantMinute int       `json:"want_minute,omitempty"`
	DayFrom    string    `json:"day_from,omitempty"` // first day of the shown page
	TimeFrom   int       `json:"time_from,omitempty"`
	PartFrom   int       `json:"part_from,omitempty"`
	PartTo     int       `json:"part_to,omitempty"`
	Start      time.Time `json:"start,omitzero"`
	Name       string    `json:"name,omitempty"`
	Email      string    `json:"email,omitempty"`
	// EmailDone is set once the e-mail question is answered (even "none").
	EmailDone bool   `json:"email_done,omitempty"`
	Number    string `json:"number,omitempty"`
	// BookingID is the booking this chat may act on: proven by the PIN in
	// this dialogue.
	BookingID uint64    `json:"booking,omitempty"`
	Options   []Option  `json:"options,omitempty"` // last offered, for typed numbers
	Updated   time.Time `json:"updated"`
	// Handled are the IDs of the latest messages handled, to drop repeats.
	Handled []string `json:"handled,omitempty"`
	// LastAnswer (a hash) and Repeats count the same answer given again in
	// a row, so the third one adds where else to get help.
	LastAnswer string `json:"last_answer,omitempty"`
	Repeats    int    `json:"repeats,omitempty"`
	// Held is the time the store keeps for this chat (hold.go), if any.
	Held time.Time `json:"held,omitzero"`
}

// The dialogue's states.
const (
	stIdle          = "idle"
	stConcern       = "concern"
	stMore          = "more"
	stDay           = "day"
	stTime          = "time"
	stName          = "name"
	stEmail         = "email"
	stConfirm       = "confirm"
	stNumber        = "number"
	stPIN           = "pin"
	stCancelConfirm = "cancel_confirm"
	stDocs          = "docs"
)

// stateSpec is one state of the dialogue, everything about it in one
// place: its handler, its question, the events that leave it (event →
// next state), where "back" leads, and whether a bare number there picks
// an offered option (where it cannot mean a time, a day or a PIN).
type stateSpec struct {
	handle func(t *turn, ctx context.Context, in input) bool
	prompt func(t *turn, ctx context.Context)
	next   map[string]string
	back   string
	bare   bool
}

// states is the dialogue's graph: adding a state is one entry here (and
// its handler and prompt). looplab/fsm refuses any move not listed, so a
// handler bug cannot put a chat into a state it has no way out of; "done"
// leads from every state back to idle.
var states = map[string]stateSpec{
	stIdle: {handle: (*turn).onIdle, prompt: (*turn).promptIdle, bare: true,
		next: map[string]string{"book": stConcern, "cancel": stNumber, "reschedule": stNumber, "docs": stDocs}},
	stConcern: {handle: (*turn).onConcern, prompt: (*turn).promptBook, back: stIdle, bare: true,
		next: map[string]string{"concern_chosen": stMore}},
	stMore: {handle: (*turn).onMore, prompt: (*turn).promptMore, back: stConcern, bare: true,
		next: map[string]string{"more_concerns": stConcern, "concerns_done": stDay}},
	stDay: {handle: (*turn).onDay, prompt: (*turn).promptDay, back: stMore,
		next: map[string]string{"day_chosen": stTime}},
	stTime: {handle: (*turn).onTime, prompt: (*turn).promptTime, back: stDay,
		next: map[string]string{"time_chosen": stName, "time_chosen_move": stConfirm}},
	stName: {handle: (*turn).onName, prompt: (*turn).promptName, back: stTime,
		next: map[string]string{"name_given": stEmail, "email_known": stConfirm}},
	stEmail: {handle: (*turn).onEmail, prompt: (*turn).promptEmail, back: stName,
		next: map[string]string{"email_given": stConfirm}},
	stConfirm: {handle: (*turn).onConfirm, prompt: (*turn).promptConfirm, back: stEmail, bare: true,
		next: map[string]string{"slot_gone": stTime, "change_time": stTime, "change_day": stDay, "back_move": stTime}},
	stNumber: {handle: (*turn).onNumberOrPIN, prompt: (*turn).promptNumber, back: stIdle, bare: true, // a PIN has six digits, a waiting number its letter
		next: map[string]string{"number_given": stPIN, "pin_ok_cancel": stCancelConfirm, "pin_ok_move": stDay}},
	stPIN: {handle: (*turn).onNumberOrPIN, prompt: (*turn).promptPIN, back: stIdle,
		next: map[string]string{"number_unknown": stNumber, "pin_ok_cancel": stCancelConfirm, "pin_ok_move": stDay}},
	stCancelConfirm: {handle: (*turn).onCancelConfirm, prompt: (*turn).promptCancelConfirm, back: stIdle, bare: true},
	stDocs:          {handle: (*turn).onDocs, prompt: (*turn).promptDocs, back: stIdle, bare: true},
}

// transitions is the graph of states as looplab/fsm takes it.
func transitions() fsm.Events {
	var events fsm.Events
	all := slices.Sorted(maps.Keys(states))
	for _, name := range all {
		spec := states[name]
		for _, ev := range slices.Sorted(maps.Keys(spec.next)) {
			events = append(events, fsm.EventDesc{Name: ev, Src: []string{name}, Dst: spec.next[ev]})
		}
		if spec.back != "" {
			events = append(events, fsm.EventDesc{Name: "back", Src: []string{name}, Dst: spec.back})
		}
	}
	return append(events, fsm.EventDesc{Name: "done", Src: all, Dst: stIdle})
}

// input is one message as the state handlers see it.
type input struct {
	msg     Message
	option  string // chosen option id, also from a typed number
	u       understand.Understanding
	chained bool // passed on from an earlier state of the same message: do not re-ask
}

// chatOwner is the chat a message came from, and whether the channel proved
// it (Message.Proven).
type chatOwner struct {
	Channel, ChatID string
	Proven          bool
}

// Trusted reports whether the chat proves who it is well enough to manage
// its bookings without the PIN: a Telegram chat or a web chat's cookie do;
// a mail's sender can be forged, so by mail only a reply in the thread of
// the service's own mail does.
func (o chatOwner) Trusted() bool {
	return o.ChatID != "" && (o.Channel != MailChannel || o.Proven)
}

// turn is one message's run through the dialogue.
type turn struct {
	e       *Engine
	d       *dialogue
	m       *fsm.FSM
	now     time.Time
	replies []Reply
	quiet   bool      // the last step said all there is; no prompt after it
	staff   bool      // a clerk books for a caller: no offers meant for the citizen's own chat
	badDate string    // a date the message named that does not exist ("31.02.")
	vague   string    // a time named without a day ("nach Ostern"), to ask which day
	owner   chatOwner // the chat, which may manage the bookings it made without a PIN
	person  string    // the person key of the message
	hint    string    // the channel's hint of the language (Message.Lang)
	// committed is the dialogue a change's transaction stored in this turn
	// (told): the turn writes its dialogue only if it ends elsewhere.
	committed *committed
	// typedTime is set when the turn took a time typed in words or digits
	// (not a button): the next question says which time it took.
	typedTime bool
	// chosenAt is how many replies the turn had said when it chose a time:
	// if the time cannot be held, what follows gives way (hold.go).
	chosenAt int
}

func (t *turn) say(r Reply) { t.replies = append(t.replies, r) }

// notUnderstood says the message was not understood, or, when it named a
// date that does not exist, which one.
func (t *turn) notUnderstood() {
	if t.badDate != "" {
		t.say(Reply{Text: t.text("NoSuchDate", "Date", t.badDate)})
		return
	}
	if t.vague != "" {
		t.sayWhichDay()
		return
	}
	t.say(Reply{Text: t.text("NotUnderstood")})
}

func (t *turn) text(id string, kv ...any) string { return t.e.texts.T(t.d.Lang, id, kv...) }

// fire moves the dialogue by event ev.
func (t *turn) fire(ctx context.Context, ev string) {
	if err := t.m.Event(ctx, ev); err != nil {
		var noTransition fsm.NoTransitionError
		if !errors.As(err, &noTransition) {
			t.e.log.Error("dialogue transition refused", "event", ev, "state", t.m.Current(), "err", err)
		}
	}
	t.d.State = t.m.Current()
}

// Handle runs one message through its chat's dialogue and returns the
// replies. Messages of one chat are handled one at a time; the dialogue is
// stored before Handle returns, so a restart resumes it.
//
// When the store cannot be reached or cannot decide (an etcd cluster
// without a quorum), nothing is written and the reply says so, with the
// office's phone.
func (e *Engine) Handle(ctx context.Context, msg Message) ([]Reply, error) {
	replies, err := e.handle(ctx, msg)
	if errors.Is(err, booking.ErrUnavailable) {
		e.log.Error("store unavailable: the message is answered, nothing written", "channel", msg.Channel, "err", err)
		return []Reply{{Text: e.texts.T(langOf(msg.Lang), "StoreDown", "Phone", e.cfg.Office.Phone)}}, nil
	}
	return replies, err
}

func (e *Engine) handle(ctx context.Context, msg Message) ([]Reply, error) {
	defer e.lock(msg.Channel, msg.ChatID)()
	d, err := e.load(ctx, msg.Channel, msg.ChatID)
	if err != nil {
		return nil, fmt.Errorf("load dialogue: %w", err)
	}
	now := e.store.Now()
	stored := d != nil
	t := &turn{e: e, now: now, staff: msg.Staff != "", person: msg.PersonKey, hint: msg.Lang, owner: chatOwner{Channel: msg.Channel, ChatID: msg.ChatID, Proven: msg.Proven}}
	switch {
	case d == nil:
		d = e.freshDialogue(msg)
	case now.Sub(d.Updated) > e.opts.DialogueTTL && d.State != stIdle:
		d = &dialogue{State: stIdle, Lang: d.Lang, Handled: d.Handled}
		t.d = d
		t.say(Reply{Text: t.text("Expired")})
	}
	t.d = d
	if msg.ID != "" {
		if slices.Contains(d.Handled, msg.ID) {
			return nil, nil // handled before a crash or a repeat delivery
		}
		d.Handled = append(d.Handled, msg.ID)
		if len(d.Handled) > 32 {
			d.Handled = d.Handled[len(d.Handled)-32:]
		}
	}
	t.m = fsm.NewFSM(d.State, transitions(), nil)

	if len(msg.Text) > 4000 {
		msg.Text = msg.Text[:4000]
		t.say(Reply{Text: t.text("TooLong")})
	}
	in := input{msg: msg, option: msg.Option}
	if in.option == "" {
		// A bare "2" picks the second option where options are numbered
		// (mail), and on button channels where a number means nothing else
		// (not a time, a day, a PIN).
		bare := msg.Numbered || states[d.State].bare
		if i, ok := understand.OptionNumber(msg.Text, len(d.Options), bare); ok {
			in.option = d.Options[i].ID
		}
	}
	if in.option == "" {
		in.u = e.parser.UnderstandIn(msg.Text, d.Lang, now)
		t.badDate, t.vague = in.u.BadDate, in.u.VagueDay
		if d.State != stName {
			d.Lang = writtenIn(d.Lang, in.u.Written) // a name in Cyrillic letters is no wish for Russian
		}
	}
	switch {
	case msg.Unsupported && msg.Text == "":
		t.say(Reply{Text: t.text("OnlyText")})
	case strings.TrimSpace(msg.Text) != "" || msg.Option != "":
		e.run(ctx, t, in)
	} // an empty message (a page opened again) just repeats the question

	if !t.quiet {
		t.prompt(ctx)
	}
	t.noteRepeats()
	if want := d.holdWanted(); !want.Equal(d.Held) {
		return e.storeWithHold(ctx, t, msg, want, stored)
	}
	return t.replies, e.storeDialogue(ctx, t, msg, stored)
}

// settled is the dialogue as the turn leaves it: the options it offered
// last (a typed number picks one), the time of the turn.
func (t *turn) settled() *dialogue {
	t.d.Options = nil
	for _, r := range t.replies {
		if len(r.Options) > 0 {
			t.d.Options = r.Options
		}
	}
	t.d.Updated = t.now
	return t.d
}

// storeDialogue stores the dialogue as the turn leaves it, in one write,
// unless a change's transaction stored it so already; a dialogue no
// different from a fresh one is not kept.
func (e *Engine) storeDialogue(ctx context.Context, t *turn, msg Message, stored bool) error {
	w, final, err := e.dialogueWrite(t, msg)
	switch {
	case err != nil:
		return fmt.Errorf("save dialogue: %w", err)
	case final.same(t.committed):
		return nil // the change's transaction stored the dialogue as it ends: one write per message
	case !final.kept && !stored && t.committed == nil:
		return nil // nothing to keep, nothing stored to delete
	}
	if err := e.store.Apply(ctx, w); err != nil {
		return fmt.Errorf("save dialogue: %w", err)
	}
	return nil
}

// freshDialogue is a chat's dialogue before it says anything worth keeping:
// at the menu, in the channel's language, the menu's options offered.
func (e *Engine) freshDialogue(msg Message) *dialogue {
	d := &dialogue{State: stIdle, Lang: langOf(msg.Lang)}
	d.Options = (&turn{e: e, d: d}).menuOptions()
	return d
}

// committed is a dialogue as stored: whether it is kept at all (only a
// dialogue that holds more than a fresh one of its chat is: a script
// sending a question from a fresh session each time leaves nothing behind),
// and its record without the time it was written.
type committed struct {
	kept  bool
	value []byte
}

// committedDialogue is d as stored for a chat whose channel hints at
// language hint.
func (e *Engine) committedDialogue(d dialogue, hint string) (*committed, error) {
	d.Updated = time.Time{}
	value, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	fresh := *e.freshDialogue(Message{Lang: hint})
	blank, err := json.Marshal(fresh)
	if err != nil {
		return nil, err
	}
	return &committed{kept: !bytes.Equal(value, blank), value: value}, nil
}

// same reports whether c stores what other stored.
func (c *committed) same(other *committed) bool {
	return other != nil && c.kept == other.kept && (!c.kept || bytes.Equal(c.value, other.value))
}

// run handles global commands, then passes the input from state to state
// for as long as a state can use it, so a message that says enough skips
// the questions it answers.
func (e *Engine) run(ctx context.Context, t *turn, in input) {
	if e.global(ctx, t, in) {
		return
	}
	if name, err := booking.CleanName(in.u.Name); err == nil && t.d.State != stName {
		t.d.Name = name // "..., Max Mustermann": keep it for the name step
	}
	if t.d.State == stConcern {
		t.noteWanted(in.u)
	}
	for range 12 {
		before := t.d.State
		if t.d.State == stDay {
			in = t.withWanted(in)
		}
		handled := t.handle(ctx, in)
		if !handled || t.d.State == before || t.d.State == stIdle {
			return
		}
		in.chained = true
	}
}

// handle runs the current state's handler; it reports whether the input
// was used.
func (t *turn) handle(ctx context.Context, in input) bool {
	if spec, ok := states[t.d.State]; ok {
		return spec.handle(t, ctx, in)
	}
	t.fire(ctx, "done")
	return false
}

// prompt asks the current state's question.
func (t *turn) prompt(ctx context.Context) {
	if spec, ok := states[t.d.State]; ok {
		spec.prompt(t, ctx)
	}
}

func (t *turn) promptIdle(context.Context) { t.promptMenu() }
func (t *turn) promptBook(context.Context) { t.promptConcern("AskConcern") }
func (t *turn) promptDocs(context.Context) { t.promptConcern("AskConcernDocs") }
func (t *turn) promptName(context.Context) {
	text := t.text("AskName")
	if t.typedTime { // a time typed, not tapped: say which one was taken
		text = t.text("TimeTaken", "When", t.e.when(t.d.Lang, t.d.Start), "Minutes", int(t.e.cfg.Booking.HoldFor/time.Minute)) + "\n" + text
	}
	t.say(Reply{Text: text, Options: []Option{t.back()}})
}
func (t *turn) promptPIN(context.Context) {
	t.say(Reply{Text: t.text("AskPIN", "Number", t.d.Number), Options: []Option{t.back()}})
}
func (t *turn) promptEmail(context.Context) {
	t.say(Reply{Text: t.text("AskEmail"), Options: []Option{{optNoEmail, t.text("OptNoEmail")}, t.back()}})
}

// promptMore asks for how many people a concern named in the plural is,
// or whether there is another concern.
func (t *turn) promptMore(context.Context) {
	if c, ok := t.e.cfg.Concern(t.d.AskCount); ok {
		opts := make([]Option, 0, 5)
		for n := 1; n <= min(c.MaxCount, 4); n++ {
			opts = append(opts, Option{countOption(n), t.text("OptPeople", "N", n)})
		}
		t.say(Reply{Text: t.text("AskCount", "Concern", c.Name.In(t.d.Lang)), Options: append(opts, t.back())})
		return
	}
	t.say(Reply{Text: t.text("AskMore"), Options: []Option{{optMoreYes, t.text("OptAddConcern")}, {optMoreNo, t.text("OptConcernsDone")}, t.back()}})
}

// promptNumber asks for the waiting number, offering the chat's own
// bookings.
func (t *turn) promptNumber(ctx context.Context) {
	if own := t.ownBookingOptions(ctx); len(own) > 0 {
		t.say(Reply{Text: t.text("AskNumberOrOwn"), Options: append(own, t.back())})
		return
	}
	t.say(Reply{Text: t.text("AskNumber"), Options: []Option{t.back()}})
}

func (t *turn) back() Option { return Option{optBack, t.text("OptBack")} }

func (t *turn) promptMenu() {
	text := t.text("Menu", "Office", t.e.cfg.Office.Name)
	if len(t.replies) > 0 {
		text = t.text("MenuAgain")
	}
	t.say(Reply{Text: text, Options: t.menuOptions()})
}

func (t *turn) menuOptions() []Option {
	return []Option{
		{optMenuBook, t.text("OptBook")}, {optMenuCancel, t.text("OptCancel")}, {optMenuReschedule, t.text("OptReschedule")},
		{optMenuDocs, t.text("OptDocs")}, {optMenuHours, t.text("OptHours")}, {optMenuStatus, t.text("OptStatus")},
		{prefLang, t.text("OptLanguage")},
	}
}

// languageOptions offer every language of the catalogue, each named as its
// speakers write it.
func languageOptions() []Option {
	var opts []Option
	for _, l := range lang.All() {
		opts = append(opts, Option{langOption(l), lang.Name(l)})
	}
	return opts
}

// writtenIn is the dialogue's language after a message: the one the
// message is plainly written in when its letters belong to another
// language than the dialogue's (Cyrillic, Arabic, Turkish), else the
// dialogue's. Between Ukrainian and Russian, and German and English, a
// short message cannot tell: the language chosen stays.
func writtenIn(current, written string) string {
	switch {
	case written == "" || written == current:
		return current
	case (written == "uk" || written == "ru") && (current == "uk" || current == "ru"):
		return current
	case written == "de" || written == "en":
		return current
	}
	return written
}

// global handles what works in every state: start over, stop, back, help,
// language, and the options of messages the engine sent on its own.
func (e *Engine) global(ctx context.Context, t *turn, in input) bool {
	opt, u := in.option, in.u
	// In the name state a typed text is the name, unless it is only a command.
	if t.d.State == stName && opt == "" && !understand.IsOnlyCommand(in.msg.Text) && !strings.HasSuffix(strings.TrimSpace(in.msg.Text), "?") {
		return false // a name; a question ("Nehmen Sie EC-Karte?") is answered aside
	}
	switch {
	case t.stale(opt):
		// A button of an older message: say where the dialogue stands
		// rather than start something over the citizen's head.
		t.say(Reply{Text: t.text("StaleButton")})
		return true
	case opt == "restart" || (opt == "" && u.Intent == understand.IntentMenu):
		t.reset(ctx)
		return true
	case opt == "" && u.Intent == understand.IntentStop && !(t.d.State == stIdle && u.SaysCancel):
		t.reset(ctx)
		t.say(Reply{Text: t.text("Stopped")})
		return true
	case opt == "back" || (opt == "" && u.Intent == understand.IntentBack):
		t.goBack(ctx)
		return true
	case opt == "" && u.Intent == understand.IntentHelp:
		t.say(Reply{Text: t.text("Help")})
		return true
	case opt == "" && u.Intent == understand.IntentThanks && (t.d.State == stIdle || !u.Yes && !u.No):
		// "Danke, das war's" in a dialogue still says no; the step takes it.
		if t.d.State == stIdle {
			t.quiet = true // nothing to go on with; no menu after a goodbye
			if in.msg.Channel == MailChannel {
				return true // a thank-you mail needs no answer mail
			}
		}
		t.say(Reply{Text: t.text("Welcome")})
		return true
	case opt == "" && u.Intent == understand.IntentLostPIN:
		t.say(Reply{Text: t.text("LostPIN", "Phone", t.e.cfg.Office.Phone)})
		return true
	case opt == "" && u.Elsewhere > 0 && u.Elsewhere <= len(t.e.cfg.Elsewhere):
		t.say(Reply{Text: t.text("Elsewhere", "Where", t.e.cfg.Elsewhere[u.Elsewhere-1].Where.In(t.d.Lang), "Office", t.e.cfg.Office.Name)})
		return true
	case opt == "" && (u.Intent == understand.IntentPayment || u.Intent == understand.IntentParking || u.Intent == understand.IntentAccess):
		t.sayOfficeFact(u.Intent)
		return true
	case opt == "" && u.Intent == understand.IntentWalkIn:
		t.say(Reply{Text: t.text("WalkInInfo", "Hours", t.e.hoursLines(t.d.Lang))})
		return true
	case opt == "" && t.answersAside(ctx, in):
		return true // a question on the side; the step's question follows again
	case strings.HasPrefix(opt, prefLang) || (opt == "" && u.Intent == understand.IntentLanguage):
		chosen := strings.TrimPrefix(opt, prefLang)
		if opt == "" {
			chosen = u.Lang
		}
		if chosen == "" { // "Sprache", the menu's button: which one?
			t.say(Reply{Text: t.text("ChooseLanguage"), Options: languageOptions()})
			return true // the step's question follows, so the dialogue goes on in this language too
		}
		t.d.Lang = langOf(chosen)
		t.say(Reply{Text: t.text("LanguageSwitched")})
		return true
	case strings.HasPrefix(opt, prefMenu) && t.d.State != stIdle:
		t.reset(ctx)
		t.quiet = false
		return false // the idle handler takes the menu option
	case pushedOption(opt):
		t.onPushedOption(ctx, opt, in.msg)
		return true
	}
	return false
}

// noteRepeats counts the same answer given again in a row; from the third
// on, it adds the office's phone, so nobody goes round in circles.
func (t *turn) noteRepeats() {
	if t.d.State == stIdle || len(t.replies) == 0 {
		t.d.LastAnswer, t.d.Repeats = "", 0 // the menu's answers say it already; nothing kept
		return
	}
	h := sha256.New()
	for _, r := range t.replies {
		h.Write([]byte(r.Text))
	}
	sum := hex.EncodeToString(h.Sum(nil)[:8])
	if sum != t.d.LastAnswer {
		t.d.LastAnswer, t.d.Repeats = sum, 0
		return
	}
	t.d.Repeats++
	if t.d.Repeats >= 2 {
		hint := Reply{Text: t.text("StuckHint", "Phone", t.e.cfg.Office.Phone)}
		t.replies = slices.Insert(t.replies, len(t.replies)-1, hint)
	}
}

// stale reports whether opt is a button from an older message while a flow
// is under way: an answer to a step (a concern, a day, a time) not among the
// options last offered. What works at every step stays valid: the menu (its
// commands, too), start over, the language, and the options the engine sent
// on its own (a reminder's cancel, an offer).
func (t *turn) stale(opt string) bool {
	if opt == "" || t.d.State == stIdle || pushedOption(opt) || len(t.d.Options) == 0 ||
		strings.HasPrefix(opt, prefMenu) || strings.HasPrefix(opt, prefLang) || opt == "restart" {
		return false
	}
	return !slices.ContainsFunc(t.d.Options, func(o Option) bool { return o.ID == opt })
}

// answersAside answers a question asked in the middle of a flow (opening
// hours, where one stands, documents and fee) and reports whether it did;
// the dialogue stays at its step. At the menu the idle handler answers them.
func (t *turn) answersAside(ctx context.Context, in input) bool {
	switch t.d.State {
	case stIdle, stName, stDocs:
		return false
	}
	switch in.u.Intent {
	case understand.IntentHours:
		t.sayHours()
	case understand.IntentStatus:
		t.sayStatus(ctx, in.msg, "")
	case understand.IntentDocs:
		concerns := in.u.Concerns
		if len(concerns) == 0 {
			concerns = t.d.Concerns
		}
		if len(concerns) == 0 {
			return false
		}
		t.sayDocs(concerns)
	default:
		return false
	}
	return true
}

// reset goes back to the menu and forgets the collected data.
func (t *turn) reset(ctx context.Context) {
	// Held stays: it is what the store keeps for the chat, ended by the turn's end (hold.go).
	*t.d = dialogue{State: t.d.State, Lang: t.d.Lang, Handled: t.d.Handled, LastAnswer: t.d.LastAnswer, Repeats: t.d.Repeats, Held: t.d.Held}
	t.fire(ctx, "done")
}

func (t *turn) goBack(ctx context.Context) {
	switch {
	case t.d.State == stIdle:
	case t.d.Flow == "reschedule" && t.d.State == stDay:
		t.reset(ctx)
	case t.d.Flow == "reschedule" && t.d.State == stConfirm:
		t.fire(ctx, "back_move")
	default:
		t.fire(ctx, "back")
	}
	if t.d.State == stDay {
		t.d.DayFrom = ""
	}
	if t.d.State == stTime {
		t.d.TimeFrom = 0
	}
}

// sayOfficeFact answers how to pay, where to park and how the office is
// reached without steps, from the office's config; what it does not say
// is answered with the address and the phone.
func (t *turn) sayOfficeFact(intent understand.Intent) {
	o := t.e.cfg.Office
	fact, textID := o.Payment, "Payment"
	switch intent {
	case understand.IntentParking:
		fact, textID = o.Parking, "Parking"
	case understand.IntentAccess:
		fact, textID = o.Access, "Access"
	}
	if text := fact.In(t.d.Lang); text != "" {
		t.say(Reply{Text: t.text(textID, "How", text, "Address", o.Address)})
		return
	}
	t.say(Reply{Text: t.text(textID+"Ask", "Phone", o.Phone, "Address", o.Address)})
}
