package booking

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"buergerbuero/internal/fakeclock"
)

// A day's minutes for citizens are released over time: nothing before its
// first draw, then OpeningShare and PerHour more; a cohort holds at most
// its share, and staff are told once when it does. Staff book outside it.
func TestThePaceReleasesADayOverTime(t *testing.T) {
	opening := time.Date(2026, 11, 24, 0, 0, 30, 0, berlin) // Tuesday 15.12. enters the 21-day horizon at midnight
	clock := fakeclock.New(opening)
	var alerts []Alert
	s, err := Open(filepath.Join(t.TempDir(), "pace.db"), mustConfig(t, testOffice), Options{Clock: clock,
		Alert: func(_ context.Context, a Alert) { alerts = append(alerts, a) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := at(2026, 12, 15, 0, 0)
	if got := s.cfg.AppointmentMinutes(day); got != 720 {
		t.Fatalf("capacity %d minutes, want 4 h × 3 counters", got)
	}
	n := 0
	try := func(cohort, person string) error {
		n++
		start := day.Add(8*time.Hour + time.Duration(n%4)*time.Hour)
		_, _, err := s.Book(ctx, Request{Concerns: one("lang"), Start: start, Name: "Erika Mustermann", PersonKey: person, Cohort: cohort})
		return err
	}
	if err := try("", "p-early"); !errors.Is(err, ErrPaced) {
		t.Fatalf("a request while the day's first requests are collected: %v, want ErrPaced", err)
	}
	if err := try("w-first", "p-drawn"); err != nil {
		t.Fatalf("a request drawn from the list: %v", err)
	}
	if _, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: day.Add(9 * time.Hour), Name: "Anrufer", Actor: "anna"}); err != nil {
		t.Fatalf("staff for a caller: %v", err)
	}
	clock.Set(opening.Add(11 * time.Minute)) // 25 % + 11 minutes of 5 %/h: 186 of 720 minutes
	booked := 60
	for i := 0; ; i++ {
		err := try("", fmt.Sprint("p", i))
		if errors.Is(err, ErrPaced) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		booked += 60
	}
	if booked != 180 {
		t.Errorf("%d minutes booked by citizens before the pace held, want 180 (of 186 released)", booked)
	}
	clock.Set(opening.Add(15 * time.Hour)) // all of it released
	if err := try("w-farm", "farm0"); err != nil {
		t.Fatalf("cohort booking: %v", err)
	}
	for i := range 2 {
		if err := try("w-farm", fmt.Sprint("farm-more", i)); !errors.Is(err, ErrCohortFull) {
			t.Fatalf("the cohort beyond its 72 minutes: %v, want ErrCohortFull", err)
		}
	}
	if len(alerts) != 1 || alerts[0].Cohort != "w-farm" || !alerts[0].Day.Equal(day) {
		t.Errorf("alerts %+v, want one for cohort w-farm on %s", alerts, day)
	}
	clusters, _ := s.Clusters(ctx)
	found := false
	for _, c := range clusters {
		found = found || (c.Key == "cohort:w-first")
	}
	if found {
		t.Errorf("a cohort of one is a cluster: %+v", clusters)
	}
}
