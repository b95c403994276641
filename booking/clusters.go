package booking

import (
	"context"
	"fmt"
	"sort"
	"time"

	"buergerbuero/storage"
)

// Clusters of suspicious bookings. A hoarding script that gets past the
// limits leaves traces: many active bookings from one source (address block,
// mail domain), or under one name written alike ("Max Mustermann 1", "max
// mustermann 2"). Staff see these clusters and can cancel one in a step;
// the citizens are then told in their chats.

// Cluster kinds, as Cluster.Kind names them.
const (
	ClusterSource = "source"
	ClusterName   = "name"
	// ClusterCohort is a cohort of the waiting list: requests that waited
	// together because they came faster than a day's pace (pace.go).
	ClusterCohort = "cohort"
)

// MinClusterSize is how many active bookings make a cluster worth a look.
const MinClusterSize = 3

// Cluster is a group of active future bookings that look like one hand
// made them.
type Cluster struct {
	// Key names the cluster for CancelCluster: Kind + ":" + Value.
	Key   string
	Kind  string
	Value string // the source, or the name as compared
	// Bookings in time order.
	Bookings []Booking
}

// Clusters returns the clusters of active future appointments, largest
// first.
func (s *Store) Clusters(ctx context.Context) ([]Cluster, error) {
	var out []Cluster
	err := s.read(func(tx storage.Tx) error {
		active, err := s.activeAppointments(tx, s.clock.Now())
		if err != nil {
			return err
		}
		out = clustersOf(active)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clusters: %w", err)
	}
	return out, nil
}

// CancelCluster cancels every active booking of the cluster key in one
// transaction, as actor, storing effect's records for each (the messages
// that tell the citizens), and returns them.
func (s *Store) CancelCluster(ctx context.Context, key, actor string, effect Effect) ([]Booking, error) {
	var cancelled []Booking
	err := s.write(func(tx storage.Tx) error {
		cancelled = nil // a batching backend may run this twice
		now := s.clock.Now()
		active, err := s.activeAppointments(tx, now)
		if err != nil {
			return err
		}
		for _, c := range clustersOf(active) {
			if c.Key != key {
				continue
			}
			for _, b := range c.Bookings {
				if err := s.cancel(tx, &b, now, actor); err != nil {
					return err
				}
				if err := applyEffect(tx, effect, Change{Booking: b, Now: now}); err != nil {
					return err
				}
				cancelled = append(cancelled, b)
			}
			return nil
		}
		return fmt.Errorf("cluster %q: %w", key, ErrNotFound)
	})
	if err != nil {
		return nil, fmt.Errorf("cancel cluster: %w", err)
	}
	return cancelled, nil
}

// activeAppointments are the booked appointments from today to the horizon
// that have not ended.
func (s *Store) activeAppointments(tx storage.Tx, now time.Time) ([]Booking, error) {
	var out []Booking
	last := s.cfg.Day(now).AddDate(0, 0, s.cfg.Booking.HorizonDays+1)
	for day := s.cfg.Day(now); !day.After(last); day = nextDay(day) {
		bs, err := s.dayBookings(tx, day)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if b.Kind == KindAppointment && b.Status == StatusBooked && b.End().After(now) {
				out = append(out, b)
			}
		}
	}
	return out, nil
}

// clustersOf groups bookings by source and by name as compared, keeping
// groups of at least MinClusterSize.
func clustersOf(bookings []Booking) []Cluster {
	groups := map[string]*Cluster{}
	add := func(kind, value string, b Booking) {
		if value == "" {
			return
		}
		key := kind + ":" + value
		c := groups[key]
		if c == nil {
			c = &Cluster{Key: key, Kind: kind, Value: value}
			groups[key] = c
		}
		c.Bookings = append(c.Bookings, b)
	}
	for _, b := range bookings {
		add(ClusterSource, b.Source, b)
		add(ClusterName, NameSkeleton(b.Name), b)
		add(ClusterCohort, b.Cohort, b)
	}
	var out []Cluster
	for _, c := range groups {
		if len(c.Bookings) >= MinClusterSize {
			sort.Slice(c.Bookings, func(i, j int) bool { return c.Bookings[i].Start.Before(c.Bookings[j].Start) })
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Bookings) != len(out[j].Bookings) {
			return len(out[i].Bookings) > len(out[j].Bookings)
		}
		return out[i].Key < out[j].Key
	})
	return out
}
