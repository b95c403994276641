package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/webgate"
	"buergerbuero/office"
)

// forgeMAC signs body for purpose as the web chat does, under key: what a
// thief with that key could hand the service.
func forgeMAC(key []byte, purpose, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose + "\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// chatSays posts text to the web chat with c's session and returns the
// status.
func chatSays(t *testing.T, c *http.Client, chat, text string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	res, err := c.Post(chat+"api/message", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// With /admin/backup alone an attacker gets the data file, not the key
// file: a session cookie, a solved proof-of-work challenge and a mail
// thread proof signed with anything the backup yields are refused. After
// rotate-key and a restart, the sessions made before end cleanly (the
// page is told to start a new one) and a new one works.
func TestABackupForgesNothingAndRotationEndsSessionsCleanly(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "bb.db")
	base, _, stop := serveUntil(t, "--data", data, "--listen", "127.0.0.1:0")
	chat := base + "/chat/"
	citizen := chatClient(t, chat)
	if code := chatSays(t, citizen, chat, "Öffnungszeiten"); code != http.StatusOK {
		t.Fatalf("the citizen's own session: %d", code)
	}

	thief := openBackup(t, base, filepath.Join(dir, "stolen.db"))
	var keys [][]byte // every key the backup could give: what Secret derives there, and every 32 bytes stored under meta's secrets of old
	for _, name := range []string{"webchat", "email_thread", "mattermost_buttons"} {
		k, _ := thief.Secret(context.Background(), name)
		keys = append(keys, k)
	}
	thief.Close()
	u, _ := url.Parse(base)
	// The control: with the key file, the same forgery passes.
	serviceKey, err := booking.LoadKey(filepath.Join(dir, "buergerbuero.key"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, serviceKey)
	m.Write([]byte("buergerbuero secret v1\x00webchat"))
	withKey, _ := cookiejar.New(nil)
	id := strings.Repeat("f", 32)
	withKey.SetCookies(u, []*http.Cookie{{Name: "bb_chat", Value: id + "." + forgeMAC(m.Sum(nil), "chat", id), Path: "/"}})
	if code := chatSays(t, &http.Client{Jar: withKey}, chat, "Öffnungszeiten"); code != http.StatusOK {
		t.Fatalf("a session signed with the key file's key: %d; the forgeries below would prove nothing", code)
	}
	for i, key := range keys {
		// A forged session cookie.
		jar, _ := cookiejar.New(nil)
		id := strings.Repeat(strconv.Itoa(i), 32)
		jar.SetCookies(u, []*http.Cookie{{Name: "bb_chat", Value: id + "." + forgeMAC(key, "chat", id), Path: "/"}})
		if code := chatSays(t, &http.Client{Jar: jar}, chat, "Termin absagen"); code != http.StatusUnauthorized {
			t.Errorf("a session forged with key %d of the backup: %d, want 401", i, code)
		}
		// A challenge made up and solved without the service's key.
		body := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10) + ".00112233445566778899aabb"
		challenge := body + "." + forgeMAC(key, "challenge", body)
		sol, _ := json.Marshal(map[string]string{"challenge": challenge, "nonce": webgate.Solve(challenge, 20)})
		res, err := http.Post(chat+"api/session", "application/json", bytes.NewReader(sol))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("a challenge forged with key %d of the backup: %d, want 403", i, res.StatusCode)
		}
	}
	stop()

	// A new key, a restart: the old session ends with "start a new one",
	// a new session works.
	var out bytes.Buffer
	if code := run(context.Background(), []string{"rotate-key", "--data", data}, &out, &out); code != 0 || !strings.Contains(out.String(), "2 in all") {
		t.Fatalf("rotate-key: %d %s", code, out.String())
	}
	base, _, stop = serveUntil(t, "--data", data, "--listen", "127.0.0.1:0")
	defer stop()
	chat = base + "/chat/"
	old := citizen.Jar.Cookies(u)
	jar, _ := cookiejar.New(nil)
	nu, _ := url.Parse(base)
	jar.SetCookies(nu, old)
	body, _ := json.Marshal(map[string]string{"text": "Öffnungszeiten"})
	res, err := (&http.Client{Jar: jar}).Post(chat+"api/message", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Session string `json:"session"`
	}
	json.NewDecoder(res.Body).Decode(&answer)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || answer.Session != "needed" {
		t.Errorf("a session from before the rotation: %d %+v, want 401 asking for a new session", res.StatusCode, answer)
	}
	if code := chatSays(t, chatClient(t, chat), chat, "Öffnungszeiten"); code != http.StatusOK {
		t.Errorf("a new session after the rotation: %d", code)
	}
}

// openBackup downloads the backup as the admin page hands it out (the
// demo's admin password on loopback) to path and opens it as the demo
// office's store, closed when the test ends.
func openBackup(t *testing.T, base, path string) *booking.Store {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/admin/backup", nil)
	req.SetBasicAuth("admin", "demo")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("backup: %v %v", res, err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	res.Body.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := office.DemoConfig()
	s, err := booking.Open(path, cfg, booking.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
