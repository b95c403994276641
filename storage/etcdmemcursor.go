package storage

import (
	"slices"
	"sort"
	"strings"
)

// memCursor walks a bucket a write transaction holds whole in the read
// cache (etcdbatch.go), merged with the transaction's own writes, without
// copying it: a position is the current key, and each step is a binary
// search in the bucket's sorted keys and in the writes.
type memCursor struct {
	b       *etcdBucket
	prefix  string
	base    []string          // the bucket's keys as committed, in order
	overlay []string          // the keys this transaction wrote in the bucket, in order
	writes  map[string][]byte // their values (nil: deleted)
	values  map[string]cached // the committed values, by data key
	cur     string            // the current key
	valid   bool              // cur is a key
}

// newMemCursor is a cursor over bucket b, held whole in the cache.
func newMemCursor(b *etcdBucket) *memCursor {
	t := b.tx
	c := &memCursor{b: b, prefix: t.e.dataPrefix(b.name), base: t.cache.sorted[b.name], values: t.cache.values, writes: map[string][]byte{}}
	for k, v := range t.puts {
		if key, ok := strings.CutPrefix(k, c.prefix); ok {
			c.overlay = append(c.overlay, key)
			c.writes[key] = v
		}
	}
	sort.Strings(c.overlay)
	return c
}

// value is key's value in the transaction, and whether it is there.
func (c *memCursor) value(key string) ([]byte, bool) {
	if v, ok := c.writes[key]; ok {
		return v, v != nil
	}
	v := c.values[c.prefix+key]
	return v.value, v.present
}

// atOrAfter is the first key >= from (after: > from) that is there.
func (c *memCursor) atOrAfter(from string, after bool) ([]byte, []byte) {
	for {
		bi, bfound := slices.BinarySearch(c.base, from)
		oi, ofound := slices.BinarySearch(c.overlay, from)
		if after {
			if bfound {
				bi++
			}
			if ofound {
				oi++
			}
		}
		next, ok := "", false
		if bi < len(c.base) {
			next, ok = c.base[bi], true
		}
		if oi < len(c.overlay) && (!ok || c.overlay[oi] < next) {
			next, ok = c.overlay[oi], true
		}
		if !ok {
			c.valid = false
			return nil, nil
		}
		if v, there := c.value(next); there {
			c.cur, c.valid = next, true
			return []byte(next), read(v)
		}
		from, after = next, true // deleted in this transaction: on
	}
}

// before is the last key < to (to "" with last: the last key) that is there.
func (c *memCursor) before(to string, last bool) ([]byte, []byte) {
	for {
		bi, oi := len(c.base), len(c.overlay)
		if !last {
			bi, _ = slices.BinarySearch(c.base, to)
			oi, _ = slices.BinarySearch(c.overlay, to)
		}
		prev, ok := "", false
		if bi > 0 {
			prev, ok = c.base[bi-1], true
		}
		if oi > 0 && (!ok || c.overlay[oi-1] > prev) {
			prev, ok = c.overlay[oi-1], true
		}
		if !ok {
			c.valid = false
			return nil, nil
		}
		if v, there := c.value(prev); there {
			c.cur, c.valid = prev, true
			return []byte(prev), read(v)
		}
		to, last = prev, false
	}
}

func (c *memCursor) First() ([]byte, []byte)           { return c.atOrAfter("", false) }
func (c *memCursor) Last() ([]byte, []byte)            { return c.before("", true) }
func (c *memCursor) Seek(seek []byte) ([]byte, []byte) { return c.atOrAfter(string(seek), false) }

func (c *memCursor) Next() ([]byte, []byte) {
	if !c.valid {
		return nil, nil
	}
	return c.atOrAfter(c.cur, true)
}

func (c *memCursor) Prev() ([]byte, []byte) {
	if !c.valid {
		return nil, nil
	}
	return c.before(c.cur, false)
}

func (c *memCursor) Delete() error {
	if !c.valid {
		return errStrayDelete
	}
	c.writes[c.cur] = nil
	return c.b.Delete([]byte(c.cur))
}
