package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"buergerbuero/booking"
	"buergerbuero/bots/counter"
	"buergerbuero/bots/kiosk"
	"buergerbuero/callsystem"
	"buergerbuero/callsystem/display"
	"buergerbuero/conversation"
	"buergerbuero/internal/basicauth"
	"buergerbuero/stats"
)

// officeRun is one office's running parts: its store, call system,
// dialogue and foyer display. A single office's pages are at /display/,
// /kiosk/, /counter/; a town's at /display/<id>/ and so on. The web chat
// at /chat/ is the office's or the town's (serve.go).
type officeRun struct {
	id     string // empty for a single office
	cfg    *booking.Config
	store  *booking.Store
	calls  *callsystem.System
	engine *conversation.Engine
	foyer  *display.Display
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
		"kiosk":   kiosk.New(o.store, o.calls, o.engine, cfg.Kiosk.Password, guard, log),
		"counter": counter.New(o.cfg, o.calls, o.engine, cfg.Counter.Password, guard, log),
	}
	for kind, h := range pages {
		p := o.path(kind)
		mux.Handle(p, http.StripPrefix(p[:len(p)-1], h))
	}
	if o.id != "" { // a town's office: its statistics at /admin/stats/<id>/
		p := "/admin/stats/" + o.id
		mux.Handle(p+"/", requireAdmin(guard, cfg.Admin.Password, http.StripPrefix(p, stats.Handler(o.store, o.cfg, o.store.Now, o.engine))))
	}
}

// jobs are what the office does on its own, on the instance that leads.
func (o *officeRun) jobs(cfg *fileConfig, log *slog.Logger) []func(context.Context) {
	return []func(context.Context){
		func(ctx context.Context) { retain(ctx, o.store, cfg.Privacy.RetentionDays, log) },
		func(ctx context.Context) { o.engine.Run(ctx, 30*time.Second) },
		func(ctx context.Context) { o.engine.RunOutbox(ctx, 5*time.Second) },
	}
}

// officeDeps are what every office of a town shares.
type officeDeps struct {
	key      []byte
	log      *slog.Logger
	instance string
}

// startOffice starts a town's further office id with its config, in its
// own namespace of backend.
func startOffice(ctx context.Context, id string, cfg *booking.Config, backend booking.Backend, fc *fileConfig, d officeDeps) (*officeRun, error) {
	log := d.log.With("office", id)
	store, err := booking.New(booking.Shared(booking.Within(backend, "office/"+id+"/")), cfg, booking.Options{Logger: log, PINKey: d.key})
	if err != nil {
		return nil, fmt.Errorf("office %s: %w", id, err)
	}
	o := &officeRun{id: id, cfg: cfg, store: store}
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
	o.foyer = display.New(cfg.Office.Name, recent, store.Now, log, display.Options{Location: cfg.Location(), Token: fc.HTTP.DisplayToken,
		MaxClients: fc.HTTP.MaxDisplays, Waits: o.calls.WalkInWaits})
	o.calls.AddNotifier(o.foyer)
	return o, nil
}
