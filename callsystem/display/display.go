// Package display is the foyer display of the call system: a web page for a
// TV in the waiting room that shows who is called to which counter, live by
// Server-Sent Events, with a chime and optional speech. Its files are
// embedded; it needs no build step and no CDN.
package display

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"buergerbuero/callsystem"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/internal/webguard"
)

//go:embed static
var static embed.FS

// keep is how many calls the page gets: the newest in large type, the rest
// as the last calls.
const keep = 10

// Display keeps the latest calls and streams them to every open page. It is
// a callsystem.Notifier and an http.Handler.
type Display struct {
	office string
	opts   Options
	log    *slog.Logger
	mux    *http.ServeMux
	ping   time.Duration
	now    func() time.Time

	mu      sync.Mutex
	calls   []Call // newest first
	clients map[chan []byte]*stream
}

// stream is one open event stream.
type stream struct {
	addr   netip.Addr    // the client's address (anonymous streams are capped per address)
	office bool          // opened with the display token: one of the office's screens
	since  time.Time     // when it opened
	kick   chan struct{} // closed to end the stream for a newer screen of the office
}

// Call is one call as the page shows it.
type Call struct {
	ID      uint64 `json:"id"`
	Number  string `json:"number"`
	Counter string `json:"counter"`
	At      int64  `json:"at"` // Unix milliseconds
	Recall  bool   `json:"recall"`
}

// Wait is a group's expected wait as the page shows it.
type Wait struct {
	Group   string `json:"group"`
	Minutes int    `json:"minutes"`
}

type state struct {
	Office     string `json:"office"`
	Calls      []Call `json:"calls"`
	Waits      []Wait `json:"waits,omitempty"`
	ServerTime int64  `json:"server_time"` // Unix milliseconds
	UTCOffset  int    `json:"utc_offset"`  // seconds east of UTC of the office's clock
}

// Options limit who may watch the display.
type Options struct {
	// Location is the office's time zone: the page shows the office's clock
	// whatever zone the server runs in. Default: the zone of now's times.
	Location *time.Location
	// Token, if set, marks the office's own screens: given as ?token= (the
	// page passes on its own ?token=), a stream always gets a place. Others
	// are refused, unless Public.
	Token string
	// Public lets anybody watch the calls (on a phone in the café next
	// door) beside the screens with the token; without a token anybody may
	// anyway.
	Public bool
	// MaxClients is how many streams without the token may be open at once,
	// and how many with it; default 50.
	MaxClients int
	// MaxPerAddress is how many streams without the token one client
	// address may hold open; default 4.
	MaxPerAddress int
	// Addrs tells a request's client address (behind trusted proxies);
	// nil: the peer's.
	Addrs *clientaddr.Resolver
	// WriteTimeout is how long one write to a stream may take before the
	// stream is dropped (a page that stopped reading); default 10s.
	WriteTimeout time.Duration
	// Waits, if set, tells the expected wait of a walk-in ticket taken now,
	// per group of concerns; the page shows it and it is sent again every
	// minute.
	Waits func(context.Context) ([]callsystem.GroupWait, error)
}

// New makes the display for the office, starting with today's recent calls
// (so a restarted service shows what was shown before). now is the call
// system's clock (the page ages calls by it); time.Now if nil.
func New(office string, recent []callsystem.Call, now func() time.Time, log *slog.Logger, opts Options) *Display {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = 50
	}
	if opts.MaxPerAddress <= 0 {
		opts.MaxPerAddress = 4
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	d := &Display{office: office, opts: opts, log: log, mux: http.NewServeMux(), ping: 15 * time.Second, now: now, clients: map[chan []byte]*stream{}}
	for _, c := range recent {
		d.calls = append(d.calls, toCall(c))
	}
	files, _ := fs.Sub(static, "static")
	d.mux.Handle("GET /", http.FileServerFS(files))
	d.mux.HandleFunc("GET /events", d.events)
	return d
}

func toCall(c callsystem.Call) Call {
	return Call{ID: c.Booking.ID, Number: c.Booking.Number, Counter: c.Counter.Name, At: c.At.UnixMilli(), Recall: c.Recall}
}

// Called adds a call and sends the new state to every page.
func (d *Display) Called(ctx context.Context, c callsystem.Call) {
	waits := d.waits(ctx)
	d.mu.Lock()
	d.calls = append([]Call{toCall(c)}, d.calls...)
	if len(d.calls) > keep {
		d.calls = d.calls[:keep]
	}
	msg := d.stateLocked(waits)
	for ch := range d.clients {
		offer(ch, msg)
	}
	d.mu.Unlock()
}

// offer puts msg in the client's one-slot mailbox, replacing an unsent
// older state: a slow page skips to the newest, it never blocks a call.
func offer(ch chan []byte, msg []byte) {
	for {
		select {
		case ch <- msg:
			return
		default:
			select {
			case <-ch:
			default:
			}
		}
	}
}

// waits asks for the expected waits (none if there is no way to, or it
// fails, which is logged).
func (d *Display) waits(ctx context.Context) []Wait {
	if d.opts.Waits == nil {
		return nil
	}
	gw, err := d.opts.Waits(ctx)
	if err != nil {
		d.log.Warn("display: expected waits", "err", err)
		return nil
	}
	out := make([]Wait, 0, len(gw))
	for _, w := range gw {
		out = append(out, Wait{Group: w.Group, Minutes: int(w.Wait.Round(time.Minute) / time.Minute)})
	}
	return out
}

// state is the page's state now, with fresh waits.
func (d *Display) state(ctx context.Context) []byte {
	waits := d.waits(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stateLocked(waits)
}

func (d *Display) stateLocked(waits []Wait) []byte {
	now := d.now()
	loc := d.opts.Location
	if loc == nil {
		loc = now.Location()
	}
	_, offset := now.In(loc).Zone()
	data, _ := json.Marshal(state{Office: d.office, Calls: append([]Call{}, d.calls...), Waits: waits, ServerTime: now.UnixMilli(), UTCOffset: offset})
	return data
}

// admit takes the stream in, or says why not. The office's screens always
// get a place: when MaxClients of them are open, the oldest is ended (a
// screen that was replaced or lost its network). Other streams are capped
// in total and per client address, so one address cannot take every place.
func (d *Display) admit(ch chan []byte, st *stream) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var oldest chan []byte // the office's screen open longest
	total, fromAddr := 0, 0
	for c, o := range d.clients {
		switch {
		case o.office != st.office:
		case o.office:
			total++
			if oldest == nil || o.since.Before(d.clients[oldest].since) {
				oldest = c
			}
		default:
			total++
			if o.addr == st.addr {
				fromAddr++
			}
		}
	}
	switch {
	case st.office && total >= d.opts.MaxClients:
		close(d.clients[oldest].kick)
		delete(d.clients, oldest)
	case st.office:
	case total >= d.opts.MaxClients:
		return "too many open"
	case fromAddr >= d.opts.MaxPerAddress:
		return "too many from one address"
	}
	d.clients[ch] = st
	return ""
}

// Clients is how many pages are connected.
func (d *Display) Clients() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.clients)
}

func (d *Display) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	webguard.Page("default-src 'self'; media-src 'self' data:; object-src 'none'", d.mux).ServeHTTP(w, r)
}

// events streams the state: at once on connect (so a page that was offline
// catches up), then on every call, with a ping event to show it is alive.
func (d *Display) events(w http.ResponseWriter, r *http.Request) {
	office := d.opts.Token != "" && subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(d.opts.Token)) == 1
	if d.opts.Token != "" && !office && !d.opts.Public {
		http.Error(w, "Diese Anzeige braucht ihren Schlüssel: /display/?token=… / This display needs its token.", http.StatusForbidden)
		return
	}
	ch := make(chan []byte, 1)
	st := &stream{addr: d.opts.Addrs.Addr(r), office: office, since: time.Now(), kick: make(chan struct{})}
	if why := d.admit(ch, st); why != "" {
		d.log.Warn("display stream refused; the office's own screens should open /display/?token=… (http.display_token) to always get a place", "why", why, "addr", st.addr)
		w.Header().Set("Retry-After", "30")
		http.Error(w, "Zu viele Anzeigen verbunden. / Too many displays connected.", http.StatusServiceUnavailable)
		return
	}
	first := d.state(r.Context())
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	defer func() {
		d.mu.Lock()
		delete(d.clients, ch)
		d.mu.Unlock()
	}()
	write := func(event string, data []byte) bool {
		// A display stays connected all day, but each write must go through
		// in time: a client that stopped reading is dropped.
		rc.SetWriteDeadline(time.Now().Add(d.opts.WriteTimeout))
		if _, err := w.Write([]byte("event: " + event + "\ndata: ")); err != nil {
			return false
		}
		w.Write(data)
		if _, err := w.Write([]byte("\n\n")); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	w.Write([]byte("retry: 2000\n\n"))
	if !write("state", first) {
		return
	}
	ping := time.NewTicker(d.ping)
	defer ping.Stop()
	pings := 0
	for {
		select {
		case <-r.Context().Done():
			return
		case <-st.kick:
			return
		case msg := <-ch:
			if !write("state", msg) {
				return
			}
		case <-ping.C:
			pings++
			if pings%4 == 0 && d.opts.Waits != nil { // every minute, the waits anew
				if !write("state", d.state(r.Context())) {
					return
				}
				continue
			}
			if !write("ping", []byte("{}")) {
				return
			}
		}
	}
}
