package booking

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"buergerbuero/storage"
)

// The simulation test runs random operations (book, cancel with the right or
// a wrong PIN, reschedule, time passing, restart) against the store and
// against a deliberately simple model of the office, which predicts every
// outcome on its own: capacity minute by minute with a brute-force counter
// assignment, PIN tries and lock-outs, the person limit, the release delay.
// Store and model must agree on every outcome and every booking.

type simBooking struct {
	number, pin, person string
	start               time.Time
	minutes             int
	counters            []int // counter indexes that can serve it
	cancelled           bool
	cancelledAt         time.Time
	failures            int
	lockedUntil         time.Time
}

type simHold struct { // a released time still blocked after a move
	start    time.Time
	minutes  int
	counters []int
	until    time.Time
}

type simModel struct {
	now      time.Time
	bookings map[string]*simBooking
	ghosts   []simHold
}

var simConcerns = []struct {
	concerns []ConcernCount
	minutes  int
	counters []int
}{
	{one("ausweis"), 10, []int{0, 1, 2}},
	{one("pass"), 20, []int{0, 1}},
	{one("kfz"), 30, []int{2}},
	{one("lang"), 60, []int{0, 1, 2}},
	{[]ConcernCount{{ID: "ausweis", Count: 2}, {ID: "pass", Count: 1}}, 40, []int{0, 1}},
}

// offered: the test office's hours, written out by hand, and the lead time.
func (m *simModel) offered(start time.Time, minutes int) bool {
	hours := map[time.Weekday][][2]int{
		time.Monday: {{8 * 60, 12 * 60}, {13 * 60, 15 * 60}}, time.Tuesday: {{8 * 60, 12 * 60}}, time.Thursday: {{8 * 60, 9 * 60}}}
	if start.Before(m.now.Add(time.Hour)) {
		return false
	}
	from := start.Hour()*60 + start.Minute()
	for _, r := range hours[start.Weekday()] {
		if from >= r[0] && from+minutes <= r[1] {
			return true
		}
	}
	return false
}

// holds lists what occupies time at the model's now.
func (m *simModel) holds(except string) []simHold {
	var out []simHold
	for _, b := range m.bookings {
		if b.number == except {
			continue
		}
		if !b.cancelled || m.now.Before(b.cancelledAt.Add(15*time.Minute)) {
			out = append(out, simHold{b.start, b.minutes, b.counters, time.Time{}})
		}
	}
	for _, g := range m.ghosts {
		if m.now.Before(g.until) {
			out = append(out, g)
		}
	}
	return out
}

// fitsModel checks minute by minute that the candidate and everything
// running then can each get their own counter (at most 3).
func (m *simModel) fitsModel(start time.Time, minutes int, counters []int, except string) bool {
	holds := m.holds(except)
	for t := start; t.Before(start.Add(time.Duration(minutes) * time.Minute)); t = t.Add(time.Minute) {
		sets := [][]int{counters}
		for _, h := range holds {
			if !t.Before(h.start) && t.Before(h.start.Add(time.Duration(h.minutes)*time.Minute)) {
				sets = append(sets, h.counters)
			}
		}
		if len(sets) > 3 || !assign(sets, 0, map[int]bool{}) {
			return false
		}
	}
	return true
}

// assign tries every counter for every appointment (brute force).
func assign(sets [][]int, i int, used map[int]bool) bool {
	if i == len(sets) {
		return true
	}
	for _, c := range sets[i] {
		if !used[c] {
			used[c] = true
			if assign(sets, i+1, used) {
				return true
			}
			used[c] = false
		}
	}
	return false
}

func (m *simModel) activeOf(person string) int {
	n := 0
	for _, b := range m.bookings {
		if b.person == person && !b.cancelled && b.start.Add(time.Duration(b.minutes)*time.Minute).After(m.now) {
			n++
		}
	}
	return n
}

func TestSimulation(t *testing.T) {
	seen := map[string]int{}
	for seed := range uint64(5) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { simulate(t, seed, 300, seen, simAlone) })
	}
	// The run must have met every outcome, or it proves little.
	for _, want := range []string{"book ok", "book slot taken", "book limit reached", "book not bookable",
		"cancel ok", "cancel not found", "wrong PIN wrong", "wrong PIN locked", "reschedule ok", "reschedule slot taken"} {
		if seen[want] == 0 {
			t.Errorf("no %q in the simulation: %v", want, seen)
		}
	}
}

func outcome(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{{ErrPINLocked, "locked"}, {ErrWrongPIN, "wrong"}, {ErrSlotTaken, "slot taken"}, {ErrLimitReached, "limit reached"},
		{ErrNotBookable, "not bookable"}, {ErrNotFound, "not found"}} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if err == nil {
		return "ok"
	}
	return "other"
}

// TestSimulationBesideAnotherOffice runs the simulation on an office of a
// town, in its own part of the file, while the town's other office in the
// same file books at the same times for people of the same names: the
// model of the one office, which knows nothing of the other, must still
// predict every outcome.
func TestSimulationBesideAnotherOffice(t *testing.T) {
	seen := map[string]int{}
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { simulate(t, seed, 300, seen, simBeside) })
	}
	if seen["book ok"] == 0 || seen["book slot taken"] == 0 || seen["neighbour booked"] < 50 {
		t.Fatalf("the run proved little: %v", seen)
	}
}

// TestSimulationInATown runs the simulation on an office of a town whose
// limit per person holds town-wide: each booking carries what the person
// holds at the other office (as the dialogue passes it), and the model
// predicts the limit from its own bookings and those the other office was
// seen to make. No person ever holds more than the limit across both.
func TestSimulationInATown(t *testing.T) {
	seen := map[string]int{}
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { simulate(t, seed, 300, seen, simTown) })
	}
	if seen["book ok"] == 0 || seen["book limit reached"] == 0 || seen["neighbour booked"] < 20 || seen["neighbour refused: limit"] == 0 {
		t.Fatalf("the run proved little: %v", seen)
	}
}

// simMode is where the simulated office stands.
type simMode int

const (
	simAlone  simMode = iota // a single office in its file
	simBeside                // an office of a town beside another in one file, limits per office
	simTown                  // the same, with the limit per person town-wide
)

// neighbourBooking is a booking the town's other office made.
type neighbourBooking struct {
	person  string
	start   time.Time
	minutes int
}

// simulate runs the simulation; beside another office (simBeside,
// simTown), it runs the office in a namespace of the file with another
// office booking in the file's own part.
func simulate(t *testing.T, seed uint64, steps int, seen map[string]int, mode simMode) {
	beside := mode != simAlone
	rng := rand.New(rand.NewPCG(seed, 99))
	s, clock, path := newStore(t, testOffice, monday)
	cfg := s.cfg
	var neighbour *Store
	var file storage.Backend
	open := func() { // the office under test, reopened (a restart)
		var err error
		if !beside {
			if s, err = Open(path, cfg, Options{Clock: clock}); err != nil {
				t.Fatal(err)
			}
			return
		}
		if file, err = storage.OpenFile(path, time.Second); err != nil {
			t.Fatal(err)
		}
		if neighbour, err = New(storage.Shared(file), cfg, Options{Clock: clock}); err != nil {
			t.Fatal(err)
		}
		if s, err = New(storage.Shared(storage.Within(file, "office/ohligs/")), cfg, Options{Clock: clock}); err != nil {
			t.Fatal(err)
		}
	}
	closeAll := func() {
		s.Close()
		if beside {
			neighbour.Close()
			file.Close()
		}
	}
	if beside {
		s.Close()
		open()
	}
	t.Cleanup(func() { closeAll() })
	model := &simModel{now: monday, bookings: map[string]*simBooking{}}
	var elsewhere []neighbourBooking // what the other office booked (in a town, it counts toward the limit)
	heldElsewhere := func(person string) int {
		n := 0
		for _, b := range elsewhere {
			if b.person == person && b.start.Add(time.Duration(b.minutes)*time.Minute).After(model.now) {
				n++
			}
		}
		return n
	}
	noise := rand.New(rand.NewPCG(seed, 7)) // the other office's own rhythm
	neighbourBooks := func() {
		c := simConcerns[noise.IntN(len(simConcerns))]
		start := at(2026, 11, 23+noise.IntN(4), 8+noise.IntN(4), 30*noise.IntN(2))
		req := Request{Concerns: c.concerns, Start: start, Name: "Nachbar Amt", PersonKey: fmt.Sprint("p", noise.IntN(60))}
		if mode == simTown { // as the dialogue does: what the office under test holds counts
			held, _, err := s.ActiveHeld(ctx, req.PersonKey, "")
			if err != nil {
				t.Fatal(err)
			}
			req.HeldElsewhere = held
		}
		_, _, err := neighbour.Book(ctx, req)
		switch {
		case err == nil:
			seen["neighbour booked"]++
			elsewhere = append(elsewhere, neighbourBooking{req.PersonKey, start, c.minutes})
		case errors.Is(err, ErrLimitReached):
			seen["neighbour refused: limit"]++
		}
	}
	var starts []time.Time // grid times on open days, some soon to be past
	for _, d := range []int{23, 24, 26} {
		for mm := 8 * 60; mm < 15*60; mm += 30 {
			if mm < 12*60 || d == 23 && mm >= 13*60 {
				starts = append(starts, at(2026, 11, d, mm/60, mm%60))
			}
		}
	}
	var order []*simBooking // insertion order, so a seed replays the same run
	pick := func() *simBooking {
		if len(order) == 0 {
			return nil
		}
		return order[rng.IntN(len(order))]
	}
	var lastWrong *simBooking
	upcoming := func(b *simBooking) bool {
		return !b.cancelled && b.start.Add(time.Duration(b.minutes)*time.Minute).After(model.now)
	}
	for step := range steps {
		if beside {
			neighbourBooks()
		}
		switch op := rng.IntN(100); {
		case op < 45: // book
			c := simConcerns[rng.IntN(len(simConcerns))]
			start := starts[rng.IntN(len(starts))]
			person := fmt.Sprint("p", rng.IntN(60))
			req := Request{Concerns: c.concerns, Start: start, Name: "Sim Person", PersonKey: person}
			held := 0
			if mode == simTown {
				real, _, err := neighbour.ActiveHeld(ctx, person, "")
				if held = heldElsewhere(person); err != nil || real.Bookings != held {
					t.Fatalf("step %d: the other office holds %d for %s, its model %d (%v)", step, real, person, held, err)
				}
				req.HeldElsewhere = real
			}
			var want error
			switch {
			case model.activeOf(person)+held >= 1:
				want = ErrLimitReached
			case !model.offered(start, c.minutes):
				want = ErrNotBookable
			case !model.fitsModel(start, c.minutes, c.counters, ""):
				want = ErrSlotTaken
			}
			b, pin, err := s.Book(ctx, req)
			seen["book "+outcome(err)]++
			if !sameOutcome(err, want) {
				t.Fatalf("step %d: book %v at %s for %s: err = %v, model says %v", step, c.concerns, start.Format("Mon 15:04"), person, err, want)
			}
			if err == nil {
				nb := &simBooking{number: b.Number, pin: pin, person: person, start: start, minutes: c.minutes, counters: c.counters}
				model.bookings[b.Number] = nb
				order = append(order, nb)
			}
		case op < 60: // cancel with the right PIN
			b := pick()
			if b == nil {
				continue
			}
			want := predictPIN(model, b, true, upcoming(b))
			_, err := s.Cancel(ctx, b.number, b.pin, nil)
			seen["cancel "+outcome(err)]++
			if !sameOutcome(err, want) {
				t.Fatalf("step %d: cancel %s: err = %v, model says %v", step, b.number, err, want)
			}
			if err == nil {
				b.cancelled, b.cancelledAt = true, model.now
			}
		case op < 70: // a wrong PIN, often at the same booking as before
			b := pick()
			if lastWrong != nil && rng.IntN(3) > 0 {
				b = lastWrong
			}
			if b == nil {
				continue
			}
			lastWrong = b
			want := predictPIN(model, b, false, upcoming(b))
			_, err := s.Cancel(ctx, b.number, "000000", nil)
			if b.pin == "000000" {
				continue
			}
			seen["wrong PIN "+outcome(err)]++
			if !sameOutcome(err, want) {
				t.Fatalf("step %d: wrong PIN for %s: err = %v, model says %v", step, b.number, err, want)
			}
		case op < 82: // reschedule
			b := pick()
			if b == nil {
				continue
			}
			start := starts[rng.IntN(len(starts))]
			want := predictPIN(model, b, true, upcoming(b))
			var bookErr error
			switch {
			case !model.offered(start, b.minutes):
				bookErr = ErrNotBookable
			case !model.fitsModel(start, b.minutes, b.counters, b.number):
				bookErr = ErrSlotTaken
			}
			if want == nil && bookErr != nil {
				want = bookErr
				b.failures, b.lockedUntil = 0, time.Time{} // the PIN was right
			}
			_, err := s.Reschedule(ctx, b.number, b.pin, start, nil)
			seen["reschedule "+outcome(err)]++
			if !sameOutcome(err, want) {
				t.Fatalf("step %d: reschedule %s from %s to %s: err = %v, model says %v", step, b.number, b.start.Format("Mon 15:04"), start.Format("Mon 15:04"), err, want)
			}
			if err == nil {
				model.ghosts = append(model.ghosts, simHold{b.start, b.minutes, b.counters, model.now.Add(15 * time.Minute)})
				b.start = start
			}
		case op < 95: // time passes
			d := time.Duration(rng.IntN(40)) * time.Minute
			clock.Advance(d)
			model.now = model.now.Add(d)
		default: // restart
			closeAll()
			open()
		}
		checkAgainstModel(t, step, s, model)
		if mode == simTown {
			for p := range 60 {
				person := fmt.Sprint("p", p)
				if n := model.activeOf(person) + heldElsewhere(person); n > 1 {
					t.Fatalf("step %d: %s holds %d appointments in the town", step, person, n)
				}
			}
		}
	}
}

// predictPIN is the model's outcome of a PIN attempt, updating its counts.
func predictPIN(m *simModel, b *simBooking, right, upcoming bool) error {
	if !upcoming {
		return ErrNotFound
	}
	if m.now.Before(b.lockedUntil) {
		return ErrPINLocked
	}
	b.failures++
	if b.failures >= 3 {
		b.failures, b.lockedUntil = 0, m.now.Add(time.Hour)
	}
	if right {
		b.failures, b.lockedUntil = 0, time.Time{}
		return nil
	}
	if m.now.Before(b.lockedUntil) {
		return ErrPINLocked
	}
	return ErrWrongPIN
}

func sameOutcome(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

// checkAgainstModel compares every booking, and checks no minute is over
// capacity in the store's own data.
func checkAgainstModel(t *testing.T, step int, s *Store, m *simModel) {
	t.Helper()
	stored := map[string]Booking{}
	for _, d := range []int{23, 24, 26} {
		bs, err := s.DayBookings(ctx, at(2026, 11, d, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if _, dup := stored[b.Number]; dup {
				t.Fatalf("step %d: number %s twice", step, b.Number)
			}
			stored[b.Number] = b
		}
	}
	if len(stored) != len(m.bookings) {
		t.Fatalf("step %d: store has %d bookings, model %d", step, len(stored), len(m.bookings))
	}
	for num, mb := range m.bookings {
		sb, ok := stored[num]
		if !ok || !sb.Start.Equal(mb.start) || (sb.Status == StatusCancelled) != mb.cancelled || sb.Minutes != mb.minutes {
			t.Fatalf("step %d: %s in store %+v, in model %+v", step, num, sb, mb)
		}
	}
}
