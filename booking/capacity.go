package booking

import (
	"fmt"
	"math/bits"
	"sort"
)

// interval is an appointment's time on its day, in minutes after midnight,
// with the counters that can serve it.
type interval struct {
	from, to int
	counters uint64
}

// fits reports whether cand can be added to the appointments in others: at
// every moment of cand, the appointments running then (cand included) must
// number at most capacity, and each must get a counter of its own that can
// serve it (a bipartite matching, so a counter that serves only some
// concerns is not counted for the others).
func fits(cand interval, others []interval, capacity int) bool {
	var overlapping []interval
	points := []int{cand.from}
	for _, o := range others {
		if o.from < cand.to && cand.from < o.to {
			overlapping = append(overlapping, o)
			if o.from > cand.from {
				points = append(points, o.from)
			}
			if o.to < cand.to {
				points = append(points, o.to)
			}
		}
	}
	// The set of running appointments only changes at these points.
	masks := make([]uint64, 0, len(overlapping)+1)
	for _, p := range points {
		masks = append(masks[:0], cand.counters)
		for _, o := range overlapping {
			if o.from <= p && p < o.to {
				masks = append(masks, o.counters)
			}
		}
		if len(masks) > capacity || !matchable(masks) {
			return false
		}
	}
	return true
}

// matchable reports whether every appointment (given by the counters that
// can serve it) can have a different counter, by augmenting paths (Kuhn).
func matchable(masks []uint64) bool {
	if len(masks) == 1 {
		return masks[0] != 0
	}
	// Most constrained first makes the search short.
	sort.Slice(masks, func(i, j int) bool { return bits.OnesCount64(masks[i]) < bits.OnesCount64(masks[j]) })
	owner := [64]int{}
	for i := range owner {
		owner[i] = -1
	}
	var try func(a int, seen *uint64) bool
	try = func(a int, seen *uint64) bool {
		for m := masks[a] &^ *seen; m != 0; m &= m - 1 {
			c := bits.TrailingZeros64(m)
			*seen |= 1 << c
			if owner[c] < 0 || try(owner[c], seen) {
				owner[c] = a
				return true
			}
		}
		return false
	}
	for a := range masks {
		var seen uint64
		if !try(a, &seen) {
			return false
		}
	}
	return true
}

// plan checks the chosen concerns and returns them merged (one entry per
// concern, in config order), the total minutes and the counters that can
// serve all of them.
func (c *Config) plan(concerns []ConcernCount) ([]ConcernCount, int, uint64, error) {
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

// servingMask is the set of counters that can serve all the concerns.
func (c *Config) servingMask(concerns []ConcernCount) uint64 {
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
	_, minutes, _, err := c.plan(concerns)
	return minutes, err
}
