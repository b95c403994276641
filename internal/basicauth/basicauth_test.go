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

	"buergerbuero/internal/clientaddr"
)

func TestLoginsAreThrottledPerNetworkAndUser(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	addrs, _ := clientaddr.New([]string{"127.0.0.1"})
	g := NewGuard(addrs, slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return now })
	h := g.Require("buergerbuero counter", "counter", "a-long-staff-password", "off", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	try := func(client, password string) int {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "127.0.0.1:4000" // the reverse proxy
		req.Header.Set("X-Forwarded-For", client)
		req.SetBasicAuth("counter", password)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range FailuresPerNetwork {
		if code := try("198.51.100.7", "guess"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	if code := try("198.51.100.8", "a-long-staff-password"); code != http.StatusTooManyRequests {
		t.Errorf("the guessing network with the right password: %d, want 429", code)
	}
	if code := try("203.0.113.5", "a-long-staff-password"); code != http.StatusOK {
		t.Errorf("a clerk from another network: %d, want 200", code)
	}
	if !strings.Contains(logs.String(), "staff login throttled") || !strings.Contains(logs.String(), "198.51.100.0/24") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
	now = now.Add(Window)
	if code := try("198.51.100.8", "a-long-staff-password"); code != http.StatusOK {
		t.Errorf("after the window: %d, want 200", code)
	}
	// Guessing from many networks at one user is bounded too.
	for i := range FailuresPerUser {
		try(fmt.Sprintf("192.0.%d.1", i%10), "guess")
	}
	if code := try("203.0.113.5", "guess"); code != http.StatusTooManyRequests {
		t.Errorf("a distributed guess after %d failures: %d, want 429", FailuresPerUser, code)
	}
}
