// Command buergerbuero runs a citizens' office's appointment and queue
// service: booking by chat, the call system and the foyer display.
//
//	buergerbuero [serve] [--config FILE] [--data FILE] [--listen ADDR]
//	buergerbuero check-config FILE
//
// Without --config it runs the embedded demo office.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	_ "time/tzdata" // the office's time zone works on machines without zoneinfo

	"buergerbuero/booking"
	"buergerbuero/bots/webchat"
	"buergerbuero/conversation"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches the subcommand and returns the exit code. ctx ends the
// service (SIGINT/SIGTERM in main).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stderr)
	case "check-config":
		err = checkConfig(args, stdout)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n", cmd)
		usage(stderr)
		return 2
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "buergerbuero:", err)
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  buergerbuero [serve] [--config FILE] [--data FILE] [--listen ADDR]
                                                       run the service (default: the demo office on localhost:8080)
  buergerbuero check-config FILE                       check a config file and list every problem
`)
}

// loadConfig reads the config file, or the embedded demo office without one.
func loadConfig(path string) (*booking.Config, error) {
	if path == "" {
		return booking.DemoConfig()
	}
	return booking.LoadConfig(path)
}

func checkConfig(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: buergerbuero check-config FILE")
	}
	cfg, err := booking.LoadConfig(args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: OK: %s, %d counters, %d concerns\n", args[0], cfg.Office.Name, len(cfg.Counters), len(cfg.Concerns))
	return nil
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "office config (YAML); empty runs the embedded demo office")
	dataPath := fs.String("data", "./data/buergerbuero.db", "the bbolt store file")
	listen := fs.String("listen", "localhost:8080", "address of the HTTP server (web chat, display)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *configPath == "" {
		log.Info("no --config given: running the embedded demo office", "office", cfg.Office.Name)
	}
	if err := os.MkdirAll(filepath.Dir(*dataPath), 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	store, err := booking.Open(*dataPath, cfg, booking.Options{Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	engine, err := conversation.New(store, conversation.Options{Logger: log})
	if err != nil {
		return err
	}
	chat := webchat.New(engine, log)
	engine.Register(webchat.Channel, chat)

	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", chat))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/chat/", http.StatusFound) })
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	go engine.Run(ctx, 30*time.Second)

	log.Info("buergerbuero started", "store", *dataPath, "counters", len(cfg.Counters), "concerns", len(cfg.Concerns),
		"listen", ln.Addr().String(), "chat", "http://"+ln.Addr().String()+"/chat/")
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
