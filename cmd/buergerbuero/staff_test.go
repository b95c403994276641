package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// One login per clerk: hash-password makes the hash (refusing a weak
// password), check-config checks accounts and an htpasswd file, and the
// audit trail names the clerk who called, not the page.
func TestEveryClerkHasALoginAndTheAuditNamesThem(t *testing.T) {
	var hash, out bytes.Buffer
	if err := hashPassword([]string{"anna"}, strings.NewReader("Anna-ihr-langes-Kennwort\n"), &hash, &out); err != nil {
		t.Fatal(err)
	}
	if err := hashPassword(nil, strings.NewReader("demo\n"), &out, &out); err == nil || !strings.Contains(err.Error(), "12 characters") {
		t.Errorf("a weak password was hashed: %v", err)
	}
	dir := t.TempDir()
	htpasswd := filepath.Join(dir, "counter.htpasswd")
	os.WriteFile(htpasswd, append([]byte("# clerks of the Bürgerbüro\n"), hash.Bytes()...), 0o600)
	cfgPath := filepath.Join(dir, "office.yaml")
	write := func(staff string) {
		os.WriteFile(cfgPath, append(alwaysOpenDemo(t), staff...), 0o600)
	}
	write("\ncounter:\n  accounts_file: " + htpasswd + "\n  accounts:\n    - {user: anna, password_hash: \"$2a$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa\"}\n    - {user: \"\", password_hash: x}\n")
	out.Reset()
	if code := run(context.Background(), []string{"check-config", cfgPath}, &out, &out); code != 1 ||
		!strings.Contains(out.String(), "counter.accounts[0]: user anna: the password_hash is not a bcrypt hash of cost 10") ||
		!strings.Contains(out.String(), `counter.accounts[1]: user "": a user name`) {
		t.Fatalf("check-config of bad accounts: %d\n%s", code, out.String())
	}
	write("\ncounter:\n  accounts_file: " + htpasswd + "\nkiosk:\n  password: Infotheke-am-Eingang-7\n")
	out.Reset()
	if code := run(context.Background(), []string{"check-config", cfgPath}, &out, &out); code != 0 {
		t.Fatalf("check-config: %d\n%s", code, out.String())
	}
	base, log, _ := serveUntil(t, "--config", cfgPath, "--data", filepath.Join(dir, "bb.db"), "--listen", "127.0.0.1:0")
	post := func(path, user, pw, body string) int { return staffCall(t, "POST", base+path, user, pw, body) }
	if code := post("/kiosk/api/ticket", "kiosk", "Infotheke-am-Eingang-7", `{"concern":"meldebescheinigung"}`); code != http.StatusOK {
		t.Fatalf("kiosk ticket: %d", code)
	}
	if code := post("/counter/api/next", "anna", "wrong-password-here", `{"counter":"1"}`); code != http.StatusUnauthorized {
		t.Errorf("anna with a wrong password: %d", code)
	}
	if code := post("/counter/api/next", "counter", "", `{"counter":"1"}`); code != http.StatusUnauthorized {
		t.Errorf("the shared login, which this office has not: %d", code)
	}
	if code := post("/counter/api/next", "anna", "Anna-ihr-langes-Kennwort", `{"counter":"1"}`); code != http.StatusOK {
		t.Fatalf("anna calls the next: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "actor=counter-page:anna") || !strings.Contains(log.String(), "actor=kiosk:kiosk") {
		if time.Now().After(deadline) {
			t.Fatalf("the audit trail does not name anna and the kiosk:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
