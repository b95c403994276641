// Command buergerbuero runs a citizens' office's appointment and queue
// service: booking by chat, the call system and the foyer display.
//
//	buergerbuero [serve] [--config FILE] [--data FILE] [--listen ADDR]
//	buergerbuero check-config FILE
//	buergerbuero backup [--data FILE] [--url URL] OUT
//	buergerbuero stats export --from D --to D [--period P] [--table T]
//	buergerbuero migrate --config FILE [--data FILE] --to etcd|file
//
// Without --config it runs the embedded demo office.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the office's time zone works on machines without zoneinfo
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
	switch {
	case len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-':
		cmd, args = args[0], args[1:]
	case len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help"):
		cmd = "help" // the whole usage, not only serve's flags
	case len(args) == 1 && (args[0] == "--version" || args[0] == "-version"):
		cmd = "version"
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stderr)
	case "check-config":
		err = checkConfig(args, stdout)
	case "backup":
		err = backup(args, stderr)
	case "stats":
		err = statsCommand(args, stdout, stderr)
	case "migrate":
		err = migrate(args, stdout, stderr)
	case "version", "--version", "-version":
		err = printVersion(stdout)
	case "hash-password":
		err = hashPassword(args, os.Stdin, stdout, stderr)
	case "rotate-key":
		err = rotateKey(args, stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n", cmd)
		usage(stderr)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0 // a subcommand's -h printed its flags
	}
	if err != nil {
		fmt.Fprintln(stderr, "buergerbuero:", err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  buergerbuero [serve] [--config FILE] [--data FILE] [--listen ADDR]
                                                       run the service (default: the demo office on localhost:8080)
  buergerbuero check-config FILE                       check a config file and list every problem
  buergerbuero backup [--data FILE] [--url URL] OUT    a consistent copy of the store (also while it runs)
  buergerbuero stats export --from D --to D [--period day|week|month] [--table periods|concerns|counters|hours]
                                                       statistics as CSV (from a stopped store or a backup)
  buergerbuero migrate --config FILE [--data FILE] --to etcd|file
                                                       move the bbolt file into etcd (store.etcd), or etcd into a file
  buergerbuero hash-password [USER]                    a bcrypt hash of a staff password (read from the terminal) for accounts or an htpasswd file
  buergerbuero rotate-key [--data FILE] [--key FILE] [--keep N]
                                                       a new service key from the next start; the old ones still check PINs
  buergerbuero version                                 the release, commit and build of this binary
  buergerbuero help                                    this text ("buergerbuero serve -h" and the others list their flags)
`)
}
