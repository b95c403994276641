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
		"kiosk":   kiosk.New(o.store, o.calls, o.engine, cfg.Kiosk.logins, guard, log),
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

// startOffice starts office id (empty for a single office) with its
// config in its part of backend (Config.OfficePart): its store, call
// system, dialogue and foyer display. The first office's part is the
// backend itself, and its store owns it (closing it closes the backend);
// the others share it.
func startOffice(ctx context.Context, id, part string, cfg *office.Config, backend storage.Backend, fc *fileConfig, d officeDeps) (*officeRun, error) {
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
		return nil, err
	}
	if o.engine, err = conversation.New(store, conversation.Options{Logger: log, MailReminderBefore: fc.Email.ReminderBefore, Queue: queueInfo{o.calls},
		DialogueTTL: fc.Dialogue.ExpireAfter, Instance: d.instance}); err != nil {
		return nil, err
	}
	o.calls.SetCallEffect(o.engine.CallEffect)
	o.calls.AddNotifier(chatNotifier{o.engine})
	recent, err := o.calls.Recent(ctx, 10)
	if err != nil {
		return nil, err
	}
	o.foyer = display.New(cfg.Office.Name, recent, store.Now, log, fc.displayOptions(cfg, d.addrs, o.calls))
	o.calls.AddNotifier(o.foyer)
	return o, nil
}

// startOffices starts every office of the file the same way (startOffice):
// one for a single office, each of a town's in its part of backend. On an
// error the offices already started are closed.
func startOffices(ctx context.Context, fc *fileConfig, town *office.Config, backend storage.Backend, d officeDeps) ([]*officeRun, error) {
	offices := town.OfficeConfigs()
	var runs []*officeRun
	for i, cfg := range offices {
		id := ""
		if len(offices) > 1 {
			id = town.Offices[i].ID
		}
		o, err := startOffice(ctx, id, town.OfficePart(i), cfg, backend, fc, d)
		if err != nil {
			closeOffices(runs)
			return nil, err
		}
		runs = append(runs, o)
	}
	return runs, nil
}

// closeOffices closes the offices' stores, the first (which owns the
// backend) last.
func closeOffices(runs []*officeRun) {
	for i := len(runs) - 1; i >= 0; i-- {
		runs[i].store.Close()
	}
}
