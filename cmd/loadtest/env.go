package main

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"buergerbuero/citizens/email/mailtest"
	"buergerbuero/citizens/telegram/telegramtest"
	"buergerbuero/office"
	"buergerbuero/staff/mattermost/mattermosttest"
	"buergerbuero/storage/etcdtest"
)

// environment is a serve process and the local servers it talks to.
type environment struct {
	live               atomic.Pointer[results] // the run under way (drive)
	dir, bin, scenario string
	tg                 *telegramtest.Server
	imap               *mailtest.IMAP
	smtp               *mailtest.SMTP
	mm                 *mattermosttest.Server
	clerkIDs           map[string]string // Mattermost user id by clerk name
	cfgPath, dataPath  string
	addrs              []string       // one per service instance
	cmds               []*exec.Cmd    // the running instances (nil: not running)
	office             *office.Config // the (first) office
	town               *office.Config // the file: the office, or a town of offices
	offices            int            // 1, or the town's offices
	log                *os.File
	cluster            *etcdtest.Cluster // the etcd store, if on etcd
	// lease is the instances' etcd lease (store.etcd.lease): 2 s unless
	// set before onEtcd, so a killed leader is replaced fast.
	lease time.Duration
	next  atomic.Uint64 // round-robin over the instances, as a load balancer
	// nudge lets a Telegram user without an answer for nudgeAfter ask
	// again ("?"), as after an instance died with the message.
	nudge bool
}

// nudgeAfter is how long a nudging user waits before asking again.
const nudgeAfter = 15 * time.Second

// patience is how long a user waits for an answer before giving up (or
// asking again).
func (e *environment) patience() time.Duration {
	if e.nudge {
		return nudgeAfter
	}
	return 60 * time.Second
}

const (
	tgToken      = "4242:load-test"
	mmToken      = "mm-load-token"
	commandToken = "load-command-token"
	adminPass    = "load-test-admin-secret"
)

// officeYAML is the scenario's office: "load" has room for everyone,
// "race" has ten places a day on one counter, so most users lose; "rush" is
// the load office with ten users wanting each place at once, as when a
// town's new day opens. All mail users write from one domain, so the
// per-source limit is lifted. With offices > 1 it is a town of that many
// such offices (townOffices), each with the hours and counters above.
func officeYAML(scenario string, offices int) string {
	hours, counters := `["06:00-22:00"]`, `[{id: "1"}, {id: "2"}, {id: "3"}, {id: "4"}, {id: "5"}, {id: "6"}, {id: "7"}, {id: "8"}]`
	if scenario == "race" {
		hours, counters = `["08:00-09:40"]`, `[{id: "1"}]`
	}
	week := fmt.Sprintf(`{monday: %[1]s, tuesday: %[1]s, wednesday: %[1]s, thursday: %[1]s, friday: %[1]s, saturday: %[1]s, sunday: %[1]s}`, hours)
	town := `office: {name: Lasttest-Amt, timezone: Europe/Berlin, state: NW, phone: "0123 456"}
concerns: [{id: ausweis, name: {de: Personalausweis, en: ID card}, keywords: [perso], minutes: 10}]
closed: {public_holidays: false}
booking: {horizon_days: 30, lead_time: 0s, slot_step: 10m, walk_in_share: 0, max_active_per_person: 1, max_active_per_source: 100000, max_minutes_per_source: 1000000, pin_guesses_per_person: 100}
`
	if offices <= 1 {
		return town + fmt.Sprintf("counters: %s\nopening_hours: %s\n", counters, week)
	}
	town += "offices:\n"
	for _, name := range townOffices[:offices] {
		town += fmt.Sprintf("  - id: %s\n    office: {name: Lasttest-Amt %s}\n    counters: %s\n    opening_hours: %s\n", strings.ToLower(name), name, counters, week)
	}
	return town
}

// townOffices name the offices of a town in the load test; users ask for
// one by name ("Perso in Ohligs …").
var townOffices = []string{"Mitte", "Ohligs", "Wald", "Burg"}

func newEnvironment(dir, bin, scenario string, offices int) (*environment, error) {
	if offices > len(townOffices) {
		return nil, fmt.Errorf("at most %d offices, not %d", len(townOffices), offices)
	}
	e := &environment{dir: dir, bin: bin, scenario: scenario, cfgPath: filepath.Join(dir, "config.yaml"), dataPath: filepath.Join(dir, "bb.db"),
		offices: max(1, offices)}
	var err error
	e.tg = telegramtest.NewServer(tgToken)
	if e.imap, err = mailtest.NewIMAP("termine", "imap-pw"); err != nil {
		return nil, err
	}
	if e.smtp, err = mailtest.NewSMTP(nil, ""); err != nil {
		return nil, err
	}
	e.mm = mattermosttest.New(mmToken, e.staffChannels()...)
	officeText := officeYAML(scenario, e.offices)
	if e.town, err = office.ParseConfig("office.yaml", []byte(officeText)); err != nil {
		return nil, err
	}
	e.office = e.town.OfficeConfigs()[0]
	ih, ip, _ := net.SplitHostPort(e.imap.Addr)
	sh, sp, _ := net.SplitHostPort(e.smtp.Addr)
	var staff []string
	e.clerkIDs = map[string]string{}
	for i := range 50 {
		name := fmt.Sprintf("clerk%d", i)
		staff = append(staff, name)
		e.clerkIDs[name] = e.mm.AddUser(name)
	}
	cfg := officeText + fmt.Sprintf(`
telegram: {token: %q, api_url: %q, poll_timeout: 2s, messages_per_second: 100000, chat_messages_per_second: 100000, chat_burst: 100}
email:
  address: termine@lasttest.example
  name: Lasttest-Amt
  poll_interval: 1s
  auth_serv_id: %s
  replies_per_hour: 100000
  imap: {host: %s, port: %s, security: none, username: termine, password: imap-pw}
  smtp: {host: %s, port: %s, security: none}
mattermost:
  {url: %q, token: %q, command_token: %q, public_url: "http://127.0.0.1", team: buergerbuero,
   %s}
admin: {password: %q}
`, tgToken, e.tg.URL, mailtest.AuthServID, ih, ip, sh, sp, e.mm.URL, mmToken, commandToken, e.staffYAML(staff), adminPass)
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	if err := e.addInstances(1); err != nil {
		return nil, err
	}
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

// addInstances gives n more service instances an address.
func (e *environment) addInstances(n int) error {
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		e.addrs = append(e.addrs, ln.Addr().String())
		e.cmds = append(e.cmds, nil)
		ln.Close()
	}
	return nil
}

// onEtcd puts the store on a three-member etcd cluster in this process,
// served by instances service instances at once.
func (e *environment) onEtcd(instances int) error {
	cluster, err := etcdtest.StartCluster(filepath.Join(e.dir, "etcd"), 3)
	if err != nil {
		return err
	}
	e.cluster = cluster
	cfg, err := os.ReadFile(e.cfgPath)
	if err != nil {
		return err
	}
	cfg = fmt.Appendf(cfg, "store: {etcd: {endpoints: [\"%s\"], prefix: /load/, lease: %s, max_txn_ops: 1024}}\n",
		strings.Join(cluster.Endpoints, `", "`), cmp.Or(e.lease, 2*time.Second))
	if err := os.WriteFile(e.cfgPath, cfg, 0o600); err != nil {
		return err
	}
	return e.addInstances(instances - 1)
}

// start runs every instance that is not running and waits until each is
// ready.
func (e *environment) start() error {
	for i := range e.cmds {
		if e.cmds[i] == nil {
			if err := e.startOne(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// startOne runs instance i; every instance shares the key file.
func (e *environment) startOne(i int) error {
	cmd := exec.Command(e.bin, "serve", "--config", e.cfgPath, "--data", e.dataPath, "--listen", e.addrs[i],
		"--key", filepath.Join(filepath.Dir(e.dataPath), "buergerbuero.key"))
	if dir := os.Getenv("LOADTEST_KEEP"); dir != "" && dir != "1" { // a CPU profile of each instance there
		cmd.Args = append(cmd.Args, "--cpuprofile", filepath.Join(dir, fmt.Sprintf("serve%d.pprof", i)))
	}
	cmd.Stdout, cmd.Stderr = e.log, e.log
	if err := cmd.Start(); err != nil {
		return err
	}
	e.cmds[i] = cmd
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + e.addrs[i] + "/readyz")
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

// stop ends every instance as systemd would (SIGTERM).
func (e *environment) stop() {
	for i := range e.cmds {
		e.stopOne(i)
	}
}

// stopOne ends instance i as systemd would (SIGTERM), as in a rolling
// restart.
func (e *environment) stopOne(i int) {
	cmd := e.cmds[i]
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	e.cmds[i] = nil
}

// kill ends every instance at once, as a power cut would (SIGKILL).
func (e *environment) kill() {
	for i := range e.cmds {
		e.killOne(i)
	}
}

// killOne ends instance i with SIGKILL.
func (e *environment) killOne(i int) {
	if cmd := e.cmds[i]; cmd != nil && cmd.Process != nil {
		cmd.Process.Kill()
		cmd.Wait()
	}
	e.cmds[i] = nil
}

// anyAddr is the address of a running instance, taking turns.
func (e *environment) anyAddr() string {
	for range len(e.addrs) {
		i := int(e.next.Add(1) % uint64(len(e.addrs)))
		if e.cmds[i] != nil {
			return e.addrs[i]
		}
	}
	return e.addrs[0]
}

// staffChannels are the Mattermost channels: one, or one per office.
func (e *environment) staffChannels() []string {
	if e.offices == 1 {
		return []string{"leitstelle"}
	}
	var out []string
	for i := range e.offices {
		out = append(out, "leitstelle-"+e.officeID(i))
	}
	return out
}

// staffYAML is the staff bot's channels and clerks; in a town clerk i
// works at office i mod offices.
func (e *environment) staffYAML(staff []string) string {
	if e.offices == 1 {
		return fmt.Sprintf("staff_channel: leitstelle,\n   staff_users: [%s]", strings.Join(staff, ", "))
	}
	var offices []string
	for i, ch := range e.staffChannels() {
		var mine []string
		for j := i; j < len(staff); j += e.offices {
			mine = append(mine, staff[j])
		}
		offices = append(offices, fmt.Sprintf("%s: {staff_channel: %s, staff_users: [%s]}", e.officeID(i), ch, strings.Join(mine, ", ")))
	}
	return "offices: {\n    " + strings.Join(offices, ",\n    ") + "}"
}

// officeID is office i's id ("" for a single office).
func (e *environment) officeID(i int) string {
	if e.offices == 1 {
		return ""
	}
	return strings.ToLower(townOffices[i])
}

// where is how a user names office i in a message ("in Ohligs "), or
// nothing for a single office.
func (e *environment) where(i int) string {
	if e.offices == 1 {
		return ""
	}
	return "in " + townOffices[i] + " "
}

func (e *environment) close() {
	e.stop()
	if e.cluster != nil {
		e.cluster.Close()
	}
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
