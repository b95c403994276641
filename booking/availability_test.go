package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// hhmm renders times as "08:00 08:30".
func hhmm(times []time.Time) string {
	var out []string
	for _, t := range times {
		out = append(out, t.In(berlin).Format("15:04"))
	}
	return strings.Join(out, " ")
}

func dayTimes(t *testing.T, s *Store, concerns []ConcernCount, day time.Time) string {
	t.Helper()
	days, err := s.FreeSlots(context.Background(), ForCitizen, concerns, day, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) == 0 {
		return ""
	}
	return hhmm(days[0].Times)
}

func TestFreeSlotsOnADay(t *testing.T) {
	type pre struct {
		concern string
		start   time.Time
	}
	mon := func(hh, mm int) time.Time { return at(2026, 11, 23, hh, mm) }
	tests := []struct {
		name     string
		now      time.Time
		booked   []pre
		concerns []ConcernCount
		day      time.Time
		want     string
	}{
		{name: "both ranges of a day with a lunch break", now: monday, concerns: one("ausweis"), day: mon(0, 0),
			want: "08:00 08:30 09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "an hour-long case does not run into the lunch break or past closing", now: monday, concerns: one("lang"), day: mon(0, 0),
			want: "08:00 08:30 09:00 09:30 10:00 10:30 11:00 13:00 13:30 14:00"},
		{name: "lead time: nothing before now plus one hour", now: mon(9, 10), concerns: one("ausweis"), day: mon(0, 0),
			want: "10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "lead time reaching into the afternoon range", now: mon(11, 45), concerns: one("ausweis"), day: mon(0, 0),
			want: "13:00 13:30 14:00 14:30"},
		{name: "after closing nothing is left today", now: mon(14, 30), concerns: one("ausweis"), day: mon(0, 0), want: ""},
		{name: "a range exactly as long as the case", now: monday, concerns: one("lang"), day: at(2026, 11, 26, 0, 0), want: "08:00"},
		{name: "a case longer than the only range", now: monday, concerns: []ConcernCount{{ID: "lang", Count: 1}, {ID: "ausweis", Count: 1}}, day: at(2026, 11, 26, 0, 0), want: ""},
		{name: "weekday without hours", now: monday, concerns: one("ausweis"), day: at(2026, 11, 25, 0, 0), want: ""},
		{name: "extra closed date", now: monday, concerns: one("ausweis"), day: at(2026, 11, 30, 0, 0), want: ""},
		{name: "public holiday (Easter Monday in NW)", now: at(2027, 3, 22, 7, 0), concerns: one("ausweis"), day: at(2027, 3, 29, 0, 0), want: ""},
		{name: "public holiday (Ascension Day, a Thursday)", now: at(2027, 4, 26, 7, 0), concerns: one("ausweis"), day: at(2027, 5, 6, 0, 0), want: ""},
		{name: "the last day of the horizon is bookable", now: monday, concerns: one("ausweis"), day: at(2026, 12, 14, 0, 0),
			want: "08:00 08:30 09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "the day after the horizon is not", now: monday, concerns: one("ausweis"), day: at(2026, 12, 15, 0, 0), want: ""},
		{name: "the only counter for kfz is taken", now: monday, booked: []pre{{"kfz", mon(8, 0)}}, concerns: one("kfz"), day: mon(0, 0),
			want: "08:30 09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "other concerns still fit next to a kfz case", now: monday, booked: []pre{{"kfz", mon(8, 0)}}, concerns: one("ausweis"), day: mon(0, 0),
			want: "08:00 08:30 09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "pass at A/B, kfz at C, ausweis anywhere: a full 8:00", now: monday,
			booked: []pre{{"kfz", mon(8, 0)}, {"pass", mon(8, 0)}, {"ausweis", mon(8, 0)}}, concerns: one("ausweis"), day: mon(0, 0),
			want: "08:30 09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "two passes hold A and B: a third does not fit though C is free", now: monday,
			booked: []pre{{"pass", mon(8, 0)}, {"pass", mon(8, 0)}}, concerns: one("pass"), day: mon(0, 0),
			want: "08:30 09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "two passes hold A and B: kfz still fits at C", now: monday,
			booked: []pre{{"pass", mon(8, 0)}, {"pass", mon(8, 0)}}, concerns: one("kfz"), day: mon(0, 0),
			want: "08:00 08:30 09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "three hour-long cases block every counter for the hour", now: monday,
			booked: []pre{{"lang", mon(8, 0)}, {"lang", mon(8, 0)}, {"lang", mon(8, 0)}}, concerns: one("ausweis"), day: mon(0, 0),
			want: "09:00 09:30 10:00 10:30 11:00 11:30 13:00 13:30 14:00 14:30"},
		{name: "an overlap that starts inside the new case counts", now: monday,
			booked: []pre{{"lang", mon(9, 0)}, {"lang", mon(9, 0)}, {"lang", mon(9, 0)}}, concerns: one("lang"), day: mon(0, 0),
			want: "08:00 10:00 10:30 11:00 13:00 13:30 14:00"},
		{name: "several concerns: durations add up, counters intersect", now: monday, booked: []pre{{"kfz", mon(8, 0)}},
			concerns: []ConcernCount{{ID: "ausweis", Count: 3}, {ID: "pass", Count: 1}}, day: at(2026, 11, 24, 0, 0),
			want: "08:00 08:30 09:00 09:30 10:00 10:30 11:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock, _ := newStore(t, testOffice, monday)
			for i, p := range tc.booked {
				book(t, s, p.concern, p.start, fmt.Sprint("person", i))
			}
			clock.Set(tc.now)
			if got := dayTimes(t, s, tc.concerns, tc.day); got != tc.want {
				t.Errorf("free times\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestFreeSlotsAcrossTheHorizon(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	days, err := s.FreeSlots(context.Background(), ForCitizen, one("ausweis"), monday, monday.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range days {
		got = append(got, d.Day.Format("Mon 02.01."))
	}
	// Mondays, Tuesdays and Thursdays from 23.11. to 14.12., but not the closed 30.11.
	want := []string{"Mon 23.11.", "Tue 24.11.", "Thu 26.11.", "Tue 01.12.", "Thu 03.12.", "Mon 07.12.", "Tue 08.12.", "Thu 10.12.", "Mon 14.12."}
	if !slices.Equal(got, want) {
		t.Errorf("days\n got: %v\nwant: %v", got, want)
	}
}

func TestWalkInShareKeepsCountersFree(t *testing.T) {
	cfg := strings.Replace(testOffice, "walk_in_share: 0,", "walk_in_share: 0.34,", 1)
	s, _, _ := newStore(t, cfg, monday)
	if got := s.Config().AppointmentCapacity(); got != 2 {
		t.Fatalf("appointment capacity with 3 counters and a third kept for walk-ins = %d, want 2", got)
	}
	start := at(2026, 11, 23, 8, 0)
	book(t, s, "ausweis", start, "a")
	book(t, s, "ausweis", start, "b")
	_, _, err := s.Book(context.Background(), Request{Concerns: one("ausweis"), Start: start, Name: "Max Muster", PersonKey: "c"})
	if !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("third booking at 08:00 with one counter kept for walk-ins: err = %v, want ErrSlotTaken", err)
	}
}

func TestFreeSlotsRefusesImpossibleConcerns(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	tests := []struct {
		concerns []ConcernCount
		want     error
	}{
		{[]ConcernCount{{ID: "kfz", Count: 1}, {ID: "pass", Count: 1}}, ErrNoCounter},
		{one("zauberei"), ErrUnknownConcern},
		{[]ConcernCount{{ID: "ausweis", Count: 4}}, ErrTooMany},
		{[]ConcernCount{{ID: "ausweis", Count: 2}, {ID: "ausweis", Count: 2}}, ErrTooMany},
		{nil, ErrInvalidInput},
		{[]ConcernCount{{ID: "ausweis", Count: 0}}, ErrInvalidInput},
	}
	for _, tc := range tests {
		_, err := s.FreeSlots(context.Background(), ForCitizen, tc.concerns, monday, monday)
		if !errors.Is(err, tc.want) {
			t.Errorf("%v: err = %v, want %v", tc.concerns, err, tc.want)
		}
	}
}
