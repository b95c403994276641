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
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	users := flag.Int("users", 200, "simulated Telegram users")
	mailUsers := flag.Int("mail-users", 20, "simulated mail users")
	clerks := flag.Int("clerks", 2, "clerks calling walk-ins")
	scenario := flag.String("scenario", "load", "load (many free places), race (users race for 10 places) or rush (ten users for each place)")
	bin := flag.String("bin", "", "the buergerbuero binary; empty: build it")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, options{users: *users, mailUsers: *mailUsers, clerks: *clerks, scenario: *scenario, bin: *bin}); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type options struct {
	users, mailUsers, clerks int
	scenario, bin            string
}

func run(ctx context.Context, out io.Writer, o options) error {
	dir, err := os.MkdirTemp("", "bb-loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := o.bin
	if bin == "" {
		if bin, err = buildServe(dir); err != nil {
			return err
		}
	}
	env, err := newEnvironment(dir, bin, o.scenario)
	if err != nil {
		return err
	}
	defer env.close()
	if err := env.start(); err != nil {
		return err
	}
	fmt.Fprintf(out, "buergerbuero load test (%s): %d Telegram users, %d mail users, %d clerks, on loopback\n", o.scenario, o.users, o.mailUsers, o.clerks)
	res := env.drive(ctx, o)
	env.stop()
	inv, err := env.check(res)
	if err != nil {
		return err
	}
	res.print(out)
	inv.print(out)
	engine, raw, err := inProcess(dir, 200)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nsame run, same machine:\n  through Telegram, end to end: %8.1f bookings/s\n  through the engine alone:     %8.1f bookings/s\n  raw bbolt writes:             %8.1f writes/s\n",
		res.bookingsPerSecond(), engine, raw)
	fmt.Fprintf(out, "  ratios: engine/telegram %.1f×, raw bbolt/engine %.1f×\n", engine/max(res.bookingsPerSecond(), 0.001), raw/max(engine, 0.001))
	if !inv.ok() {
		return fmt.Errorf("invariants broken")
	}
	return nil
}
