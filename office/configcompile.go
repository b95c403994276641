package office

import (
	"time"

	"github.com/rickar/cal/v2"
)

// Compile fills in the defaults a config leaves open (a counter's name is
// its id, a concern may be booked once) and derives the rules the store
// works with: the time zone, the opening ranges by weekday, the closed
// days, which counters serve which concern and how many counters are open
// for appointments. Call it once, on a config Validate found no problem
// with; ParseConfig does both.
func (c *Config) Compile() {
	loc, err := time.LoadLocation(c.Office.Timezone)
	if err != nil {
		loc = time.UTC // Validate reported it
	}
	r := compiledRules{loc: loc, counterIdx: map[string]int{}, concernIdx: map[string]int{},
		servedBy: make([]uint64, len(c.Concerns)), extraClosed: map[string]bool{}}
	for i := range c.Counters {
		if c.Counters[i].Name == "" {
			c.Counters[i].Name = c.Counters[i].ID
		}
		r.counterIdx[c.Counters[i].ID] = i
	}
	for i := range c.Concerns {
		cn := &c.Concerns[i]
		if cn.MaxCount == 0 {
			cn.MaxCount = 1
		}
		r.concernIdx[cn.ID] = i
		if len(cn.Counters) == 0 {
			r.servedBy[i] = allCounters(len(c.Counters))
		}
		for _, id := range cn.Counters {
			if k, ok := r.counterIdx[id]; ok {
				r.servedBy[i] |= 1 << k
			}
		}
	}
	for _, d := range c.weekdays() {
		for _, s := range d.ranges {
			if tr, err := parseRange(s); err == nil {
				r.hours[d.day] = append(r.hours[d.day], tr)
			}
		}
	}
	if c.Closed.PublicHolidays {
		hols, _ := stateHolidays(c.Office.State)
		r.holidays = &cal.Calendar{}
		r.holidays.AddHoliday(hols...)
	}
	for _, d := range c.Closed.Dates {
		if t, err := time.Parse(time.DateOnly, d); err == nil {
			r.extraClosed[t.Format(time.DateOnly)] = true
		}
	}
	reserved := int(float64(len(c.Counters))*c.Booking.WalkInShare + 0.5)
	r.apptCap = len(c.Counters) - reserved
	c.compiled = r
}
