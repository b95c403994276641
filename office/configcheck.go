package office

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Validate checks every field and reports each problem to v, rather than
// stopping at the first. It changes nothing: Compile derives the rules
// from a config that passed.
func (c *Config) Validate(v *Checker) {
	c.checkOffice(v)
	c.checkElsewhere(v)
	if len(c.Offices) > 0 { // a town: counters, hours, closed days and walk-ins are each office's
		c.checkConcerns(v, nil)
		c.checkOffices(v)
		c.checkBooking(v)
		c.checkCalls(v)
		return
	}
	counters := c.checkCounters(v)
	concerns := c.checkConcerns(v, counters)
	c.checkHours(v)
	c.checkClosed(v)
	c.checkBooking(v)
	c.checkCalls(v)
	c.checkWalkIns(v, concerns)
}

func (c *Config) checkOffice(v *Checker) {
	if strings.TrimSpace(c.Office.Name) == "" {
		v.Add("office.name", "is required: the office's name is shown to citizens")
	}
	if c.Office.Email != "" {
		if _, err := mail.ParseAddress(c.Office.Email); err != nil {
			v.Add("office.email", "is not an e-mail address")
		}
	}
	if _, err := time.LoadLocation(c.Office.Timezone); err != nil {
		v.Add("office.timezone", fmt.Sprintf("unknown time zone %q (use e.g. Europe/Berlin)", c.Office.Timezone))
	}
	if err := CheckColor(c.Office.Color); err != nil {
		v.Add("office.color", err.Error())
	}
	if l := c.Office.Logo; l != "" {
		if u, err := url.Parse(l); err != nil || !(u.Scheme == "https" && u.Host != "" || u.Scheme == "" && u.Host == "" && strings.HasPrefix(l, "/")) ||
			strings.ContainsAny(l, " ;,'\"") {
			v.Add("office.logo", fmt.Sprintf("%q is neither a path on this service (/logo.svg) nor an https:// address", l))
		}
	}
}

// checkCounters checks the counters and returns their ids.
func (c *Config) checkCounters(v *Checker) map[string]bool {
	ids := map[string]bool{}
	if len(c.Counters) == 0 {
		v.Add("counters", "at least one counter is required")
	}
	if len(c.Counters) > 64 {
		v.Add("counters", "at most 64 counters are supported")
	}
	for i, ct := range c.Counters {
		p := fmt.Sprintf("counters[%d]", i)
		switch {
		case strings.TrimSpace(ct.ID) == "":
			v.Add(p+".id", "is required")
		case ids[ct.ID]:
			v.Add(p+".id", fmt.Sprintf("%q is used twice", ct.ID))
		}
		ids[ct.ID] = true
	}
	return ids
}

// checkConcerns checks the concerns against the counters and returns their ids.
// checkElsewhere checks the matters handled elsewhere: each needs its
// words and where to go.
func (c *Config) checkElsewhere(v *Checker) {
	for i, r := range c.Elsewhere {
		p := fmt.Sprintf("elsewhere[%d]", i)
		if len(r.Keywords) == 0 {
			v.Add(p+".keywords", "name the words citizens use for it")
		}
		if strings.TrimSpace(r.Where.DE) == "" {
			v.Add(p+".where.de", "say where citizens go instead")
		}
	}
}

func (c *Config) checkConcerns(v *Checker, counters map[string]bool) map[string]bool {
	ids := map[string]bool{}
	if len(c.Concerns) == 0 {
		v.Add("concerns", "at least one concern is required")
	}
	for i, cn := range c.Concerns {
		p := fmt.Sprintf("concerns[%d]", i)
		checkID(v, p+".id", cn.ID, ids)
		if strings.TrimSpace(cn.Name.DE) == "" {
			v.Add(p+".name.de", "a German name is required")
		}
		if cn.Minutes < 1 || cn.Minutes > 480 {
			v.Add(p+".minutes", fmt.Sprintf("must be between 1 and 480, not %d", cn.Minutes))
		}
		if s := cn.OnlineShare; s != nil && (*s < 0 || *s > 1) {
			v.Add(p+".online_share", fmt.Sprintf("must be between 0 and 1, not %g", *s))
		}
		if cn.MaxCount < 0 || cn.MaxCount > 10 {
			v.Add(p+".max_count", fmt.Sprintf("must be between 1 and 10, not %d", cn.MaxCount))
		}
		for j, id := range cn.Counters {
			if counters != nil && !counters[id] { // nil: a town's, whose counters are each office's
				v.Add(fmt.Sprintf("%s.counters[%d]", p, j), fmt.Sprintf("no counter has the id %q", id))
			}
		}
	}
	return ids
}

// weekdays are the opening hours' days in order, with their YAML names.
func (c *Config) weekdays() []struct {
	name   string
	day    time.Weekday
	ranges []string
} {
	h := c.OpeningHours
	return []struct {
		name   string
		day    time.Weekday
		ranges []string
	}{
		{"monday", time.Monday, h.Monday}, {"tuesday", time.Tuesday, h.Tuesday}, {"wednesday", time.Wednesday, h.Wednesday},
		{"thursday", time.Thursday, h.Thursday}, {"friday", time.Friday, h.Friday}, {"saturday", time.Saturday, h.Saturday},
		{"sunday", time.Sunday, h.Sunday},
	}
}

func (c *Config) checkHours(v *Checker) {
	open := false
	for _, d := range c.weekdays() {
		last := -1
		for j, s := range d.ranges {
			p := fmt.Sprintf("opening_hours.%s[%d]", d.name, j)
			r, err := parseRange(s)
			if err != nil {
				v.Add(p, err.Error())
				continue
			}
			if r.from < last {
				v.Add(p, "overlaps or comes before the range before it; list ranges in order")
				continue
			}
			last, open = r.to, true
		}
	}
	if !open {
		v.Add("opening_hours", "the office must be open on at least one weekday")
	}
}

func (c *Config) checkClosed(v *Checker) {
	if c.Closed.PublicHolidays {
		if _, ok := stateHolidays(c.Office.State); !ok {
			v.Add("office.state", fmt.Sprintf("%q is not a German state code (BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH); it picks the public holidays", c.Office.State))
		}
	}
	for i, d := range c.Closed.Dates {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			v.Add(fmt.Sprintf("closed.dates[%d]", i), fmt.Sprintf("%q is not a date like 2026-12-24", d))
		}
	}
}

func (c *Config) checkBooking(v *Checker) {
	b := c.Booking
	for _, r := range []struct {
		field string
		bad   bool
		why   string
	}{
		{"horizon_days", b.HorizonDays < 1 || b.HorizonDays > 366, fmt.Sprintf("must be between 1 and 366, not %d", b.HorizonDays)},
		{"lead_time", b.LeadTime < 0, "must not be negative"},
		{"slot_step", b.SlotStep < time.Minute || b.SlotStep > 4*time.Hour || b.SlotStep%time.Minute != 0,
			fmt.Sprintf("must be whole minutes between 1m and 4h, not %s", b.SlotStep)},
		{"walk_in_share", b.WalkInShare < 0 || b.WalkInShare > 1, fmt.Sprintf("must be between 0 and 1, not %g", b.WalkInShare)},
		{"max_active_per_person", b.MaxActivePerPerson < 1, "must be at least 1"},
		{"max_active_per_source", b.MaxActivePerSource < 1, "must be at least 1"},
		{"max_cases_per_booking", b.MaxCasesPerBooking < 1, "must be at least 1"},
		{"max_minutes_per_booking", b.MaxMinutesPerBooking < 5, "must be at least 5"},
		{"max_minutes_per_person", b.MaxMinutesPerPerson < b.MaxMinutesPerBooking, "must be at least max_minutes_per_booking"},
		{"max_minutes_per_source", b.MaxMinutesPerSource < b.MaxMinutesPerPerson, "must be at least max_minutes_per_person"},
		{"pace.opening_share", b.Pace.OpeningShare <= 0 || b.Pace.OpeningShare > 1, fmt.Sprintf("must be above 0 and at most 1 (1 = no pace), not %g", b.Pace.OpeningShare)},
		{"pace.per_hour", b.Pace.PerHour <= 0 || b.Pace.PerHour > 1, fmt.Sprintf("must be above 0 and at most 1, not %g", b.Pace.PerHour)},
		{"pace.collect", b.Pace.Collect < 0 || b.Pace.Collect > 24*time.Hour, "must be between 0s and 24h"},
		{"pace.cohort_window", b.Pace.CohortWindow < time.Minute || b.Pace.CohortWindow > 24*time.Hour, "must be between 1m and 24h"},
		{"pace.cohort_share", b.Pace.CohortShare <= 0 || b.Pace.CohortShare > 1, fmt.Sprintf("must be above 0 and at most 1, not %g", b.Pace.CohortShare)},
		{"release_delay", b.ReleaseDelay < 0, "must not be negative"},
		{"online_share", b.OnlineShare < 0 || b.OnlineShare > 1, fmt.Sprintf("must be between 0 and 1, not %g", b.OnlineShare)},
		{"share_opens_before", b.ShareOpensBefore < 0, "must not be negative"},
		{"hold_for", b.HoldFor < 0 || b.HoldFor > time.Hour, fmt.Sprintf("must be between 0s (no holds) and 1h, not %s", b.HoldFor)},
		{"pin_max_attempts", b.PINMaxAttempts < 1, "must be at least 1"},
		{"pin_guesses_per_person", b.PINGuessesPerPerson < 1, "must be at least 1"},
		{"pin_guesses_per_source", b.PINGuessesPerSource < 1, "must be at least 1"},
		{"pin_guesses_total", b.PINGuessesTotal < 1 || b.PINGuessesTotal > 114,
			"must be between 1 and 114: more lets a script guess one of 1,000 bookings' 6-digit PINs within a year"},
		{"pin_lockout", b.PINLockout < time.Minute, "must be at least 1m"},
	} {
		if r.bad {
			v.Add("booking."+r.field, r.why)
		}
	}
	if places := len(c.Counters) - int(float64(len(c.Counters))*b.WalkInShare+0.5); places > 0 && b.OnlineShare > 0 && b.OnlineShare <= 1 &&
		places-int(float64(places)*(1-b.OnlineShare)+0.5) == 0 {
		v.Add("booking.online_share", fmt.Sprintf("%g of %d place(s) per time leaves none for citizens online until share_opens_before; "+
			"set 0 to book only through staff, or a larger share", b.OnlineShare, places))
	}
}

func (c *Config) checkCalls(v *Checker) {
	if c.Calls.RecallDelay < time.Minute || c.Calls.RecallDelay > time.Hour {
		v.Add("calls.recall_delay", fmt.Sprintf("must be between 1m and 1h, not %s", c.Calls.RecallDelay))
	}
	if c.Calls.EarlyGrace < 0 || c.Calls.EarlyGrace > time.Hour {
		v.Add("calls.early_grace", "must be between 0 and 1h")
	}
}

func (c *Config) checkWalkIns(v *Checker, concerns map[string]bool) {
	for i, ct := range c.WalkIns.Contingents {
		p := fmt.Sprintf("walk_ins.contingents[%d]", i)
		if ct.Name == "" {
			v.Add(p+".name", "is required")
		}
		if ct.PerDay < 1 {
			v.Add(p+".per_day", "must be at least 1")
		}
		if len(ct.Concerns) == 0 {
			v.Add(p+".concerns", "name at least one concern")
		}
		for j, id := range ct.Concerns {
			if !concerns[id] {
				v.Add(fmt.Sprintf("%s.concerns[%d]", p, j), fmt.Sprintf("no concern has the id %q", id))
			}
		}
	}
}

// checkID checks an id that appears in addresses and option ids (a
// concern's, an office's): lower-case letters, digits, - or _, and not
// one of seen; it adds it to seen. It reports whether the id is good.
func checkID(v *Checker, field, id string, seen map[string]bool) bool {
	good := false
	switch {
	case !idPattern.MatchString(id):
		v.Add(field, fmt.Sprintf("%q must be lower-case letters, digits, - or _", id))
	case seen[id]:
		v.Add(field, fmt.Sprintf("%q is used twice", id))
	default:
		good = true
	}
	seen[id] = true
	return good
}
