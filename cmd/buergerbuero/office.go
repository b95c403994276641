package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/callsystem/display"
	"buergerbuero/conversation"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/metrics"
	"buergerbuero/office"
	"buergerbuero/staff/counter"
	"buergerbuero/staff/kiosk"
	"buergerbuero/staff/mattermost"
	"buergerbuero/stats"
	"buergerbuero/storage"
)

// officeRun is one office's running parts: its store, call system,
// dialogue and foyer display. A single office's pages are at /display/,
// /kiosk/, /counter/; a town's at /display/<id>/ and so on. The web chat
// at /chat/ is the office's or the town's (serve.go).
type officeRun struct {
	id     string // empty for a single office
	cfg    *office.Config
	store  *booking.Store
	calls  *callsystem.System
	engine *conversation.Engine
	foyer  *display.Display

	mu         sync.Mutex
	alertStaff func(context.Context, booking.Alert) // the staff bot's, once it exists
}

// alert tells the office's staff that PINs are being guessed (the store's
// Alert), once the staff bot is there.
func (o *officeRun) alert(ctx context.Context, a booking.Alert) {
	o.mu.Lock()
	tell := o.alertStaff
	o.mu.Unlock()
	if tell != nil {
		tell(ctx, a)
	}
}

// staffBot starts the Mattermost staff bot: the office's, or in a town
// one per office behind one command, each in the office's channels. It
// returns the job that runs it on the instance that leads.
func staffBot(mux *http.ServeMux, cfg mattermost.Config, runs []*officeRun, log *slog.Logger) (func(context.Context), error) {
	var bots []*mattermost.Bot
	for _, o := range runs {
		c, l := cfg, log
		if o.id != "" {
			c, l = cfg.ForOffice(o.id), log.With("office", o.id)
		}
		bot, err := mattermost.New(c, o.store, o.calls, o.engine, l)
		if err != nil {
			return nil, err
		}
		o.engine.Register(mattermost.Channel, bot)
		o.mu.Lock()
		o.alertStaff = bot.AlertGuessing
		o.mu.Unlock()
		bots = append(bots, bot)
	}
	type staffSide interface {
		CommandHandler() http.Handler
		ActionHandler() http.Handler
		Run(context.Context) error
	}
	var side staffSide = bots[0]
	if len(bots) > 1 {
		town, err := mattermost.NewTown(bots, log)
		if err != nil {
			return nil, err
		}
		side = town
	}
	mux.Handle("POST /mattermost/command", side.CommandHandler())
	mux.Handle("POST /mattermost/action", side.ActionHandler())
	return func(ctx context.Context) {
		if err := side.Run(ctx); err != nil {
			log.Error("mattermost bot stopped", "err", err)
		}
	}, nil
}

// path is where the office's page of kind ("chat", "display") lives.
func (o *officeRun) path(kind string) string {
	if o.id == "" {
		return "/" + kind + "/"
	}
	return "/" + kind + "/" + o.id + "/"
}

// mount adds the office's pages.
func (o *officeRun) mount(mux *http.ServeMux, cfg *fileConfig, guard *basicauth.Guard, log *slog.Logger) {
	pages := map[string]http.Handler{
		"display": o.foyer,
		"kiosk":   kiosk.New(o.store, o.calls, o.engine, cfg.Kiosk.ticketPrinter(), cfg.Kiosk.logins, guard, log),
		"counter": counter.New(o.cfg, o.calls, o.engine, cfg.Counter.logins, guard, log),
	}
	for kind, h := range pages {
		p := o.path(kind)
		mux.Handle(p, http.StripPrefix(p[:len(p)-1], h))
	}
	if o.id != "" { // a town's office: its statistics at /admin/stats/<id>/
		p := "/admin/stats/" + o.id
		mux.Handle(p+"/", requireAdmin(guard, cfg.Admin, http.StripPrefix(p, stats.Handler(o.store, o.cfg, o.store.Now, o.engine))))
	}
}

// measure has meter count the office's events (from now on) and report
// its queue, under its id; the job it returns follows the office's event
// log.
func (o *officeRun) measure(ctx context.Context, meter *metrics.Metrics) (func(context.Context), error) {
	if err := meter.Skip(ctx, o.store, o.id); err != nil {
		return nil, err
	}
	meter.AddQueue(o.id, func() float64 {
		q, err := o.calls.Queue(context.Background())
		if err != nil {
			return 0
		}
		return float64(len(q.Waiting))
	})
	return func(ctx context.Context) { meter.Follow(ctx, o.store, o.id, 5*time.Second) }, nil
}

// jobs are what the office does on its own, on the instance that leads.
func (o *officeRun) jobs(cfg *fileConfig, log *slog.Logger) []func(context.Context) {
	return []func(context.Context){
		func(ctx context.Context) { retain(ctx, o.store, cfg.Privacy.RetentionDays, log) },
		func(ctx context.Context) { o.engine.Run(ctx, 30*time.Second) },
		func(ctx context.Context) { o.engine.RunOutbox(ctx, 5*time.Second) },
	}
}

// displayOptions are the foyer display's settings for the office cfg.
func (f *fileConfig) displayOptions(cfg *office.Config, addrs *clientaddr.Resolver, calls *callsystem.System) display.Options {
	return display.Options{Location: cfg.Location(), Token: f.HTTP.DisplayToken, Public: f.HTTP.DisplayPublic, MaxClients: f.HTTP.MaxDisplays,
		MaxPerAddress: f.HTTP.MaxDisplaysPerAddress, Addrs: addrs, Waits: calls.WalkInWaits}
}

// officeDeps are what every office of a town shares.
type officeDeps struct {
	keys     [][]byte // the service's keys, newest first (booking.LoadKeys)
	addrs    *clientaddr.Resolver
	log      *slog.Logger
	instance string
}

// openOffice opens office id (empty for a single office) with its config
// in its part of backend (Config.OfficePart): its store and call system.
// The first office's part is the backend itself, and its store owns it
// (closing it closes the backend); the others share it.
func openOffice(ctx context.Context, id, part string, cfg *office.Config, backend storage.Backend, d officeDeps) (*officeRun, error) {
	log := d.log
	if id != "" {
		log = log.With("office", id)
	}
	o := &officeRun{id: id, cfg: cfg}
	if part != "" {
		backend = storage.Shared(storage.Within(backend, part))
	}
	store, err := booking.New(backend, cfg, booking.Options{Logger: log, PINKey: d.keys[0], RetiredKeys: d.keys[1:], Alert: o.alert})
	if err != nil {
		return nil, fmt.Errorf("office %s: %w", id, err)
	}
	o.store = store
	if o.calls, err = callsystem.New(ctx, store, log); err != nil {
		store.Close()
		return nil, err
	}
	return o, nil
}

// dialogueOptions are the options of the office's dialogue engine.
func (o *officeRun) dialogueOptions(fc *fileConfig, d officeDeps) conversation.Options {
	log := d.log
	if o.id != "" {
		log = log.With("office", o.id)
	}
	return conversation.Options{Logger: log, MailReminderBefore: fc.Email.ReminderBefore, Queue: queueInfo{o.calls},
		DialogueTTL: fc.Dialogue.ExpireAfter, Instance: d.instance}
}

// startDialogues makes the offices' dialogue engines: the office's on its
// own, or a town's offices' in the town, which stands in front of them.
// It returns what the citizens' channels talk to.
func startDialogues(runs []*officeRun, town *office.Config, fc *fileConfig, d officeDeps) (townDialogue, error) {
	if len(runs) == 1 {
		engine, err := conversation.New(runs[0].store, runs[0].dialogueOptions(fc, d))
		runs[0].engine = engine
		return engine, err
	}
	members := make([]conversation.TownMember, len(runs))
	for i, o := range runs {
		members[i] = conversation.TownMember{ID: o.id, Store: o.store, Options: o.dialogueOptions(fc, d)}
	}
	t, err := conversation.NewTown(town, members, d.log)
	if err != nil {
		return nil, err
	}
	for i, office := range t.Offices() {
		runs[i].engine = office.Engine
	}
	return t, nil
}

// connect has the office's calls tell the citizen's chat (stored with the
// call) and its foyer display. The call system is made before the engine
// (whose status answers ask it for the queue), so it learns of the engine
// here.
func (o *officeRun) connect(ctx context.Context, fc *fileConfig, d officeDeps) error {
	o.calls.SetCallEffect(o.engine.CallEffect)
	o.calls.AddNotifier(chatNotifier{o.engine})
	recent, err := o.calls.Recent(ctx, 10)
	if err != nil {
		return err
	}
	log := d.log
	if o.id != "" {
		log = log.With("office", o.id)
	}
	o.foyer = display.New(o.cfg.Office.Name, recent, o.store.Now, log, fc.displayOptions(o.cfg, d.addrs, o.calls))
	o.calls.AddNotifier(o.foyer)
	return nil
}

// startOffices starts every office of the file the same way: opened
// (openOffice), with their dialogues (startDialogues), connected
// (connect); one for a single office, each of a town's in its part of
// backend. It returns what the citizens' channels talk to. On an error
// the offices already opened are closed.
func startOffices(ctx context.Context, fc *fileConfig, town *office.Config, backend storage.Backend, d officeDeps) ([]*officeRun, townDialogue, error) {
	offices := town.OfficeConfigs()
	var runs []*officeRun
	fail := func(err error) ([]*officeRun, townDialogue, error) {
		closeOffices(runs)
		return nil, nil, err
	}
	for i, cfg := range offices {
		id := ""
		if len(offices) > 1 {
			id = town.Offices[i].ID
		}
		o, err := openOffice(ctx, id, town.OfficePart(i), cfg, backend, d)
		if err != nil {
			return fail(err)
		}
		runs = append(runs, o)
	}
	citizens, err := startDialogues(runs, town, fc, d)
	if err != nil {
		return fail(err)
	}
	for _, o := range runs {
		if err := o.connect(ctx, fc, d); err != nil {
			return fail(err)
		}
	}
	return runs, citizens, nil
}

// closeOffices closes the offices' stores, the first (which owns the
// backend) last.
func closeOffices(runs []*officeRun) {
	for i := len(runs) - 1; i >= 0; i-- {
		runs[i].store.Close()
	}
}
