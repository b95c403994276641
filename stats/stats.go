// Package stats turns the booking event log into the figures an office's
// quality management asks for: cases, no-shows, cancellations, waiting and
// service times, per day, week or month, per concern, counter and hour of
// the day, and booked against available capacity. It reads only the
// anonymous event log, so its figures survive the deletion of personal data.
package stats

import (
	"context"
	"fmt"
	"sort"
	"time"

	"buergerbuero/booking"
	"buergerbuero/office"
)

// Period is how figures are grouped in time.
type Period string

// The periods.
const (
	Day   Period = "day"
	Week  Period = "week"
	Month Period = "month"
)

// ParsePeriod reads "day", "week" or "month".
func ParsePeriod(s string) (Period, error) {
	switch Period(s) {
	case Day, Week, Month:
		return Period(s), nil
	case "":
		return Day, nil
	}
	return "", fmt.Errorf("period %q: use day, week or month", s)
}

// Dist summarises durations: how many, median, 90th percentile and maximum
// (nearest-rank percentiles).
type Dist struct {
	N                int
	Median, P90, Max time.Duration
	Mean             time.Duration
	values           []time.Duration
}

func (d *Dist) add(v time.Duration) { d.values = append(d.values, v) }

func (d *Dist) finish() {
	d.N = len(d.values)
	if d.N == 0 {
		return
	}
	sort.Slice(d.values, func(i, j int) bool { return d.values[i] < d.values[j] })
	rank := func(p int) time.Duration { return d.values[max(0, (p*d.N+99)/100-1)] }
	d.Median, d.P90, d.Max = rank(50), rank(90), d.values[d.N-1]
	var sum time.Duration
	for _, v := range d.values {
		sum += v
	}
	d.Mean = sum / time.Duration(d.N)
}

// Figures are the counts and times of a group of cases.
type Figures struct {
	Appointments int // appointments of the period not cancelled
	WalkIns      int
	Served       int
	NoShows      int // walk-ins who did not come when called
	Expired      int // appointments missed twice
	Cancelled    int // appointments cancelled
	Wait         Dist
	Service      Dist
	// BookedMinutes and AvailableMinutes compare booked appointment time
	// with the counters' appointment capacity in the opening hours.
	BookedMinutes, AvailableMinutes int
	// StaffAppointments, StaffBookedMinutes and StaffAvailableMinutes are
	// the part of the above booked by staff for callers and the minutes kept
	// for them (the staff share, office/shares.go); the rest is online.
	StaffAppointments, StaffBookedMinutes, StaffAvailableMinutes int
}

// ShareUse is the use of the online share and of the staff share: booked
// over available minutes in each (0 where a share has none).
func (f Figures) ShareUse() (online, staff float64) {
	if a := f.AvailableMinutes - f.StaffAvailableMinutes; a > 0 {
		online = float64(f.BookedMinutes-f.StaffBookedMinutes) / float64(a)
	}
	if f.StaffAvailableMinutes > 0 {
		staff = float64(f.StaffBookedMinutes) / float64(f.StaffAvailableMinutes)
	}
	return online, staff
}

func (f *Figures) finish() {
	f.Wait.finish()
	f.Service.finish()
}

// NoShowRate is the share of cases that did not come (no-shows and expired
// appointments) among appointments and walk-ins.
func (f Figures) NoShowRate() float64 {
	if n := f.Appointments + f.WalkIns; n > 0 {
		return float64(f.NoShows+f.Expired) / float64(n)
	}
	return 0
}

// Utilisation is booked over available appointment minutes.
func (f Figures) Utilisation() float64 {
	if f.AvailableMinutes > 0 {
		return float64(f.BookedMinutes) / float64(f.AvailableMinutes)
	}
	return 0
}

// Row is a group's key and figures.
type Row struct {
	Key     string // period ("2026-11-24", "2026-W48", "2026-11"), concern id, counter id or hour ("08")
	Name    string // concern or counter name
	Figures Figures
	// ConfiguredMinutes is the configured duration of a concern.
	ConfiguredMinutes int
}

// Report is the statistics of a span of days.
type Report struct {
	From, To time.Time // dates, both included
	Period   Period
	Total    Figures
	Periods  []Row
	Concerns []Row
	Counters []Row
	Hours    []Row
	// Offices are a town's offices' totals (ComputeTown); empty for one office.
	Offices []Row
}

// Events is the event log to read.
type Events interface {
	Events(ctx context.Context, after uint64, fn func(booking.Event) bool) error
}

// caseOf is one booking as the events tell it.
type caseOf struct {
	kind                                       booking.Kind
	concerns                                   []office.ConcernCount
	start, issued, checkedIn, firstCall        time.Time
	started, done                              time.Time
	counter                                    string
	served, noShow, expired, cancelled, called bool
	byStaff                                    bool // booked by staff for a caller
}

// Compute reads the whole event log and reports on the cases of the days
// from from to to (both included) in the office of cfg.
func Compute(ctx context.Context, log Events, cfg *office.Config, from, to time.Time, period Period) (Report, error) {
	cases := map[uint64]*caseOf{}
	var order []uint64
	err := log.Events(ctx, 0, func(e booking.Event) bool {
		c, ok := cases[e.BookingID]
		if !ok {
			c = &caseOf{kind: e.Kind}
			cases[e.BookingID] = c
			order = append(order, e.BookingID)
		}
		c.concerns = e.Concerns
		switch e.Type {
		case booking.EventBooked, booking.EventRescheduled:
			c.start, c.cancelled = e.Start, false
			if e.Type == booking.EventBooked {
				c.byStaff = e.Actor != ""
			}
			if c.issued.IsZero() {
				c.issued = e.At
			}
		case booking.EventWalkIn:
			c.issued, c.start = e.At, e.At
		case booking.EventCancelled:
			c.cancelled = true
		case booking.EventCheckedIn:
			c.checkedIn = e.At
		case booking.EventCalled, booking.EventRecalled:
			if !c.called {
				c.firstCall, c.called = e.At, true
			}
			c.counter = e.Counter
		case booking.EventStarted:
			c.started = e.At
		case booking.EventServed:
			c.served, c.done = true, e.At
			if c.started.IsZero() {
				c.started = c.firstCall
			}
		case booking.EventNoShow:
			if c.kind == booking.KindWalkIn {
				c.noShow = true
			}
		case booking.EventExpired:
			c.expired = true
		case booking.EventTransferred:
			c.counter = e.Counter
		}
		return true
	})
	if err != nil {
		return Report{}, fmt.Errorf("read events: %w", err)
	}
	r := Report{From: cfg.Day(from), To: cfg.Day(to), Period: period}
	periods, concerns, counters, hours := map[string]*Figures{}, map[string]*Figures{}, map[string]*Figures{}, map[string]*Figures{}
	get := func(m map[string]*Figures, k string) *Figures {
		if m[k] == nil {
			m[k] = &Figures{}
		}
		return m[k]
	}
	loc := cfg.Location()
	for _, id := range order {
		c := cases[id]
		if c.start.IsZero() {
			continue
		}
		day := cfg.Day(c.start)
		if day.Before(r.From) || day.After(r.To) {
			continue
		}
		ref := booking.WaitBegan(c.kind, c.issued, c.start, c.checkedIn)
		groups := []*Figures{&r.Total, get(periods, periodKey(day, period)), get(hours, fmt.Sprintf("%02d", ref.In(loc).Hour()))}
		if c.counter != "" {
			groups = append(groups, get(counters, c.counter))
		}
		perConcern := len(groups)
		for _, cc := range c.concerns {
			groups = append(groups, get(concerns, cc.ID))
		}
		minutes, _ := cfg.Minutes(c.concerns)
		for i, f := range groups {
			switch {
			case c.kind == booking.KindWalkIn:
				f.WalkIns++
			case c.cancelled:
				f.Cancelled++
			default:
				f.Appointments++
				if c.byStaff {
					f.StaffAppointments++
				}
			}
			if c.served {
				f.Served++
			}
			if c.noShow {
				f.NoShows++
			}
			if c.expired {
				f.Expired++
			}
			if c.called && !c.cancelled {
				f.Wait.add(max(0, c.firstCall.Sub(ref)))
			}
			if c.served && !c.started.IsZero() {
				took := max(0, c.done.Sub(c.started))
				switch {
				case i < perConcern:
					f.Service.add(took)
				case len(c.concerns) == 1: // per case of the concern, to compare with its configured duration
					f.Service.add(took / time.Duration(max(1, c.concerns[0].Count)))
				}
			}
		}
		if c.kind == booking.KindAppointment && !c.cancelled {
			for _, f := range []*Figures{&r.Total, get(periods, periodKey(day, period))} {
				f.BookedMinutes += minutes
				if c.byStaff {
					f.StaffBookedMinutes += minutes
				}
			}
		}
	}
	// Available appointment minutes, day by day.
	kept := cfg.StaffPlaces()
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		open := 0
		for _, o := range cfg.Openings(d) {
			open += int(o.To.Sub(o.From).Minutes())
		}
		if open == 0 {
			continue
		}
		for _, f := range []*Figures{&r.Total, get(periods, periodKey(d, period))} {
			f.AvailableMinutes += open * cfg.AppointmentCapacity()
			f.StaffAvailableMinutes += open * kept
		}
	}
	r.Total.finish()
	r.Periods = rows(periods, nil)
	r.Concerns = rows(concerns, func(row *Row) {
		if c, ok := cfg.Concern(row.Key); ok {
			row.Name, row.ConfiguredMinutes = c.Name.DE, c.Minutes
		}
	})
	r.Counters = rows(counters, func(row *Row) {
		if c, ok := cfg.CounterByID(row.Key); ok {
			row.Name = c.Name
		}
	})
	r.Hours = rows(hours, nil)
	return r, nil
}

// rows sorts a grouping by key and finishes its figures.
func rows(m map[string]*Figures, name func(*Row)) []Row {
	out := make([]Row, 0, len(m))
	for k, f := range m {
		f.finish()
		row := Row{Key: k, Figures: *f}
		if name != nil {
			name(&row)
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// periodKey names the day's period: "2026-11-24", ISO week "2026-W48", "2026-11".
func periodKey(day time.Time, p Period) string {
	switch p {
	case Week:
		y, w := day.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Month:
		return day.Format("2006-01")
	}
	return day.Format(time.DateOnly)
}
