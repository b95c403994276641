package stats

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
	"buergerbuero/storage"
)

// A town's figures: each office's own, side by side, and the town's total
// with the waits of both in one distribution.
func TestTownFiguresSideBySide(t *testing.T) {
	cfg, err := office.DemoConfig()
	if err != nil {
		t.Fatal(err)
	}
	file, err := storage.OpenFile(filepath.Join(t.TempDir(), "bb.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	monday := time.Date(2026, 11, 23, 8, 0, 0, 0, cfg.Location())
	clock := fakeclock.New(monday)
	var offices []OfficeLog
	for i, ns := range []string{"", "office/ohligs/"} {
		store, err := booking.New(storage.Shared(storage.Within(file, ns)), cfg, booking.Options{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		clock.Set(monday)
		// Office 0: two walk-ins waiting 10 and 20 minutes; office 1: one waiting 40.
		waits := [][]time.Duration{{10 * time.Minute, 20 * time.Minute}, {40 * time.Minute}}[i]
		for _, wait := range waits {
			clock.Set(monday)
			b, err := store.IssueWalkIn(context.Background(), booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			clock.Set(monday.Add(wait))
			called, err := store.CallNext(context.Background(), "1", "anna", func(day []booking.Booking, _ time.Time) (int, bool) {
				for j, d := range day {
					if d.ID == b.ID {
						return j, true
					}
				}
				return 0, false
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Act(context.Background(), called.ID, booking.ActionDone, "", "anna", nil); err != nil {
				t.Fatal(err)
			}
		}
		name := []string{"Bürgerbüro Mitte", "Bürgerbüro Ohligs"}[i]
		oc := *cfg
		oc.Office.Name = name
		offices = append(offices, OfficeLog{ID: []string{"mitte", "ohligs"}[i], Log: store, Config: &oc})
	}
	day := cfg.Day(monday)
	r, err := ComputeTown(context.Background(), offices, day, day, Day)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Offices) != 2 || r.Offices[0].Figures.WalkIns != 2 || r.Offices[1].Figures.WalkIns != 1 {
		t.Fatalf("offices: %+v", r.Offices)
	}
	if r.Total.WalkIns != 3 || r.Total.Served != 3 || r.Total.Wait.N != 3 || r.Total.Wait.Median != 20*time.Minute || r.Total.Wait.Max != 40*time.Minute {
		t.Fatalf("the town: walk-ins %d, served %d, waits %d, median %v, max %v", r.Total.WalkIns, r.Total.Served, r.Total.Wait.N, r.Total.Wait.Median, r.Total.Wait.Max)
	}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, r, "offices"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "mitte,Bürgerbüro Mitte,0,2,2") || !strings.HasPrefix(lines[3], "town,,0,3,3") {
		t.Fatalf("offices.csv:\n%s", csv.String())
	}
}
