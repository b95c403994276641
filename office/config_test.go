package office

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDemoOfficeIsValid(t *testing.T) {
	cfg, err := DemoConfig()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"personalausweis", "reisepass", "vorlaeufiger-ausweis", "fahrzeug-abmelden", "wohnsitz", "fuehrungszeugnis", "meldebescheinigung", "beglaubigung", "fundsache"} {
		c, ok := cfg.Concern(id)
		if !ok {
			t.Errorf("demo office lacks %q", id)
			continue
		}
		if len(c.Documents.In("de")) == 0 || len(c.Documents.In("en")) == 0 || c.Fee.DE == "" || c.Name.EN == "" {
			t.Errorf("%s: documents, fee or English name missing", id)
		}
	}
	if cfg.Booking.HorizonDays != 21 || cfg.Calls.RecallDelay != 5*time.Minute {
		t.Errorf("demo horizon %d days, re-call delay %s; want 21 days, 5m", cfg.Booking.HorizonDays, cfg.Calls.RecallDelay)
	}
	// Christmas Day and Corpus Christi (NW) are public holidays; the day
	// after Christmas Eve's extra closing is the holiday itself.
	for _, d := range []time.Time{at(2026, 12, 24, 0, 0), at(2026, 12, 25, 0, 0), at(2027, 5, 27, 0, 0)} {
		if cfg.IsOpenDay(d) {
			t.Errorf("demo office open on %s", d.Format(time.DateOnly))
		}
	}
	if !cfg.IsOpenDay(at(2026, 11, 24, 0, 0)) {
		t.Error("demo office closed on an ordinary Tuesday")
	}
}

func TestDefaultsApplyToAMinimalConfig(t *testing.T) {
	cfg := mustConfig(t, `
office: {name: Mini, state: BY}
counters: [{id: "1"}]
concerns: [{id: a, name: {de: A}, minutes: 5}]
opening_hours: {monday: ["09:00-10:00"]}
`)
	b := cfg.Booking
	if b.HorizonDays != 21 || b.SlotStep != 10*time.Minute || b.MaxActivePerPerson != 1 || b.ReleaseDelay != 15*time.Minute ||
		b.PINMaxAttempts != 5 || cfg.Calls.RecallDelay != 5*time.Minute || cfg.Location().String() != "Europe/Berlin" {
		t.Errorf("defaults not applied: %+v %+v", b, cfg.Calls)
	}
	c, _ := cfg.Concern("a")
	if c.MaxCount != 1 || c.Name.In("en") != "A" {
		t.Errorf("concern defaults: max %d, English name %q", c.MaxCount, c.Name.In("en"))
	}
	// Epiphany is a holiday in Bavaria, not in NW.
	if cfg.ClosedReason(at(2027, 1, 6, 0, 0)) == "" {
		t.Error("6 January open in Bavaria")
	}
}

func TestBadConfigListsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // "line N: field: fragment of why"
	}{
		{"unknown fields everywhere, not only the first", `office:
  name: x
  colour: blue
counters:
  - id: "1"
    floor: 2
concerns: []
`, []string{"line 3, column 3: office.colour: unknown field", "line 6, column 5: counters[0].floor: unknown field"}},
		{"a wrong type", `office: {name: x}
booking:
  horizon_days: three weeks
`, []string{"line 3, column 17: booking.horizon_days:"}},
		{"a syntax error", "office: {name: x\ncounters: [\n", []string{"line "}},
		{"type and unit mistakes hide nothing else", `office: {name: x, state: NW}
counters: [{id: "1"}]
concerns:
  - {id: a, name: {de: A}, minutes: fünfzehn}
opening_hours: {monday: ["08:00-25:00"], tuesday: ["08:00-12:00"]}
booking:
  lead_time: 1 Stunde
  walk_in_share: viel
  horizon_days: 0
closed: {public_holidays: vielleicht}
`, []string{
			`line 4, column 37: concerns[0].minutes: "fünfzehn" is not a whole number`,
			`line 5, column 26: opening_hours.monday[0]: "08:00-25:00": 25:00 is no time of day`,
			`line 7, column 14: booking.lead_time: "1 Stunde" is not a length of time: write it like 90s, 15m, 1h or 1h30m`,
			`line 8, column 18: booking.walk_in_share: "viel" is not a number`,
			`line 9, column 17: booking.horizon_days: must be between 1 and 366, not 0`,
			`closed.public_holidays: "vielleicht" is not true or false`,
		}},
		{"a matter handled elsewhere without its words or place", `office: {name: x, state: NW}
counters: [{id: "1"}]
concerns: [{id: a, name: {de: A}, minutes: 10}]
opening_hours: {monday: ["08:00-12:00"]}
elsewhere: [{keywords: [], where: {en: "the tax office"}}]
`, []string{"elsewhere[0].keywords: name the words citizens use for it", "elsewhere[0].where.de: say where citizens go instead"}},
		{"a tab", "office:\n\tname: x\n", []string{"line 2, column 1: (file): a tab: YAML indents with spaces only"}},
		{"shares and holds", `office: {name: x}
counters: [{id: "1"}, {id: "2"}]
concerns:
  - {id: a, name: {de: A}, minutes: 10, online_share: 2}
opening_hours: {monday: ["08:00-12:00"]}
booking:
  walk_in_share: 0
  online_share: 0.2
  share_opens_before: -1h
  hold_for: 2h
`, []string{
			"concerns[0].online_share: must be between 0 and 1, not 2",
			"booking.online_share: 0.2 of 2 place(s) per time leaves none for citizens online",
			"booking.share_opens_before: must not be negative",
			"booking.hold_for: must be between 0s (no holds) and 1h",
		}},
		{"every semantic problem with its line", `office:
  name: ""
  timezone: Mars/Olympus
  state: XX
counters:
  - id: A
  - id: A
concerns:
  - id: Pass!
    name: {en: Passport}
    minutes: 0
    counters: [Z]
    max_count: 99
opening_hours:
  monday: ["12:00-08:00", "25:00-26:00"]
  tuesday: ["08:00-12:00", "11:00-13:00"]
closed:
  dates: [2026-13-01]
booking:
  slot_step: 90s
  walk_in_share: 1.5
  pin_max_attempts: 0
calls:
  recall_delay: 2h
walk_ins:
  contingents: [{name: "", concerns: [nix], per_day: 0}]
`, []string{
			"line 2, column 9: office.name: is required",
			"line 3, column 13: office.timezone: unknown time zone",
			"line 4, column 10: office.state:",
			"line 7, column 9: counters[1].id: \"A\" is used twice",
			"line 9, column 9: concerns[0].id:",
			"line 10, column 5: concerns[0].name.de: a German name is required",
			"line 11, column 14: concerns[0].minutes: must be between 1 and 480, not 0",
			"line 12, column 16: concerns[0].counters[0]: no counter has the id \"Z\"",
			"line 13, column 16: concerns[0].max_count:",
			"line 15, column 12: opening_hours.monday[0]: \"12:00-08:00\" ends before it starts",
			"line 15, column 27: opening_hours.monday[1]:",
			"line 16, column 28: opening_hours.tuesday[1]: overlaps",
			"line 18, column 11: closed.dates[0]:",
			"line 20, column 14: booking.slot_step:",
			"line 21, column 18: booking.walk_in_share:",
			"line 22, column 21: booking.pin_max_attempts:",
			"line 24, column 17: calls.recall_delay:",
			"walk_ins.contingents[0].name: is required",
			"walk_ins.contingents[0].concerns[0]: no concern has the id \"nix\"",
			"walk_ins.contingents[0].per_day:",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("bad.yaml", []byte(tc.yaml))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("missing %q in\n%s", w, msg)
				}
			}
			if len(ce.Problems) < len(tc.want) {
				t.Errorf("%d problems listed, want at least %d", len(ce.Problems), len(tc.want))
			}
		})
	}
}

func TestTextFallsBackToGerman(t *testing.T) {
	txt := Text{DE: "Pass"}
	if txt.In("en") != "Pass" || (Text{DE: "Pass", EN: "Passport"}).In("en") != "Passport" {
		t.Error("English text does not fall back to German")
	}
}

// FuzzParseConfig: any file is either refused with problems that each name
// a line, or accepted as a config whose rules hold together.
func FuzzParseConfig(f *testing.F) {
	f.Add(string(DemoConfigYAML()))
	f.Add("office: {name: x}\ncounters: [{id: a}]\nconcerns: [{id: c, name: {de: C}, minutes: 5}]\nopening_hours: {monday: [\"08:00-09:00\"]}\n")
	f.Add("office:\n  name: [\n")
	f.Add("booking: {slot_step: -5m, walk_in_share: 2}\n")
	f.Add("\xff\xfe\x00")
	f.Add(aliasBomb(3))
	f.Add("a: &x [1]\nb: *x\nc: '[[[' # [[[\n")
	f.Fuzz(func(t *testing.T, data string) {
		cfg, err := ParseConfig("fuzz.yaml", []byte(data))
		if err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					if p.Line < 1 || p.Why == "" {
						t.Fatalf("problem without a line or reason: %+v", p)
					}
				}
			}
			return
		}
		if len(cfg.Counters) == 0 || len(cfg.Concerns) == 0 || cfg.Booking.SlotStep < time.Minute || cfg.AppointmentCapacity() < 0 {
			t.Fatalf("accepted an unusable config: %+v", cfg.Booking)
		}
		for _, c := range cfg.Concerns {
			if _, err := cfg.Minutes([]ConcernCount{{ID: c.ID, Count: 1}}); err != nil && !errors.Is(err, ErrNoCounter) {
				t.Fatalf("concern %s: %v", c.ID, err)
			}
		}
	})
}

// Validate only checks: the config is the same before and after, and
// Compile is what fills in defaults and derives the rules.
func TestValidateChangesNothing(t *testing.T) {
	cfg := Defaults()
	if err := DecodeYAML("demo.yaml", DemoConfigYAML(), &cfg, nil); err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprintf("%#v", cfg)
	var v Checker
	cfg.Validate(&v)
	if len(v.problems) != 0 {
		t.Fatalf("problems: %v", v.problems)
	}
	if after := fmt.Sprintf("%#v", cfg); after != before {
		t.Fatal("Validate changed the config")
	}
	cfg.Compile()
	if cfg.Location() == nil || cfg.AppointmentCapacity() != 3 || cfg.Concerns[2].MaxCount != 1 {
		t.Fatalf("compiled: loc %v, capacity %d, default max count %d", cfg.Location(), cfg.AppointmentCapacity(), cfg.Concerns[2].MaxCount)
	}
}

// An empty file keeps every default: only what has none is missing.
func TestEmptyConfigKeepsTheDefaults(t *testing.T) {
	_, err := ParseConfig("empty.yaml", nil)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	for _, p := range ce.Problems {
		if strings.HasPrefix(p.Field, "booking.") || strings.HasPrefix(p.Field, "calls.") {
			t.Errorf("%s: a field with a default reported in an empty file", p)
		}
	}
}
