package webbooking

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/internal/storetest"
	"buergerbuero/internal/webgate"
	"buergerbuero/office"
)

// mailbox is the mail channel as the engine sees it: what it sent, by address.
type mailbox struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (m *mailbox) Send(_ context.Context, to string, replies []conversation.Reply) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range replies {
		m.sent[to] = append(m.sent[to], r.Text)
	}
	return nil
}

// rig is the web booking over one office, served as cmd/ serves it.
type rig struct {
	srv    *httptest.Server
	engine *conversation.Engine
	store  *booking.Store
	clock  *fakeclock.Clock
	mail   *mailbox
	spec   *specChecker
}

func newRig(t *testing.T, origins ...string) *rig {
	t.Helper()
	s, clock := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	e, err := conversation.New(s, conversation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mail := &mailbox{sent: map[string][]string{}}
	e.Register(conversation.MailChannel, mail)
	wb, err := New([]Office{{ID: "main", Desk: e.Form(), Waits: func(context.Context) ([]Wait, error) { return []Wait{{"Ausweise", 25}}, nil }}},
		nil, Options{Secret: []byte("a test secret of some length"), WorkBits: 8, Origins: origins, SendsMail: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", wb.API()))
	mux.Handle("/book/", http.StripPrefix("/book", wb.Page()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &rig{srv: srv, engine: e, store: s, clock: clock, mail: mail, spec: newSpecChecker(t, srv.URL)}
}

// specChecker validates every answer of the API against openapi.yaml with
// kin-openapi, and notes which operations and statuses were seen.
type specChecker struct {
	t      *testing.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool // operationId -> answered
}

func newSpecChecker(t *testing.T, base string) *specChecker {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: base + "/api/v1"}}
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specChecker{t: t, router: router, seen: map[string]bool{}}
}

// check validates the answer res (its body already read) to req.
func (c *specChecker) check(req *http.Request, res *http.Response, body []byte) {
	c.t.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusForbidden {
			return // a path the API does not have, or refused before it (CORS)
		}
		c.t.Fatalf("%s %s is not in openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: in.Options}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Fatalf("%s %s answered %d outside openapi.yaml: %v\n%s", req.Method, req.URL.Path, res.StatusCode, err, body)
	}
	c.mu.Lock()
	c.seen[route.Operation.OperationID] = true
	c.mu.Unlock()
}

// citizen is one API client with its session.
type citizen struct {
	t     *testing.T
	r     *rig
	token string
	lang  string
	hdr   map[string]string
}

func (r *rig) citizen(t *testing.T) *citizen {
	c := &citizen{t: t, r: r, lang: "de"}
	var ch struct {
		Challenge string
		Bits      int
	}
	c.do("GET", "/challenge", nil, http.StatusOK, &ch)
	var s struct{ Token string }
	c.do("POST", "/sessions", map[string]string{"challenge": ch.Challenge, "nonce": webgate.Solve(ch.Challenge, ch.Bits)}, http.StatusCreated, &s)
	c.token = s.Token
	return c
}

// do sends a request to the API and decodes its answer into out, failing
// unless the status is want.
func (c *citizen) do(method, path string, in any, want int, out any) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.r.srv.URL+"/api/v1"+path, body)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept-Language", c.lang)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	c.r.spec.check(req, res, data)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

type timesAnswer struct {
	Office  string
	Minutes int
	Days    []struct {
		Date  string
		Times []struct {
			Start time.Time
			Label string
		}
	}
}

type bookingAnswer struct {
	Office, Number, Status, When, Place, PIN, Text, Calendar string
	Start                                                    time.Time
	Minutes                                                  int
	Documents                                                []string
}

// The whole API as a town's website uses it, every answer checked against
// openapi.yaml: a booking with its hold, its status, a move, a cancel, the
// mail copies from the outbox, and the problems a citizen can run into.
func TestAPIBooksMovesCancelsWithinTheSpec(t *testing.T) {
	r := newRig(t)
	anna := r.citizen(t)

	var offices struct{ Offices []struct{ ID, Name string } }
	anna.do("GET", "/offices", nil, http.StatusOK, &offices)
	if len(offices.Offices) != 1 || offices.Offices[0].ID != "main" {
		t.Fatalf("offices: %+v", offices)
	}
	var concerns struct {
		Concerns []struct {
			ID        string
			Minutes   int
			Documents []string
			Fee       string
		}
	}
	anna.do("GET", "/offices/main/concerns", nil, http.StatusOK, &concerns)
	if len(concerns.Concerns) < 5 || len(concerns.Concerns[0].Documents) == 0 || concerns.Concerns[0].Fee == "" {
		t.Fatalf("concerns: %+v", concerns)
	}
	var times timesAnswer
	anna.do("GET", "/offices/main/times?concerns=personalausweis,reisepass&from=2026-11-25&to=2026-11-27", nil, http.StatusOK, &times)
	minutes := map[string]int{}
	for _, c := range concerns.Concerns {
		minutes[c.ID] = c.Minutes
	}
	sum := minutes["personalausweis"] + minutes["reisepass"]
	if times.Minutes != sum || len(times.Days) == 0 || times.Days[0].Date != "2026-11-25" || len(times.Days[0].Times) == 0 {
		t.Fatalf("times: %+v", times)
	}
	start := times.Days[0].Times[0].Start
	pick := []map[string]any{{"id": "personalausweis", "count": 1}, {"id": "reisepass", "count": 1}}

	var held struct{ Until time.Time }
	anna.do("POST", "/offices/main/holds", map[string]any{"concerns": pick, "start": start}, http.StatusCreated, &held)
	if !held.Until.After(r.clock.Now()) {
		t.Fatalf("hold until %v", held.Until)
	}
	bert := r.citizen(t)

	var booked bookingAnswer
	anna.do("POST", "/offices/main/bookings", map[string]any{"concerns": pick, "start": start, "name": "Anna Beispiel", "email": "anna@example.org"},
		http.StatusCreated, &booked)
	if booked.Number == "" || len(booked.PIN) != booking.PINDigits || !booked.Start.Equal(start) || booked.Minutes != sum ||
		len(booked.Documents) == 0 || !strings.Contains(booked.Calendar, "BEGIN:VCALENDAR") || !strings.Contains(booked.Text, booked.PIN) {
		t.Fatalf("booked: %+v", booked)
	}
	if err := r.engine.DeliverOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.mail.sent["anna@example.org"], "\n"); !strings.Contains(got, booked.PIN) || !strings.Contains(got, booked.Number) {
		t.Fatalf("the copy by mail: %q", got)
	}
	// One appointment per person (demo office): a second one is refused.
	anna.do("POST", "/offices/main/bookings", map[string]any{"concerns": pick, "start": times.Days[0].Times[1].Start, "name": "Anna Beispiel"},
		http.StatusConflict, nil)

	path := "/offices/main/bookings/" + url.PathEscape(booked.Number)
	bert.hdr = map[string]string{"Booking-PIN": "000000"}
	var p Problem
	bert.do("GET", path, nil, http.StatusNotFound, &p)
	if p.Code != "no-match" || !strings.Contains(p.Detail, booked.Number) {
		t.Fatalf("a wrong PIN: %+v", p)
	}
	bert.hdr = map[string]string{"Booking-PIN": booked.PIN}
	var status bookingAnswer
	bert.do("GET", path, nil, http.StatusOK, &status)
	if status.Status != "booked" || status.PIN != "" || status.Number != booked.Number {
		t.Fatalf("status: %+v", status)
	}
	later := times.Days[len(times.Days)-1].Times[0].Start
	var moved bookingAnswer
	bert.do("PATCH", path, map[string]any{"start": later}, http.StatusOK, &moved)
	if !moved.Start.Equal(later) {
		t.Fatalf("moved: %+v", moved)
	}
	var cancelled bookingAnswer
	bert.do("DELETE", path, nil, http.StatusOK, &cancelled)
	if cancelled.Status != "cancelled" {
		t.Fatalf("cancelled: %+v", cancelled)
	}
	if err := r.engine.DeliverOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.mail.sent["anna@example.org"]; len(got) != 3 {
		t.Fatalf("mails: booked, moved, cancelled; got %d: %q", len(got), got)
	}
	var waits struct{ Waits []struct{ Minutes int } }
	anna.do("GET", "/offices/main/walk-ins", nil, http.StatusOK, &waits)
	var town struct{ Offices []timesAnswer }
	anna.do("GET", "/times?concerns=personalausweis", nil, http.StatusOK, &town)
	if len(town.Offices) != 1 || len(town.Offices[0].Days) == 0 {
		t.Fatalf("town times: %+v", town)
	}
	anna.do("GET", "/openapi.yaml", nil, http.StatusOK, nil)
	for _, op := range []string{"challenge", "createSession", "listOffices", "listConcerns", "officeTimes", "townTimes", "walkInWaits",
		"holdTime", "book", "bookingStatus", "moveBooking", "cancelBooking", "spec"} {
		if !r.spec.seen[op] {
			t.Errorf("operation %s was not exercised", op)
		}
	}
}

// Bad input gets a problem in the asker's language, within the spec, and
// changes nothing.
func TestAPIAnswersBadInputWithProblems(t *testing.T) {
	r := newRig(t)
	c := r.citizen(t)
	future := storetest.Berlin(2026, 11, 25, 9, 0)
	for _, tc := range []struct {
		name, method, path string
		body               any
		lang               string
		status             int
		code, says         string
	}{
		{"unknown concern", "GET", "/offices/main/times?concerns=drachenpass", nil, "de", 422, "bad-concerns", "Anliegen"},
		{"empty concerns", "GET", "/offices/main/times?concerns=", nil, "en", 400, "bad-concerns", "concern"},
		{"garbled date", "GET", "/offices/main/times?concerns=personalausweis&from=31.12.", nil, "de", 400, "bad-date", "31.12."},
		{"unknown office", "GET", "/offices/nowhere/concerns", nil, "en", 404, "unknown-office", "office"},
		{"unknown path", "GET", "/appointments", nil, "en", 404, "not-found", "API"},
		{"too big", "POST", "/offices/main/bookings", map[string]any{"concerns": []map[string]any{{"id": "personalausweis", "count": 9}},
			"start": future, "name": "Max Muster"}, "de", 422, "", ""},
		{"no name", "POST", "/offices/main/bookings", map[string]any{"concerns": []map[string]any{{"id": "personalausweis", "count": 1}},
			"start": future, "name": "??"}, "en", 422, "invalid-input", "name"},
		{"off the grid", "POST", "/offices/main/bookings", map[string]any{"concerns": []map[string]any{{"id": "personalausweis", "count": 1}},
			"start": future.Add(7 * time.Minute), "name": "Max Muster"}, "de", 409, "time-taken", "25.11.2026"},
		{"garbled JSON", "POST", "/offices/main/bookings", "{", "de", 400, "unreadable", "gelesen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.lang = tc.lang
			var p Problem
			c.do(tc.method, tc.path, tc.body, tc.status, &p)
			if (tc.code != "" && p.Code != tc.code) || !strings.Contains(p.Detail, tc.says) || p.Status != tc.status {
				t.Fatalf("%+v", p)
			}
		})
	}
	anon := &citizen{t: t, r: r}
	var p Problem
	anon.do("POST", "/offices/main/holds", map[string]any{"concerns": []map[string]any{{"id": "personalausweis", "count": 1}}, "start": future},
		http.StatusUnauthorized, &p)
	if p.Code != "session-needed" {
		t.Fatalf("without a session: %+v", p)
	}
	if bs, _ := r.store.DayBookings(context.Background(), future); len(bs) != 0 {
		t.Fatalf("bad input booked: %+v", bs)
	}
}

// A body of megabytes is refused before it is read.
func TestAPIRefusesAHugeBody(t *testing.T) {
	r := newRig(t)
	c := r.citizen(t)
	var p Problem
	c.do("POST", "/offices/main/bookings", map[string]any{"name": strings.Repeat("A", 20<<20)}, http.StatusRequestEntityTooLarge, &p)
	if p.Code != "too-long" {
		t.Fatalf("%+v", p)
	}
}

// A script with many sessions from one address block books no more than
// the block may hold; fresh sessions gain nothing.
func TestAPISessionsFromOneBlockShareItsLimit(t *testing.T) {
	r := newRig(t)
	limit := r.store.Config().Booking.MaxActivePerSource
	var times timesAnswer
	r.citizen(t).do("GET", "/offices/main/times?concerns=meldebescheinigung", nil, http.StatusOK, &times)
	var slots []time.Time
	for _, d := range times.Days {
		for _, tm := range d.Times {
			slots = append(slots, tm.Start)
		}
	}
	booked := 0
	for i := 0; i < limit+3 && i < len(slots); i++ {
		c := r.citizen(t)
		want := http.StatusCreated
		if i >= limit {
			want = http.StatusConflict
		}
		var out map[string]any
		c.do("POST", "/offices/main/bookings", map[string]any{"concerns": []map[string]any{{"id": "meldebescheinigung", "count": 1}},
			"start": slots[i], "name": fmt.Sprintf("Person Nummer %c", 'A'+i)}, want, &out)
		if want == http.StatusCreated {
			booked++
		} else if out["code"] != "source-limit" {
			t.Fatalf("beyond the limit: %v", out)
		}
	}
	if booked != limit {
		t.Fatalf("%d booked from one block, limit %d", booked, limit)
	}
}

// In a town the API books at each office, finds the times of every office
// that offers the concerns (the earliest first), and keeps the limit per
// person town-wide: a session gains nothing by booking at a second office.
func TestAPIInATownKeepsLimitsTownWide(t *testing.T) {
	cfg, err := office.ParseConfig("town.yaml", []byte(storetest.TwoOffices))
	if err != nil {
		t.Fatal(err)
	}
	stores, clock := storetest.OpenTown(t, cfg, storetest.Berlin(2026, 11, 24, 10, 0), booking.Options{})
	var members []conversation.TownMember
	for i, s := range stores {
		members = append(members, conversation.TownMember{ID: cfg.Offices[i].ID, Store: s})
	}
	town, err := conversation.NewTown(cfg, members, nil)
	if err != nil {
		t.Fatal(err)
	}
	var offices []Office
	for _, o := range town.Offices() {
		offices = append(offices, Office{ID: o.ID, Desk: o.Engine.Form()})
	}
	wb, err := New(offices, nil, Options{Secret: []byte("a test secret of some length"), WorkBits: 8, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/api/v1", wb.API()))
	t.Cleanup(srv.Close)
	r := &rig{srv: srv, clock: clock, spec: newSpecChecker(t, srv.URL)}
	c := r.citizen(t)

	var all struct{ Offices []timesAnswer }
	c.do("GET", "/times?concerns=personalausweis", nil, http.StatusOK, &all)
	if len(all.Offices) != 2 || all.Offices[0].Office != "ohligs" { // Ohligs opens this afternoon, Mitte on Monday
		t.Fatalf("town times: %+v", all.Offices)
	}
	c.do("GET", "/times?concerns=fahrzeug-abmelden", nil, http.StatusOK, &all)
	if len(all.Offices) != 1 || all.Offices[0].Office != "mitte" {
		t.Fatalf("only Mitte does vehicles: %+v", all.Offices)
	}
	pick := []map[string]any{{"id": "personalausweis", "count": 1}}
	var first timesAnswer
	c.do("GET", "/offices/ohligs/times?concerns=personalausweis", nil, http.StatusOK, &first)
	c.do("POST", "/offices/ohligs/bookings", map[string]any{"concerns": pick, "start": first.Days[0].Times[0].Start, "name": "Carla Beispiel"},
		http.StatusCreated, nil)
	var mitte timesAnswer
	c.do("GET", "/offices/mitte/times?concerns=personalausweis", nil, http.StatusOK, &mitte)
	var p Problem
	c.do("POST", "/offices/mitte/bookings", map[string]any{"concerns": pick, "start": mitte.Days[0].Times[0].Start, "name": "Carla Beispiel"},
		http.StatusConflict, &p)
	if p.Code != "person-limit" {
		t.Fatalf("a second office: %+v", p)
	}
}
