package booking

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"buergerbuero/storage"
)

// Waiting numbers are short and easy to read aloud: "T-042" for an
// appointment (Termin), "W-017" for a walk-in. Walk-in numbers count up per
// day. An appointment number is drawn at random among those that no booking
// of today or later holds, so it is unique per day and, better, names
// exactly one upcoming booking: number + PIN is enough to find it.

const (
	appointmentPrefix = "T-"
	walkInPrefix      = "W-"
)

// numberRanges are the appointment numbers by length: three digits while
// they last, then four, then five. Five hold an office of a city's size
// (600 appointments a day over a 90-day horizon are 54,000 upcoming
// bookings), as the big systems' five-digit process numbers do.
var numberRanges = []struct{ lo, hi int }{{1, 999}, {1000, 9999}, {10000, 99999}}

// allocateAppointmentNumber picks a free appointment number, from the
// shortest range that still has room: 16 tries at random in each, so a
// range that fails them all is (nearly certainly) more than four fifths
// used and the longer numbers are drawn instead. Only the last range is
// scanned, from a random place to the first free number; a scan of a full
// range inside the write transaction would hold up every other booking.
func allocateAppointmentNumber(tx storage.Tx, today string) (string, error) {
	for _, r := range numberRanges {
		for range 16 {
			num := fmt.Sprintf("%s%03d", appointmentPrefix, r.lo+rand.IntN(r.hi-r.lo+1))
			if numberFree(tx, num, today) {
				return num, nil
			}
		}
	}
	last := numberRanges[len(numberRanges)-1]
	size := last.hi - last.lo + 1
	start := rand.IntN(size)
	for i := range size {
		num := fmt.Sprintf("%s%03d", appointmentPrefix, last.lo+(start+i)%size)
		if numberFree(tx, num, today) {
			return num, nil
		}
	}
	return "", fmt.Errorf("all appointment numbers are in use: %w", ErrSlotTaken)
}

// numberFree reports whether no booking of today or later holds num.
func numberFree(tx storage.Tx, num, today string) bool {
	prefix := []byte(num + "/")
	k, _ := tx.Bucket(bucketByNumber).Cursor().Seek([]byte(num + "/" + today))
	return k == nil || !hasPrefix(k, prefix)
}

// nextWalkInNumber counts up the day's walk-in numbers.
func nextWalkInNumber(tx storage.Tx, today string) (string, error) {
	bk := tx.Bucket(bucketSeq)
	key := []byte(today + "/W")
	n := 0
	if v := bk.Get(key); v != nil {
		var err error
		if n, err = strconv.Atoi(string(v)); err != nil {
			return "", fmt.Errorf("walk-in sequence %s: %w", key, err)
		}
	}
	n++
	if err := bk.Put(key, []byte(strconv.Itoa(n))); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%03d", walkInPrefix, n), nil
}
