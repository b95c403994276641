// Package callsystem runs the office's day queue over the booking store
// (the "Aufrufanlage"): whom a free counter calls next, re-calls,
// no-shows, expiry, queue positions, and the calls it publishes to the
// foyer display and to the citizens' chats.
//
// Everything time-driven (appointments coming due, re-calls, expiry) is
// derived from the stored bookings and the clock at the moment a counter
// asks, so a restart in the middle of the day continues where it was.
package callsystem

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/retry"
	"buergerbuero/office"
)

// ErrNobodyWaiting means no one is due for the counter right now.
var ErrNobodyWaiting = errors.New("callsystem: nobody waiting")

// Call is one call of a number to a counter.
type Call struct {
	Booking booking.Booking
	Counter office.Counter
	Recall  bool
	At      time.Time
}

// Notifier is told of every call: the display, the citizen's chat, staff.
type Notifier interface {
	Called(ctx context.Context, c Call)
}

// System is the call system of one office.
type System struct {
	store *booking.Store
	cfg   *office.Config
	log   *slog.Logger

	mu        sync.RWMutex
	notifiers []Notifier
	effect    booking.Effect         // stored with each call (SetCallEffect)
	announced map[string]bool        // calls told to the notifiers ("id@unixnano"), for FollowCalls
	service   map[string]serviceTime // per concern: measured minutes per case
}

type serviceTime struct {
	total time.Duration
	cases int
}

// New makes the call system and learns the measured service times per
// concern from the last 30 days of events.
func New(ctx context.Context, store *booking.Store, log *slog.Logger) (*System, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &System{store: store, cfg: store.Config(), log: log, service: map[string]serviceTime{}, announced: map[string]bool{}}
	if err := s.learnServiceTimes(ctx); err != nil {
		return nil, fmt.Errorf("service times: %w", err)
	}
	return s, nil
}

// SetCallEffect sets what is stored with each call and re-call, in its
// transaction: the message that tells the citizen's chat, so a crash
// cannot call a number without telling its chat.
func (s *System) SetCallEffect(effect booking.Effect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.effect = effect
}

// callEffect is what is stored with a call (SetCallEffect), or nil.
func (s *System) callEffect() booking.Effect {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.effect
}

// AddNotifier adds n to those told of each call.
func (s *System) AddNotifier(n Notifier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifiers = append(s.notifiers, n)
}

func (s *System) notify(ctx context.Context, b booking.Booking) {
	counter, _ := s.cfg.CounterByID(b.Counter)
	c := Call{Booking: b, Counter: counter, Recall: b.Calls > 1, At: b.CalledAt}
	s.mu.Lock()
	key := callKey(b.ID, b.CalledAt)
	if s.announced[key] {
		s.mu.Unlock()
		return // told already (FollowCalls and this instance's own call)
	}
	if len(s.announced) > 4096 {
		clear(s.announced)
	}
	s.announced[key] = true
	ns := append([]Notifier(nil), s.notifiers...)
	s.mu.Unlock()
	for _, n := range ns {
		n.Called(ctx, c)
	}
}

// Next calls the next citizen to counter: first a number staff marked
// urgent, then an appointment whose re-call is due, then an appointment
// whose time has come (the early grace before it; checked in, where the
// office requires it), earliest first, and only then the longest-waiting
// walk-in, each only if the counter serves all its concerns.
func (s *System) Next(ctx context.Context, counter, actor string) (booking.Booking, error) {
	b, err := s.store.CallNext(ctx, counter, actor, func(day []booking.Booking, now time.Time) (int, bool) {
		best, bestRank := -1, rank{}
		for i, b := range day {
			r, ok := s.rank(b, now)
			if !ok || !s.servesCounter(counter, b) {
				continue
			}
			if best < 0 || r.before(bestRank) {
				best, bestRank = i, r
			}
		}
		return best, best >= 0
	}, s.callEffect())
	if errors.Is(err, booking.ErrNotFound) {
		return booking.Booking{}, ErrNobodyWaiting
	}
	if err != nil {
		return booking.Booking{}, err
	}
	s.notify(ctx, b)
	return b, nil
}

// Act applies a clerk's action to a called number; a re-call is published
// like a call, and a finished case teaches the service times.
func (s *System) Act(ctx context.Context, id uint64, action booking.CallAction, target, actor string) (booking.Booking, error) {
	b, err := s.store.Act(ctx, id, action, target, actor, s.callEffect())
	if err != nil {
		return b, err
	}
	switch action {
	case booking.ActionRecall:
		s.notify(ctx, b)
	case booking.ActionDone:
		s.learn(b.Concerns, b.DoneAt.Sub(b.StartedAt))
	}
	return b, nil
}

// rank orders the waiting: a lower class first, then the earlier time.
type rank struct {
	class int // 0 urgent, 1 re-call due, 2 appointment due, 3 walk-in
	at    time.Time
	id    uint64 // the earlier booking when the times are equal
}

func (r rank) before(o rank) bool {
	if r.class != o.class {
		return r.class < o.class
	}
	if !r.at.Equal(o.at) {
		return r.at.Before(o.at)
	}
	return r.id < o.id
}

// rank places b in the queue at now, or reports that it is not to be
// called now (not waiting, appointment not due, re-call not due).
func (s *System) rank(b booking.Booking, now time.Time) (rank, bool) {
	r, ok := s.rankAt(b, now)
	r.id = b.ID
	return r, ok
}

func (s *System) rankAt(b booking.Booking, now time.Time) (rank, bool) {
	if b.Status != booking.StatusBooked {
		return rank{}, false
	}
	arrived := b.CreatedAt
	if !b.CheckedInAt.IsZero() {
		arrived = b.CheckedInAt
	}
	if b.Priority {
		return rank{class: 0, at: arrived}, true
	}
	if b.Kind == booking.KindWalkIn {
		return rank{class: 3, at: b.CreatedAt}, true
	}
	if !b.MissedAt.IsZero() {
		due := b.CalledAt.Add(s.cfg.Calls.RecallDelay)
		return rank{class: 1, at: due}, !now.Before(due)
	}
	if s.cfg.Calls.RequireCheckIn && b.CheckedInAt.IsZero() {
		return rank{}, false
	}
	return rank{class: 2, at: b.Start}, !now.Before(b.Start.Add(-s.cfg.Calls.EarlyGrace))
}

// servesCounter: a transferred number goes to its target counter only;
// otherwise the counter must serve all of the booking's concerns.
func (s *System) servesCounter(counter string, b booking.Booking) bool {
	if b.TransferTo != "" {
		return b.TransferTo == counter
	}
	return s.cfg.CanServe(counter, b.Concerns)
}

// Position is where a booking stands in today's queue.
type Position struct {
	// Ahead is how many are called before it; Wait the estimate.
	Ahead int
	Wait  time.Duration
	// Called is set when it is called now, to Counter (the counter's name).
	Called  bool
	Counter string
	// Due is false for an appointment whose time has not come yet.
	Due bool
}

// Position tells where booking b stands now, with an estimate of the wait
// from the counters at work and the measured service times.
func (s *System) Position(ctx context.Context, b booking.Booking) (Position, error) {
	now := s.store.Now()
	day, err := s.store.DayBookings(ctx, now)
	if err != nil {
		return Position{}, err
	}
	for _, d := range day {
		if d.ID == b.ID {
			b = d
		}
	}
	if b.Status == booking.StatusCalled || b.Status == booking.StatusServing {
		counter, _ := s.cfg.CounterByID(b.Counter)
		return Position{Called: true, Counter: counter.Name, Due: true}, nil
	}
	mine, ok := s.rank(b, now)
	if !ok {
		if b.Kind == booking.KindAppointment && b.Status == booking.StatusBooked && b.Start.After(now) {
			return Position{Wait: b.Start.Sub(now)}, nil
		}
		return Position{}, nil
	}
	counters := s.countersFor(b)
	var ahead []booking.Booking
	for _, d := range day {
		r, ok := s.rank(d, now)
		if !ok || d.ID == b.ID || !r.before(mine) {
			continue
		}
		for _, c := range counters {
			if s.servesCounter(c, d) {
				ahead = append(ahead, d)
				break
			}
		}
	}
	work := time.Duration(0)
	for _, d := range ahead {
		work += s.expected(d.Concerns)
	}
	open := s.openCounters(day, now, counters)
	return Position{Ahead: len(ahead), Wait: work / time.Duration(open), Due: true}, nil
}

// countersFor lists the counters that could call b.
func (s *System) countersFor(b booking.Booking) []string {
	var out []string
	for _, c := range s.cfg.Counters {
		if s.servesCounter(c.ID, b) {
			out = append(out, c.ID)
		}
	}
	return out
}

// openCounters counts the counters among those at work: a counter is at
// work when it called someone in the last hour. With none known, all count.
func (s *System) openCounters(day []booking.Booking, now time.Time, among []string) int {
	open := map[string]bool{}
	for _, d := range day {
		if d.Counter != "" && now.Sub(d.CalledAt) < time.Hour {
			open[d.Counter] = true
		}
	}
	n := 0
	for _, c := range among {
		if open[c] {
			n++
		}
	}
	if n == 0 {
		n = max(1, len(among))
	}
	return n
}

// expected is the expected service time of the concerns: measured where
// there are enough cases, else the configured minutes.
func (s *System) expected(concerns []office.ConcernCount) time.Duration {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var d time.Duration
	for _, cc := range concerns {
		per := time.Duration(0)
		if st := s.service[cc.ID]; st.cases >= 5 {
			per = st.total / time.Duration(st.cases)
		} else if c, ok := s.cfg.Concern(cc.ID); ok {
			per = time.Duration(c.Minutes) * time.Minute
		}
		d += per * time.Duration(cc.Count)
	}
	return d
}

// learn adds a finished case to the service times of its concerns.
func (s *System) learn(concerns []office.ConcernCount, took time.Duration) {
	if took <= 0 || took > 4*time.Hour || len(concerns) == 0 {
		return
	}
	cases := 0
	for _, cc := range concerns {
		cases += cc.Count
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cc := range concerns {
		st := s.service[cc.ID]
		st.total += took * time.Duration(cc.Count) / time.Duration(cases)
		st.cases += cc.Count
		s.service[cc.ID] = st
	}
}

// learnServiceTimes reads the last 30 days of started/served events.
func (s *System) learnServiceTimes(ctx context.Context) error {
	since := s.store.Now().AddDate(0, 0, -30)
	started := map[uint64]time.Time{}
	return s.store.Events(ctx, 0, func(e booking.Event) bool {
		if e.At.Before(since) {
			return true
		}
		switch e.Type {
		case booking.EventStarted:
			started[e.BookingID] = e.At
		case booking.EventCalled, booking.EventRecalled:
			if _, ok := started[e.BookingID]; !ok {
				started[e.BookingID] = e.At
			}
		case booking.EventServed:
			if t, ok := started[e.BookingID]; ok {
				s.learn(e.Concerns, e.At.Sub(t))
			}
		}
		return true
	})
}

// ServiceTime is the expected time for the concerns, for tests and staff.
func (s *System) ServiceTime(concerns []office.ConcernCount) time.Duration {
	return s.expected(concerns)
}

// Recent returns today's latest calls, newest first, at most n.
func (s *System) Recent(ctx context.Context, n int) ([]Call, error) {
	day, err := s.store.DayBookings(ctx, s.store.Now())
	if err != nil {
		return nil, err
	}
	var calls []Call
	for _, b := range day {
		if b.CalledAt.IsZero() {
			continue
		}
		counter, _ := s.cfg.CounterByID(b.Counter)
		calls = append(calls, Call{Booking: b, Counter: counter, Recall: b.Calls > 1, At: b.CalledAt})
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].At.After(calls[j].At) })
	if len(calls) > n {
		calls = calls[:n]
	}
	return calls, nil
}

// Queue is today's queue at a glance, for staff.
type Queue struct {
	// Waiting are the numbers that could be called now, in call order.
	Waiting []booking.Booking
	// Later are appointments of today whose time has not come.
	Later []booking.Booking
	// Serving maps each counter to the number it has called or serves.
	Serving map[string]booking.Booking
}

// Queue returns today's queue.
func (s *System) Queue(ctx context.Context) (Queue, error) {
	now := s.store.Now()
	day, err := s.store.DayBookings(ctx, now)
	if err != nil {
		return Queue{}, err
	}
	q := Queue{Serving: map[string]booking.Booking{}}
	type ranked struct {
		b booking.Booking
		r rank
	}
	var waiting []ranked
	for _, b := range day {
		switch {
		case b.Status == booking.StatusCalled || b.Status == booking.StatusServing:
			q.Serving[b.Counter] = b
		case b.Status == booking.StatusBooked:
			if r, ok := s.rank(b, now); ok {
				waiting = append(waiting, ranked{b, r})
			} else if b.Kind == booking.KindAppointment {
				q.Later = append(q.Later, b)
			}
		}
	}
	sort.Slice(waiting, func(i, j int) bool { return waiting[i].r.before(waiting[j].r) })
	for _, w := range waiting {
		q.Waiting = append(q.Waiting, w.b)
	}
	sort.Slice(q.Later, func(i, j int) bool { return q.Later[i].Start.Before(q.Later[j].Start) })
	return q, nil
}

// GroupWait is how long somebody who takes a walk-in number now would wait,
// for one group of concerns (a walk-in contingent, or a concern).
type GroupWait struct {
	Group string
	Wait  time.Duration
}

// WalkInWaits estimates, per walk-in contingent group (or per concern in an
// office without contingents), the wait of a ticket taken now, from the
// queue ahead and the measured service times (Position's model).
func (s *System) WalkInWaits(ctx context.Context) ([]GroupWait, error) {
	now := s.store.Now()
	type group struct{ name, concern string }
	var groups []group
	for _, ct := range s.cfg.WalkIns.Contingents {
		if len(ct.Concerns) > 0 {
			groups = append(groups, group{ct.Name, ct.Concerns[0]})
		}
	}
	if len(groups) == 0 {
		for _, c := range s.cfg.Concerns {
			groups = append(groups, group{c.Name.DE, c.ID})
		}
	}
	out := make([]GroupWait, 0, len(groups))
	for _, g := range groups {
		ticket := booking.Booking{ID: math.MaxUint64, Kind: booking.KindWalkIn, Status: booking.StatusBooked, Start: now, CreatedAt: now, // last in line
			Concerns: []office.ConcernCount{{ID: g.concern, Count: 1}}}
		p, err := s.Position(ctx, ticket)
		if err != nil {
			return nil, err
		}
		out = append(out, GroupWait{Group: g.name, Wait: p.Wait})
	}
	return out, nil
}

func callKey(id uint64, at time.Time) string { return fmt.Sprintf("%d@%d", id, at.UnixNano()) }

// FollowCalls tells the notifiers (the display, the chats) of the calls
// other service instances on the same store make: it reads the event log
// every interval, from its end at the start, until ctx ends. Calls this
// instance made are told once.
func (s *System) FollowCalls(ctx context.Context, interval time.Duration) {
	var last uint64
	if err := s.store.Events(ctx, 0, func(e booking.Event) bool { last = e.Seq; return true }); err != nil && ctx.Err() == nil {
		s.log.Error("follow calls: read the event log", "err", err)
	}
	retry.Every(ctx, interval, func() {
		err := s.store.Events(ctx, last, func(e booking.Event) bool {
			last = e.Seq
			if e.Type != booking.EventCalled && e.Type != booking.EventRecalled {
				return true
			}
			b, err := s.store.Get(ctx, e.BookingID)
			if err != nil || !b.CalledAt.Equal(e.At) {
				return true // gone, or called again since: that call has its own event
			}
			s.notify(ctx, b)
			return true
		})
		if err != nil && ctx.Err() == nil {
			s.log.Error("follow calls", "err", err)
		}
	})
}
