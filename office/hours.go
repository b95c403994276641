package office

import (
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/de"
)

// stateHolidays returns the public holidays of a German state, by its
// two-letter code, from the rickar/cal calendar.
func stateHolidays(state string) ([]*cal.Holiday, bool) {
	switch strings.ToUpper(strings.TrimSpace(state)) {
	case "BW":
		return de.HolidaysBW, true
	case "BY":
		return de.HolidaysBY, true
	case "BE":
		return de.HolidaysBE, true
	case "BB":
		return de.HolidaysBB, true
	case "HB":
		return de.HolidaysHB, true
	case "HH":
		return de.HolidaysHH, true
	case "HE":
		return de.HolidaysHE, true
	case "MV":
		return de.HolidaysMV, true
	case "NI":
		return de.HolidaysNI, true
	case "NW":
		return de.HolidaysNW, true
	case "RP":
		return de.HolidaysRP, true
	case "SL":
		return de.HolidaysSL, true
	case "SN":
		return de.HolidaysSN, true
	case "ST":
		return de.HolidaysST, true
	case "SH":
		return de.HolidaysSH, true
	case "TH":
		return de.HolidaysTH, true
	}
	return nil, false
}

// Day returns midnight of t's date in the office's time zone.
func (c *Config) Day(t time.Time) time.Time {
	y, m, d := t.In(c.compiled.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.compiled.loc)
}

// Reasons ClosedReason gives when a closed day has no name.
const (
	ReasonClosed  = "closed"           // an extra closed date
	ReasonNoHours = "no opening hours" // a weekday without hours
)

// ClosedReason tells why the office is closed all day on day, or "" when it
// opens: the holiday's name, ReasonClosed or ReasonNoHours.
func (c *Config) ClosedReason(day time.Time) string {
	day = c.Day(day)
	if c.compiled.holidays != nil {
		if actual, _, h := c.compiled.holidays.IsHoliday(day); actual {
			return h.Name
		}
	}
	if c.compiled.extraClosed[day.Format(time.DateOnly)] {
		return ReasonClosed
	}
	if len(c.compiled.hours[day.Weekday()]) == 0 {
		return ReasonNoHours
	}
	return ""
}

// IsOpenDay reports whether the office opens on day's date.
func (c *Config) IsOpenDay(day time.Time) bool { return c.ClosedReason(day) == "" }

// Opening is one opening range of a concrete day.
type Opening struct{ From, To time.Time }

// Openings returns the opening ranges of day's date, none on a closed day.
func (c *Config) Openings(day time.Time) []Opening {
	day = c.Day(day)
	if !c.IsOpenDay(day) {
		return nil
	}
	ranges := c.compiled.hours[day.Weekday()]
	out := make([]Opening, len(ranges))
	for i, r := range ranges {
		out[i] = Opening{From: AtMinute(day, r.from), To: AtMinute(day, r.to)}
	}
	return out
}

// WeeklyOpenings returns the opening ranges of a weekday as "08:00-12:00".
func (c *Config) WeeklyOpenings(wd time.Weekday) []string {
	var out []string
	for _, r := range c.compiled.hours[wd] {
		out = append(out, clock(r.from)+"-"+clock(r.to))
	}
	return out
}

func clock(min int) string {
	return string([]byte{byte('0' + min/600), byte('0' + min/60%10), ':', byte('0' + min%60/10), byte('0' + min%10)})
}

// AtMinute is the wall-clock time min minutes after midnight on day; it
// stays right across a daylight-saving change.
func AtMinute(day time.Time, min int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), min/60, min%60, 0, 0, day.Location())
}
