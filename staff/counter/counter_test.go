package counter

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/conversation"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
)

func TestCounterPage(t *testing.T) {
	ctx := context.Background()
	store, _ := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	cfg := store.Config()
	calls, _ := callsystem.New(ctx, store, nil)
	w, _ := store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	srv := httptest.NewServer(New(cfg, calls, texts(t, store), []basicauth.Account{{User: "counter", Password: "counter-password"}}, nil, nil))
	defer srv.Close()
	do := func(method, path, body, pass string) (int, map[string]any) {
		t.Helper()
		return callAPI(t, srv.URL, method, path, body, pass, "")
	}
	if status, _ := do("POST", "/api/next", `{"counter":"1"}`, ""); status != http.StatusUnauthorized {
		t.Fatalf("without login: %d", status)
	}
	if status, _ := do("POST", "/api/next", `{"counter":"1"}`, "wrong"); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", status)
	}
	_, out := do("GET", "/api/state", "", "counter-password")
	if len(out["waiting"].([]any)) != 1 {
		t.Fatalf("state: %v", out)
	}
	status, out := do("POST", "/api/next", `{"counter":"2"}`, "counter-password")
	called, _ := out["called"].(map[string]any)
	if status != 200 || called["number"] != w.Number || called["counter"] != "Platz 2" {
		t.Fatalf("next: %d %v", status, out)
	}
	if _, out := do("POST", "/api/next", `{"counter":"1"}`, "counter-password"); !strings.Contains(out["message"].(string), "Niemand wartet") {
		t.Fatalf("nobody left: %v", out)
	}
	if status, out := do("POST", "/api/act", `{"id":1,"action":"done"}`, "counter-password"); status != 200 || out["booking"].(map[string]any)["status"] != "done" {
		t.Fatalf("done: %d %v", status, out)
	}
	for _, c := range []struct {
		body   string
		status int
	}{{`{"id":1,"action":"done"}`, http.StatusConflict}, {`{"id":1,"action":"explode"}`, http.StatusBadRequest},
		{`{"id":999,"action":"done"}`, http.StatusBadRequest}, {`nonsense`, http.StatusBadRequest}} {
		if status, out := do("POST", "/api/act", c.body, "counter-password"); status != c.status || out["error"] == "" {
			t.Errorf("%s: %d %v", c.body, status, out)
		}
	}
	if status, _ := do("POST", "/api/next", `{"counter":"99"}`, "counter-password"); status != http.StatusBadRequest {
		t.Errorf("unknown counter: %d", status)
	}
}

// texts is the real catalogue, the conversation engine's.
func texts(t *testing.T, store *booking.Store) Texts {
	t.Helper()
	e, err := conversation.New(store, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The page speaks the browser's language: its own labels, the statuses,
// and a line for every empty list.
func TestCounterPageSpeaksTheBrowsersLanguage(t *testing.T) {
	ctx := context.Background()
	store, _ := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	calls, _ := callsystem.New(ctx, store, nil)
	srv := httptest.NewServer(New(store.Config(), calls, texts(t, store), []basicauth.Account{{User: "counter", Password: "counter-password"}}, nil, nil))
	defer srv.Close()
	state := func(lang string) map[string]any {
		_, out := callAPI(t, srv.URL, "GET", "/api/state", "", "counter-password", lang)
		return out
	}
	for lang, want := range map[string][]string{
		"de-DE,de;q=0.9": {"Nächste Person aufrufen", "Gerade wartet niemand.", "Heute kommen keine weiteren Termine."},
		"en-GB,en;q=0.8": {"Call the next person", "Nobody is waiting right now.", "No more appointments today."},
	} {
		words := state(lang)["words"].(map[string]any)
		got := fmt.Sprint(words["PageCounterNext"], words["PageCounterNobodyWaiting"], words["PageCounterNoLater"])
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q missing in %s", lang, w, got)
			}
		}
	}
	store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	calls.Next(ctx, "1", "clerk")
	serving := state("en")["counters"].([]any)[0].(map[string]any)["serving"].(map[string]any)
	if serving["status_label"] != "called" || !strings.HasPrefix(serving["when"].(string), "since ") {
		t.Errorf("English serving entry: %v", serving)
	}
	serving = state("de")["counters"].([]any)[0].(map[string]any)["serving"].(map[string]any)
	if serving["status_label"] != "aufgerufen" || !strings.HasPrefix(serving["when"].(string), "seit ") {
		t.Errorf("German serving entry: %v", serving)
	}
}

// callAPI makes one request to the counter page's API as the browser would
// (JSON, basic auth when pass is set, the browser's language when lang is)
// and returns the status and the decoded answer.
func callAPI(t *testing.T, base, method, path, body, pass, lang string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if pass != "" {
		req.SetBasicAuth("counter", pass)
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil && res.StatusCode == http.StatusOK {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res.StatusCode, out
}
