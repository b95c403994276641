package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"buergerbuero/booking"
	"buergerbuero/bots/email/mailtest"
	"buergerbuero/bots/mattermost/mattermosttest"
	"buergerbuero/bots/telegram/telegramtest"
)

// environment is a serve process and the local servers it talks to.
type environment struct {
	dir, bin, scenario string
	tg                 *telegramtest.Server
	imap               *mailtest.IMAP
	smtp               *mailtest.SMTP
	mm                 *mattermosttest.Server
	clerkIDs           map[string]string // Mattermost user id by clerk name
	cfgPath, dataPath  string
	addr               string
	cmd                *exec.Cmd
	office             *booking.Config
	log                *os.File
}

const (
	tgToken      = "4242:load-test"
	mmToken      = "mm-load-token"
	commandToken = "load-command-token"
	adminPass    = "load-test-admin-secret"
)

// offices: "load" has room for everyone, "race" has ten places a day on
// one counter, so most users lose; "rush" is the load office with ten users
// wanting each place at once, as when a town's new day opens. All mail
// users write from one domain, so the per-source limit is lifted.
func officeYAML(scenario string) string {
	hours, counters := `["06:00-22:00"]`, `[{id: "1"}, {id: "2"}, {id: "3"}, {id: "4"}, {id: "5"}, {id: "6"}, {id: "7"}, {id: "8"}]`
	if scenario == "race" {
		hours, counters = `["08:00-09:40"]`, `[{id: "1"}]`
	}
	return fmt.Sprintf(`office: {name: Lasttest-Amt, timezone: Europe/Berlin, state: NW, phone: "0123 456"}
counters: %s
concerns: [{id: ausweis, name: {de: Personalausweis, en: ID card}, keywords: [perso], minutes: 10}]
opening_hours: {monday: %[2]s, tuesday: %[2]s, wednesday: %[2]s, thursday: %[2]s, friday: %[2]s, saturday: %[2]s, sunday: %[2]s}
closed: {public_holidays: false}
booking: {horizon_days: 30, lead_time: 0s, slot_step: 10m, walk_in_share: 0, max_active_per_person: 1, max_active_per_source: 100000, pin_guesses_per_person: 100}
`, counters, hours)
}

func newEnvironment(dir, bin, scenario string) (*environment, error) {
	e := &environment{dir: dir, bin: bin, scenario: scenario, cfgPath: filepath.Join(dir, "config.yaml"), dataPath: filepath.Join(dir, "bb.db")}
	var err error
	e.tg = telegramtest.NewServer(tgToken)
	if e.imap, err = mailtest.NewIMAP("termine", "imap-pw"); err != nil {
		return nil, err
	}
	if e.smtp, err = mailtest.NewSMTP(nil, ""); err != nil {
		return nil, err
	}
	e.mm = mattermosttest.New(mmToken, "leitstelle")
	office := officeYAML(scenario)
	if e.office, err = booking.ParseConfig("office.yaml", []byte(office)); err != nil {
		return nil, err
	}
	ih, ip, _ := net.SplitHostPort(e.imap.Addr)
	sh, sp, _ := net.SplitHostPort(e.smtp.Addr)
	var staff []string
	e.clerkIDs = map[string]string{}
	for i := range 50 {
		name := fmt.Sprintf("clerk%d", i)
		staff = append(staff, name)
		e.clerkIDs[name] = e.mm.AddUser(name)
	}
	cfg := office + fmt.Sprintf(`
telegram: {token: %q, api_url: %q, poll_timeout: 2s, messages_per_second: 100000, chat_messages_per_second: 100000, chat_burst: 100}
email:
  address: termine@lasttest.example
  name: Lasttest-Amt
  poll_interval: 1s
  replies_per_hour: 100000
  imap: {host: %s, port: %s, security: none, username: termine, password: imap-pw}
  smtp: {host: %s, port: %s, security: none}
mattermost: {url: %q, token: %q, command_token: %q, action_secret: "load-test-action-secret", public_url: "http://127.0.0.1", team: buergerbuero, staff_channel: leitstelle, staff_users: [%s]}
admin: {password: %q}
`, tgToken, e.tg.URL, ih, ip, sh, sp, e.mm.URL, mmToken, commandToken, strings.Join(staff, ", "), adminPass)
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.addr = ln.Addr().String()
	ln.Close()
	if e.log, err = os.Create(filepath.Join(dir, "serve.log")); err != nil {
		return nil, err
	}
	return e, nil
}

// buildServe builds the service binary from this module.
func buildServe(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module: %w", err)
	}
	bin := filepath.Join(dir, "buergerbuero")
	build := exec.Command("go", "build", "-o", bin, "./cmd/buergerbuero")
	build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %w\n%s", err, out)
	}
	return bin, nil
}

// start runs serve and waits until it is ready.
func (e *environment) start() error {
	e.cmd = exec.Command(e.bin, "serve", "--config", e.cfgPath, "--data", e.dataPath, "--listen", e.addr)
	e.cmd.Stdout, e.cmd.Stderr = e.log, e.log
	if err := e.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + e.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 && e.mm.Connected() > 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(e.log.Name())
			return fmt.Errorf("serve did not get ready:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends serve as systemd would (SIGTERM).
func (e *environment) stop() {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		e.cmd.Process.Kill()
		<-done
	}
	e.cmd = nil
}

// kill ends serve at once, as a power cut would (SIGKILL).
func (e *environment) kill() {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	e.cmd.Process.Kill()
	e.cmd.Wait()
	e.cmd = nil
}

func (e *environment) close() {
	e.stop()
	e.tg.Close()
	e.imap.Close()
	e.smtp.Close()
	e.mm.Close()
	e.log.Close()
}

// slotTexts are n times for users to ask for ("am 26.11.2026 um 10:30"),
// from tomorrow on, each time repeated per times.
func (e *environment) slotTexts(n, per int, from time.Time) []string {
	var out []string
	day := e.office.Day(from).AddDate(0, 0, 1)
	for len(out) < n {
		for _, o := range e.office.Openings(day) {
			for t := o.From; t.Add(10*time.Minute).Compare(o.To) <= 0 && len(out) < n; t = t.Add(10 * time.Minute) {
				for range per {
					out = append(out, t.Format("am 02.01.2006 um 15:04"))
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return out[:n]
}
