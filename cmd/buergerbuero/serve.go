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
	"sync"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/callsystem/display"
	"buergerbuero/citizens/email"
	"buergerbuero/citizens/telegram"
	"buergerbuero/citizens/webchat"
	"buergerbuero/conversation"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/metrics"
	"buergerbuero/stats"
)

// serve runs the service until ctx ends: the store, the dialogue engine,
// the channels that are configured, and the HTTP server.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file (YAML); empty runs the embedded demo office")
	dataPath := fs.String("data", "./data/buergerbuero.db", "the bbolt store file")
	keyPath := fs.String("key", "", "the service key file (PIN hashes, sealing, every signature), made at first start (default: buergerbuero.key beside the data file); keep it out of the data file's backups")
	listen := fs.String("listen", "localhost:8080", "address of the HTTP server (web chat, display, webhooks, admin)")
	logFormat := fs.String("log-format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return err
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
	offices := cfg.Config.OfficeConfigs()
	var officeIDs []string // set for a town of several offices: their pages live under /<page>/<id>/
	if len(offices) > 1 {
		for _, o := range cfg.Offices {
			officeIDs = append(officeIDs, o.ID)
		}
	}
	townCfg := cfg.Config    // the town's catalogue of concerns, for the dialogue that asks where
	cfg.Config = *offices[0] // the first office is wired as a single one; the others follow (office.go)
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
	guard := basicauth.NewGuard(addrs, log, nil)
	if err := os.MkdirAll(filepath.Dir(*dataPath), 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	backend, where, err := openBackend(cfg, *dataPath)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if *keyPath == "" {
		*keyPath = filepath.Join(filepath.Dir(*dataPath), "buergerbuero.key")
	}
	keys, err := booking.LoadKeys(*keyPath)
	if err != nil {
		backend.Close()
		return err
	}
	first := &officeRun{cfg: &cfg.Config}
	store, err := booking.New(backend, &cfg.Config, booking.Options{Logger: log, PINKey: keys[0], RetiredKeys: keys[1:], Alert: first.alert})
	if err != nil {
		backend.Close()
		return err
	}
	defer store.Close()
	if *configPath == "" {
		n, err := store.SeedDemoDay(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("demo: today is filled with made-up citizens, marked \"Demo:\", so there is somebody to call", "bookings", n)
		}
	}
	calls, err := callsystem.New(ctx, store, log)
	if err != nil {
		return err
	}
	meter.AuditTo(log.With("audit", true))
	cfg.Email.Defaults()
	instance := instanceName(ln.Addr())
	engine, err := conversation.New(store, conversation.Options{Logger: log, MailReminderBefore: cfg.Email.ReminderBefore, Queue: queueInfo{calls},
		DialogueTTL: cfg.Dialogue.ExpireAfter, Instance: instance})
	if err != nil {
		return err
	}
	calls.SetCallEffect(engine.CallEffect)
	calls.AddNotifier(chatNotifier{engine})
	recent, err := calls.Recent(ctx, 10)
	if err != nil {
		return err
	}
	foyer := display.New(cfg.Office.Name, recent, store.Now, log, cfg.displayOptions(&cfg.Config, addrs, calls))
	calls.AddNotifier(foyer)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var workers sync.WaitGroup
	var leaderJobs []func(context.Context) // run once in a cluster: on the instance that leads
	mux := http.NewServeMux()

	first.store, first.calls, first.engine, first.foyer = store, calls, engine, foyer
	runs := []*officeRun{first}
	if officeIDs != nil {
		first.id = officeIDs[0]
	}
	first.mount(mux, cfg, guard, log)
	// The channels talk to the office, or to the town in front of its offices.
	var citizens townDialogue = engine
	if len(offices) > 1 {
		town := []conversation.TownOffice{{ID: first.id, Engine: engine}}
		logs := []stats.OfficeLog{{ID: first.id, Log: store, Config: &cfg.Config}}
		for i := 1; i < len(offices); i++ { // the town's other offices, each in its own part of the store
			o, err := startOffice(ctx, officeIDs[i], townCfg.OfficePart(i), offices[i], backend, cfg, officeDeps{keys: keys, log: log, instance: instance, addrs: addrs})
			if err != nil {
				return err
			}
			defer o.store.Close()
			o.mount(mux, cfg, guard, log)
			leaderJobs = append(leaderJobs, o.jobs(cfg, log)...)
			if len(cfg.Store.Etcd.Endpoints) > 0 {
				workers.Go(func() { o.calls.FollowCalls(ctx, time.Second) })
			}
			log.Info("office started", "office", o.cfg.Office.Name, "display", o.path("display"))
			runs = append(runs, o)
			town = append(town, conversation.TownOffice{ID: o.id, Engine: o.engine})
			logs = append(logs, stats.OfficeLog{ID: o.id, Log: o.store, Config: o.cfg})
		}

		t, err := conversation.NewTown(&townCfg, town, log)
		if err != nil {
			return err
		}
		citizens = t
		mux.Handle("/admin/stats/town/", requireAdmin(guard, cfg.Admin, // the offices side by side
			http.StripPrefix("/admin/stats/town", stats.TownHandler(townCfg.Office.Name, logs, store.Now, engine))))
	}
	// One web chat: the office's, or the town's that asks where.
	chatSecret, err := store.Secret(ctx, "webchat")
	if err != nil {
		return err
	}
	chat, err := webchat.New(citizens, log, webchat.Options{Secret: chatSecret, WorkBits: cfg.HTTP.ChatWorkBits, Addrs: addrs})
	if err != nil {
		return err
	}
	citizens.Register(webchat.Channel, chat)
	mux.Handle("/chat/", http.StripPrefix("/chat", chat))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/chat/", http.StatusFound) })

	if cfg.Telegram.Token == "" {
		log.Info("telegram channel off: no token (set telegram.token or BUERGERBUERO_TELEGRAM_TOKEN)")
	} else {
		tg, err := telegram.New(cfg.Telegram, citizens, log)
		if err != nil {
			return err
		}
		citizens.Register(telegram.Channel, tg)
		if cfg.Telegram.WebhookURL != "" {
			mux.Handle("POST /telegram/webhook", tg.WebhookHandler())
		}
		leaderJobs = append(leaderJobs, func(ctx context.Context) {
			if err := tg.Run(ctx); err != nil {
				log.Error("telegram channel stopped", "err", err)
			}
		})
	}

	var mail *email.Mail
	if cfg.Email.IMAP.Host == "" {
		log.Info("e-mail channel off: no email.imap.host")
	} else {
		mail, err = email.New(cfg.Email, citizens, store, log, store.Now)
		if err != nil {
			return err
		}
		citizens.Register(email.Channel, mail)
		leaderJobs = append(leaderJobs, func(ctx context.Context) {
			if err := mail.Run(ctx); err != nil {
				log.Error("e-mail channel stopped", "err", err)
			}
		})
	}

	if cfg.Mattermost.URL == "" {
		log.Info("mattermost staff bot off: no mattermost.url")
	} else {
		job, err := staffBot(mux, cfg.Mattermost, runs, log)
		if err != nil {
			return err
		}
		leaderJobs = append(leaderJobs, job)
	}

	mountOps(mux, store, cfg, guard, engine, meter.Handler())
	if len(cfg.Admin.logins) == 0 {
		log.Info("admin pages off: no admin.accounts or admin.password (or BUERGERBUERO_ADMIN_PASSWORD)")
	}
	for _, o := range runs {
		if err := o.measure(ctx, meter, &workers); err != nil {
			return err
		}
	}
	if len(cfg.Store.Etcd.Endpoints) > 0 { // other instances call too: their calls reach this display
		workers.Go(func() { calls.FollowCalls(ctx, time.Second) })
	}
	leaderJobs = append(leaderJobs, first.jobs(cfg, log)...)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	workers.Go(func() { lead(ctx, store, instance, log, leaderJobs) })

	log.Info("buergerbuero started", "store", where, "counters", len(cfg.Counters), "concerns", len(cfg.Concerns),
		"listen", ln.Addr().String(), "chat", "http://"+ln.Addr().String()+"/chat/", "display", "http://"+ln.Addr().String()+first.path("display"),
		"counter", "http://"+ln.Addr().String()+first.path("counter"))
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("stopping")
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	err = srv.Shutdown(shutdown)
	cancel()
	workers.Wait()
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
	}{{"counter", &cfg.Counter}, {"kiosk", &cfg.Kiosk}, {"admin", &cfg.Admin}}
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
func lead(ctx context.Context, store *booking.Store, instance string, log *slog.Logger, jobs []func(context.Context)) {
	for ctx.Err() == nil {
		lost, err := store.Lead(ctx, "jobs", instance)
		if err != nil {
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
