package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// chatReply posts text to the web chat with c's session and returns the
// replies' texts.
func chatReply(t *testing.T, c *http.Client, chat, text string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	res, err := c.Post(chat+"api/message", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Replies []struct {
			Text string `json:"text"`
		} `json:"replies"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	var b strings.Builder
	for _, r := range out.Replies {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

// A citizen asks the office to delete their data: the admin's erase
// (POST /admin/erase, JSON, the admin's login) cancels their booking still
// to come, clears its name, e-mail address and chat, and drops what the
// dialogue kept of the chat; a backup taken after holds none of it.
func TestEraseOnRequest(t *testing.T) {
	dir := t.TempDir()
	base, log := startService(t, "--data", filepath.Join(dir, "bb.db"), "--listen", "127.0.0.1:0")
	chat := base + "/chat/"
	citizen := chatClient(t, chat)
	chatReply(t, citizen, chat, "Meldebescheinigung am Montag um 10 Uhr")
	chatReply(t, citizen, chat, "Erika Löschmich")
	out := chatReply(t, citizen, chat, "ja")
	number := regexp.MustCompile(`Wartenummer: (T-\d+)`).FindStringSubmatch(out)
	if number == nil {
		t.Fatalf("not booked:\n%s", out)
	}
	chatReply(t, citizen, chat, "Ich brauche noch einen Reisepass") // a dialogue under way, kept for the chat
	erase := func(body string) (int, erasedAnswer) {
		req, _ := http.NewRequest("POST", base+"/admin/erase", strings.NewReader(body))
		req.SetBasicAuth("admin", "demo")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out erasedAnswer
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	if code, _ := erase(`{}`); code != http.StatusBadRequest {
		t.Fatalf("an erase naming nobody: %d", code)
	}
	code, got := erase(`{"number": "` + strings.ToLower(number[1]) + `"}`) // the web chat knows no address: the number (the office checked the PIN)
	if code != http.StatusOK || got.Bookings != 1 || got.Cancelled != 1 || got.Records < 1 {
		t.Fatalf("erase: %d %+v, want the one booking cancelled and its chat's records gone", code, got)
	}
	if !strings.Contains(log.String(), "erased on request") || strings.Contains(log.String(), "Löschmich") {
		t.Fatalf("the audit line is missing, or names the citizen:\n%s", log.String())
	}
	// A backup now holds neither name nor address.
	s := openBackup(t, base, filepath.Join(dir, "copy.db"))
	held, _, err := s.ActiveHeld(t.Context(), "", "")
	if err != nil || held.Bookings != 0 {
		t.Fatalf("held after the erase: %+v %v", held, err)
	}
	all, err := s.Between(t.Context(), s.Now().AddDate(0, 0, -1), s.Now().AddDate(0, 0, 30))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		if strings.Contains(b.Name, "Löschmich") {
			t.Fatalf("booking %s keeps %q %q", b.Number, b.Name, b.Email)
		}
	}
}
