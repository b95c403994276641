package booking

import (
	"buergerbuero/office"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// twoOffices is a town with two offices: Mitte with three counters and
// all concerns, Ohligs with one counter, fewer concerns, one of them
// slower there, and closed days of its own.
const twoOffices = `
office: {name: Bürgerbüros Musterstadt, timezone: Europe/Berlin, state: NW, phone: "02175 1"}
concerns:
  - {id: ausweis, name: {de: Personalausweis}, minutes: 15}
  - {id: kfz, name: {de: Fahrzeug abmelden}, minutes: 15}
  - {id: melde, name: {de: Meldebescheinigung}, minutes: 5}
closed: {public_holidays: true}
offices:
  - id: mitte
    office: {name: Bürgerbüro Mitte, address: "Am Markt 1"}
    counters: [{id: "1"}, {id: "2"}, {id: "3"}]
    opening_hours: {monday: ["08:00-12:00"]}
  - id: ohligs
    office: {name: Bürgerbüro Ohligs, address: "Düsseldorfer Str. 9", phone: "02175 2"}
    counters: [{id: "1"}]
    opening_hours: {tuesday: ["14:00-18:00"]}
    closed: {public_holidays: true, dates: ["2026-12-29"]}
    concerns:
      - {id: ausweis, minutes: 20}
      - {id: melde}
`

func TestTownWithTwoOffices(t *testing.T) {
	cfg, err := office.ParseConfig("town.yaml", []byte(twoOffices))
	if err != nil {
		t.Fatal(err)
	}
	offices := cfg.OfficeConfigs()
	if len(offices) != 2 {
		t.Fatalf("%d offices", len(offices))
	}
	mitte, ohligs := offices[0], offices[1]
	if mitte.Office.Name != "Bürgerbüro Mitte" || mitte.Office.Phone != "02175 1" || len(mitte.Counters) != 3 || len(mitte.Concerns) != 3 {
		t.Errorf("Mitte: %+v, %d counters, %d concerns", mitte.Office, len(mitte.Counters), len(mitte.Concerns))
	}
	if ohligs.Office.Phone != "02175 2" || len(ohligs.Counters) != 1 || len(ohligs.Concerns) != 2 {
		t.Errorf("Ohligs: %+v, %d counters, %d concerns", ohligs.Office, len(ohligs.Counters), len(ohligs.Concerns))
	}
	if c, ok := ohligs.Concern("ausweis"); !ok || c.Minutes != 20 {
		t.Errorf("Ohligs' ID card takes %d minutes, want 20", c.Minutes)
	}
	if c, ok := mitte.Concern("ausweis"); !ok || c.Minutes != 15 {
		t.Errorf("Mitte's ID card takes %d minutes, want the town's 15", c.Minutes)
	}
	if _, ok := ohligs.Concern("kfz"); ok {
		t.Error("Ohligs offers what it does not list")
	}
	if len(ohligs.Closed.Dates) != 1 || len(mitte.Closed.Dates) != 0 || !mitte.Closed.PublicHolidays {
		t.Errorf("closed days: Mitte %+v, Ohligs %+v", mitte.Closed, ohligs.Closed)
	}
	single, err := office.DemoConfig()
	if err != nil {
		t.Fatal(err)
	}
	if got := single.OfficeConfigs(); len(got) != 1 || got[0] != single {
		t.Error("a file without offices is not one office")
	}
}

// Every problem of a town's offices is listed at once, with its line.
func TestTownProblemsWithLines(t *testing.T) {
	bad := strings.NewReplacer(
		"id: ohligs", "id: mitte", // the id twice
		"{id: melde}", "{id: pass}", // a concern the town does not have
		`tuesday: ["14:00-18:00"]`, `tuesday: ["18:00-14:00"]`, // hours backwards
		"{id: ausweis, minutes: 20}", `{id: ausweis, minutes: 20, counters: ["9"]}`, // a counter of no office
	).Replace(twoOffices)
	_, err := office.ParseConfig("town.yaml", []byte(bad))
	var ce *office.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want the problems listed", err)
	}
	for _, want := range []struct{ field, line string }{
		{"offices[1].id", "13"}, {"offices[1].concerns[1].id", "20"}, {"offices[1].opening_hours.tuesday[0]", "16"},
		{"offices[1].concerns[0].counters[0]", "19"},
	} {
		found := false
		for _, p := range ce.Problems {
			if p.Field == want.field && strings.HasPrefix(p.String(), "line "+want.line) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem at %s on line %s in\n%v", want.field, want.line, err)
		}
	}
}

// "town" names the town's own pages: no office may take it.
func TestOfficeIDTownIsReserved(t *testing.T) {
	_, err := office.ParseConfig("town.yaml", []byte(strings.Replace(twoOffices, "id: ohligs", "id: town", 1)))
	if err == nil || !strings.Contains(err.Error(), "offices[1].id") || !strings.Contains(err.Error(), "/admin/stats/town/") {
		t.Fatalf("an office called town: %v", err)
	}
}

// ActiveHeld counts what a person and a source hold at one office; a
// request that carries what they hold elsewhere is refused at the limit.
func TestLimitsCountWhatIsHeldElsewhere(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	ctx := context.Background()
	start := at(2026, 11, 24, 9, 0)
	if _, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start, Name: "Erika Mustermann", PersonKey: "p", Source: "net:a"}); err != nil {
		t.Fatal(err)
	}
	if persons, sources, err := s.ActiveHeld(ctx, "p", "net:a"); err != nil || persons != (Holding{1, 10}) || sources != (Holding{1, 10}) {
		t.Fatalf("held: %d %d %v, want 1 1", persons, sources, err)
	}
	if persons, sources, _ := s.ActiveHeld(ctx, "q", ""); persons != (Holding{}) || sources != (Holding{}) {
		t.Fatalf("another person holds %d %d", persons, sources)
	}
	later := start.Add(time.Hour)
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"person holds one elsewhere", Request{PersonKey: "q", HeldElsewhere: Holding{Bookings: s.Config().Booking.MaxActivePerPerson}}, ErrLimitReached},
		{"source holds its share elsewhere", Request{PersonKey: "r", Source: "net:b", SourceHeldElsewhere: Holding{Bookings: s.Config().Booking.MaxActivePerSource}}, ErrSourceLimitReached},
		{"source holds its minutes elsewhere", Request{PersonKey: "r", Source: "net:b", SourceHeldElsewhere: Holding{Bookings: 1, Minutes: s.Config().Booking.MaxMinutesPerSource - 5}}, ErrSourceLimitReached},
		{"nothing elsewhere", Request{PersonKey: "s", Source: "net:b"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Concerns, tt.req.Start, tt.req.Name = one("ausweis"), later, "Max Mustermann"
			if _, _, err := s.Book(ctx, tt.req); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}
