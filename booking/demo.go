package booking

import (
	"context"
	"fmt"
	"time"

	"buergerbuero/storage"
)

// DemoNamePrefix marks the people SeedDemoDay makes up, on every page.
const DemoNamePrefix = "Demo: "

// SeedDemoDay fills today, once, with made-up citizens so the demo shows
// a working day at once: appointments that are already due and one soon,
// and walk-ins waiting, each named "Demo: …". It is for the embedded demo
// office only (whatever the opening hours, so the call system has someone
// to call at any hour), and does nothing when today has bookings. It
// returns how many it made.
func (s *Store) SeedDemoDay(ctx context.Context) (int, error) {
	made := 0
	err := s.write(func(tx storage.Tx) error {
		made = 0 // a batching backend may run this twice
		now := s.clock.Now()
		today := s.cfg.Day(now)
		existing, err := s.dayBookings(tx, today)
		if err != nil || len(existing) > 0 {
			return err
		}
		base := now.Truncate(5 * time.Minute).In(s.cfg.Location())
		people := []struct {
			name  string
			kind  Kind
			at    time.Duration // from now: when due (appointment) or issued (walk-in)
			index int           // which concern of the office
		}{
			{"Erika Beispiel", KindWalkIn, -35 * time.Minute, 0}, {"Jonas Muster", KindAppointment, -15 * time.Minute, 0},
			{"Aylin Demir", KindAppointment, -5 * time.Minute, 1}, {"Piotr Nowak", KindWalkIn, -20 * time.Minute, 0},
			{"Mia Schulz", KindAppointment, 20 * time.Minute, 2}, {"Lukas Weber", KindWalkIn, -10 * time.Minute, 3},
		}
		for _, p := range people {
			concern := s.cfg.Concerns[p.index%len(s.cfg.Concerns)]
			b := &Booking{Kind: p.kind, Start: base.Add(p.at), Minutes: concern.Minutes, Concerns: []ConcernCount{{ID: concern.ID, Count: 1}},
				Status: StatusBooked, Name: DemoNamePrefix + p.name, PersonKey: "demo:" + p.name, CreatedAt: base.Add(p.at)}
			event := EventWalkIn
			if p.kind == KindAppointment {
				event, b.CreatedAt = EventBooked, now.Add(-24*time.Hour)
				if b.Number, err = allocateAppointmentNumber(tx, dayKey(today)); err != nil {
					return err
				}
			} else if b.Number, err = nextWalkInNumber(tx, dayKey(today)); err != nil {
				return err
			}
			if b.ID, err = tx.Bucket(bucketBookings).NextSequence(); err != nil {
				return err
			}
			if err := s.save(tx, b, nil); err != nil {
				return err
			}
			if err := appendEvent(tx, eventFor(event, b, b.CreatedAt)); err != nil {
				return err
			}
			made++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("demo day: %w", err)
	}
	return made, nil
}
