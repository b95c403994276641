package stats

import (
	"context"
	"fmt"
	"slices"
	"time"

	"buergerbuero/office"
)

// A town's statistics (issue 17): every office's figures side by side and
// the town's total, from each office's event log. Periods, concerns and
// hours add up across the offices; counters keep their office's name.

// OfficeLog is one office's event log and config.
type OfficeLog struct {
	ID     string
	Log    Events
	Config *office.Config
}

// ComputeTown is the report of a town: the offices' totals in Offices,
// the rest added up across them.
func ComputeTown(ctx context.Context, offices []OfficeLog, from, to time.Time, period Period) (Report, error) {
	town := Report{From: from, To: to, Period: period}
	for _, o := range offices {
		r, err := Compute(ctx, o.Log, o.Config, from, to, period)
		if err != nil {
			return Report{}, fmt.Errorf("office %s: %w", o.ID, err)
		}
		town.From, town.To = r.From, r.To
		town.Offices = append(town.Offices, Row{Key: o.ID, Name: o.Config.Office.Name, Figures: r.Total})
		town.Total = merge(town.Total, r.Total)
		town.Periods = mergeRows(town.Periods, r.Periods)
		town.Concerns = mergeRows(town.Concerns, r.Concerns)
		town.Hours = mergeRows(town.Hours, r.Hours)
		for _, c := range r.Counters {
			c.Key, c.Name = o.ID+"/"+c.Key, o.Config.Office.Name+": "+c.Name
			town.Counters = append(town.Counters, c)
		}
	}
	town.Total.finish()
	for _, rows := range [][]Row{town.Periods, town.Concerns, town.Hours} {
		for i := range rows {
			rows[i].Figures.finish()
		}
	}
	return town, nil
}

// merge adds b's figures to a's (finish them after the last).
func merge(a, b Figures) Figures {
	a.Appointments += b.Appointments
	a.WalkIns += b.WalkIns
	a.Served += b.Served
	a.NoShows += b.NoShows
	a.Expired += b.Expired
	a.Cancelled += b.Cancelled
	a.BookedMinutes += b.BookedMinutes
	a.AvailableMinutes += b.AvailableMinutes
	a.Wait.values = append(slices.Clone(a.Wait.values), b.Wait.values...)
	a.Service.values = append(slices.Clone(a.Service.values), b.Service.values...)
	return a
}

// mergeRows adds rows into into by key, in key order.
func mergeRows(into, rows []Row) []Row {
	for _, r := range rows {
		i := slices.IndexFunc(into, func(x Row) bool { return x.Key == r.Key })
		if i < 0 {
			r.Figures = merge(Figures{}, r.Figures)
			into = append(into, r)
			continue
		}
		into[i].Figures = merge(into[i].Figures, r.Figures)
	}
	slices.SortFunc(into, func(a, b Row) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return into
}
