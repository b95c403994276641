package office

import "fmt"

// ConcernCount is a concern and how many of it (two ID cards: Count 2).
type ConcernCount struct {
	ID    string `json:"id"`
	Count int    `json:"n"`
}

// Plan checks the chosen concerns and returns them merged (one entry per
// concern, in config order), the total minutes and the counters that can
// serve all of them (a bit per counter, in config order).
func (c *Config) Plan(concerns []ConcernCount) ([]ConcernCount, int, uint64, error) {
	if len(concerns) == 0 {
		return nil, 0, 0, fmt.Errorf("no concern chosen: %w", ErrInvalidInput)
	}
	counts := map[string]int{}
	for _, cc := range concerns {
		if _, ok := c.compiled.concernIdx[cc.ID]; !ok {
			return nil, 0, 0, fmt.Errorf("%q: %w", cc.ID, ErrUnknownConcern)
		}
		if cc.Count < 1 {
			return nil, 0, 0, fmt.Errorf("count %d for %q: %w", cc.Count, cc.ID, ErrInvalidInput)
		}
		counts[cc.ID] += cc.Count
	}
	var merged []ConcernCount
	minutes, mask := 0, allCounters(len(c.Counters))
	for i, cn := range c.Concerns {
		n := counts[cn.ID]
		if n == 0 {
			continue
		}
		if n > cn.MaxCount {
			return nil, 0, 0, fmt.Errorf("%d × %q, at most %d: %w", n, cn.ID, cn.MaxCount, ErrTooMany)
		}
		merged = append(merged, ConcernCount{ID: cn.ID, Count: n})
		minutes += n * cn.Minutes
		mask &= c.compiled.servedBy[i]
	}
	if mask == 0 {
		return nil, 0, 0, ErrNoCounter
	}
	return merged, minutes, mask, nil
}

// ServingMask is the set of counters that can serve all the concerns.
func (c *Config) ServingMask(concerns []ConcernCount) uint64 {
	mask := allCounters(len(c.Counters))
	for _, cc := range concerns {
		if i, ok := c.compiled.concernIdx[cc.ID]; ok {
			mask &= c.compiled.servedBy[i]
		}
	}
	return mask
}

// Minutes is the expected processing time of the concerns (the sum of
// their durations), or an error if they cannot be booked together.
func (c *Config) Minutes(concerns []ConcernCount) (int, error) {
	_, minutes, _, err := c.Plan(concerns)
	return minutes, err
}

// Cases counts the cases of concerns: each count of each concern is one.
func Cases(concerns []ConcernCount) int {
	n := 0
	for _, c := range concerns {
		n += c.Count
	}
	return n
}

// CheckOnlineSize says whether a citizen may book concerns online (not
// through staff): ErrTooBigOnline when they are more cases or minutes than
// one booking may hold. The dialogue asks it as the concerns are chosen.
func (c *Config) CheckOnlineSize(concerns []ConcernCount) error {
	_, minutes, _, err := c.Plan(concerns)
	if err != nil {
		return err
	}
	return c.FitsOnline(Cases(concerns), minutes)
}

// FitsOnline is the rule CheckOnlineSize applies to a booking of cases and
// minutes (the booking transaction applies it too): ErrTooBigOnline when
// it is more than one booking online may hold.
func (c *Config) FitsOnline(cases, minutes int) error {
	r := c.Booking
	if cases > r.MaxCasesPerBooking || minutes > r.MaxMinutesPerBooking {
		return fmt.Errorf("%d cases, %d minutes; online at most %d cases, %d minutes: %w", cases, minutes, r.MaxCasesPerBooking, r.MaxMinutesPerBooking, ErrTooBigOnline)
	}
	return nil
}

// CanServe reports whether counter can serve every one of concerns.
func (c *Config) CanServe(counter string, concerns []ConcernCount) bool {
	i, ok := c.compiled.counterIdx[counter]
	return ok && c.ServingMask(concerns)&(1<<i) != 0
}
