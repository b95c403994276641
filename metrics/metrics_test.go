package metrics

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
)

// TestScrapedMetrics scrapes /metrics over HTTP and reads it with
// Prometheus' own text parser.
func TestScrapedMetrics(t *testing.T) {
	ctx := context.Background()
	store, clock := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 8, 0))
	cfg := store.Config()
	calls, _ := callsystem.New(ctx, store, nil)
	// History before the start is not counted.
	store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	m := New()
	m.AddQueue("", func() float64 { q, _ := calls.Queue(ctx); return float64(len(q.Waiting)) })
	if err := m.Skip(ctx, store, ""); err != nil {
		t.Fatal(err)
	}
	store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "reisepass", Count: 1}}, Start: time.Date(2026, 11, 25, 9, 0, 0, 0, cfg.Location()),
		Name: "Max Muster", PersonKey: "p", Channel: "telegram"})
	store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	clock.Advance(12 * time.Minute)
	calls.Next(ctx, "2", "clerk") // the first walk-in, waited 12 minutes
	if err := m.Catch(ctx, store, ""); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(m.CountErrors(slog.NewTextHandler(&logs, nil)))
	log.With("channel", "telegram").Warn("telegram not reachable")
	log.Error("mail", "channel", "email")
	log.Info("fine", "channel", "email") // not an error

	value := scrape(t, m)
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"buergerbuero_bookings_total", map[string]string{"channel": "telegram"}, 1},
		{"buergerbuero_events_total", map[string]string{"type": "walk_in"}, 2},
		{"buergerbuero_calls_total", map[string]string{"counter": "2"}, 1},
		{"buergerbuero_wait_seconds", map[string]string{"kind": "walk_in"}, 12 * 60},
		{"buergerbuero_queue_length", nil, 2},
		{"buergerbuero_channel_errors_total", map[string]string{"channel": "telegram"}, 1},
		{"buergerbuero_channel_errors_total", map[string]string{"channel": "email"}, 1},
	}
	for _, c := range checks {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %g, want %g", c.name, c.labels, got, c.want)
		}
	}
	if !strings.Contains(logs.String(), "telegram not reachable") {
		t.Error("the wrapped handler swallowed the log")
	}
}

// An appointment holder who checks in late has waited from the check-in:
// the metric uses the one rule (booking.WaitBegan), as statistics do.
func TestWaitCountsFromALateCheckIn(t *testing.T) {
	ctx := context.Background()
	store, clock := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 8, 0))
	calls, _ := callsystem.New(ctx, store, nil)
	m := New()
	start := storetest.Berlin(2026, 11, 24, 9, 20)
	b, _, err := store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}, Start: start, Name: "Max Muster", PersonKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Skip(ctx, store, ""); err != nil {
		t.Fatal(err)
	}
	clock.Set(start.Add(10 * time.Minute))
	if _, err := store.CheckIn(ctx, b.ID, booking.Owner{}, "desk"); err != nil {
		t.Fatal(err)
	}
	clock.Set(start.Add(13 * time.Minute))
	if _, err := calls.Next(ctx, "1", "clerk"); err != nil {
		t.Fatal(err)
	}
	if err := m.Catch(ctx, store, ""); err != nil {
		t.Fatal(err)
	}
	var h dto.Metric
	if err := m.wait.WithLabelValues("appointment", "").(interface{ Write(*dto.Metric) error }).Write(&h); err != nil {
		t.Fatal(err)
	}
	if got := h.GetHistogram().GetSampleSum(); got != 180 {
		t.Errorf("waited %v s, want 180 (from the check-in, not the appointment time)", got)
	}
}

// Each event becomes one audit line with the number, the staff member and
// the counter, and never the citizen's name or address.
func TestAuditLinesHoldNoPersonalData(t *testing.T) {
	ctx := context.Background()
	store, clock := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 8, 0))
	calls, _ := callsystem.New(ctx, store, nil)
	m := New()
	var logs bytes.Buffer
	m.AuditTo(slog.New(slog.NewJSONHandler(&logs, nil)))
	start := storetest.Berlin(2026, 11, 24, 9, 20)
	b, _, err := store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}, Start: start,
		Name: "Hedwig Geheim", Email: "hedwig@geheim.example", PersonKey: "tg:4711", Channel: "telegram", ChatID: "4711"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(start)
	if _, err := calls.Next(ctx, "1", "anna.schmidt"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CancelByID(ctx, b.ID, "anna.schmidt", nil); err == nil {
		t.Fatal("a called booking was cancelled")
	}
	if err := m.Catch(ctx, store, ""); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{`"event":"booked"`, `"event":"called"`, `"number":"` + b.Number + `"`, `"actor":"anna.schmidt"`, `"counter":"1"`, `"channel":"telegram"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in the audit lines:\n%s", want, out)
		}
	}
	for _, secret := range []string{"Hedwig", "geheim.example", "4711"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q in the audit lines:\n%s", secret, out)
		}
	}
}

// scrape reads m's metrics as Prometheus would; the value it returns is a
// metric's with labels (a histogram's sum).
func scrape(t *testing.T, m *Metrics) func(name string, labels map[string]string) float64 {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		f, ok := families[name]
		if !ok {
			t.Fatalf("no metric %s", name)
		}
	next:
		for _, mt := range f.Metric {
			for _, lp := range mt.Label {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return mt.Counter.GetValue()
			case dto.MetricType_GAUGE:
				return mt.Gauge.GetValue()
			case dto.MetricType_HISTOGRAM:
				return mt.Histogram.GetSampleSum()
			}
		}
		t.Fatalf("no %s with %v", name, labels)
		return 0
	}
	return value
}

// A town's offices are told apart by the label "office": each office's
// events, calls and queue, from its own log.
func TestMetricsPerOffice(t *testing.T) {
	ctx := context.Background()
	m := New()
	for _, id := range []string{"mitte", "ohligs"} {
		store, _ := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 8, 0))
		calls, _ := callsystem.New(ctx, store, nil)
		m.AddQueue(id, func() float64 { q, _ := calls.Queue(ctx); return float64(len(q.Waiting)) })
		if err := m.Skip(ctx, store, id); err != nil {
			t.Fatal(err)
		}
		walkIns := map[string]int{"mitte": 1, "ohligs": 3}[id]
		for range walkIns {
			store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
		}
		if id == "ohligs" {
			calls.Next(ctx, "1", "clerk")
		}
		if err := m.Catch(ctx, store, id); err != nil {
			t.Fatal(err)
		}
	}
	value := scrape(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"buergerbuero_events_total", map[string]string{"type": "walk_in", "office": "mitte"}, 1},
		{"buergerbuero_events_total", map[string]string{"type": "walk_in", "office": "ohligs"}, 3},
		{"buergerbuero_calls_total", map[string]string{"counter": "1", "office": "ohligs"}, 1},
		{"buergerbuero_queue_length", map[string]string{"office": "mitte"}, 1},
		{"buergerbuero_queue_length", map[string]string{"office": "ohligs"}, 2},
	} {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %g, want %g", c.name, c.labels, got, c.want)
		}
	}
}
