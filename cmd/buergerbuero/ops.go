package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/retry"
	"buergerbuero/stats"
	"buergerbuero/storage"
)

// mountOps adds health, readiness, metrics and the admin pages.
func mountOps(mux *http.ServeMux, first *officeRun, cfg *fileConfig, guard *basicauth.Guard, metricsHandler http.Handler) {
	store := first.store
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := store.Ping(r.Context()); err != nil {
			http.Error(w, "store not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", requireToken(cfg.HTTP.MetricsToken, metricsHandler))
	mux.Handle("/admin/stats/", requireAdmin(guard, cfg.Admin, http.StripPrefix("/admin/stats", stats.Handler(store, first.cfg, store.Now, first.engine))))
	mux.Handle("GET /admin/backup", requireAdmin(guard, cfg.Admin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="buergerbuero-%s.db"`, time.Now().Format("20060102-1504")))
		if _, err := store.Backup(w); err != nil {
			slog.Error("backup", "err", err)
		}
	})))
}

// requireToken lets a request through only with "Authorization: Bearer
// token" (compared in constant time); an empty token lets every request
// through.
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		given, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(given), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="buergerbuero metrics"`)
			http.Error(w, "a token is required (http.metrics_token)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// retain runs the data-protection job now and then every day: the store's
// one retention path deletes personal data past the retention period
// (bookings, guess records, dialogues, mail and staff bot records), then
// the file is compacted so none is left in free pages.
func retain(ctx context.Context, store *booking.Store, days int, log *slog.Logger) {
	run := func() {
		cutoff := store.Now().AddDate(0, 0, -days)
		n, err := store.Forget(ctx, cutoff)
		if err != nil {
			log.Error("retention", "err", err)
			return
		}
		if n > 0 {
			if err := store.Compact(); err != nil {
				log.Error("retention: compact", "err", err)
				return
			}
		}
		log.Info("retention job done", "bookings_and_records_cleared", n, "before", cutoff.Format(time.DateOnly))
	}
	run()
	retry.Every(ctx, 24*time.Hour, run)
}

// backup writes a consistent copy of the store to FILE: from the file when
// no service holds it, else from the running service's /admin/backup.
func backup(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataPath := fs.String("data", "./data/buergerbuero.db", "the bbolt store file")
	url := fs.String("url", "http://localhost:8080", "the running service, used when it holds the file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: buergerbuero backup [--data FILE] [--url URL] BACKUP-FILE")
	}
	out, err := os.OpenFile(fs.Arg(0), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	defer out.Close()
	_, err = storage.BackupFile(*dataPath, out)
	if err == nil {
		return out.Sync()
	}
	if !errors.Is(err, storage.ErrFileLocked) {
		os.Remove(fs.Arg(0))
		return fmt.Errorf("backup: %w", err)
	}
	// The service is running: ask it.
	req, _ := http.NewRequest("GET", strings.TrimRight(*url, "/")+"/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+os.Getenv("BUERGERBUERO_ADMIN_PASSWORD"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		os.Remove(fs.Arg(0))
		return fmt.Errorf("the service holds the store and cannot be reached at %s: %w", *url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		os.Remove(fs.Arg(0))
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("the service refused the backup (%s): %s (set BUERGERBUERO_ADMIN_PASSWORD)", res.Status, strings.TrimSpace(string(msg)))
	}
	if _, err := io.Copy(out, res.Body); err != nil {
		return err
	}
	return out.Sync()
}

// statsCommand handles "stats export".
func statsCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New("usage: buergerbuero stats export --from YYYY-MM-DD --to YYYY-MM-DD [--period day|week|month] [--table periods|concerns|counters|hours] [--data FILE] [--config FILE]")
	}
	fs := flag.NewFlagSet("stats export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "first day, YYYY-MM-DD")
	to := fs.String("to", "", "last day, YYYY-MM-DD")
	period := fs.String("period", "day", "day, week or month")
	table := fs.String("table", "periods", strings.Join(stats.Tables, ", "))
	dataPath := fs.String("data", "./data/buergerbuero.db", "the bbolt store file (or a backup of it)")
	configPath := fs.String("config", "", "config file; empty: the demo office")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	f, err1 := time.ParseInLocation(time.DateOnly, *from, cfg.Location())
	t, err2 := time.ParseInLocation(time.DateOnly, *to, cfg.Location())
	if err1 != nil || err2 != nil || t.Before(f) {
		return fmt.Errorf("--from %q and --to %q must be dates like 2026-11-01, from before to", *from, *to)
	}
	p, err := stats.ParsePeriod(*period)
	if err != nil {
		return err
	}
	store, err := booking.Open(*dataPath, &cfg.Config, booking.Options{LockTimeout: time.Second})
	if err != nil {
		return fmt.Errorf("%w\n(while the service runs, download the CSV from /admin/stats/ or export from a backup: buergerbuero backup FILE)", err)
	}
	defer store.Close()
	rep, err := stats.Compute(context.Background(), store, &cfg.Config, f, t, p)
	if err != nil {
		return err
	}
	return stats.WriteCSV(stdout, rep, *table)
}

// rotateKey puts a new key in front of the service key file; the service
// uses it from its next start (booking.RotateKey says what ends with the
// old key and what stays).
func rotateKey(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rotate-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataPath := fs.String("data", "./data/buergerbuero.db", "the bbolt store file (the key file is beside it by default)")
	keyPath := fs.String("key", "", "the service key file (default: buergerbuero.key beside the data file)")
	keep := fs.Int("keep", 3, "keys kept in all, the new one included: older keys check the PINs of bookings made under them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyPath == "" {
		*keyPath = filepath.Join(filepath.Dir(*dataPath), "buergerbuero.key")
	}
	if _, err := os.Stat(*keyPath); err != nil {
		return fmt.Errorf("no key file to rotate: %w", err)
	}
	if err := booking.RotateKey(*keyPath, *keep); err != nil {
		return err
	}
	keys, err := booking.LoadKeys(*keyPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: a new key, %d in all. Restart the service (every instance) to use it: web chat sessions and Mattermost buttons made before end, PINs and queued messages stay.\n", *keyPath, len(keys))
	return nil
}
