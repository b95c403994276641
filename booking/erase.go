package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"buergerbuero/storage"
)

// Erasure on request (DSGVO Art. 17): a citizen asks the office to delete
// what it keeps of them before the retention period would. Erase finds
// their bookings by e-mail address or person key, cancels those still to
// come (without a name and a way to reach them the office cannot serve
// them) and clears every personal field, as Forget does after the
// retention period; the event log keeps no personal data and stays. The
// chats the bookings were made in are returned, so the dialogue can drop
// what it keeps of them too.

// Someone names a citizen: by e-mail address, by person key (a Telegram
// user as "tg:12345", see the channels), or by the waiting number of a
// booking still to come (the web chat knows no more of a citizen who gave
// no address; the office checks the PIN before it asks), or several.
type Someone struct {
	Email     string
	PersonKey string
	Number    string
}

// Erased is what Erase did.
type Erased struct {
	// Bookings are the bookings whose personal data was cleared; Cancelled
	// those of them that were still to come.
	Bookings, Cancelled int
	// Chats are the chats the bookings were made in.
	Chats []Owner
}

// Erase deletes the personal data of someone's bookings, cancelling those
// still to come; actor (the admin) is named in the cancellations' events.
// The bookings are found in a read transaction (a scan of all of them, which
// must not hold up the office's bookings) and changed in one write
// transaction that checks each again.
func (s *Store) Erase(ctx context.Context, who Someone, actor string) (Erased, error) {
	who.Email, who.PersonKey, who.Number = strings.TrimSpace(who.Email), strings.TrimSpace(who.PersonKey), NormalizeNumber(who.Number)
	if who.Email == "" && who.PersonKey == "" && who.Number == "" {
		return Erased{}, ErrNobodyNamed
	}
	var ids []uint64
	err := s.read(func(tx storage.Tx) error {
		now := s.clock.Now()
		c := tx.Bucket(bucketBookings).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var b Booking
			if err := json.Unmarshal(v, &b); err != nil {
				return fmt.Errorf("booking %d: %w", decodeU64(k), err)
			}
			if who.names(&b, now) {
				ids = append(ids, b.ID)
			}
		}
		return nil
	})
	if err != nil {
		return Erased{}, fmt.Errorf("erase: %w", err)
	}
	var out Erased
	err = s.write(func(tx storage.Tx) error {
		out = Erased{}
		now := s.clock.Now()
		for _, id := range ids {
			b, err := getBooking(tx, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !who.names(b, now) {
				continue // changed since the scan
			}
			if err := s.erase(tx, b, now, actor, &out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Erased{}, fmt.Errorf("erase: %w", err)
	}
	return out, nil
}

// names reports whether who names booking b at now: by its address or
// person key, or by the number of a booking still to come.
func (who Someone) names(b *Booking, now time.Time) bool {
	return (who.Email != "" && strings.EqualFold(b.Email, who.Email)) || (who.PersonKey != "" && b.PersonKey == who.PersonKey) ||
		(who.Number != "" && b.Number == who.Number && b.Status == StatusBooked && b.End().After(now))
}

// erase cancels b if it is still to come and clears its personal data.
func (s *Store) erase(tx storage.Tx, b *Booking, now time.Time, actor string, out *Erased) error {
	if b.Status == StatusBooked && b.Kind == KindAppointment && b.End().After(now) {
		if err := s.cancel(tx, b, now, actor); err != nil {
			return err
		}
		out.Cancelled++
	}
	if b.ChatID != "" {
		out.Chats = append(out.Chats, Owner{Channel: b.Channel, ChatID: b.ChatID})
	}
	out.Bookings++
	return clearPersonal(tx, b)
}

// clearPersonal deletes b's personal data (name, e-mail address, person
// key, source, chat, PIN) and its entries in the person index: what
// Forget does after the retention period and Erase on request.
func clearPersonal(tx storage.Tx, b *Booking) error {
	for _, key := range []string{b.PersonKey, sourceKey(b.Source)} {
		if key != "" {
			if err := tx.Bucket(bucketByPerson).Delete(personIndexKey(key, b.ID)); err != nil {
				return err
			}
		}
	}
	b.Name, b.Email, b.PersonKey, b.Source, b.ChatID, b.PIN, b.PINFailures, b.PINLockedUntil = "", "", "", "", "", nil, 0, time.Time{}
	return putBooking(tx, b)
}
