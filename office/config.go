package office

import (
	"bytes"
	_ "embed"
	"fmt"
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
	Office   OfficeInfo `yaml:"office"`
	Counters []Counter  `yaml:"counters"`
	Concerns []Concern  `yaml:"concerns"`
	// Elsewhere are matters citizens ask the office for that another
	// office of the town handles ("Hundesteuer": the tax office): asked
	// for, the citizen is told where to go instead of being booked.
	Elsewhere    []Referral   `yaml:"elsewhere"`
	OpeningHours WeeklyHours  `yaml:"opening_hours"`
	Closed       ClosedDays   `yaml:"closed"`
	Booking      BookingRules `yaml:"booking"`
	Calls        CallRules    `yaml:"calls"`
	WalkIns      WalkInRules  `yaml:"walk_ins"`
	// Offices, if set, are a town's several offices (offices.go); then
	// counters, opening hours, closed days and walk-ins are each office's.
	Offices  []OfficeConfig `yaml:"offices"`
	compiled compiledRules  `yaml:"-"`
}

// Referral is a matter handled elsewhere: the words citizens use for it
// and where to go.
type Referral struct {
	Keywords []string `yaml:"keywords"`
	// Where names the office that handles it and how to reach it.
	Where Text `yaml:"where"`
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
	// Payment says how fees can be paid ("bar oder mit girocard"), for
	// citizens who ask; empty: they are given the phone number.
	Payment Text `yaml:"payment"`
	// Parking and Access say where to park and how the office is reached
	// without steps (lift, wheelchair), for citizens who ask; empty: the
	// address and the phone number.
	Parking Text `yaml:"parking"`
	Access  Text `yaml:"access"`
	// Color is the office's colour on the booking page ("#0b5cad"): buttons
	// and headings, with white text on it, so it must be dark enough to read.
	Color string `yaml:"color"`
	// Logo is the address of the office's logo on the booking page: a path
	// on this service or an https:// address.
	Logo string `yaml:"logo"`
}

// Text is a short text in German and, optionally, the catalogue's other
// languages; a language not given falls back to German, the office's own.
type Text struct {
	DE string `yaml:"de"`
	EN string `yaml:"en"`
	UK string `yaml:"uk"`
	RU string `yaml:"ru"`
	TR string `yaml:"tr"`
	AR string `yaml:"ar"`
}

// In returns the text in the language ("de", "en", "uk", "ru", "tr",
// "ar"), falling back to German.
func (t Text) In(lang string) string {
	if s := map[string]string{"en": t.EN, "uk": t.UK, "ru": t.RU, "tr": t.TR, "ar": t.AR}[lang]; s != "" {
		return s
	}
	return t.DE
}

// All is the text in every language it is given in, German first.
func (t Text) All() []string {
	var out []string
	for _, s := range []string{t.DE, t.EN, t.UK, t.RU, t.TR, t.AR} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// TextList is a list of texts in German and, optionally, the catalogue's
// other languages; a language not given falls back to German.
type TextList struct {
	DE []string `yaml:"de"`
	EN []string `yaml:"en"`
	UK []string `yaml:"uk"`
	RU []string `yaml:"ru"`
	TR []string `yaml:"tr"`
	AR []string `yaml:"ar"`
}

// In returns the list in the language, falling back to German.
func (t TextList) In(lang string) []string {
	if l := map[string][]string{"en": t.EN, "uk": t.UK, "ru": t.RU, "tr": t.TR, "ar": t.AR}[lang]; len(l) > 0 {
		return l
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
	// PerPerson marks a case each person needs for themselves (an ID card,
	// a passport): a message for several people ("für meinen Mann und
	// mich") then counts one for each, up to MaxCount.
	PerPerson bool `yaml:"per_person"`
	// OnlineShare, if set, is this concern's share of each time's places
	// citizens may book themselves, instead of Booking.OnlineShare
	// (shares.go): 0 books it only through staff.
	OnlineShare *float64 `yaml:"online_share"`
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
	// MaxCasesPerBooking and MaxMinutesPerBooking are the most one booking
	// made online may hold: cases (each count of a concern is one) and
	// minutes; larger groups book through staff. Defaults 4 and 60: a
	// family of four's ID cards.
	MaxCasesPerBooking   int `yaml:"max_cases_per_booking"`
	MaxMinutesPerBooking int `yaml:"max_minutes_per_booking"`
	// MaxMinutesPerPerson and MaxMinutesPerSource are the most minutes of
	// active future appointments a person and a source may hold; defaults
	// 60 and 120.
	MaxMinutesPerPerson int `yaml:"max_minutes_per_person"`
	MaxMinutesPerSource int `yaml:"max_minutes_per_source"`
	// Pace releases a day's minutes for citizens over time (pace.go).
	Pace PaceRules `yaml:"pace"`
	// OnlineShare is the share of each time's appointment places citizens
	// may book themselves (chat, mail, web); the rest is kept for staff
	// booking for callers (phone, info desk) and internal use (shares.go).
	// Default 1: every place online.
	OnlineShare float64 `yaml:"online_share"`
	// ShareOpensBefore is how long before a time the places kept for
	// staff open to citizens too; default 24h.
	ShareOpensBefore time.Duration `yaml:"share_opens_before"`
	// HoldFor is how long a time a citizen chose is kept for them while
	// they give their name and confirm (booking/hold.go); 0 keeps none.
	HoldFor time.Duration `yaml:"hold_for"`
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
		Booking: BookingRules{HorizonDays: 21, LeadTime: time.Hour, HoldFor: 10 * time.Minute, OnlineShare: 1, ShareOpensBefore: 24 * time.Hour, SlotStep: 10 * time.Minute, WalkInShare: 0.25, MaxActivePerPerson: 1, MaxActivePerSource: 3,
			MaxCasesPerBooking: 4, MaxMinutesPerBooking: 60, MaxMinutesPerPerson: 60, MaxMinutesPerSource: 120,
			Pace: PaceRules{OpeningShare: 0.25, PerHour: 0.05, Collect: 10 * time.Minute, CohortWindow: 10 * time.Minute, CohortShare: 0.1}, ReleaseDelay: 15 * time.Minute, PINMaxAttempts: 5, PINLockout: time.Hour, PINGuessesPerPerson: 10,
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
	cfg.Compile()
	return &cfg, nil
}

// DecodeYAML decodes data into target (a pointer to a struct holding its
// defaults) strictly: every unknown field and wrong type is listed with its
// line and column. Once the file decodes (unknown fields aside), validate
// (if set) checks the values and reports problems by field path, so one run
// lists both kinds. The result is nil or a *ConfigError
// with every problem. A program whose file holds more than the office
// (channel settings) embeds Config inline and validates both.
func DecodeYAML(name string, data []byte, target any, validate func(*Checker)) error {
	f := checkFields(data, target)
	problems := f.problems
	if f.positions != nil { // the file parsed: decode it (past unknown fields and wrong types, already listed) and check the values
		var opts []yaml.DecodeOption
		if len(problems) == 0 {
			opts = append(opts, yaml.DisallowUnknownField())
		}
		var err error
		if !f.empty { // an empty file keeps every default
			err = unmarshalSafely(f.data, target, opts...)
		}
		if err != nil {
			problems = append(problems, problemFromYAML(err, f.positions))
		} else if validate != nil {
			v := Checker{positions: f.positions}
			validate(&v)
			for _, p := range v.problems {
				if !f.mistyped[p.Field] { // its value's type is the problem, listed already
					problems = append(problems, p)
				}
			}
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return &ConfigError{File: name, Problems: problems}
	}
	return nil
}

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	clockPattern = regexp.MustCompile(`\d{1,2}:\d{2}`)
	rangePattern = regexp.MustCompile(`^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-4]):([0-5]\d)$`)
)

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
		for _, t := range clockPattern.FindAllString(s, -1) {
			if h, mm, _ := strings.Cut(t, ":"); h > "24" && len(h) == 2 || mm > "59" || (h == "24" && mm != "00") {
				return timeRange{}, fmt.Errorf("%q: %s is no time of day (00:00 to 24:00)", s, t)
			}
		}
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

// unmarshalSafely decodes YAML, turning a panic of the YAML library on a
// strange file (a tag where a list belongs, found by fuzzing) into an
// error: a config is refused with a reason, never crashes the program.
func unmarshalSafely(data []byte, target any, opts ...yaml.DecodeOption) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the file could not be read as a config (the YAML reader failed: %v); check its tags (!…) and structure", r)
		}
	}()
	return yaml.UnmarshalWithOptions(data, target, opts...)
}
