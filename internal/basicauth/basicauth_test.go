package basicauth

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"buergerbuero/internal/clientaddr"
)

// rig is a page behind a guard, reached through the office's proxy from
// any client address; it answers with the user it let through.
type rig struct {
	now  time.Time
	logs bytes.Buffer
	h    http.Handler
}

func newRig(t *testing.T, accounts ...Account) *rig {
	r := &rig{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	addrs, _ := clientaddr.New([]string{"127.0.0.1"})
	g := NewGuard(addrs, slog.New(slog.NewTextHandler(&r.logs, nil)), func() time.Time { return r.now })
	r.h = g.Require("buergerbuero counter", accounts, "off", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprint(w, User(req))
	}))
	return r
}

// try logs in as user from client; user "" sends password as a Bearer token.
func (r *rig) try(client, user, password string) (int, string) {
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "127.0.0.1:4000" // the reverse proxy
	req.Header.Set("X-Forwarded-For", client)
	if user != "" {
		req.SetBasicAuth(user, password)
	} else {
		req.Header.Set("Authorization", "Bearer "+password)
	}
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func hashOf(t *testing.T, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestLoginsAreThrottledPerNetwork(t *testing.T) {
	r := newRig(t, Account{User: "counter", Password: "a-long-staff-password"})
	for i := range FailuresPerNetwork {
		if code, _ := r.try("198.51.100.7", "counter", "guess"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	if code, _ := r.try("198.51.100.8", "counter", "a-long-staff-password"); code != http.StatusTooManyRequests {
		t.Errorf("the guessing network with the right password: %d, want 429", code)
	}
	if code, _ := r.try("203.0.113.5", "counter", "a-long-staff-password"); code != http.StatusOK {
		t.Errorf("a clerk from another network: %d, want 200", code)
	}
	if code, _ := r.try("203.0.113.5", "", "a-long-staff-password"); code != http.StatusOK {
		t.Errorf("the shared password as a Bearer token: %d, want 200", code)
	}
	if !strings.Contains(r.logs.String(), "staff login throttled") || !strings.Contains(r.logs.String(), "198.51.100.0/24") {
		t.Errorf("no warning logged:\n%s", r.logs.String())
	}
	r.now = r.now.Add(Window)
	if code, _ := r.try("198.51.100.8", "counter", "a-long-staff-password"); code != http.StatusOK {
		t.Errorf("after the window: %d, want 200", code)
	}
}

// Strangers guessing at a clerk from many networks cannot lock the clerk
// out: the clerk's right password from a network that has not guessed
// always works (even one where the clerk mistyped once before logging in);
// the guessing networks get no more tries at that user.
func TestStrangersCannotLockAClerkOut(t *testing.T) {
	r := newRig(t, Account{User: "anna", Hash: hashOf(t, "Anna-ihr-langes-Kennwort")}, Account{User: "counter", Password: "a-long-staff-password"})
	if code, _ := r.try("203.0.113.5", "anna", "Anna-ihr-langes-Kennwrt"); code != http.StatusUnauthorized { // a typo
		t.Fatalf("a typo: %d", code)
	}
	if code, user := r.try("203.0.113.5", "anna", "Anna-ihr-langes-Kennwort"); code != http.StatusOK || user != "anna" {
		t.Fatalf("anna's login: %d %q", code, user)
	}
	for i := range FailuresPerUser {
		r.try(fmt.Sprintf("192.0.%d.1", i%8), "anna", fmt.Sprintf("guess%d", i)) // 8 networks, under their own limit
	}
	r.now = r.now.Add(time.Second)
	for _, client := range []string{"203.0.113.5", "198.51.100.9", "2001:db8::1"} {
		if code, user := r.try(client, "anna", "Anna-ihr-langes-Kennwort"); code != http.StatusOK || user != "anna" {
			t.Errorf("anna from %s while strangers guess: %d %q, want 200", client, code, user)
		}
	}
	if code, _ := r.try("192.0.3.1", "anna", "Anna-ihr-langes-Kennwort"); code != http.StatusTooManyRequests {
		t.Errorf("a guessing network with anna's password: %d, want 429", code)
	}
	if code, user := r.try("192.0.3.1", "counter", "a-long-staff-password"); code != http.StatusOK || user != "counter" {
		t.Errorf("another user from a network under its own limit: %d %q", code, user)
	}
	if code, _ := r.try("203.0.113.5", "anna", "a-long-staff-password"); code != http.StatusUnauthorized {
		t.Errorf("the shared password for anna's account: %d, want 401", code)
	}
	if code, _ := r.try("203.0.113.5", "", "Anna-ihr-langes-Kennwort"); code != http.StatusUnauthorized {
		t.Errorf("a personal password as a Bearer token: %d, want 401", code)
	}
}

func TestHashes(t *testing.T) {
	strong, err := Hash("Anna-ihr-langes-Kennwort")
	if err != nil {
		t.Fatal(err)
	}
	for hash, ok := range map[string]bool{strong: true, hashOf(t, "x-long-password"): false, "plain-text": false, "": false} {
		if err := CheckHash(hash); (err == nil) != ok {
			t.Errorf("CheckHash(%.20q) = %v, want ok=%v", hash, err, ok)
		}
	}
}
