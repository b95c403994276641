package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/citizens/email/mailtest"
	"buergerbuero/citizens/telegram/telegramtest"
	"buergerbuero/internal/webgate"
	"buergerbuero/office"
	"buergerbuero/staff/mattermost/mattermosttest"
	"buergerbuero/storage"
)

// TestServeStartsWithNoConfigAndNoFlags is what a newcomer does first: run
// it in a fresh directory. It must come up on the demo office, create its
// store, and stop cleanly when told to.
func TestServeStartsWithNoConfigAndNoFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"--listen", "127.0.0.1:0"}, &stderr, &stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "buergerbuero started") {
		if time.Now().After(deadline) {
			t.Fatalf("not started:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join("data", "buergerbuero.db")); err != nil {
		t.Fatalf("store not created: %v", err)
	}
	// The web chat answers on the address it logged.
	addr := regexp.MustCompile(`chat=(http://\S+/chat/)`).FindStringSubmatch(stderr.String())
	if addr == nil {
		t.Fatalf("no chat address logged:\n%s", stderr.String())
	}
	res, err := chatClient(t, addr[1]).Post(addr[1]+"api/message", "application/json", strings.NewReader(`{"text":"Öffnungszeiten"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "08:00-12:30") {
		t.Fatalf("web chat answer: %s", body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "demo office") {
		t.Errorf("no word that the demo office runs:\n%s", stderr.String())
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("office:\n  name: x\n  nmae: y\n"), 0o600)
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"check-config", "../../config.example.yaml"}, 0, "OK"},
		{[]string{"check-config", bad}, 1, `line 3, column 3: office.nmae: unknown field "nmae"`},
		{[]string{"check-config"}, 1, "usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &out); code != tc.code || !strings.Contains(out.String(), tc.contains) {
			t.Errorf("%v: exit %d, output\n%s\nwant exit %d and %q", tc.args, code, out.String(), tc.code, tc.contains)
		}
	}
}

// TestServeWithTelegram runs the service with a config that points the
// Telegram channel at a local Bot API server: the real wiring, nothing
// patched.
func TestServeWithTelegram(t *testing.T) {
	api := telegramtest.NewServer("42:abc")
	defer api.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "office.yaml")
	cfg := append(office.DemoConfigYAML(), []byte("\ntelegram:\n  token: \"42:abc\"\n  api_url: "+api.URL+"\n  poll_timeout: 2s\n")...)
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--config", cfgPath, "--data", filepath.Join(dir, "bb.db"), "--listen", "127.0.0.1:0"}, &stderr, &stderr)
	}()
	api.Text(77, "de", "/start")
	if _, err := api.WaitFor(77, 0, 10*time.Second, func(s telegramtest.Sent) bool { return strings.Contains(s.Text, "Terminassistent") }); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
}

func TestConfigWithChannels(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "office.yaml")
	os.WriteFile(path, append(office.DemoConfigYAML(), []byte("\ntelegram:\n  tokn: x\n  webhook_url: https://x.example/hook\n")...), 0o600)
	var out bytes.Buffer
	if code := run(context.Background(), []string{"check-config", path}, &out, &out); code != 1 || !strings.Contains(out.String(), `telegram.tokn: unknown field "tokn"`) {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	os.WriteFile(path, append(office.DemoConfigYAML(), []byte("\ntelegram:\n  webhook_url: https://x.example/hook\n")...), 0o600)
	out.Reset()
	if code := run(context.Background(), []string{"check-config", path}, &out, &out); code != 1 || !strings.Contains(out.String(), "telegram.webhook_secret: is required") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

// TestServeWithEmail runs the service with the e-mail channel pointed at
// local IMAP and SMTP servers.
func TestServeWithEmail(t *testing.T) {
	imapSrv, err := mailtest.NewIMAP("bb", "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer imapSrv.Close()
	smtpSrv, err := mailtest.NewSMTP(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer smtpSrv.Close()
	ih, ip, _ := net.SplitHostPort(imapSrv.Addr)
	sh, sp, _ := net.SplitHostPort(smtpSrv.Addr)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "office.yaml")
	section := "\nemail:\n  address: buergerbuero@musterstadt.example\n  name: Bürgerbüro\n  poll_interval: 500ms\n  auth_serv_id: " + mailtest.AuthServID + "\n" +
		"  imap: {host: " + ih + ", port: " + ip + ", security: none, username: bb}\n" +
		"  smtp: {host: " + sh + ", port: " + sp + ", security: none}\n"
	os.WriteFile(cfgPath, append(office.DemoConfigYAML(), section...), 0o600)
	t.Setenv("BUERGERBUERO_IMAP_PASSWORD", "pw") // the password from the environment
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--config", cfgPath, "--data", filepath.Join(dir, "bb.db"), "--listen", "127.0.0.1:0"}, &stderr, &stderr)
	}()
	raw, _ := mailtest.CitizenMail("anna@example.org", "Frage", "", "Wann haben Sie geöffnet?")
	imapSrv.Deliver(raw)
	m, err := smtpSrv.Wait(0, 15*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(m.Body, "Mo: 08:00-12:30") || m.To != "anna@example.org" {
		t.Fatalf("answer to %s:\n%s", m.To, m.Body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
}

// TestServeWithMattermost runs the service with the staff bot pointed at a
// local Mattermost API and sends it a slash command over HTTP.
func TestServeWithMattermost(t *testing.T) {
	mm := mattermosttest.New("bot-token", "leitstelle")
	defer mm.Close()
	anna := mm.AddUser("anna")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "office.yaml")
	section := "\nmattermost:\n  url: " + mm.URL + "\n  public_url: http://127.0.0.1\n  team: buergerbuero\n  staff_channel: leitstelle\n  staff_users: [anna]\n"
	os.WriteFile(cfgPath, append(alwaysOpenDemo(t), section...), 0o600)
	t.Setenv("BUERGERBUERO_MATTERMOST_TOKEN", "bot-token")
	t.Setenv("BUERGERBUERO_MATTERMOST_COMMAND_TOKEN", "cmd-token")
	t.Setenv("BUERGERBUERO_MATTERMOST_ACTION_SECRET", "a-long-enough-action-secret")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--config", cfgPath, "--data", filepath.Join(dir, "bb.db"), "--listen", "127.0.0.1:0"}, &stderr, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	var addr []string
	for addr == nil {
		addr = regexp.MustCompile(`listen=(\S+)`).FindStringSubmatch(stderr.String())
		if time.Now().After(deadline) {
			t.Fatalf("not started:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	body := slashOnceConnected(t, "http://"+addr[1], anna, "anna", mm.ChannelID("leitstelle"), "walkin meldebescheinigung")
	if !strings.Contains(body, "Wartenummer **W-001**") {
		t.Fatalf("slash command answer: %s\n%s", body, stderr.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
}

// TestOperations: health, readiness, metrics, the admin pages behind the
// password, a hot backup from the running service, and the CSV export.
func TestOperations(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "bb.db")
	t.Setenv("BUERGERBUERO_ADMIN_PASSWORD", "correct horse battery")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"--data", data, "--listen", "127.0.0.1:0"}, &stderr, &stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	var m []string
	for m == nil {
		m = regexp.MustCompile(`listen=(\S+)`).FindStringSubmatch(stderr.String())
		if time.Now().After(deadline) {
			t.Fatalf("not started:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	base := "http://" + m[1]
	get := func(path, user, pass string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	for _, c := range []struct {
		path, user, pass string
		status           int
		contains         string
	}{
		{"/healthz", "", "", 200, "ok"},
		{"/readyz", "", "", 200, "ready"},
		{"/metrics", "", "", 200, "buergerbuero_queue_length"},
		{"/admin/stats/", "", "", 401, "log in"},
		{"/admin/stats/", "admin", "wrong", 401, "log in"},
		{"/admin/stats/", "mallory", "correct horse battery", 401, "log in"},
		{"/admin/backup", "", "", 401, "log in"},
		{"/admin/stats/", "admin", "correct horse battery", 200, "<svg"},
		{"/admin/stats/periods.csv?from=2026-11-01&to=2026-11-30", "admin", "correct horse battery", 200, "period,appointments,walk_ins"},
		{"/admin/stats/?from=gestern", "admin", "correct horse battery", 400, "not a date"},
	} {
		status, body := get(c.path, c.user, c.pass)
		if status != c.status || !strings.Contains(body, c.contains) {
			t.Errorf("GET %s as %q: %d %.80q, want %d with %q", c.path, c.user, status, body, c.status, c.contains)
		}
	}
	// A hot backup while the service holds the file.
	out := filepath.Join(dir, "backup.db")
	var buf bytes.Buffer
	if code := run(context.Background(), []string{"backup", "--data", data, "--url", base, out}, &buf, &buf); code != 0 {
		t.Fatalf("backup: %s", buf.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	// The backup is a store: the export reads it.
	buf.Reset()
	if code := run(context.Background(), []string{"stats", "export", "--from", "2026-11-01", "--to", "2026-11-30", "--table", "hours", "--data", out}, &buf, &buf); code != 0 ||
		!strings.HasPrefix(buf.String(), "hour,appointments,walk_ins,wait_n") {
		t.Fatalf("export from the backup: %d %s", code, buf.String())
	}
	buf.Reset()
	if code := run(context.Background(), []string{"stats", "export", "--from", "2026-11-30", "--to", "2026-11-01", "--data", out}, &buf, &buf); code != 1 || !strings.Contains(buf.String(), "must be dates") {
		t.Fatalf("a bad span: %d %s", code, buf.String())
	}
}

// A small hostile config (nested aliases, deep brackets) is refused by
// check-config and by serve at once, with the line, not run out of memory.
func TestConfigBombsAreRefusedByBothCommands(t *testing.T) {
	dir := t.TempDir()
	var bomb strings.Builder
	bomb.WriteString("defs:\n  - &a0 [personalausweis]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&bomb, "  - &a%d [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 10), ","))
	}
	bomb.WriteString("walk_ins:\n  contingents:\n    - {name: x, concerns: *a9, per_day: 1}\n")
	for name, data := range map[string]string{
		"aliases.yaml":  bomb.String(),
		"brackets.yaml": "office:\n  name: " + strings.Repeat("[", 200_000) + "\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"check-config", path}, {"--config", path, "--data", filepath.Join(dir, "bb.db"), "--listen", "127.0.0.1:0"}} {
			var out bytes.Buffer
			start := time.Now()
			code := run(context.Background(), args, &out, &out)
			if code != 1 || !strings.Contains(out.String(), "line ") || time.Since(start) > 2*time.Second {
				t.Errorf("%v: exit %d after %v:\n%.300s", args, code, time.Since(start), out.String())
			}
		}
	}
}

// The demo's well-known passwords open the staff pages only while the
// service listens on loopback; on any other address each page gets a random
// password, printed once, and "demo" is refused.
func TestDemoPasswordsOnlyOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		listen   string
		demoOpen bool
	}{{"127.0.0.1:0", true}, {"0.0.0.0:0", false}} {
		t.Run(tc.listen, func(t *testing.T) {
			t.Chdir(t.TempDir())
			base, stderr, _ := serveUntil(t, "--listen", tc.listen)
			get := func(user, pw string) int { return staffCall(t, "GET", base+"/counter/api/state", user, pw, "") }
			if got := get("counter", "demo") == http.StatusOK; got != tc.demoOpen {
				t.Fatalf("'demo' opens the counter page: %v, want %v\n%s", got, tc.demoOpen, stderr.String())
			}
			if tc.demoOpen {
				return
			}
			printed := regexp.MustCompile(`demo password for user counter: (\S+)`).FindStringSubmatch(stderr.String())
			if printed == nil || len(printed[1]) < 12 {
				t.Fatalf("no random password printed:\n%s", stderr.String())
			}
			if code := get("counter", printed[1]); code != http.StatusOK {
				t.Errorf("the printed password: %d", code)
			}
		})
	}
}

func TestWeakStaffPasswordsAreRefused(t *testing.T) {
	for pw, weak := range map[string]bool{"x": true, "demo": true, "aaaaaaaaaaaaaaaa": true, "MeinPasswort2026!": true,
		"buergerbuero-2026": true, "Kaffee-Tasse-Ampel-7": false} {
		if got := weakPassword(pw) != ""; got != weak {
			t.Errorf("weakPassword(%q) = %q", pw, weakPassword(pw))
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "office.yaml")
	os.WriteFile(path, append(office.DemoConfigYAML(), []byte("\ncounter:\n  password: x\nhttp:\n  trusted_proxies: [proxy.example]\n")...), 0o600)
	var out bytes.Buffer
	if code := run(context.Background(), []string{"check-config", path}, &out, &out); code != 1 ||
		!strings.Contains(out.String(), "counter.password: needs at least 12 characters") || !strings.Contains(out.String(), "http.trusted_proxies[0]") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

// chatClient is an HTTP client with a web chat session (its proof of work
// done) at the chat's base URL.
func chatClient(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	startChatSession(t, c, base)
	return c
}

// startChatSession does the proof of work for a session of the web chat at
// base, the cookie going into c's jar, and returns the cookies as set. It
// reports failures with t.Error, so it may run in any goroutine.
func startChatSession(t *testing.T, c *http.Client, base string) []*http.Cookie {
	t.Helper()
	res, err := c.Get(base + "api/challenge")
	if err != nil {
		t.Error(err)
		return nil
	}
	var ch struct {
		Challenge string `json:"challenge"`
		Bits      int    `json:"bits"`
	}
	json.NewDecoder(res.Body).Decode(&ch)
	res.Body.Close()
	body, _ := json.Marshal(map[string]string{"challenge": ch.Challenge, "nonce": webgate.Solve(ch.Challenge, ch.Bits)})
	res, err = c.Post(base+"api/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return nil
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("session: %d", res.StatusCode)
	}
	return res.Cookies()
}

// Every page the service serves refuses to be framed, and every staff
// action refuses a cross-site request even with the clerk's login: the
// wiring in serve, page by page.
func TestEveryPageIsGuarded(t *testing.T) {
	t.Chdir(t.TempDir())
	base, _ := startService(t, "--listen", "127.0.0.1:0")
	do := func(method, path, user string, header map[string]string) *http.Response {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{"counter":"1","concern":"meldebescheinigung","id":1,"action":"done"}`))
		if user != "" {
			req.SetBasicAuth(user, "demo")
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for path, user := range map[string]string{"/chat/": "", "/display/": "", "/counter/": "counter", "/kiosk/": "kiosk", "/admin/stats/": "admin"} {
		res := do("GET", path, user, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: %d, CSP %q, XFO %q", path, res.StatusCode, res.Header.Get("Content-Security-Policy"), res.Header.Get("X-Frame-Options"))
		}
	}
	// The booking page may be framed by the town's sites only (none are
	// configured here: by itself only); the API refuses another origin.
	if res := do("GET", "/book/", "", nil); res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'self'") ||
		res.Header.Get("X-Frame-Options") != "" {
		t.Errorf("/book/: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	if res := do("GET", "/api/v1/offices", "", nil); res.StatusCode != http.StatusOK {
		t.Errorf("/api/v1/offices: %d", res.StatusCode)
	}
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "Content-Type": "application/json"}
	if res := do("POST", "/api/v1/sessions", "", crossSite); res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("cross-site POST to the API: %d, ACAO %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	simple := map[string]string{"Content-Type": "text/plain"}
	for path, user := range map[string]string{"/counter/api/next": "counter", "/counter/api/act": "counter", "/kiosk/api/ticket": "kiosk"} {
		if res := do("POST", path, user, crossSite); res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d", path, res.StatusCode)
		}
		if res := do("POST", path, user, simple); res.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain POST %s: %d", path, res.StatusCode)
		}
	}
	if res := do("POST", "/kiosk/api/ticket", "kiosk", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}); res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusUnsupportedMediaType {
		t.Errorf("the kiosk page's own request: %d", res.StatusCode)
	}
}

// staffCall sends a staff page's request with a login and returns the
// status; a body is sent as JSON.
func staffCall(t *testing.T, method, url, user, password, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, password)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// startService runs the service with args until the test ends, once it has
// said it started, and returns its base URL and its log.
func startService(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	base, log, _ := serveUntil(t, args...)
	return base, log
}

// serveUntil runs the service with args until stop is called (or the test
// ends), once it has said it started, and returns its base URL and log.
func serveUntil(t *testing.T, args ...string) (string, *syncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan int)
	go func() { done <- run(ctx, args, stderr, stderr) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "buergerbuero started") {
		if time.Now().After(deadline) {
			t.Fatalf("not started:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	listen := regexp.MustCompile(`listen=(\S+)`).FindStringSubmatch(stderr.String())
	return "http://" + strings.Replace(listen[1], "0.0.0.0", "127.0.0.1", 1), stderr, stop
}

// -h and --help show every subcommand and exit 0; a subcommand's -h shows
// its flags and exits 0 too.
func TestHelpListsEverySubcommand(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		var out bytes.Buffer
		if code := run(context.Background(), args, &out, &out); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, sub := range []string{"serve", "check-config", "backup", "stats export", "help"} {
			if !strings.Contains(out.String(), "buergerbuero "+sub) && !strings.Contains(out.String(), "buergerbuero ["+sub) {
				t.Errorf("%v: %q not listed:\n%s", args, sub, out.String())
			}
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"serve", "-h"}, &out, &out); code != 0 || !strings.Contains(out.String(), "Usage of serve") {
		t.Errorf("serve -h: exit %d\n%s", code, out.String())
	}
}

// One run of check-config lists unknown fields and wrong values together.
func TestCheckConfigListsEveryKindOfProblemAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "office.yaml")
	data := strings.Replace(string(office.DemoConfigYAML()), "  timezone: Europe/Berlin", "  timezone: Europe/Berlin\n  colour: blue", 1)
	data = strings.Replace(data, "    minutes: 15\n", "    minutes: 0\n", 1)
	os.WriteFile(path, []byte(data), 0o600)
	var out bytes.Buffer
	code := run(context.Background(), []string{"check-config", path}, &out, &out)
	if code != 1 || !strings.Contains(out.String(), `office.colour: unknown field "colour"`) || !strings.Contains(out.String(), "concerns[0].minutes: must be between 1 and 480, not 0") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

// The README's walk-through of the demo, as a test: with no config the
// day already has people waiting, "Nächste Person aufrufen" on the clerks'
// page calls one, the foyer display shows the call, and the statistics
// count the day.
func TestTheDemoWalkThrough(t *testing.T) {
	t.Chdir(t.TempDir())
	base, _ := startService(t, "--listen", "127.0.0.1:0")
	do := func(method, path, user, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.SetBasicAuth(user, "demo")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(out)
	}
	if _, state := do("GET", "/counter/api/state", "counter", ""); !strings.Contains(state, "Demo: ") {
		t.Fatalf("nobody waiting in the demo:\n%s", state)
	}
	events, err := http.Get(base + "/display/events")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Body.Close()
	status, called := do("POST", "/counter/api/next", "counter", `{"counter":"1"}`)
	number := regexp.MustCompile(`"number":"([TW]-\d+)"`).FindStringSubmatch(called)
	if status != http.StatusOK || number == nil {
		t.Fatalf("Nächste Person aufrufen: %d %s", status, called)
	}
	seen := make(chan bool, 1)
	go func() {
		buf := make([]byte, 0, 1<<16)
		chunk := make([]byte, 4096)
		for {
			n, err := events.Body.Read(chunk)
			buf = append(buf, chunk[:n]...)
			if strings.Contains(string(buf), `"number":"`+number[1]+`"`) {
				seen <- true
				return
			}
			if err != nil {
				seen <- false
				return
			}
		}
	}()
	select {
	case ok := <-seen:
		if !ok {
			t.Fatal("the display stream ended without the call")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the display did not show the call")
	}
	if status, page := do("GET", "/admin/stats/", "admin", ""); status != http.StatusOK || !regexp.MustCompile(`ohne Termin<b>[1-9]`).MatchString(page) {
		t.Fatalf("stats page: %d", status)
	}
}

// alwaysOpenDemo is the demo office open every hour of every day, for
// tests of a running service that hands out numbers now, whenever "now" is.
func alwaysOpenDemo(t *testing.T) []byte {
	t.Helper()
	yaml := string(office.DemoConfigYAML())
	start, end := strings.Index(yaml, "opening_hours:"), strings.Index(yaml, "booking:")
	if start < 0 || end < start {
		t.Fatal("demo config without opening_hours and booking sections")
	}
	var open strings.Builder
	open.WriteString("opening_hours:\n")
	for _, day := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		open.WriteString("  " + day + ": [\"00:00-23:59\"]\n")
	}
	open.WriteString("\nclosed:\n  public_holidays: false\n\n")
	return []byte(yaml[:start] + open.String() + yaml[end:])
}

// A town's file with two offices is checked office by office and served:
// each office has its own display, kiosk and store, with its own numbers;
// the channels for the whole town wait for the dialogue's "where?" step.
func TestTwoOfficesCheckedAndServed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "town.yaml")
	week := "\n"
	for _, day := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		week += "      " + day + `: ["00:00-23:59"]` + "\n"
	}
	town := `office: {name: Bürgerbüros Musterstadt, timezone: Europe/Berlin, state: NW}
concerns: [{id: ausweis, name: {de: Personalausweis}, minutes: 15}, {id: melde, name: {de: Meldebescheinigung}, minutes: 5}]
closed: {public_holidays: false}
offices:
  - id: mitte
    office: {name: Bürgerbüro Mitte}
    counters: [{id: "1"}, {id: "2"}]
    opening_hours:` + week + `  - id: ohligs
    office: {name: Bürgerbüro Ohligs}
    counters: [{id: "1"}]
    concerns: [{id: melde}]
    opening_hours:` + week + `kiosk: {password: "Kiosk-Schluessel-Musterstadt"}
admin: {password: "Admin-Schluessel-Musterstadt"}
`
	api := telegramtest.NewServer("42:town")
	defer api.Close()
	telegram := "telegram: {token: \"42:town\", api_url: \"" + api.URL + "\", poll_timeout: 2s, messages_per_second: 1000, chat_messages_per_second: 1000, chat_burst: 100}\n"
	os.WriteFile(path, []byte(town+telegram), 0o600)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"check-config", path}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "2 offices: Bürgerbüro Mitte (2 counters, 2 concerns); Bürgerbüro Ohligs (1 counters, 1 concerns)") {
		t.Fatalf("check-config: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	withStaffBot := filepath.Join(dir, "town-mattermost.yaml")
	os.WriteFile(withStaffBot, []byte(town+"mattermost: {url: \"http://127.0.0.1:9\", public_url: \"http://127.0.0.1\", team: rathaus, staff_channel: leitstelle, staff_users: [anna]}\n"), 0o600)
	t.Setenv("BUERGERBUERO_MATTERMOST_TOKEN", "bot-token")
	t.Setenv("BUERGERBUERO_MATTERMOST_COMMAND_TOKEN", "cmd-token")
	t.Setenv("BUERGERBUERO_MATTERMOST_ACTION_SECRET", "a-long-enough-action-secret")
	if code := run(context.Background(), []string{"check-config", withStaffBot}, &out, &errOut); code == 0 ||
		!strings.Contains(errOut.String(), "office ohligs needs its staff channel") {
		t.Fatalf("check-config of a town's staff bot without the offices' channels: exit %d\n%s", code, errOut.String())
	}
	mm := mattermosttest.New("bot-token", "mitte-leitstelle", "ohligs-leitstelle")
	defer mm.Close()
	olga := mm.AddUser("olga")
	town += "mattermost: {url: \"" + mm.URL + "\", public_url: \"http://127.0.0.1\", team: buergerbuero, offices: {" +
		"mitte: {staff_channel: mitte-leitstelle, staff_users: [anna]}, ohligs: {staff_channel: ohligs-leitstelle, staff_users: [olga]}}}\n"
	os.WriteFile(path, []byte(town+telegram), 0o600) // now with the staff bot

	data := filepath.Join(dir, "bb.db")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--config", path, "--data", data, "--listen", "127.0.0.1:0"}, &stderr, &stderr)
	}()
	var addr []string
	for deadline := time.Now().Add(10 * time.Second); addr == nil; time.Sleep(10 * time.Millisecond) {
		addr = regexp.MustCompile(`listen=(\S+)`).FindStringSubmatch(stderr.String())
		if time.Now().After(deadline) {
			t.Fatalf("not started:\n%s", stderr.String())
		}
	}
	base := "http://" + addr[1]
	for _, office := range []string{"mitte", "ohligs"} {
		res, err := http.Get(base + "/display/" + office + "/")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("display of %s: %v %v", office, res, err)
		}
		res.Body.Close()
		req, _ := http.NewRequest(http.MethodPost, base+"/kiosk/"+office+"/api/ticket", strings.NewReader(`{"concern": "melde"}`))
		req.SetBasicAuth("kiosk", "Kiosk-Schluessel-Musterstadt")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "W-001") {
			t.Fatalf("walk-in at %s: %s %s", office, res.Status, body)
		}
	}
	// /metrics tells the offices apart: each office's walk-in and queue under its id.
	metricsPage, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scraped, _ := io.ReadAll(metricsPage.Body)
	metricsPage.Body.Close()
	for _, want := range []string{`buergerbuero_queue_length{office="mitte"} 1`, `buergerbuero_queue_length{office="ohligs"} 1`} {
		if !strings.Contains(string(scraped), want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, scraped)
		}
	}
	// Each office's statistics, and the town's with the offices side by side, behind the admin password.
	req, _ := http.NewRequest(http.MethodGet, base+"/admin/stats/town/", nil)
	req.SetBasicAuth("admin", "Admin-Schluessel-Musterstadt")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"Die Bürgerbüros im Vergleich", "Bürgerbüro Mitte", "Bürgerbüro Ohligs", "Stadt gesamt"} {
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("the town's statistics: %s, missing %q", res.Status, want)
		}
	}
	for _, office := range []string{"mitte", "ohligs"} {
		req, _ := http.NewRequest(http.MethodGet, base+"/admin/stats/"+office+"/", nil)
		req.SetBasicAuth("admin", "Admin-Schluessel-Musterstadt")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Bürgerbüro "+strings.ToUpper(office[:1])+office[1:]) {
			t.Fatalf("statistics of %s: %s\n%.300s", office, res.Status, body)
		}
	}
	// One staff bot for the town: olga's /bb acts at her office, Ohligs.
	answer := slashOnceConnected(t, base, olga, "olga", mm.ChannelID("ohligs-leitstelle"), "walkin melde")
	if !strings.Contains(answer, "Wartenummer **W-002**") {
		t.Fatalf("olga's walk-in at Ohligs: %s", answer)
	}
	// One Telegram bot for the town: it asks where, then books at that office.
	api.Text(7, "de", "Meldebescheinigung morgen 10 Uhr, Erika Mustermann")
	asked, err := api.WaitFor(7, 0, 10*time.Second, func(m telegramtest.Sent) bool { return strings.Contains(m.Text, "In welchem Bürgerbüro") })
	if err != nil {
		t.Fatalf("no question where: %v\n%s", err, stderr.String())
	}
	var where telegramtest.Sent
	var ohligs string
	for _, m := range asked {
		for _, b := range m.Buttons() {
			if strings.Contains(b.Text, "Ohligs") {
				where, ohligs = m, b.CallbackData
			}
		}
	}
	if ohligs == "" {
		t.Fatalf("no button for Ohligs in %+v", asked)
	}
	seen := len(api.Sent(7))
	api.Press(7, "de", where, ohligs)
	summary, err := api.WaitFor(7, seen, 10*time.Second, func(m telegramtest.Sent) bool { return strings.Contains(m.Text, "Bitte prüfen") })
	if err != nil {
		t.Fatalf("no summary after choosing Ohligs: %v %+v", err, api.Sent(7))
	}
	seen += len(summary)
	api.Text(7, "de", "ja")
	booked, err := api.WaitFor(7, seen, 10*time.Second, func(m telegramtest.Sent) bool { return strings.Contains(m.Text, "Wartenummer") })
	if err != nil {
		t.Fatalf("not booked: %v %+v", err, api.Sent(7))
	}
	var confirmation string
	for _, m := range booked {
		confirmation += m.Text
	}
	if !strings.Contains(confirmation, "Ort: Bürgerbüro Ohligs") {
		t.Fatalf("the confirmation does not name the office:\n%s", confirmation)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	file, err := storage.OpenFile(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	cfg, err := office.ParseConfig("town.yaml", []byte(town[:strings.Index(town, "kiosk:")]))
	if err != nil {
		t.Fatal(err)
	}
	for i, ns := range []string{"", "office/ohligs/"} {
		store, err := booking.New(storage.Shared(storage.Within(file, ns)), cfg.OfficeConfigs()[i], booking.Options{})
		if err != nil {
			t.Fatal(err)
		}
		today, err := store.DayBookings(context.Background(), time.Now())
		if err != nil || len(today) != 1+i || today[0].Number != "W-001" {
			t.Fatalf("office %d's store holds %+v (%v), want its kiosk's walk-in (and at Ohligs olga's)", i, today, err)
		}
		tomorrow, err := store.DayBookings(context.Background(), time.Now().AddDate(0, 0, 1))
		if want := i; err != nil || len(tomorrow) != want {
			t.Fatalf("office %d's store holds %d appointments tomorrow (%v), want %d: the Telegram booking is Ohligs'", i, len(tomorrow), err, want)
		}
	}
}

// slashOnceConnected sends "/bb text" as a clerk from channel to the
// service at base, again while the staff bot has not yet connected and
// learnt its staff (it refuses everybody until then), and returns the answer.
func slashOnceConnected(t *testing.T, base, userID, userName, channel, text string) string {
	t.Helper()
	var body []byte
	for range 100 {
		res, err := http.PostForm(base+"/mattermost/command", map[string][]string{"token": {"cmd-token"}, "user_id": {userID},
			"user_name": {userName}, "channel_id": {channel}, "text": {text}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), "vorbehalten") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return string(body)
}

// With http.metrics_token, /metrics answers only the bearer of the token.
func TestMetricsCanRequireAToken(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("BUERGERBUERO_METRICS_TOKEN", "a-long-metrics-token")
	base, _ := startService(t, "--listen", "127.0.0.1:0")
	for token, want := range map[string]int{"": http.StatusUnauthorized, "wrong": http.StatusUnauthorized, "a-long-metrics-token": http.StatusOK} {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("/metrics with token %q: %d, want %d", token, res.StatusCode, want)
		}
	}
}
