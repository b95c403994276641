package office

import (
	"fmt"
	"slices"
	"strings"
)

// Several offices of a town (issue 17): the town's file lists them under
// `offices`, each with what is its own — name, address, phone, counters,
// opening hours, closed days, walk-in contingents and the concerns it
// offers (with its own minutes and counters where they differ) — while the
// concerns' catalogue and the booking and call rules stay town-wide. A
// file without `offices` is a town with one office, as before.

// OfficeConfig is one office of a town.
type OfficeConfig struct {
	// ID names the office in addresses and the store ("ohligs").
	ID string `yaml:"id"`
	// Office is its name, address, phone and e-mail; what is left out is
	// the town's (the time zone and the state are the town's).
	Office       OfficeContact   `yaml:"office"`
	Counters     []Counter       `yaml:"counters"`
	OpeningHours WeeklyHours     `yaml:"opening_hours"`
	Closed       *ClosedDays     `yaml:"closed"`   // default: the town's
	WalkIns      *WalkInRules    `yaml:"walk_ins"` // default: the town's
	Concerns     []OfficeConcern `yaml:"concerns"` // default: all of the town's
}

// OfficeContact is how citizens reach one office.
type OfficeContact struct {
	Name    string `yaml:"name"`
	Address string `yaml:"address"`
	Phone   string `yaml:"phone"`
	Email   string `yaml:"email"`
}

// OfficeConcern is a concern an office offers, with what differs there.
type OfficeConcern struct {
	ID string `yaml:"id"`
	// Minutes, if set, is the processing time at this office.
	Minutes int `yaml:"minutes"`
	// Counters, if set, are this office's counters that serve it.
	Counters []string `yaml:"counters"`
}

// OfficeConfigs are the offices' full configs, in the file's order: the
// town's rules with each office's own parts. A town without `offices` has
// one, its own config. Call it on a config that passed Validate.
func (c *Config) OfficeConfigs() []*Config {
	if len(c.Offices) == 0 {
		return []*Config{c}
	}
	out := make([]*Config, 0, len(c.Offices))
	for i := range c.Offices {
		oc := c.officeConfig(&c.Offices[i])
		oc.Compile()
		out = append(out, oc)
	}
	return out
}

// OfficePart is the part of the town's store (for Within) that its i-th
// office keeps its data in: the first office's is the unprefixed store, as
// a single office left it, so a town grows from one office without moving
// data; the others' are "office/<id>/".
func (c *Config) OfficePart(i int) string {
	if i == 0 || i >= len(c.Offices) {
		return ""
	}
	return "office/" + c.Offices[i].ID + "/"
}

// officeConfig is the town's config with office o's own parts.
func (c *Config) officeConfig(o *OfficeConfig) *Config {
	oc := &Config{Office: c.Office, Booking: c.Booking, Calls: c.Calls, Closed: c.Closed, WalkIns: c.WalkIns}
	for _, f := range []struct{ own, town *string }{
		{&o.Office.Name, &oc.Office.Name}, {&o.Office.Address, &oc.Office.Address},
		{&o.Office.Phone, &oc.Office.Phone}, {&o.Office.Email, &oc.Office.Email},
	} {
		if *f.own != "" {
			*f.town = *f.own
		}
	}
	oc.Counters = slices.Clone(o.Counters)
	oc.OpeningHours = o.OpeningHours
	if o.Closed != nil {
		oc.Closed = *o.Closed
	}
	if o.WalkIns != nil {
		oc.WalkIns = *o.WalkIns
	}
	offered := o.Concerns
	if len(offered) == 0 {
		for _, cn := range c.Concerns {
			offered = append(offered, OfficeConcern{ID: cn.ID})
		}
	}
	for _, want := range offered {
		i := slices.IndexFunc(c.Concerns, func(cn Concern) bool { return cn.ID == want.ID })
		if i < 0 {
			continue // Validate reported it
		}
		cn := c.Concerns[i]
		cn.Keywords, cn.Counters = slices.Clone(cn.Keywords), slices.Clone(want.Counters)
		if want.Minutes > 0 {
			cn.Minutes = want.Minutes
		}
		oc.Concerns = append(oc.Concerns, cn)
	}
	return oc
}

// checkOffices checks the offices of a town: their ids, and each office's
// own parts as its config, problems reported at the office's fields.
func (c *Config) checkOffices(v *Checker) {
	ids := map[string]bool{}
	for i := range c.Offices {
		o := &c.Offices[i]
		p := fmt.Sprintf("offices[%d]", i)
		if checkID(v, p+".id", o.ID, ids) && o.ID == "town" {
			v.Add(p+".id", `"town" names the town's own pages (/admin/stats/town/); choose another`)
		}
		town := map[string]bool{}
		for _, cn := range c.Concerns {
			town[cn.ID] = true
		}
		oc := c.officeConfig(o)
		if strings.TrimSpace(oc.Office.Name) == "" {
			v.Add(p+".office.name", "is required: each office's name is shown to citizens")
		}
		under := v.Under(p + ".")
		counters := oc.checkCounters(under)
		for j, want := range o.Concerns {
			q := fmt.Sprintf("%s.concerns[%d]", p, j)
			if !town[want.ID] {
				v.Add(q+".id", fmt.Sprintf("no concern of the town has the id %q", want.ID))
			}
			if want.Minutes != 0 && (want.Minutes < 1 || want.Minutes > 480) {
				v.Add(q+".minutes", fmt.Sprintf("must be between 1 and 480, not %d", want.Minutes))
			}
			for k, id := range want.Counters {
				if !counters[id] {
					v.Add(fmt.Sprintf("%s.counters[%d]", q, k), fmt.Sprintf("no counter of this office has the id %q", id))
				}
			}
		}
		oc.checkHours(under)
		oc.checkClosed(under)
		offered := map[string]bool{}
		for _, cn := range oc.Concerns {
			offered[cn.ID] = true
		}
		oc.checkWalkIns(under, offered)
	}
	for i, cn := range c.Concerns {
		if len(cn.Counters) > 0 {
			v.Add(fmt.Sprintf("concerns[%d].counters", i), "with several offices, counters are each office's: set them under offices[].concerns")
		}
	}
}
