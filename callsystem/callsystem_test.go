package callsystem

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
)

var ctx = context.Background()

const officeYAML = `
office: {name: Testamt, timezone: Europe/Berlin, state: NW}
counters: [{id: A, name: Platz 1}, {id: B, name: Platz 2}, {id: C, name: Platz 3}]
concerns:
  - {id: ausweis, name: {de: Ausweis}, minutes: 10}
  - {id: kfz, name: {de: Kfz}, minutes: 20, counters: [C]}
opening_hours: {monday: ["08:00-16:00"]}
booking: {lead_time: 0s, slot_step: 10m, walk_in_share: 0, max_active_per_person: 9}
calls: {recall_delay: 5m, early_grace: 2m, require_check_in: %v}
`

var berlin, _ = time.LoadLocation("Europe/Berlin")

func mon(hh, mm int) time.Time { return time.Date(2026, 11, 23, hh, mm, 0, 0, berlin) }

type rig struct {
	t     *testing.T
	store *booking.Store
	sys   *System
	clock *fakeclock.Clock
	path  string
	cfg   *office.Config
	calls *recorder
}

type recorder struct {
	mu    sync.Mutex
	calls []Call
}

func (r *recorder) Called(_ context.Context, c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func newRig(t *testing.T, requireCheckIn bool) *rig {
	cfg, err := office.ParseConfig("office.yaml", fmt.Appendf(nil, officeYAML, requireCheckIn))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, clock: fakeclock.New(mon(7, 0)), path: filepath.Join(t.TempDir(), "bb.db"), cfg: cfg, calls: &recorder{}}
	r.open()
	return r
}

func (r *rig) open() {
	var err error
	if r.store, err = booking.Open(r.path, r.cfg, booking.Options{Clock: r.clock}); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { r.store.Close() })
	if r.sys, err = New(ctx, r.store, nil); err != nil {
		r.t.Fatal(err)
	}
	r.sys.AddNotifier(r.calls)
}

func (r *rig) restart() {
	r.store.Close()
	r.open()
}

// appt books an appointment for concern at start (booked at 07:00).
func (r *rig) appt(concern string, start time.Time) booking.Booking {
	r.t.Helper()
	now := r.clock.Now()
	r.clock.Set(mon(7, 0))
	defer r.clock.Set(now)
	b, _, err := r.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: concern, Count: 1}}, Start: start, Name: "Anna Termin", PersonKey: "p"})
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// walkIn issues a walk-in number for concern at time at.
func (r *rig) walkIn(concern string, at time.Time) booking.Booking {
	r.t.Helper()
	now := r.clock.Now()
	r.clock.Set(at)
	defer r.clock.Set(now)
	b, err := r.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: concern, Count: 1}}})
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *rig) next(counter string) (booking.Booking, error) { return r.sys.Next(ctx, counter, "clerk") }

func TestWhoIsCalledNext(t *testing.T) {
	type setup func(r *rig) map[string]booking.Booking
	tests := []struct {
		name    string
		setup   setup
		now     time.Time
		counter string
		want    string // key of the expected booking, "" = nobody
	}{
		{"an appointment whose time has come goes before a walk-in who waited longer", func(r *rig) map[string]booking.Booking {
			return map[string]booking.Booking{"walkin": r.walkIn("ausweis", mon(8, 0)), "appt": r.appt("ausweis", mon(9, 0))}
		}, mon(9, 0), "A", "appt"},
		{"an appointment is not called before its early window", func(r *rig) map[string]booking.Booking {
			return map[string]booking.Booking{"walkin": r.walkIn("ausweis", mon(8, 0)), "appt": r.appt("ausweis", mon(9, 0))}
		}, mon(8, 57), "A", "walkin"},
		{"two minutes early is inside the window", func(r *rig) map[string]booking.Booking {
			return map[string]booking.Booking{"walkin": r.walkIn("ausweis", mon(8, 0)), "appt": r.appt("ausweis", mon(9, 0))}
		}, mon(8, 58), "A", "appt"},
		{"a counter that does not serve the appointment's concern takes the walk-in", func(r *rig) map[string]booking.Booking {
			return map[string]booking.Booking{"walkin": r.walkIn("ausweis", mon(8, 0)), "appt": r.appt("kfz", mon(9, 0))}
		}, mon(9, 0), "A", "walkin"},
		{"the counter that serves it calls the appointment", func(r *rig) map[string]booking.Booking {
			return map[string]booking.Booking{"walkin": r.walkIn("ausweis", mon(8, 0)), "appt": r.appt("kfz", mon(9, 0))}
		}, mon(9, 0), "C", "appt"},
		{"the earliest due appointment first", func(r *rig) map[string]booking.Booking {
			return map[string]booking.Booking{"late": r.appt("ausweis", mon(9, 10)), "early": r.appt("ausweis", mon(9, 0))}
		}, mon(9, 15), "B", "early"},
		{"walk-ins in the order of their numbers", func(r *rig) map[string]booking.Booking {
			return map[string]booking.Booking{"first": r.walkIn("ausweis", mon(8, 0)), "second": r.walkIn("ausweis", mon(8, 5))}
		}, mon(8, 30), "A", "first"},
		{"a walk-in only a counter serves that can", func(r *rig) map[string]booking.Booking {
			return map[string]booking.Booking{"kfz": r.walkIn("kfz", mon(8, 0))}
		}, mon(8, 30), "A", ""},
		{"nobody waiting", func(r *rig) map[string]booking.Booking { return nil }, mon(8, 30), "A", ""},
		{"an urgent number before a due appointment", func(r *rig) map[string]booking.Booking {
			w := r.walkIn("ausweis", mon(8, 50))
			r.appt("ausweis", mon(9, 0))
			w, _ = r.store.SetPriority(ctx, w.ID, true, "infotheke")
			return map[string]booking.Booking{"urgent": w}
		}, mon(9, 0), "A", "urgent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false)
			want := tc.setup(r)
			r.clock.Set(tc.now)
			got, err := r.next(tc.counter)
			if tc.want == "" {
				if !errors.Is(err, ErrNobodyWaiting) {
					t.Fatalf("called %s (%v), want nobody", got.Number, err)
				}
				return
			}
			if err != nil || got.ID != want[tc.want].ID {
				t.Fatalf("called %s (%v), want %s %s", got.Number, err, tc.want, want[tc.want].Number)
			}
			if got.Status != booking.StatusCalled || got.Counter != tc.counter || !got.CalledAt.Equal(tc.now) {
				t.Fatalf("after the call: %+v", got)
			}
		})
	}
}

func TestRecallAfterFiveMinutesThenExpiry(t *testing.T) {
	r := newRig(t, false)
	appt := r.appt("ausweis", mon(9, 0))
	walkin := r.walkIn("ausweis", mon(8, 30))
	r.clock.Set(mon(9, 0))
	first, err := r.next("A")
	if err != nil || first.ID != appt.ID {
		t.Fatalf("first call: %v %+v", err, first)
	}
	r.clock.Set(mon(9, 1))
	missed, err := r.sys.Act(ctx, appt.ID, booking.ActionNoShow, "", "clerk")
	if err != nil || missed.Status != booking.StatusBooked || missed.MissedAt.IsZero() {
		t.Fatalf("first miss: %v %+v", err, missed)
	}
	r.restart() // the re-call is derived from the stored state
	r.clock.Set(mon(9, 4).Add(59 * time.Second))
	if b, err := r.next("B"); err != nil || b.ID != walkin.ID {
		t.Fatalf("at 4:59 after the call: called %s (%v), want the walk-in", b.Number, err)
	}
	r.clock.Set(mon(9, 5))
	again, err := r.next("C")
	if err != nil || again.ID != appt.ID || again.Calls != 2 || again.Counter != "C" {
		t.Fatalf("at exactly 5 minutes: %v %+v", err, again)
	}
	r.clock.Set(mon(9, 6))
	gone, err := r.sys.Act(ctx, appt.ID, booking.ActionNoShow, "", "clerk")
	if err != nil || gone.Status != booking.StatusExpired {
		t.Fatalf("second miss: %v %+v", err, gone)
	}
	if _, err := r.next("A"); !errors.Is(err, ErrNobodyWaiting) {
		t.Fatalf("an expired appointment was called again: %v", err)
	}
	var types []booking.EventType
	r.store.Events(ctx, 0, func(e booking.Event) bool {
		if e.BookingID == appt.ID {
			types = append(types, e.Type)
		}
		return true
	})
	if fmt.Sprint(types) != "[booked called no_show recalled expired]" {
		t.Fatalf("events %v", types)
	}
	r.calls.mu.Lock()
	defer r.calls.mu.Unlock()
	if len(r.calls.calls) != 3 || !r.calls.calls[2].Recall || r.calls.calls[2].Counter.Name != "Platz 3" {
		t.Fatalf("notified calls: %+v", r.calls.calls)
	}
}

func TestWalkInNoShowAndServing(t *testing.T) {
	r := newRig(t, false)
	w1 := r.walkIn("ausweis", mon(8, 0))
	w2 := r.walkIn("ausweis", mon(8, 1))
	r.clock.Set(mon(8, 10))
	r.next("A")
	if b, _ := r.sys.Act(ctx, w1.ID, booking.ActionNoShow, "", "clerk"); b.Status != booking.StatusNoShow {
		t.Fatalf("walk-in no-show: %s", b.Status)
	}
	r.next("A")
	r.clock.Set(mon(8, 12))
	r.sys.Act(ctx, w2.ID, booking.ActionStart, "", "clerk")
	r.clock.Set(mon(8, 20))
	done, err := r.sys.Act(ctx, w2.ID, booking.ActionDone, "", "clerk")
	if err != nil || done.Status != booking.StatusDone || done.DoneAt.Sub(done.StartedAt) != 8*time.Minute {
		t.Fatalf("done: %v %+v", err, done)
	}
	if _, err := r.sys.Act(ctx, w2.ID, booking.ActionDone, "", "clerk"); !errors.Is(err, booking.ErrNotActive) {
		t.Fatalf("done twice: %v", err)
	}
}

func TestCheckInRequired(t *testing.T) {
	r := newRig(t, true)
	appt := r.appt("ausweis", mon(9, 0))
	walkin := r.walkIn("ausweis", mon(8, 30))
	r.clock.Set(mon(9, 0))
	if b, _ := r.next("A"); b.ID != walkin.ID {
		t.Fatalf("called %s although the appointment holder has not checked in", b.Number)
	}
	r.clock.Set(mon(9, 2))
	if _, err := r.store.CheckIn(ctx, appt.ID, booking.Owner{}, "infotheke"); err != nil {
		t.Fatal(err)
	}
	if b, _ := r.next("B"); b.ID != appt.ID {
		t.Fatalf("called %s, want the checked-in appointment", b.Number)
	}
}

func TestTransferParkAndPosition(t *testing.T) {
	r := newRig(t, false)
	w := []booking.Booking{r.walkIn("ausweis", mon(8, 0)), r.walkIn("ausweis", mon(8, 1)), r.walkIn("ausweis", mon(8, 2)), r.walkIn("ausweis", mon(8, 3))}
	r.clock.Set(mon(8, 10))
	// With no counter at work yet all three count: 2 ahead, 10 minutes each.
	pos, err := r.sys.Position(ctx, w[2])
	if err != nil || pos.Ahead != 2 || pos.Wait != 20*time.Minute/3 || pos.Called {
		t.Fatalf("position of the third: %+v %v", pos, err)
	}
	first, _ := r.next("A")
	pos, _ = r.sys.Position(ctx, first)
	if !pos.Called || pos.Counter != "Platz 1" {
		t.Fatalf("position of a called number: %+v", pos)
	}
	// Counter A is now the only one at work: the fourth waits for two at one counter.
	if pos, _ := r.sys.Position(ctx, w[3]); pos.Ahead != 2 || pos.Wait != 20*time.Minute {
		t.Fatalf("position of the fourth with one counter at work: %+v", pos)
	}
	if _, err := r.sys.Act(ctx, first.ID, booking.ActionTransfer, "C", "clerk"); err != nil {
		t.Fatal(err)
	}
	if b, _ := r.next("B"); b.ID == first.ID {
		t.Fatal("a number transferred to C was called to B")
	}
	if b, _ := r.next("C"); b.ID != first.ID {
		t.Fatalf("C called %s, want the transferred %s first", b.Number, first.Number)
	}
	if _, err := r.sys.Act(ctx, first.ID, booking.ActionPark, "", "clerk"); err != nil {
		t.Fatal(err)
	}
	if b, _ := r.next("C"); b.ID == first.ID {
		t.Fatal("a parked number was called")
	}
	r.sys.Act(ctx, first.ID, booking.ActionUnpark, "", "clerk")
	if b, _ := r.next("A"); b.ID != first.ID {
		t.Fatalf("called %s, want the unparked number first", b.Number)
	}
	q, err := r.sys.Queue(ctx)
	if err != nil || len(q.Serving) != 3 || len(q.Waiting) != 1 || q.Waiting[0].ID != w[3].ID {
		t.Fatalf("queue: %+v %v", q, err)
	}
}

// TestCountersNeverCallTheSameCitizen: counters calling at once share out
// the waiting, none twice.
func TestCountersNeverCallTheSameCitizen(t *testing.T) {
	r := newRig(t, false)
	for i := range 30 {
		r.walkIn("ausweis", mon(8, 0).Add(time.Duration(i)*time.Second))
	}
	r.clock.Set(mon(9, 0))
	var mu sync.Mutex
	seen := map[uint64]string{}
	var wg sync.WaitGroup
	for _, c := range []string{"A", "B", "C"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b, err := r.next(c)
				if errors.Is(err, ErrNobodyWaiting) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				r.sys.Act(ctx, b.ID, booking.ActionDone, "", "clerk")
				mu.Lock()
				if other, dup := seen[b.ID]; dup {
					t.Errorf("%s called by %s and %s", b.Number, other, c)
				}
				seen[b.ID] = c
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 30 {
		t.Fatalf("%d called, want 30", len(seen))
	}
}

func TestServiceTimesAreLearned(t *testing.T) {
	r := newRig(t, false)
	for i := range 6 {
		w := r.walkIn("ausweis", mon(8, 0).Add(time.Duration(i)*time.Minute))
		r.clock.Set(mon(9, 0).Add(time.Duration(i) * 20 * time.Minute))
		r.next("A")
		r.sys.Act(ctx, w.ID, booking.ActionStart, "", "clerk")
		r.clock.Advance(16 * time.Minute)
		r.sys.Act(ctx, w.ID, booking.ActionDone, "", "clerk")
	}
	one := []office.ConcernCount{{ID: "ausweis", Count: 1}}
	if got := r.sys.ServiceTime(one); got != 16*time.Minute {
		t.Fatalf("measured %s, want 16m (configured 10m)", got)
	}
	r.restart() // learned again from the events
	if got := r.sys.ServiceTime(one); got != 16*time.Minute {
		t.Fatalf("after a restart %s, want 16m", got)
	}
}

// TestTransferToAnotherConcern: a citizen who turns out to need another
// concern goes back to the queue, first, for the counters that serve it.
func TestTransferToAnotherConcern(t *testing.T) {
	r := newRig(t, false)
	w := r.walkIn("ausweis", mon(8, 0))
	r.walkIn("ausweis", mon(8, 1))
	r.clock.Set(mon(8, 10))
	if b, _ := r.next("A"); b.ID != w.ID {
		t.Fatalf("called %s", b.Number)
	}
	moved, err := r.sys.Act(ctx, w.ID, booking.ActionTransfer, "concern:kfz", "clerk")
	if err != nil || moved.Concerns[0].ID != "kfz" || !moved.Priority || moved.Status != booking.StatusBooked {
		t.Fatalf("transfer: %v %+v", err, moved)
	}
	if b, _ := r.next("B"); b.ID == w.ID {
		t.Fatal("B does not serve kfz but called the transferred number")
	}
	if b, _ := r.next("C"); b.ID != w.ID {
		t.Fatalf("C called %s, want the transferred kfz case first", b.Number)
	}
	if _, err := r.sys.Act(ctx, w.ID, booking.ActionTransfer, "concern:zauber", "clerk"); !errors.Is(err, booking.ErrUnknownConcern) {
		t.Fatalf("unknown concern: %v", err)
	}
}

// A new walk-in's expected wait grows with the queue ahead of it, per group.
func TestWalkInWaitsGrowWithTheQueue(t *testing.T) {
	ctx := context.Background()
	store, _ := storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	sys, err := New(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, err := sys.WalkInWaits(ctx)
	if err != nil || len(before) != 2 || before[0].Group != "Ausweise und Pässe" {
		t.Fatalf("groups %+v (%v)", before, err)
	}
	for range 6 {
		if _, err := store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "personalausweis", Count: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := sys.WalkInWaits(ctx)
	if after[0].Wait <= before[0].Wait || after[1].Wait != before[1].Wait {
		t.Errorf("IDs %v → %v, vehicles %v → %v: want only the IDs' wait to grow", before[0].Wait, after[0].Wait, before[1].Wait, after[1].Wait)
	}
}

// Of two instances on one store, each display hears the other's calls
// (FollowCalls reads the event log) and its own once.
func TestInstancesHearEachOthersCalls(t *testing.T) {
	r := newRig(t, false)
	other, err := New(ctx, r.store, nil) // a second instance's call system on the same store
	if err != nil {
		t.Fatal(err)
	}
	heard := &recorder{}
	other.AddNotifier(heard)
	followCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { other.FollowCalls(followCtx, 10*time.Millisecond); close(done) }()
	defer func() { stop(); <-done }()
	time.Sleep(30 * time.Millisecond) // it starts at the log's end
	r.clock.Set(mon(9, 0))
	first := r.walkIn("ausweis", mon(8, 50))
	second := r.walkIn("ausweis", mon(8, 55))
	if b, err := r.next("A"); err != nil || b.ID != first.ID { // called on the first instance
		t.Fatalf("call: %+v %v", b, err)
	}
	if b, err := other.Next(ctx, "B", "clerk"); err != nil || b.ID != second.ID { // and on the second
		t.Fatalf("call on the other instance: %+v %v", b, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		heard.mu.Lock()
		n := len(heard.calls)
		var numbers []string
		for _, c := range heard.calls {
			numbers = append(numbers, c.Booking.Number)
		}
		heard.mu.Unlock()
		if n >= 2 {
			if fmt.Sprint(numbers) != fmt.Sprint([]string{second.Number, first.Number}) && fmt.Sprint(numbers) != fmt.Sprint([]string{first.Number, second.Number}) || n != 2 {
				t.Fatalf("the second instance heard %v, want each call once", numbers)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second instance heard %v", numbers)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	heard.mu.Lock()
	defer heard.mu.Unlock()
	if len(heard.calls) != 2 {
		t.Fatalf("%d calls heard, want 2", len(heard.calls))
	}
}
