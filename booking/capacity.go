package booking

import (
	"math/bits"
	"slices"
)

// interval is an appointment's time on its day, in minutes after midnight,
// with the counters that can serve it.
type interval struct {
	from, to int
	counters uint64
	online   bool // booked (or held) by a citizen, in the online share
}

// fits reports whether cand can be added to the appointments in others: at
// every moment of cand, the appointments running then (cand included) must
// number at most capacity, and each must get a counter of its own that can
// serve it (a bipartite matching, so a counter that serves only some
// concerns is not counted for the others). With online at 0 or more, cand
// is a citizen's and the online appointments running then (cand included)
// must number at most online too (shares.go); -1: no such limit.
func fits(cand interval, others []interval, capacity, online int) bool {
	var overlapBuf [32]interval // on the stack for the usual few
	var pointBuf [64]int
	overlapping := overlapBuf[:0]
	points := append(pointBuf[:0], cand.from)
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
	var maskBuf [64]uint64
	masks := maskBuf[:0]
	for _, p := range points {
		masks = append(masks[:0], cand.counters)
		onlineNow := 1
		for _, o := range overlapping {
			if o.from <= p && p < o.to {
				masks = append(masks, o.counters)
				if o.online {
					onlineNow++
				}
			}
		}
		if len(masks) > capacity || (online >= 0 && onlineNow > online) || !matchable(masks) {
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
	slices.SortFunc(masks, func(a, b uint64) int { return bits.OnesCount64(a) - bits.OnesCount64(b) })
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
