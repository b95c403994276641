// Package metrics exposes the service's Prometheus metrics: bookings,
// cancellations, walk-ins, calls, outcomes, the waiting time until a call,
// the queue length and the channels' errors. It follows the booking event
// log, so every channel and the call system are counted without knowing of
// it.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"buergerbuero/booking"
	"buergerbuero/internal/retry"
)

// Events is the event log to follow.
type Events interface {
	Events(ctx context.Context, after uint64, fn func(booking.Event) bool) error
}

// Metrics is the registry and its metrics.
type Metrics struct {
	reg           *prometheus.Registry
	events        *prometheus.CounterVec
	bookings      *prometheus.CounterVec
	calls         *prometheus.CounterVec
	wait          *prometheus.HistogramVec
	channelErrors *prometheus.CounterVec

	mu    sync.Mutex
	last  map[string]uint64 // the last event counted, by office
	audit *slog.Logger      // where each event becomes an audit line; nil: nowhere
}

// AuditTo writes one structured line per event to log as Catch reads it:
// the office's audit trail of bookings, cancellations, calls and staff
// actions. Events hold waiting numbers, concerns, counters and staff user
// names, never a citizen's name, address or PIN.
func (m *Metrics) AuditTo(log *slog.Logger) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit = log
}

// New makes the metrics. Each office's figures carry its id in the label
// "office" (empty for a single office).
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), last: map[string]uint64{},
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "buergerbuero_events_total",
			Help: "Booking events since the start, by type (booked, cancelled, walk_in, called, served, no_show, expired, ...)."}, []string{"type", "office"}),
		bookings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "buergerbuero_bookings_total",
			Help: "Appointments booked since the start, by channel (empty for staff bookings)."}, []string{"channel", "office"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "buergerbuero_calls_total",
			Help: "Calls (first calls and re-calls) since the start, by counter."}, []string{"counter", "office"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "buergerbuero_wait_seconds",
			Help:    "Waiting time from the ticket, or the appointment time or a later check-in, to the first call.",
			Buckets: []float64{60, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200}}, []string{"kind", "office"}),
		channelErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "buergerbuero_channel_errors_total",
			Help: "Warnings and errors logged by a channel (telegram, email, mattermost, ...)."}, []string{"channel"}),
	}
	m.reg.MustRegister(m.events, m.bookings, m.calls, m.wait, m.channelErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// AddQueue reports office's queue length, read at each scrape.
func (m *Metrics) AddQueue(office string, length func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "buergerbuero_queue_length", Help: "Citizens who could be called now.",
		ConstLabels: prometheus.Labels{"office": office}}, length))
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Skip starts counting office's events after those already in its log.
func (m *Metrics) Skip(ctx context.Context, log Events, office string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return log.Events(ctx, 0, func(e booking.Event) bool {
		m.last[office] = e.Seq
		return true
	})
}

// Catch counts the events added to office's log since the last call.
func (m *Metrics) Catch(ctx context.Context, log Events, office string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return log.Events(ctx, m.last[office], func(e booking.Event) bool {
		m.last[office] = e.Seq
		m.auditLine(ctx, e, office)
		m.events.WithLabelValues(string(e.Type), office).Inc()
		switch e.Type {
		case booking.EventBooked:
			m.bookings.WithLabelValues(e.Channel, office).Inc()
		case booking.EventCalled, booking.EventRecalled:
			m.calls.WithLabelValues(e.Counter, office).Inc()
			if e.Type == booking.EventCalled {
				from := e.WaitFrom
				if from.IsZero() { // an event logged before events carried it
					from = e.Start
				}
				m.wait.WithLabelValues(string(e.Kind), office).Observe(max(0, e.At.Sub(from).Seconds()))
			}
		}
		return true
	})
}

// auditLine logs an event for the audit trail; m.mu is held.
func (m *Metrics) auditLine(ctx context.Context, e booking.Event, office string) {
	if m.audit == nil {
		return
	}
	attrs := []slog.Attr{slog.String("event", string(e.Type)), slog.String("number", e.Number), slog.String("kind", string(e.Kind)),
		slog.Time("at", e.At)}
	for _, kv := range [][2]string{{"office", office}, {"actor", e.Actor}, {"counter", e.Counter}, {"channel", e.Channel}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	m.audit.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}

// Follow catches up with office's log every interval until ctx ends.
func (m *Metrics) Follow(ctx context.Context, log Events, office string, interval time.Duration) {
	retry.Every(ctx, interval, func() { m.Catch(ctx, log, office) })
}

// CountErrors wraps a log handler: each warning or error that names a
// channel counts as that channel's error.
func (m *Metrics) CountErrors(h slog.Handler) slog.Handler { return errorCounter{h, m, ""} }

type errorCounter struct {
	slog.Handler
	m       *Metrics
	channel string // from With("channel", ...)
}

func (c errorCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		channel := c.channel
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "channel" {
				channel = a.Value.String()
			}
			return true
		})
		if channel != "" {
			c.m.channelErrors.WithLabelValues(channel).Inc()
		}
	}
	return c.Handler.Handle(ctx, r)
}

func (c errorCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	channel := c.channel
	for _, a := range attrs {
		if a.Key == "channel" {
			channel = a.Value.String()
		}
	}
	return errorCounter{c.Handler.WithAttrs(attrs), c.m, channel}
}

func (c errorCounter) WithGroup(name string) slog.Handler {
	return errorCounter{c.Handler.WithGroup(name), c.m, c.channel}
}
