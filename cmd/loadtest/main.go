// Command loadtest drives a real buergerbuero serve process through its
// real channels on loopback: simulated Telegram users through a local Bot
// API server, simulated mail users through local IMAP and SMTP servers, and
// clerks calling numbers through the Mattermost slash command. It prints
// throughput and latency per step, then stops the service and checks the
// invariants against its store: no time over capacity, every booking a user
// was told of exists with that PIN, no conversation stuck. For the ratio it
// also measures, in the same run, booking dialogues through the engine
// alone and raw bbolt writes.
//
//	go run ./cmd/loadtest                      # 200 Telegram users, 20 mail users, 2 clerks
//	go run ./cmd/loadtest -scenario race       # 200 users racing for 10 places
//	go run ./cmd/loadtest -scenario rush -users 2000 -mail-users 200
//	                                           # a town's new day: ten users for each place, at once
//	go run ./cmd/loadtest -offices 3           # a town of three offices: users name one, clerks work at one each
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	users := flag.Int("users", 200, "simulated Telegram users")
	mailUsers := flag.Int("mail-users", 20, "simulated mail users")
	clerks := flag.Int("clerks", 2, "clerks calling walk-ins")
	scenario := flag.String("scenario", "load", "load (many free places), race (users race for 10 places) or rush (ten users for each place)")
	bin := flag.String("bin", "", "the buergerbuero binary; empty: build it")
	store := flag.String("store", "bbolt", "bbolt (the file) or etcd (a three-member cluster in this process)")
	instances := flag.Int("instances", 1, "service instances at once (with -store etcd)")
	offices := flag.Int("offices", 1, "offices of one town (up to 4): users ask for one by name, clerks work at one each")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, options{users: *users, mailUsers: *mailUsers, clerks: *clerks, scenario: *scenario, bin: *bin,
		store: *store, instances: *instances, offices: *offices}); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type options struct {
	users, mailUsers, clerks int
	scenario, bin            string
	store                    string // bbolt or etcd
	instances                int    // service instances (etcd)
	offices                  int    // offices of the town (1: one office)
	// arrive spreads the Telegram users' first messages evenly over this
	// long (0: all at once, a rush), for a steady load.
	arrive time.Duration
}

// engineDialogues is how many booking dialogues measure the engine alone:
// enough to run for a second or more on each store, so one slow moment of
// a noisy machine does not decide the figure.
const engineDialogues = 1000

func run(ctx context.Context, out io.Writer, o options) error {
	dir, err := os.MkdirTemp("", "bb-loadtest")
	if err != nil {
		return err
	}
	if os.Getenv("LOADTEST_KEEP") == "" {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintln(out, "keeping", dir) // the service's log (serve.log) and store, for a look after
	}
	bin := o.bin
	if bin == "" {
		if bin, err = buildServe(dir); err != nil {
			return err
		}
	}
	env, err := newEnvironment(dir, bin, o.scenario, o.offices)
	if err != nil {
		return err
	}
	defer env.close()
	where := "a bbolt file"
	if o.store == "etcd" {
		if err := env.onEtcd(max(1, o.instances)); err != nil {
			return err
		}
		where = fmt.Sprintf("etcd (3 members), %d service instance(s)", max(1, o.instances))
	}
	if err := env.start(); err != nil {
		return err
	}
	if env.offices > 1 {
		where += fmt.Sprintf(", a town of %d offices", env.offices)
	}
	fmt.Fprintf(out, "buergerbuero load test (%s): %d Telegram users, %d mail users, %d clerks, on loopback, store on %s\n", o.scenario, o.users, o.mailUsers, o.clerks, where)
	res := env.drive(ctx, o)
	env.stop()
	inv, err := env.check(res)
	if err != nil {
		return err
	}
	res.print(out)
	inv.print(out)
	engine, onEtcd, raw, err := inProcess(dir, engineDialogues, env.cluster)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nsame run, same machine:\n  through Telegram, end to end: %8.1f bookings/s (store on %s)\n  through the engine alone:     %8.1f bookings/s (bbolt)\n",
		res.bookingsPerSecond(), where, engine)
	if env.cluster != nil {
		fmt.Fprintf(out, "  through the engine alone:     %8.1f bookings/s (etcd, 3 members): %.2f× the bbolt file's\n", onEtcd, onEtcd/max(engine, 0.001))
	}
	fmt.Fprintf(out, "  raw bbolt writes:             %8.1f writes/s\n", raw)
	fmt.Fprintf(out, "  ratios: engine/telegram %.1f×, raw bbolt/engine %.1f×\n", engine/max(res.bookingsPerSecond(), 0.001), raw/max(engine, 0.001))
	if !inv.ok() {
		return fmt.Errorf("invariants broken")
	}
	return nil
}
