package booking

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// Holds. A citizen who chose a time has it kept for them while they give
// their name and confirm (Rules.HoldFor, default 10 minutes): everybody
// else sees it taken, so in a race for the last places the losers learn it
// at the time step, not after typing their name. A holder (a chat) holds
// one time at most; the hold ends when the booking is made (in its
// transaction), when the holder chooses another time or leaves (SetHold
// with none), or when its time is up. A hold counts against the holder's
// person and source like a booking (limits.go), so it cannot be used to
// hoard; an expired hold is ignored by every reader, so after a restart
// nothing is held for ever, and Forget deletes what is left.

var bucketHolds = []byte("holds")

// Keys in bucketHolds: the hold under its holder, and under its day and
// under its person's and source's index keys (as bucketByPerson's), for
// the capacity of a day and the limits.
const (
	holdByHolder = "h/" // holder -> hold
	holdByDay    = "d/" // day + "/" + holder -> hold
	holdByKey    = "k/" // person or source index key + 0 + holder -> hold
)

// HoldRequest asks to keep a time for a holder.
type HoldRequest struct {
	Concerns []ConcernCount
	Start    time.Time
	// PersonKey and Source, and what they hold at a town's other offices,
	// as for a booking (Request): the hold counts against their limits.
	PersonKey, Source                  string
	HeldElsewhere, SourceHeldElsewhere Holding
	// Staff is set when staff book for a caller: the hold may take any
	// place, not only the online share's.
	Staff bool
	// Replaces is the booking a move would replace: the hold takes its
	// place in the limits (nothing more is held) and its time is free to
	// overlap.
	Replaces uint64
}

// hold is a kept time as stored.
type hold struct {
	Holder   string    `json:"holder"`
	Day      string    `json:"day"`
	From     int       `json:"from"` // minutes after midnight
	To       int       `json:"to"`
	Counters uint64    `json:"counters"`
	Person   string    `json:"person,omitempty"`
	Source   string    `json:"source,omitempty"`
	Staff    bool      `json:"staff,omitempty"`
	Until    time.Time `json:"until"`
}

func (h hold) keys() [][]byte {
	keys := [][]byte{[]byte(holdByHolder + h.Holder), []byte(holdByDay + h.Day + "/" + h.Holder)}
	for _, k := range []string{h.Person, sourceKey(h.Source)} {
		if k != "" {
			keys = append(keys, []byte(holdByKey+k+"\x00"+h.Holder))
		}
	}
	return keys
}

// sourceKey is the index key of a source, or empty for none.
func sourceKey(source string) string {
	if source == "" {
		return ""
	}
	return sourceIndexPrefix + source
}

// SetHold keeps the time req names for holder until the hold's time is up
// (replacing any hold holder had), or with req nil ends holder's hold;
// writes are stored in the same transaction (the dialogue's new state). It
// refuses as a booking would: ErrSlotTaken when the time is taken or held
// by somebody else, the limits' errors when the person or source hold too
// much already. It returns when the hold ends (zero for none).
func (s *Store) SetHold(ctx context.Context, holder string, req *HoldRequest, writes ...Write) (time.Time, error) {
	var until time.Time
	var concerns []ConcernCount
	var minutes int
	var mask uint64
	if req != nil {
		var err error
		if concerns, minutes, mask, err = s.cfg.Plan(req.Concerns); err != nil {
			return time.Time{}, err
		}
	}
	err := s.write(func(tx storage.Tx) error {
		now := s.clock.Now()
		if err := dropHold(tx, holder); err != nil {
			return err
		}
		if req != nil && s.cfg.Booking.HoldFor > 0 {
			r := Request{Concerns: req.Concerns, Start: req.Start, PersonKey: req.PersonKey, Source: req.Source,
				HeldElsewhere: req.HeldElsewhere, SourceHeldElsewhere: req.SourceHeldElsewhere}
			if req.Replaces == 0 {
				if err := s.checkLimits(tx, r, minutes, office.Cases(concerns), now); err != nil {
					return err
				}
			}
			if err := s.checkBookable(tx, req.Start, ask{minutes: minutes, mask: mask, concerns: concerns, staff: req.Staff, exclude: req.Replaces}, now); err != nil {
				return err
			}
			start := req.Start.In(s.cfg.Location())
			until = now.Add(s.cfg.Booking.HoldFor)
			h := hold{Holder: holder, Day: dayKey(s.cfg.Day(start)), From: minuteOfDay(start), To: minuteOfDay(start) + minutes,
				Counters: mask, Person: req.PersonKey, Source: req.Source, Staff: req.Staff, Until: until}
			if req.Replaces != 0 {
				h.Person, h.Source = "", "" // the booking moved already counts
			}
			if err := putHold(tx, h); err != nil {
				return err
			}
		}
		return putWrites(tx, now, writes)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("hold: %w", err)
	}
	return until, nil
}

// putHold stores h under its keys: whole (JSON) under its holder, the
// few fields a reader of a day or of the limits needs (held.encode) under
// the others, as every hold of a day is read for each of its times.
func putHold(tx storage.Tx, h hold) error {
	v, err := json.Marshal(h)
	if err != nil {
		return err
	}
	bk := tx.Bucket(bucketHolds)
	for i, k := range h.keys() {
		if i > 0 {
			v = h.encode()
		}
		if err := bk.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

// heldSize is the length of an encoded hold: a version byte, from and to
// (minutes), the counters, staff, and when it ends (Unix nanoseconds).
const heldSize = 1 + 2 + 2 + 8 + 1 + 8

// encode is the binary form of what readers of a day or of the limits
// need of h.
func (h hold) encode() []byte {
	v := make([]byte, heldSize)
	v[0] = 'H'
	binary.BigEndian.PutUint16(v[1:], uint16(h.From))
	binary.BigEndian.PutUint16(v[3:], uint16(h.To))
	binary.BigEndian.PutUint64(v[5:], h.Counters)
	if h.Staff {
		v[13] = 1
	}
	binary.BigEndian.PutUint64(v[14:], uint64(h.Until.UnixNano()))
	return v
}

// decodeHold reads a hold as encode wrote it, or (stored before) as JSON.
func decodeHold(v []byte) (hold, error) {
	var h hold
	if len(v) != heldSize || v[0] != 'H' {
		err := json.Unmarshal(v, &h)
		return h, err
	}
	h.From, h.To = int(binary.BigEndian.Uint16(v[1:])), int(binary.BigEndian.Uint16(v[3:]))
	h.Counters, h.Staff = binary.BigEndian.Uint64(v[5:]), v[13] == 1
	h.Until = time.Unix(0, int64(binary.BigEndian.Uint64(v[14:])))
	return h, nil
}

// dropHold ends holder's hold, if any.
func dropHold(tx storage.Tx, holder string) error {
	if holder == "" {
		return nil
	}
	bk := tx.Bucket(bucketHolds)
	v := bk.Get([]byte(holdByHolder + holder))
	if v == nil {
		return nil
	}
	var h hold
	if err := json.Unmarshal(v, &h); err != nil {
		return bk.Delete([]byte(holdByHolder + holder)) // unreadable: its other keys expire unread
	}
	for _, k := range h.keys() {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// holdsUnder calls fn with each hold under prefix that is still running.
func holdsUnder(tx storage.Tx, prefix string, now time.Time, fn func(hold)) error {
	c := tx.Bucket(bucketHolds).Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		h, err := decodeHold(v)
		if err != nil {
			return fmt.Errorf("hold %q: %w", k, err)
		}
		if now.Before(h.Until) {
			fn(h)
		}
	}
	return nil
}

// dropExpiredHolds deletes the holds whose time is up; readers ignore them
// anyway, this frees their place in the store.
func dropExpiredHolds(tx storage.Tx, now time.Time) (int, error) {
	var expired []string
	c := tx.Bucket(bucketHolds).Cursor()
	p := []byte(holdByHolder)
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		var h hold
		if err := json.Unmarshal(v, &h); err != nil || !now.Before(h.Until) {
			expired = append(expired, string(k[len(p):]))
		}
	}
	for _, holder := range expired {
		if err := dropHold(tx, holder); err != nil {
			return 0, err
		}
	}
	return len(expired), nil
}
