package kiosk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"buergerbuero/callsystem"
	"buergerbuero/conversation"
	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/browsertest"
	"buergerbuero/internal/storetest"
	"buergerbuero/staff/kiosk/escpos"
)

func setup(t *testing.T) *httptest.Server { return setupAt(t, 9, 0) }

// setupAt serves the kiosk on Tuesday 24.11.2026 (open 08:00-12:30) at hour:min.
func setupAt(t *testing.T, hour, min int) *httptest.Server { return setupWith(t, hour, min, nil) }

// setupWith is setupAt with a ticket printer.
func setupWith(t *testing.T, hour, min int, printer Printer) *httptest.Server {
	store, _ := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, hour, min))
	calls, _ := callsystem.New(context.Background(), store, nil)
	engine, err := conversation.New(store, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, calls, engine, printer, []basicauth.Account{{User: "kiosk", Password: "desk-password"}}, nil, nil))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, srv *httptest.Server, user, pass, body string) (int, map[string]any) {
	req, _ := http.NewRequest("POST", srv.URL+"/api/ticket", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestKioskAfterClosingTime(t *testing.T) {
	srv := setupAt(t, 12, 45)
	status, out := post(t, srv, "kiosk", "desk-password", `{"concern":"meldebescheinigung"}`)
	if status != http.StatusConflict || !strings.Contains(out["error"].(string), "keine Wartenummern mehr") {
		t.Fatalf("ticket after closing: %d %v", status, out)
	}
}

func TestKioskIssuesTickets(t *testing.T) {
	srv := setup(t)
	if status, _ := post(t, srv, "", "", `{"concern":"meldebescheinigung"}`); status != http.StatusUnauthorized {
		t.Fatalf("without login: %d", status)
	}
	if status, _ := post(t, srv, "kiosk", "guess", `{"concern":"meldebescheinigung"}`); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", status)
	}
	status, first := post(t, srv, "kiosk", "desk-password", `{"concern":"meldebescheinigung"}`)
	if status != 200 || first["number"] != "W-001" || first["ahead"].(float64) != 0 {
		t.Fatalf("ticket: %d %v", status, first)
	}
	_, second := post(t, srv, "kiosk", "desk-password", `{"concern":"meldebescheinigung"}`)
	if second["number"] != "W-002" || second["ahead"].(float64) != 1 {
		t.Fatalf("second ticket: %v", second)
	}
	for range 15 { // the Kfz contingent is 15 a day
		post(t, srv, "kiosk", "desk-password", `{"concern":"fahrzeug-abmelden"}`)
	}
	if status, out := post(t, srv, "kiosk", "desk-password", `{"concern":"fahrzeug-abmelden"}`); status != http.StatusConflict || !strings.Contains(out["error"].(string), "alle Wartenummern vergeben") {
		t.Fatalf("over the contingent: %d %v", status, out)
	}
	for _, body := range []string{`{"concern":"zauber"}`, `not json`} {
		if status, out := post(t, srv, "kiosk", "desk-password", body); status != http.StatusBadRequest || out["error"] == "" {
			t.Fatalf("%s: %d %v", body, status, out)
		}
	}
}

// TestKioskPageInChromium presses a concern on the page and reads the ticket.
func TestKioskPageInChromium(t *testing.T) {
	page := browsertest.Page(t, 1024, 768, 60*time.Second)
	srv := setup(t)
	if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("kiosk:desk-password"))
	if _, err := chromedp.Call(page, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(page, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth, "Accept-Language": "de-DE,de;q=0.9"}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(page, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(`button[data-concern="meldebescheinigung"]`),
		chromedp.Click(`button[data-concern="meldebescheinigung"]`), chromedp.WaitVisible("#ticket")); err != nil {
		t.Fatal(err)
	}
	number, _ := chromedp.Run(page, chromedp.Text("#ticket .number"))
	docs, _ := chromedp.Run(page, chromedp.Text("#ticket .docs"))
	wait, _ := chromedp.Run(page, chromedp.Text("#ticket .wait"))
	if number != "W-001" || !strings.Contains(docs, "Personalausweis oder Reisepass") || !strings.Contains(wait, "vor Ihnen") {
		t.Fatalf("ticket shows %q, %q, %q", number, docs, wait)
	}
	browsertest.NoViolations(t, page, "kiosk ticket")
	png, err := chromedp.Run(page, chromedp.FullScreenshot(100))
	if err == nil {
		browsertest.Keep(t, "kiosk-ticket.png", png)
	}
}

// With a ticket printer on the network the service prints the ticket
// (the page is told so and does not print); a printer that is off leaves
// the ticket to the page, the number issued all the same.
func TestTicketPrinter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	received := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		data, _ := io.ReadAll(conn)
		conn.Close()
		received <- data
	}()
	srv := setupWith(t, 9, 0, escpos.Network{Addr: ln.Addr().String()})
	status, out := post(t, srv, "kiosk", "desk-password", `{"concern":"meldebescheinigung"}`)
	if status != http.StatusOK || out["printed"] != true {
		t.Fatalf("ticket with a printer: %d %v", status, out)
	}
	select {
	case data := <-received:
		for _, want := range []string{out["number"].(string), "Ihre Wartenummer", "Bitte bereithalten:", "\x1dVB"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%q not on the printed ticket %q", want, data)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the printer")
	}
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	dead.Close()
	srv = setupWith(t, 9, 0, escpos.Network{Addr: dead.Addr().String(), Timeout: time.Second})
	status, out = post(t, srv, "kiosk", "desk-password", `{"concern":"meldebescheinigung"}`)
	if status != http.StatusOK || out["printed"] != false || out["number"] == "" {
		t.Fatalf("ticket with the printer off: %d %v, want the number, for the page to print", status, out)
	}
}
