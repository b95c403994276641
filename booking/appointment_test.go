package booking

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var ctx = context.Background()

func TestBookReturnsNumberAndPIN(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	start := at(2026, 11, 24, 9, 0)
	b, pin, err := s.Book(ctx, Request{Concerns: []ConcernCount{{ID: "ausweis", Count: 2}, {ID: "pass", Count: 1}},
		Start: start, Name: "  Erika   Mustermann ", Email: "erika@example.org", PersonKey: "tg:1", Channel: "telegram", ChatID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^T-\d{3}$`).MatchString(b.Number) {
		t.Errorf("number %q, want T-ddd", b.Number)
	}
	if !regexp.MustCompile(`^\d{6}$`).MatchString(pin) {
		t.Errorf("PIN %q, want 6 digits", pin)
	}
	if b.Minutes != 40 || b.Name != "Erika Mustermann" || !b.Start.Equal(start) || b.Status != StatusBooked {
		t.Errorf("booking %+v", b)
	}
	got, err := s.Lookup(ctx, strings.ToLower(b.Number), pin)
	if err != nil || got.ID != b.ID {
		t.Fatalf("lookup by number and PIN: %v %+v", err, got)
	}
	var events []EventType
	s.Events(ctx, 0, func(e Event) bool { events = append(events, e.Type); return true })
	if len(events) != 1 || events[0] != EventBooked {
		t.Errorf("events %v, want [booked]", events)
	}
}

func TestBookRefusesBadInput(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	ok := at(2026, 11, 24, 9, 0)
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"no name", Request{Concerns: one("ausweis"), Start: ok, Name: " "}, ErrInvalidInput},
		{"name of digits", Request{Concerns: one("ausweis"), Start: ok, Name: "12345"}, ErrInvalidInput},
		{"control characters", Request{Concerns: one("ausweis"), Start: ok, Name: "Eve\x00\x1b[2J"}, ErrInvalidInput},
		{"header injection in the e-mail", Request{Concerns: one("ausweis"), Start: ok, Name: "Eve", Email: "eve@example.org\r\nBcc: x@y"}, ErrInvalidInput},
		{"a display name is no address", Request{Concerns: one("ausweis"), Start: ok, Name: "Eve", Email: "Eve <eve@example.org>"}, ErrInvalidInput},
		{"too long a name", Request{Concerns: one("ausweis"), Start: ok, Name: strings.Repeat("a", 101)}, ErrInvalidInput},
		{"off the slot grid", Request{Concerns: one("ausweis"), Start: at(2026, 11, 24, 9, 10), Name: "Eve"}, ErrNotBookable},
		{"in the lunch break", Request{Concerns: one("ausweis"), Start: at(2026, 11, 23, 12, 0), Name: "Eve"}, ErrNotBookable},
		{"running past closing", Request{Concerns: one("lang"), Start: at(2026, 11, 24, 11, 30), Name: "Eve"}, ErrNotBookable},
		{"inside the lead time", Request{Concerns: one("ausweis"), Start: at(2026, 11, 23, 7, 30), Name: "Eve"}, ErrNotBookable},
		{"in the past", Request{Concerns: one("ausweis"), Start: at(2026, 11, 20, 9, 0), Name: "Eve"}, ErrNotBookable},
		{"beyond the horizon", Request{Concerns: one("ausweis"), Start: at(2026, 12, 15, 9, 0), Name: "Eve"}, ErrNotBookable},
		{"closed day", Request{Concerns: one("ausweis"), Start: at(2026, 11, 30, 9, 0), Name: "Eve"}, ErrClosed},
		{"unknown concern", Request{Concerns: one("zauber"), Start: ok, Name: "Eve"}, ErrUnknownConcern},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.Book(ctx, tc.req)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	n := 0
	s.Events(ctx, 0, func(Event) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d events after refused bookings, want 0", n)
	}
}

func TestLineBreaksInANameBecomeSpaces(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	b, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: at(2026, 11, 24, 9, 0), Name: "Eve\r\nBcc: x@y"})
	if err != nil || b.Name != "Eve Bcc: x@y" {
		t.Fatalf("name %q, err %v; want one line", b.Name, err)
	}
}

func TestActiveBookingLimitPerPerson(t *testing.T) {
	s, clock, _ := newStore(t, testOffice, monday)
	first, pin := book(t, s, "ausweis", at(2026, 11, 23, 9, 0), "tg:7")
	_, _, err := s.Book(ctx, Request{Concerns: one("pass"), Start: at(2026, 11, 24, 9, 0), Name: "Erika", PersonKey: "tg:7"})
	if !errors.Is(err, ErrLimitReached) {
		t.Fatalf("second active booking: err = %v, want ErrLimitReached", err)
	}
	book(t, s, "pass", at(2026, 11, 24, 9, 0), "tg:8") // another person may
	if _, err := s.Cancel(ctx, first.Number, pin, nil); err != nil {
		t.Fatal(err)
	}
	book(t, s, "pass", at(2026, 11, 24, 9, 30), "tg:7") // after cancelling, again
	// Once the appointment is over it no longer counts.
	clock.Set(at(2026, 11, 24, 10, 0))
	book(t, s, "pass", at(2026, 11, 26, 8, 0), "tg:7")
}

func TestPIN(t *testing.T) {
	s, clock, path := newStore(t, testOffice, monday)
	b, pin := book(t, s, "ausweis", at(2026, 11, 24, 9, 0), "p")
	wrong := fmt.Sprintf("%06d", (atoi(pin)+1)%1_000_000)

	t.Run("wrong PIN refused and counted", func(t *testing.T) {
		_, err := s.Cancel(ctx, b.Number, wrong, nil)
		var pe *PINError
		if !errors.Is(err, ErrWrongPIN) || !errors.As(err, &pe) || pe.Remaining != 2 {
			t.Fatalf("err = %v, want a wrong PIN with 2 tries left", err)
		}
		if got, _ := s.Get(ctx, b.ID); got.Status != StatusBooked {
			t.Fatalf("status %s after a wrong PIN", got.Status)
		}
	})
	t.Run("unknown number", func(t *testing.T) {
		if _, err := s.Cancel(ctx, "T-1000", pin, nil); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("right PIN resets the count", func(t *testing.T) {
		if _, err := s.Lookup(ctx, b.Number, " "+pin[:3]+" "+pin[3:]); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, b.ID); got.PINFailures != 0 {
			t.Fatalf("failures %d after the right PIN", got.PINFailures)
		}
	})
	t.Run("lock-out after the limit, even for the right PIN", func(t *testing.T) {
		for i := range 3 {
			_, err := s.Cancel(ctx, b.Number, wrong, nil)
			if i < 2 && (errors.Is(err, ErrPINLocked) || !errors.Is(err, ErrWrongPIN)) {
				t.Fatalf("try %d: %v", i+1, err)
			}
			if i == 2 && !errors.Is(err, ErrPINLocked) {
				t.Fatalf("third wrong PIN: %v, want the lock-out", err)
			}
		}
		if _, err := s.Cancel(ctx, b.Number, pin, nil); !errors.Is(err, ErrPINLocked) || errors.Is(err, ErrWrongPIN) {
			t.Fatalf("right PIN while locked: %v, want ErrPINLocked", err)
		}
		clock.Advance(time.Hour)
		got, err := s.Cancel(ctx, b.Number, pin, nil)
		if err != nil || got.Status != StatusCancelled {
			t.Fatalf("right PIN after the lock-out: %v %s", err, got.Status)
		}
	})
	t.Run("cancelled cannot be cancelled again", func(t *testing.T) {
		if _, err := s.Cancel(ctx, b.Number, pin, nil); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("the PIN is not in the file", func(t *testing.T) {
		s.Close()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(pin)) {
			t.Fatalf("the PIN %s is in the store file", pin)
		}
		if !bytes.Contains(raw, []byte(b.Number)) {
			t.Fatal("the scan is blind: the number is not in the file either")
		}
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestCancelledSlotIsReleasedAfterTheDelay(t *testing.T) {
	s, clock, _ := newStore(t, testOffice, monday)
	start := at(2026, 11, 23, 13, 0)
	var kfz Booking
	var kfzPIN string
	kfz, kfzPIN = book(t, s, "kfz", start, "a")
	if strings.Contains(dayTimes(t, s, one("kfz"), start), "13:00") {
		t.Fatal("13:00 offered for kfz while booked")
	}
	if _, err := s.Cancel(ctx, kfz.Number, kfzPIN, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(14 * time.Minute)
	if strings.Contains(dayTimes(t, s, one("kfz"), start), "13:00") {
		t.Fatal("13:00 offered 14 minutes after the cancellation; the release delay is 15")
	}
	if _, _, err := s.Book(ctx, Request{Concerns: one("kfz"), Start: start, Name: "Bob", PersonKey: "b"}); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("booking the cancelled slot early: %v, want ErrSlotTaken", err)
	}
	clock.Advance(time.Minute)
	if !strings.Contains(dayTimes(t, s, one("kfz"), start), "13:00") {
		t.Fatal("13:00 not offered after the release delay")
	}
	book(t, s, "kfz", start, "b")
}

func TestReschedule(t *testing.T) {
	s, clock, _ := newStore(t, testOffice, monday)
	b, pin := book(t, s, "kfz", at(2026, 11, 23, 9, 0), "a")
	b2, pin2 := book(t, s, "kfz", at(2026, 11, 24, 9, 0), "b")

	if _, err := s.Reschedule(ctx, b.Number, pin, at(2026, 11, 24, 9, 0), nil); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("moving onto a taken slot: %v, want ErrSlotTaken", err)
	}
	moved, err := s.Reschedule(ctx, b.Number, pin, at(2026, 11, 26, 8, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Number != b.Number || moved.Name != b.Name || !moved.Start.Equal(at(2026, 11, 26, 8, 0)) {
		t.Fatalf("moved %+v", moved)
	}
	// The old time is held for the release delay, then free again.
	if strings.Contains(dayTimes(t, s, one("kfz"), at(2026, 11, 23, 0, 0)), "09:00") {
		t.Fatal("old time free at once after a move")
	}
	clock.Advance(15 * time.Minute)
	if !strings.Contains(dayTimes(t, s, one("kfz"), at(2026, 11, 23, 0, 0)), "09:00") {
		t.Fatal("old time not free after the release delay")
	}
	// Moving within the same day keeps working, and the day lists it once.
	if _, err := s.Reschedule(ctx, b2.Number, pin2, at(2026, 11, 24, 10, 0), nil); err != nil {
		t.Fatal(err)
	}
	day, err := s.DayBookings(ctx, at(2026, 11, 24, 0, 0))
	if err != nil || len(day) != 1 || !day[0].Start.Equal(at(2026, 11, 24, 10, 0)) {
		t.Fatalf("day after a same-day move: %v %+v", err, day)
	}
	if _, err := s.Lookup(ctx, b.Number, pin); err != nil {
		t.Fatalf("lookup after the move: %v", err)
	}
	var types []EventType
	s.Events(ctx, 0, func(e Event) bool { types = append(types, e.Type); return true })
	if fmt.Sprint(types) != "[booked booked rescheduled rescheduled]" {
		t.Errorf("events %v", types)
	}
}

func TestNormalizeNumber(t *testing.T) {
	for in, want := range map[string]string{"t42": "T-042", "T-042": "T-042", " t 042 ": "T-042", "w-7": "W-007", "T-1234": "T-1234", "x1": "X1", "T-4a": "T-4A", "": ""} {
		if got := NormalizeNumber(in); got != want {
			t.Errorf("NormalizeNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRaceForTenSlots has 200 goroutines race for 10 slots: exactly the
// capacity is booked, every other attempt is told the slot is taken, and a
// reopened file shows the same.
func TestRaceForTenSlots(t *testing.T) {
	s, _, path := newStore(t, testOffice, monday)
	// kfz has one counter: ten 30-minute slots on Tuesday 08:00-12:00 are 8,
	// plus Thursday's 08:00 and 08:30 make 10.
	var slots []time.Time
	for m := 0; m < 240; m += 30 {
		slots = append(slots, at(2026, 11, 24, 8, 0).Add(time.Duration(m)*time.Minute))
	}
	slots = append(slots, at(2026, 11, 26, 8, 0), at(2026, 11, 26, 8, 30))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     = map[string]string{} // number -> PIN
		taken   int
		unknown []error
	)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, pin, err := s.Book(ctx, Request{Concerns: one("kfz"), Start: slots[i%len(slots)], Name: "Racer", PersonKey: fmt.Sprint("racer", i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won[b.Number] = pin
			case errors.Is(err, ErrSlotTaken):
				taken++
			default:
				unknown = append(unknown, err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 10 || taken != 190 || len(unknown) != 0 {
		t.Fatalf("won %d, taken %d, other errors %v; want 10, 190, none", len(won), taken, unknown)
	}
	check := func(s *Store) {
		t.Helper()
		n := 0
		for _, d := range []time.Time{at(2026, 11, 24, 0, 0), at(2026, 11, 26, 0, 0)} {
			bs, err := s.DayBookings(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[time.Time]bool{}
			for _, b := range bs {
				if seen[b.Start] {
					t.Fatalf("%s booked twice", b.Start)
				}
				seen[b.Start] = true
				n++
			}
		}
		if n != 10 {
			t.Fatalf("%d bookings stored, want 10", n)
		}
		if days, _ := s.FreeSlots(ctx, ForCitizen, one("kfz"), at(2026, 11, 24, 0, 0), at(2026, 11, 26, 0, 0)); len(days) != 0 {
			t.Fatalf("free kfz times left: %v", days)
		}
		for num, pin := range won {
			if _, err := s.Lookup(ctx, num, pin); err != nil {
				t.Fatalf("%s with its PIN: %v", num, err)
			}
		}
	}
	check(s)
	s.Close()
	reopened, err := Open(path, s.cfg, Options{Clock: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	check(reopened)
}

func TestSecondProcessFailsFastOnTheLock(t *testing.T) {
	s, _, path := newStore(t, testOffice, monday)
	_ = s
	start := time.Now()
	_, err := Open(path, s.cfg, Options{LockTimeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second open: %v, want it refused", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("second open waited too long")
	}
}
