package booking

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/rickar/cal/v2"
)

//go:embed demo.yaml
var demoYAML []byte

// DemoConfigYAML returns the embedded demo office's configuration, the
// concerns of a small German town's Bürgerbüro. It is what the service runs
// on when no config file is given.
func DemoConfigYAML() []byte { return bytes.Clone(demoYAML) }

// DemoConfig parses the embedded demo office.
func DemoConfig() (*Config, error) { return ParseConfig("demo.yaml", demoYAML) }

// Config is an office's configuration, as read from YAML. After ParseConfig
// it is validated and compiled; treat it as read-only.
type Config struct {
	Office       OfficeInfo    `yaml:"office"`
	Counters     []Counter     `yaml:"counters"`
	Concerns     []Concern     `yaml:"concerns"`
	OpeningHours WeeklyHours   `yaml:"opening_hours"`
	Closed       ClosedDays    `yaml:"closed"`
	Booking      BookingRules  `yaml:"booking"`
	Calls        CallRules     `yaml:"calls"`
	WalkIns      WalkInRules   `yaml:"walk_ins"`
	compiled     compiledRules `yaml:"-"`
}

// OfficeInfo describes the office itself, as citizens are told about it.
type OfficeInfo struct {
	Name     string `yaml:"name"`
	Address  string `yaml:"address"`
	Phone    string `yaml:"phone"`
	Email    string `yaml:"email"`
	Timezone string `yaml:"timezone"`
	// State is the German state (two letters, e.g. NW) whose public holidays
	// close the office.
	State string `yaml:"state"`
}

// Text is a short text in German and English; English falls back to German.
type Text struct {
	DE string `yaml:"de"`
	EN string `yaml:"en"`
}

// In returns the text in the language ("de" or "en"), falling back to German.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.DE
}

// TextList is a list of texts in German and English; English falls back to German.
type TextList struct {
	DE []string `yaml:"de"`
	EN []string `yaml:"en"`
}

// In returns the list in the language ("de" or "en"), falling back to German.
func (t TextList) In(lang string) []string {
	if lang == "en" && len(t.EN) > 0 {
		return t.EN
	}
	return t.DE
}

// Counter is a workplace ("Platz") where a clerk serves citizens.
type Counter struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Concern is something a citizen comes for (a new ID card, a passport, ...).
type Concern struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`
	// Keywords are extra words and short forms citizens type ("Perso").
	Keywords []string `yaml:"keywords"`
	// Minutes is the expected processing time of one case.
	Minutes   int      `yaml:"minutes"`
	Documents TextList `yaml:"documents"`
	Fee       Text     `yaml:"fee"`
	// Counters lists the ids of the counters that serve it; empty means all.
	Counters []string `yaml:"counters"`
	// MaxCount is how many of this concern one booking may hold (e.g. ID
	// cards for a whole family); default 1.
	MaxCount int `yaml:"max_count"`
}

// WeeklyHours are the opening hours per weekday, each a list of ranges
// "08:00-12:00".
type WeeklyHours struct {
	Monday    []string `yaml:"monday"`
	Tuesday   []string `yaml:"tuesday"`
	Wednesday []string `yaml:"wednesday"`
	Thursday  []string `yaml:"thursday"`
	Friday    []string `yaml:"friday"`
	Saturday  []string `yaml:"saturday"`
	Sunday    []string `yaml:"sunday"`
}

// ClosedDays are the days the office is closed besides days without hours.
type ClosedDays struct {
	// PublicHolidays closes the office on the public holidays of Office.State.
	PublicHolidays bool `yaml:"public_holidays"`
	// Dates are extra closed dates, YYYY-MM-DD.
	Dates []string `yaml:"dates"`
}

// BookingRules are the rules for appointments.
type BookingRules struct {
	HorizonDays int           `yaml:"horizon_days"`
	LeadTime    time.Duration `yaml:"lead_time"`
	SlotStep    time.Duration `yaml:"slot_step"`
	// WalkInShare is the share of the counters kept free of appointments for
	// walk-ins (0 to 1).
	WalkInShare float64 `yaml:"walk_in_share"`
	// MaxActivePerPerson limits active future bookings per person key.
	MaxActivePerPerson int `yaml:"max_active_per_person"`
	// MaxActivePerSource limits active future bookings from one source: an
	// address block of the web chat (/24, /48) or a mail domain that is not
	// a public provider's. It is what fresh cookies and fresh addresses of a
	// script's own domain cannot get around; default 3.
	MaxActivePerSource int `yaml:"max_active_per_source"`
	// ReleaseDelay is how long a cancelled slot stays blocked before anybody
	// can book it again (against slot trading).
	ReleaseDelay time.Duration `yaml:"release_delay"`
	// PINMaxAttempts wrong PINs lock a booking for PINLockout.
	PINMaxAttempts int           `yaml:"pin_max_attempts"`
	PINLockout     time.Duration `yaml:"pin_lockout"`
	// PINGuessesPerPerson wrong PINs (or unknown numbers) within an hour
	// lock a person out of PIN checks for PINLockout, whichever bookings
	// they try.
	PINGuessesPerPerson int `yaml:"pin_guesses_per_person"`
	// PINGuessesPerSource is the same for a source (an address block, a mail
	// domain): fresh cookies or addresses from one place share it.
	PINGuessesPerSource int `yaml:"pin_guesses_per_source"`
	// PINGuessesTotal wrong PINs within an hour from all strangers together
	// pause PIN checks for strangers for PINLockout (chats that booked and
	// staff still act); staff are alerted at half of it. This bounds a
	// script with unlimited identities: see the README's computation.
	PINGuessesTotal int `yaml:"pin_guesses_total"`
}

// CallRules are the rules of the call system.
type CallRules struct {
	// RecallDelay is how long after a missed call a citizen is called again.
	RecallDelay time.Duration `yaml:"recall_delay"`
	// EarlyGrace is how long before its time an appointment may be called.
	EarlyGrace time.Duration `yaml:"early_grace"`
	// RequireCheckIn calls only appointment holders who checked in.
	RequireCheckIn bool `yaml:"require_check_in"`
}

// WalkInRules are the rules for walk-in numbers.
type WalkInRules struct {
	Contingents []Contingent `yaml:"contingents"`
}

// Contingent is a daily maximum of walk-in numbers for a group of concerns.
type Contingent struct {
	Name     string   `yaml:"name"`
	Concerns []string `yaml:"concerns"`
	PerDay   int      `yaml:"per_day"`
}

// timeRange is an opening range on one day, in minutes after midnight.
type timeRange struct{ from, to int }

type compiledRules struct {
	loc         *time.Location
	hours       [7][]timeRange // by time.Weekday
	holidays    *cal.Calendar
	extraClosed map[string]bool // YYYY-MM-DD
	concernIdx  map[string]int
	counterIdx  map[string]int
	servedBy    []uint64 // per concern: bitmask of counters
	apptCap     int      // counters open for appointments at once
}

// Defaults returns a Config holding every default, for YAML to override.
func Defaults() Config {
	return Config{
		Office: OfficeInfo{Timezone: "Europe/Berlin"},
		Closed: ClosedDays{PublicHolidays: true},
		Booking: BookingRules{HorizonDays: 21, LeadTime: time.Hour, SlotStep: 10 * time.Minute, WalkInShare: 0.25, MaxActivePerPerson: 1, MaxActivePerSource: 3, ReleaseDelay: 15 * time.Minute, PINMaxAttempts: 5, PINLockout: time.Hour, PINGuessesPerPerson: 10,
			PINGuessesPerSource: 20, PINGuessesTotal: 100},
		Calls: CallRules{RecallDelay: 5 * time.Minute, EarlyGrace: 2 * time.Minute},
	}
}

// LoadConfig reads and validates the YAML config file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := ReadConfigFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig parses and validates a YAML config. name is used in messages.
// A config with problems returns a *ConfigError listing all of them.
func ParseConfig(name string, data []byte) (*Config, error) {
	cfg := Defaults()
	if err := DecodeYAML(name, data, &cfg, cfg.Validate); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// DecodeYAML decodes data into target (a pointer to a struct holding its
// defaults) strictly: every unknown field and wrong type is listed with its
// line and column. After a clean decode, validate (if set) checks the values
// and reports problems by field path. The result is nil or a *ConfigError
// with every problem. A program whose file holds more than the office
// (channel settings) embeds Config inline and validates both.
func DecodeYAML(name string, data []byte, target any, validate func(*Checker)) error {
	positions, problems := checkFields(data, target)
	if len(problems) == 0 {
		if err := yaml.UnmarshalWithOptions(data, target, yaml.DisallowUnknownField()); err != nil {
			problems = append(problems, problemFromYAML(err, positions))
		}
	}
	if len(problems) == 0 && validate != nil {
		v := Checker{positions: positions}
		validate(&v)
		problems = v.problems
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return &ConfigError{File: name, Problems: problems}
	}
	return nil
}

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	rangePattern = regexp.MustCompile(`^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-4]):([0-5]\d)$`)
)

// Validate checks every field and compiles the derived rules; problems are
// collected in v rather than returned at the first.
func (c *Config) Validate(v *Checker) {
	if strings.TrimSpace(c.Office.Name) == "" {
		v.Add("office.name", "is required: the office's name is shown to citizens")
	}
	if c.Office.Email != "" {
		if _, err := mail.ParseAddress(c.Office.Email); err != nil {
			v.Add("office.email", "is not an e-mail address")
		}
	}
	loc, err := time.LoadLocation(c.Office.Timezone)
	if err != nil {
		v.Add("office.timezone", fmt.Sprintf("unknown time zone %q (use e.g. Europe/Berlin)", c.Office.Timezone))
		loc = time.UTC
	}
	c.compiled.loc = loc

	c.compiled.counterIdx = map[string]int{}
	if len(c.Counters) == 0 {
		v.Add("counters", "at least one counter is required")
	}
	if len(c.Counters) > 64 {
		v.Add("counters", "at most 64 counters are supported")
	}
	for i, ct := range c.Counters {
		p := fmt.Sprintf("counters[%d]", i)
		switch _, dup := c.compiled.counterIdx[ct.ID]; {
		case strings.TrimSpace(ct.ID) == "":
			v.Add(p+".id", "is required")
		case dup:
			v.Add(p+".id", fmt.Sprintf("%q is used twice", ct.ID))
		default:
			c.compiled.counterIdx[ct.ID] = i
		}
		if ct.Name == "" {
			c.Counters[i].Name = ct.ID
		}
	}

	c.compiled.concernIdx = map[string]int{}
	c.compiled.servedBy = make([]uint64, len(c.Concerns))
	if len(c.Concerns) == 0 {
		v.Add("concerns", "at least one concern is required")
	}
	for i := range c.Concerns {
		cn := &c.Concerns[i]
		p := fmt.Sprintf("concerns[%d]", i)
		switch _, dup := c.compiled.concernIdx[cn.ID]; {
		case !idPattern.MatchString(cn.ID):
			v.Add(p+".id", fmt.Sprintf("%q must be lower-case letters, digits, - or _", cn.ID))
		case dup:
			v.Add(p+".id", fmt.Sprintf("%q is used twice", cn.ID))
		default:
			c.compiled.concernIdx[cn.ID] = i
		}
		if strings.TrimSpace(cn.Name.DE) == "" {
			v.Add(p+".name.de", "a German name is required")
		}
		if cn.Minutes < 1 || cn.Minutes > 480 {
			v.Add(p+".minutes", fmt.Sprintf("must be between 1 and 480, not %d", cn.Minutes))
		}
		if cn.MaxCount == 0 {
			cn.MaxCount = 1
		}
		if cn.MaxCount < 0 || cn.MaxCount > 10 {
			v.Add(p+".max_count", fmt.Sprintf("must be between 1 and 10, not %d", cn.MaxCount))
		}
		if len(cn.Counters) == 0 {
			c.compiled.servedBy[i] = allCounters(len(c.Counters))
		}
		for j, id := range cn.Counters {
			k, ok := c.compiled.counterIdx[id]
			if !ok {
				v.Add(fmt.Sprintf("%s.counters[%d]", p, j), fmt.Sprintf("no counter has the id %q", id))
				continue
			}
			c.compiled.servedBy[i] |= 1 << k
		}
	}

	days := []struct {
		name   string
		day    time.Weekday
		ranges []string
	}{
		{"monday", time.Monday, c.OpeningHours.Monday}, {"tuesday", time.Tuesday, c.OpeningHours.Tuesday},
		{"wednesday", time.Wednesday, c.OpeningHours.Wednesday}, {"thursday", time.Thursday, c.OpeningHours.Thursday},
		{"friday", time.Friday, c.OpeningHours.Friday}, {"saturday", time.Saturday, c.OpeningHours.Saturday},
		{"sunday", time.Sunday, c.OpeningHours.Sunday},
	}
	open := false
	for _, d := range days {
		for j, s := range d.ranges {
			p := fmt.Sprintf("opening_hours.%s[%d]", d.name, j)
			r, err := parseRange(s)
			if err != nil {
				v.Add(p, err.Error())
				continue
			}
			if prev := c.compiled.hours[d.day]; len(prev) > 0 && r.from < prev[len(prev)-1].to {
				v.Add(p, "overlaps or comes before the range before it; list ranges in order")
				continue
			}
			c.compiled.hours[d.day] = append(c.compiled.hours[d.day], r)
			open = true
		}
	}
	if !open {
		v.Add("opening_hours", "the office must be open on at least one weekday")
	}

	if c.Closed.PublicHolidays {
		hols, ok := stateHolidays(c.Office.State)
		if !ok {
			v.Add("office.state", fmt.Sprintf("%q is not a German state code (BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH); it picks the public holidays", c.Office.State))
		}
		c.compiled.holidays = &cal.Calendar{}
		c.compiled.holidays.AddHoliday(hols...)
	}
	c.compiled.extraClosed = map[string]bool{}
	for i, d := range c.Closed.Dates {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			v.Add(fmt.Sprintf("closed.dates[%d]", i), fmt.Sprintf("%q is not a date like 2026-12-24", d))
			continue
		}
		c.compiled.extraClosed[t.Format(time.DateOnly)] = true
	}

	b := &c.Booking
	if b.HorizonDays < 1 || b.HorizonDays > 366 {
		v.Add("booking.horizon_days", fmt.Sprintf("must be between 1 and 366, not %d", b.HorizonDays))
	}
	if b.LeadTime < 0 {
		v.Add("booking.lead_time", "must not be negative")
	}
	if b.SlotStep < time.Minute || b.SlotStep > 4*time.Hour || b.SlotStep%time.Minute != 0 {
		v.Add("booking.slot_step", fmt.Sprintf("must be whole minutes between 1m and 4h, not %s", b.SlotStep))
	}
	if b.WalkInShare < 0 || b.WalkInShare > 1 {
		v.Add("booking.walk_in_share", fmt.Sprintf("must be between 0 and 1, not %g", b.WalkInShare))
	}
	if b.MaxActivePerPerson < 1 {
		v.Add("booking.max_active_per_person", "must be at least 1")
	}
	if b.MaxActivePerSource < 1 {
		v.Add("booking.max_active_per_source", "must be at least 1")
	}
	if b.ReleaseDelay < 0 {
		v.Add("booking.release_delay", "must not be negative")
	}
	if b.PINMaxAttempts < 1 {
		v.Add("booking.pin_max_attempts", "must be at least 1")
	}
	if b.PINGuessesPerPerson < 1 {
		v.Add("booking.pin_guesses_per_person", "must be at least 1")
	}
	if b.PINGuessesPerSource < 1 {
		v.Add("booking.pin_guesses_per_source", "must be at least 1")
	}
	if b.PINGuessesTotal < 1 || b.PINGuessesTotal > 114 {
		v.Add("booking.pin_guesses_total", "must be between 1 and 114: more lets a script guess one of 1,000 bookings' 6-digit PINs within a year")
	}
	if b.PINLockout < time.Minute {
		v.Add("booking.pin_lockout", "must be at least 1m")
	}
	reserved := int(float64(len(c.Counters))*b.WalkInShare + 0.5)
	c.compiled.apptCap = len(c.Counters) - reserved
	if c.Calls.RecallDelay < time.Minute || c.Calls.RecallDelay > time.Hour {
		v.Add("calls.recall_delay", fmt.Sprintf("must be between 1m and 1h, not %s", c.Calls.RecallDelay))
	}
	if c.Calls.EarlyGrace < 0 || c.Calls.EarlyGrace > time.Hour {
		v.Add("calls.early_grace", "must be between 0 and 1h")
	}
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
			if _, ok := c.compiled.concernIdx[id]; !ok {
				v.Add(fmt.Sprintf("%s.concerns[%d]", p, j), fmt.Sprintf("no concern has the id %q", id))
			}
		}
	}
}

func allCounters(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<n - 1
}

// parseRange parses "08:00-12:00" into minutes after midnight.
func parseRange(s string) (timeRange, error) {
	m := rangePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return timeRange{}, fmt.Errorf("%q is not a range like 08:00-12:00", s)
	}
	atoi := func(s string) int {
		n := 0
		for _, c := range s {
			n = n*10 + int(c-'0')
		}
		return n
	}
	r := timeRange{from: atoi(m[1])*60 + atoi(m[2]), to: atoi(m[3])*60 + atoi(m[4])}
	if r.to > 24*60 {
		return timeRange{}, fmt.Errorf("%q ends after midnight", s)
	}
	if r.to <= r.from {
		return timeRange{}, fmt.Errorf("%q ends before it starts", s)
	}
	return r, nil
}

// Location is the office's time zone.
func (c *Config) Location() *time.Location { return c.compiled.loc }

// Concern returns the concern with the id.
func (c *Config) Concern(id string) (Concern, bool) {
	i, ok := c.compiled.concernIdx[id]
	if !ok {
		return Concern{}, false
	}
	return c.Concerns[i], true
}

// CounterByID returns the counter with the id.
func (c *Config) CounterByID(id string) (Counter, bool) {
	i, ok := c.compiled.counterIdx[id]
	if !ok {
		return Counter{}, false
	}
	return c.Counters[i], true
}

// AppointmentCapacity is how many appointments may run at the same time:
// the counters minus the share kept for walk-ins.
func (c *Config) AppointmentCapacity() int { return c.compiled.apptCap }
