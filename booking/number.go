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

// allocateAppointmentNumber picks a free appointment number. Three digits
// while they last, then four. It tries a few at random first: on a rush
// day with every three-digit number taken, a scan of all of them inside
// the write transaction would hold up every other booking.
func allocateAppointmentNumber(tx storage.Tx, today string) (string, error) {
	for _, r := range []struct{ lo, hi int }{{1, 999}, {1000, 9999}} {
		size := r.hi - r.lo + 1
		for range 16 {
			num := fmt.Sprintf("%s%03d", appointmentPrefix, r.lo+rand.IntN(size))
			if numberFree(tx, num, today) {
				return num, nil
			}
		}
		if r.hi == 999 && tooFewFree(tx, today) {
			continue // the three-digit numbers are (nearly) used up: go on to four
		}
		start := rand.IntN(size)
		for i := range size {
			n := r.lo + (start+i)%size
			num := fmt.Sprintf("%s%03d", appointmentPrefix, n)
			if numberFree(tx, num, today) {
				return num, nil
			}
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

// tooFewFree reports whether fewer than one in ten three-digit appointment
// numbers is free today and later, judged from a sample; then new numbers
// come from the four-digit range at once.
func tooFewFree(tx storage.Tx, today string) bool {
	free := 0
	for n := 1; n <= 999; n += 10 {
		if numberFree(tx, fmt.Sprintf("%s%03d", appointmentPrefix, n), today) {
			free++
		}
	}
	return free < 10
}
