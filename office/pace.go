package office

import "time"

// PaceRules release a day's minutes for citizens over time.
type PaceRules struct {
	// OpeningShare of a day's appointment minutes is bookable online when
	// the day enters the horizon; 1 turns the pace off. Default 0.25.
	OpeningShare float64 `yaml:"opening_share"`
	// PerHour is the further share released each hour after; default 0.05
	// (all of it 15 hours after the day opened).
	PerHour float64 `yaml:"per_hour"`
	// Collect is how long after a day opens its requests are collected
	// before the first draw; default 10m.
	Collect time.Duration `yaml:"collect"`
	// CohortWindow: requests that wait and came within the same window are
	// one cohort; default 10m.
	CohortWindow time.Duration `yaml:"cohort_window"`
	// CohortShare is the most of a day's minutes one cohort may hold;
	// default 0.1.
	CohortShare float64 `yaml:"cohort_share"`
}

// Off reports whether the pace is turned off (everything bookable at once).
func (p PaceRules) Off() bool { return p.OpeningShare >= 1 }

// DayOpens is when day enters the booking horizon: from then on citizens
// can book it.
func (c *Config) DayOpens(day time.Time) time.Time {
	return c.Day(day).AddDate(0, 0, -c.Booking.HorizonDays)
}

// AppointmentMinutes is the appointment capacity of day: its opening
// minutes times the counters open for appointments at once.
func (c *Config) AppointmentMinutes(day time.Time) int {
	day = c.Day(day)
	if !c.IsOpenDay(day) {
		return 0
	}
	total := 0
	for _, r := range c.compiled.hours[day.Weekday()] {
		total += r.to - r.from
	}
	return total * c.compiled.apptCap
}

// PaceBudget is how many of day's appointment minutes citizens may hold
// at now, and whether the pace holds back anything then.
func (c *Config) PaceBudget(day, now time.Time) (budget int, paced bool) {
	capacity := c.AppointmentMinutes(day)
	p := c.Booking.Pace
	if p.Off() {
		return capacity, false
	}
	share := p.OpeningShare + p.PerHour*now.Sub(c.DayOpens(day)).Hours()
	if share >= 1 {
		return capacity, false
	}
	return int(share * float64(capacity)), true
}

// Cohort is the cohort of a request that starts waiting at arrived.
func (c *Config) Cohort(arrived time.Time) string {
	return "w" + arrived.Truncate(c.Booking.Pace.CohortWindow).In(c.compiled.loc).Format("20060102-1504")
}

// InCollectWindow reports whether requests for day are still being
// collected for its first draw at now.
func (c *Config) InCollectWindow(day, now time.Time) bool {
	opens := c.DayOpens(day)
	return !c.Booking.Pace.Off() && !now.Before(opens) && now.Before(opens.Add(c.Booking.Pace.Collect))
}
