package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/citizens/email"
	"buergerbuero/citizens/telegram"
	"buergerbuero/citizens/webbooking"
	"buergerbuero/citizens/webchat"
	"buergerbuero/conversation"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/metrics"
	"buergerbuero/stats"
)

// serve runs the service until ctx ends: the store, every office (its
// call system, dialogue and pages, office.go), the channels that are
// configured, and the HTTP server.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file (YAML); empty runs the embedded demo office")
	dataPath := fs.String("data", "./data/buergerbuero.db", "the bbolt store file")
	keyPath := fs.String("key", "", "the service key file (PIN hashes, sealing, every signature), made at first start (default: buergerbuero.key beside the data file); keep it out of the data file's backups")
	listen := fs.String("listen", "localhost:8080", "address of the HTTP server (web chat, display, webhooks, admin)")
	logFormat := fs.String("log-format", "text", "text or json")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for developers: go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	meter := metrics.New()
	log := slog.New(meter.CountErrors(handler))
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	if *configPath == "" {
		log.Info("no --config given: running the embedded demo office", "office", cfg.Office.Name)
		if err := demoPasswords(cfg, ln.Addr(), stderr, log); err != nil {
			return err
		}
	}
	addrs, err := clientaddr.New(cfg.HTTP.TrustedProxies)
	if err != nil {
		return err
	}
	if *keyPath == "" {
		*keyPath = filepath.Join(filepath.Dir(*dataPath), "buergerbuero.key")
	}
	if err := os.MkdirAll(filepath.Dir(*dataPath), 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	keys, err := booking.LoadKeys(*keyPath)
	if err != nil {
		return err
	}
	backend, where, err := openBackend(cfg, *dataPath)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	cfg.Email.Defaults()
	instance := instanceName(ln.Addr())
	runs, citizens, err := startOffices(ctx, cfg, &cfg.Config, backend, officeDeps{keys: keys, log: log, instance: instance, addrs: addrs})
	if err != nil {
		backend.Close()
		return err
	}
	defer closeOffices(runs)
	if *configPath == "" {
		n, err := runs[0].store.SeedDemoDay(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("demo: today is filled with made-up citizens, marked \"Demo:\", so there is somebody to call", "bookings", n)
		}
	}
	meter.AuditTo(log.With("audit", true))
	svc := &service{cfg: cfg, runs: runs, citizens: citizens, log: log, guard: basicauth.NewGuard(addrs, log, nil), addrs: addrs, mux: http.NewServeMux(), meter: meter,
		instance: instance}
	if err := svc.assemble(ctx); err != nil {
		return err
	}
	log.Info("buergerbuero started", "store", where, "offices", len(runs), "counters", len(runs[0].cfg.Counters), "concerns", len(runs[0].cfg.Concerns),
		"listen", ln.Addr().String(), "chat", "http://"+ln.Addr().String()+"/chat/", "display", "http://"+ln.Addr().String()+runs[0].path("display"),
		"counter", "http://"+ln.Addr().String()+runs[0].path("counter"))
	return svc.run(ctx, ln)
}

// service is the running service's parts, assembled once (assemble) and
// run until the context ends (run).
type service struct {
	cfg      *fileConfig
	runs     []*officeRun // the offices; the first leads the town's shared parts
	citizens townDialogue // what the citizens' channels talk to: the office's engine or the town
	log      *slog.Logger
	guard    *basicauth.Guard
	addrs    *clientaddr.Resolver
	mux      *http.ServeMux
	meter    *metrics.Metrics
	instance string
	// leaderJobs run once in a cluster: on the instance that leads.
	leaderJobs []func(context.Context)
	// followers run on every instance.
	followers []func(context.Context)
}

// assemble mounts every office's pages and jobs, the citizens' channels in
// front of the office or the town, the staff bot and the operations pages.
func (s *service) assemble(ctx context.Context) error {
	first := s.runs[0]
	for _, o := range s.runs {
		o.mount(s.mux, s.cfg, s.guard, s.log)
		s.leaderJobs = append(s.leaderJobs, o.jobs(s.cfg, s.log)...)
		if len(s.cfg.Store.Etcd.Endpoints) > 0 { // other instances call too: their calls reach this display
			s.followers = append(s.followers, func(ctx context.Context) { o.calls.FollowCalls(ctx, time.Second) })
		}
		s.followers = append(s.followers, func(ctx context.Context) { o.engine.RunSweeps(ctx, time.Second) }) // what this instance's channels showed
		follow, err := o.measure(ctx, s.meter)
		if err != nil {
			return err
		}
		s.followers = append(s.followers, follow)
	}
	s.mountTownStats()
	if err := s.mountChannels(ctx, s.citizens); err != nil {
		return err
	}
	if s.cfg.Mattermost.URL == "" {
		s.log.Info("mattermost staff bot off: no mattermost.url")
	} else {
		job, err := staffBot(s.mux, s.cfg.Mattermost, s.runs, s.log)
		if err != nil {
			return err
		}
		s.leaderJobs = append(s.leaderJobs, job)
	}
	mountOps(s.mux, first, s.cfg, s.guard, s.meter.Handler())
	s.mux.Handle("POST /admin/erase", requireAdmin(s.guard, s.cfg.Admin, eraseHandler(s.runs, s.log)))
	if len(s.cfg.Admin.logins) == 0 {
		s.log.Info("admin pages off: no admin.accounts or admin.password (or BUERGERBUERO_ADMIN_PASSWORD)")
	}
	return nil
}

// mountTownStats shows a town's offices' figures side by side at
// /admin/stats/town/.
func (s *service) mountTownStats() {
	if len(s.runs) == 1 {
		return
	}
	var logs []stats.OfficeLog
	for _, o := range s.runs {
		logs = append(logs, stats.OfficeLog{ID: o.id, Log: o.store, Config: o.cfg})
		s.log.Info("office started", "office", o.cfg.Office.Name, "display", o.path("display"))
	}
	first := s.runs[0]
	s.mux.Handle("/admin/stats/town/", requireAdmin(s.guard, s.cfg.Admin,
		http.StripPrefix("/admin/stats/town", stats.TownHandler(s.cfg.Office.Name, logs, first.store.Now, first.engine))))
}

// mountChannels starts the citizens' channels: the web chat always,
// Telegram and mail where configured.
func (s *service) mountChannels(ctx context.Context, citizens townDialogue) error {
	first := s.runs[0]
	chatSecret, err := first.store.Secret(ctx, "webchat")
	if err != nil {
		return err
	}
	chat, err := webchat.New(citizens, s.log, webchat.Options{Secret: chatSecret, WorkBits: s.cfg.HTTP.ChatWorkBits, Addrs: s.addrs})
	if err != nil {
		return err
	}
	citizens.Register(webchat.Channel, chat)
	s.mux.Handle("/chat/", http.StripPrefix("/chat", chat))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/chat/", http.StatusFound) })
	if err := s.mountBooking(ctx); err != nil {
		return err
	}
	if s.cfg.Telegram.Token == "" {
		s.log.Info("telegram channel off: no token (set telegram.token or BUERGERBUERO_TELEGRAM_TOKEN)")
	} else {
		tg, err := telegram.New(s.cfg.Telegram, citizens, s.log)
		if err != nil {
			return err
		}
		citizens.Register(telegram.Channel, tg)
		if s.cfg.Telegram.WebhookURL != "" {
			s.mux.Handle("POST /telegram/webhook", tg.WebhookHandler())
		}
		s.leaderJobs = append(s.leaderJobs, s.logged("telegram channel stopped", tg.Run))
	}
	if s.cfg.Email.IMAP.Host == "" {
		s.log.Info("e-mail channel off: no email.imap.host")
		return nil
	}
	mail, err := email.New(s.cfg.Email, citizens, first.store, s.log, first.store.Now)
	if err != nil {
		return err
	}
	citizens.Register(email.Channel, mail)
	s.leaderJobs = append(s.leaderJobs, s.logged("e-mail channel stopped", mail.Run))
	return nil
}

// mountBooking serves the citizens' API at /api/v1/ and the booking page
// at /book/, over every office.
func (s *service) mountBooking(ctx context.Context) error {
	secret, err := s.runs[0].store.Secret(ctx, "webbooking")
	if err != nil {
		return err
	}
	var offices []webbooking.Office
	for _, o := range s.runs {
		id := o.id
		if id == "" {
			id = "main"
		}
		offices = append(offices, webbooking.Office{ID: id, Desk: o.engine.Form(), Waits: walkInWaits(o.calls)})
	}
	wb, err := webbooking.New(offices, s.log, webbooking.Options{Secret: secret, WorkBits: s.cfg.HTTP.ChatWorkBits, Addrs: s.addrs,
		Origins: s.cfg.HTTP.BookingOrigins, SendsMail: s.cfg.Email.IMAP.Host != ""})
	if err != nil {
		return err
	}
	s.mux.Handle("/api/v1/", http.StripPrefix("/api/v1", wb.API()))
	s.mux.Handle("/book/", http.StripPrefix("/book", wb.Page()))
	return nil
}

// walkInWaits are the call system's estimates for the citizens' API.
func walkInWaits(calls *callsystem.System) func(context.Context) ([]webbooking.Wait, error) {
	return func(ctx context.Context) ([]webbooking.Wait, error) {
		waits, err := calls.WalkInWaits(ctx)
		out := make([]webbooking.Wait, 0, len(waits))
		for _, w := range waits {
			out = append(out, webbooking.Wait{Group: w.Group, Minutes: int(w.Wait.Round(time.Minute) / time.Minute)})
		}
		return out, err
	}
}

// logged is job run, its error logged with msg.
func (s *service) logged(msg string, run func(context.Context) error) func(context.Context) {
	return func(ctx context.Context) {
		if err := run(ctx); err != nil {
			s.log.Error(msg, "err", err)
		}
	}
}

// run serves HTTP on ln and runs the jobs (those that run once on the
// instance that leads) until ctx ends, then stops gracefully.
func (s *service) run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The followers (among them the sweep of replies shown) stop only after
	// the channels have finished the turns in hand, so their last sweep
	// takes those too and no reply is sent again by the outbox.
	followCtx, stopFollowers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFollowers()
	var followers sync.WaitGroup
	for _, f := range s.followers {
		followers.Go(func() { f(followCtx) })
	}
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	leading := make(chan struct{})
	go func() { lead(ctx, s.runs[0].store, s.instance, s.log, s.leaderJobs); close(leading) }()
	stopAll := func() {
		cancel()
		<-leading
		stopFollowers()
		followers.Wait()
	}
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopAll()
		return fmt.Errorf("http server: %w", err)
	}
	s.log.Info("stopping")
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	err := srv.Shutdown(shutdown) // the web's turns in hand finish
	stopAll()
	return err
}

// demoPasswords sets the demo's staff passwords. On loopback they are the
// well-known "demo", so a newcomer can try everything; anywhere else a
// known password would open the office's data to the network, so each page
// gets a random one, printed here once.
func demoPasswords(cfg *fileConfig, addr net.Addr, out io.Writer, log *slog.Logger) error {
	pages := []struct {
		user   string
		logins *StaffLogins
	}{{"counter", &cfg.Counter}, {"kiosk", &cfg.Kiosk.StaffLogins}, {"admin", &cfg.Admin}}
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		for _, p := range pages {
			if len(p.logins.logins) == 0 {
				p.logins.share(p.user, "demo")
			}
		}
		log.Info("demo staff pages: /counter/ (user counter), /kiosk/ (user kiosk), /admin/stats/ (user admin), password demo (only because the service listens on loopback)")
		return nil
	}
	log.Warn("the demo listens beyond this machine: its staff pages get random passwords, shown once below", "listen", addr.String())
	for _, p := range pages {
		if len(p.logins.logins) != 0 {
			continue
		}
		pw := make([]byte, 12)
		if _, err := rand.Read(pw); err != nil {
			return fmt.Errorf("demo password: %w", err)
		}
		p.logins.share(p.user, base64.RawURLEncoding.EncodeToString(pw))
		fmt.Fprintf(out, "demo password for user %s: %s\n", p.user, p.logins.Password)
	}
	return nil
}

// queueInfo answers the dialogue's "where am I?" from the call system.
type queueInfo struct{ calls *callsystem.System }

func (q queueInfo) Position(ctx context.Context, b booking.Booking) (conversation.Position, error) {
	p, err := q.calls.Position(ctx, b)
	return conversation.Position{Ahead: p.Ahead, Wait: p.Wait, Called: p.Called, Counter: p.Counter}, err
}

// chatNotifier has the outbox deliver the message that tells citizens in
// their chat that their number is called, without holding up the clerk.
type chatNotifier struct {
	engine *conversation.Engine
}

func (n chatNotifier) Called(context.Context, callsystem.Call) {
	n.engine.DeliverSoon() // the call's message was stored with the call (SetCallEffect)
}

// instanceName names this instance in a cluster: host and listening
// address, the same again after a restart.
func instanceName(addr net.Addr) string {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	return host + "/" + addr.String()
}

// lead runs jobs while this instance leads (on a bbolt file: always), and
// campaigns again when it loses the lead, until ctx ends.
//
// The lead is given back only once the jobs have stopped: a channel
// finishes the turns it has in hand (sending their replies) before
// another instance may poll the same updates, so a rolling restart shows
// no citizen an answer twice or none.
func lead(ctx context.Context, store *booking.Store, instance string, log *slog.Logger, jobs []func(context.Context)) {
	for ctx.Err() == nil {
		leadCtx, resign := context.WithCancel(context.WithoutCancel(ctx))
		campaigning := context.AfterFunc(ctx, resign) // a stop while campaigning ends the campaign
		lost, err := store.Lead(leadCtx, "jobs", instance)
		campaigning()
		if err != nil {
			resign()
			if ctx.Err() == nil {
				log.Error("cannot campaign to lead; trying again", "err", err)
				time.Sleep(time.Second)
			}
			continue
		}
		log.Info("this instance leads: it polls the channels and runs the jobs", "instance", instance)
		jobCtx, stop := context.WithCancel(ctx)
		var running sync.WaitGroup
		for _, job := range jobs {
			running.Go(func() { job(jobCtx) })
		}
		select {
		case <-ctx.Done():
		case <-lost:
			log.Warn("this instance lost the lead (its lease ran out); the jobs stop here", "instance", instance)
		}
		stop()
		running.Wait()
		resign() // the jobs are done: another instance takes over now
	}
}

// townDialogue is what the citizens' channels talk to: an office's engine,
// or the town in front of its offices.
type townDialogue interface {
	Handle(ctx context.Context, msg conversation.Message) ([]conversation.Reply, error)
	Text(langHint, id string, kv ...any) string
	Delivered(ctx context.Context, replies []conversation.Reply) error
	Undelivered(replies []conversation.Reply)
	Register(channel string, s conversation.Sender)
}
