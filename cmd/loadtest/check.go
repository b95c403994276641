package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/office"
	"buergerbuero/storage"
	"buergerbuero/storage/etcdtest"
)

// invariants is what the store must show after a run.
type invariants struct {
	bookings     int      // appointments stored, not cancelled
	overCapacity []string // times with more bookings than places
	lost         []string // told bookings missing or with another PIN
	doubled      []string // persons with more than one active booking
	stuck        []string // users who got no final answer
}

func (i invariants) ok() bool {
	return len(i.overCapacity) == 0 && len(i.lost) == 0 && len(i.doubled) == 0 && len(i.stuck) == 0
}

func (i invariants) print(w io.Writer) {
	verdict := "all hold"
	if !i.ok() {
		verdict = "BROKEN"
	}
	fmt.Fprintf(w, "\ninvariants (%s): %d appointments stored; over capacity %d, lost %d, doubled %d, stuck %d\n",
		verdict, i.bookings, len(i.overCapacity), len(i.lost), len(i.doubled), len(i.stuck))
	for _, l := range [][]string{i.overCapacity, i.lost, i.doubled, i.stuck} {
		for j, s := range l {
			if j == 5 {
				fmt.Fprintf(w, "  … %d more\n", len(l)-5)
				break
			}
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
}

// openStore opens the (first office's) store of the stopped service.
func (e *environment) openStore() (*booking.Store, error) {
	stores, err := e.openStores()
	if err != nil {
		return nil, err
	}
	for _, s := range stores[1:] {
		s.Close()
	}
	return stores[0], nil
}

// openStores opens the stores of the stopped service's offices, each in
// its part of the file (or of etcd), with the PIN key the service made
// beside the data file. Closing the first closes the file.
func (e *environment) openStores() ([]*booking.Store, error) {
	key, err := booking.LoadKey(filepath.Join(filepath.Dir(e.dataPath), "buergerbuero.key"))
	if err != nil {
		return nil, err
	}
	var backend storage.Backend
	if e.cluster != nil {
		backend, err = storage.OpenEtcd(storage.EtcdConfig{Endpoints: e.cluster.Endpoints, Prefix: "/load/"})
	} else {
		backend, err = storage.OpenFile(e.dataPath, 5*time.Second)
	}
	if err != nil {
		return nil, err
	}
	var stores []*booking.Store
	for i, cfg := range e.town.OfficeConfigs() {
		part := storage.Within(backend, e.town.OfficePart(i))
		if i > 0 {
			part = storage.Shared(part)
		}
		s, err := booking.New(part, cfg, booking.Options{PINKey: key})
		if err != nil {
			for _, s := range stores {
				s.Close()
			}
			return nil, err
		}
		stores = append(stores, s)
	}
	return stores, nil
}

// check opens the stores of the stopped service and checks the
// invariants, office by office, against what the users were told.
func (e *environment) check(res *results) (invariants, error) {
	stores, err := e.openStores()
	if err != nil {
		return invariants{}, fmt.Errorf("open the store: %w", err)
	}
	defer func() {
		for _, s := range slices.Backward(stores) { // the first holds the file
			s.Close()
		}
	}()
	all := invariants{stuck: res.stuck}
	for i, store := range stores {
		var here []told
		for _, t := range res.told {
			if t.office == i {
				here = append(here, t)
			}
		}
		inv, err := checkStore(store, here, nil)
		if err != nil {
			return all, err
		}
		all.add(inv, e.officeID(i))
	}
	return all, nil
}

// add counts an office's findings, each named with the office (if any).
func (i *invariants) add(o invariants, office string) {
	name := func(l []string) []string {
		if office == "" {
			return l
		}
		var out []string
		for _, s := range l {
			out = append(out, office+": "+s)
		}
		return out
	}
	i.bookings += o.bookings
	i.overCapacity = append(i.overCapacity, name(o.overCapacity)...)
	i.lost = append(i.lost, name(o.lost)...)
	i.doubled = append(i.doubled, name(o.doubled)...)
}

func checkStore(store *booking.Store, toldOf []told, stuck []string) (invariants, error) {
	ctx := context.Background()
	inv := invariants{stuck: stuck}
	cfg := store.Config()
	today := cfg.Day(time.Now())
	active := map[string][]booking.Booking{}
	for d := today; !d.After(today.AddDate(0, 0, cfg.Booking.HorizonDays)); d = d.AddDate(0, 0, 1) {
		day, err := store.DayBookings(ctx, d)
		if err != nil {
			return inv, err
		}
		perStart := map[time.Time]int{}
		for _, b := range day {
			if b.Kind != booking.KindAppointment || b.Status == booking.StatusCancelled {
				continue
			}
			inv.bookings++
			perStart[b.Start]++
			if b.PersonKey != "" && b.Status == booking.StatusBooked {
				active[b.PersonKey] = append(active[b.PersonKey], b)
			}
		}
		for t, n := range perStart { // every case takes one 10-minute slot
			if n > cfg.AppointmentCapacity() {
				inv.overCapacity = append(inv.overCapacity, fmt.Sprintf("%s: %d bookings, %d places", t.Format("02.01. 15:04"), n, cfg.AppointmentCapacity()))
			}
		}
	}
	for person, held := range active {
		if len(held) > cfg.Booking.MaxActivePerPerson {
			var which []string
			for _, b := range held {
				which = append(which, fmt.Sprintf("%s at %s made %s (%s, id %d, cohort %q)", b.Number, b.Start.Format("02.01. 15:04"),
					b.CreatedAt.Format("15:04:05.000"), b.Channel, b.ID, b.Cohort))
			}
			inv.doubled = append(inv.doubled, fmt.Sprintf("%s holds %d bookings: %s", person, len(held), strings.Join(which, "; ")))
		}
	}
	for _, t := range toldOf {
		b, err := store.Lookup(ctx, t.number, t.pin)
		if err != nil || b.PersonKey != t.person {
			inv.lost = append(inv.lost, fmt.Sprintf("%s (PIN %s) told to %s: %v %s", t.number, t.pin, t.person, err, b.PersonKey))
		}
	}
	return inv, nil
}

// discard is a Sender that sends nowhere.
type discard struct{}

func (discard) Send(context.Context, string, []conversation.Reply) error { return nil }

// inProcess measures, on this machine and in this run, complete booking
// dialogues through the engine alone on the bbolt file (and on etcd, when
// cluster is set) and raw bbolt writes per second.
func inProcess(dir string, n int, cluster *etcdtest.Cluster) (boltRate, etcdRate, rawRate float64, err error) {
	file, err := storage.OpenFile(filepath.Join(dir, "engine.db"), time.Second)
	if err != nil {
		return 0, 0, 0, err
	}
	if boltRate, err = engineRate(file, n); err != nil {
		return 0, 0, 0, err
	}
	if cluster != nil {
		backend, err := storage.OpenEtcd(storage.EtcdConfig{Endpoints: cluster.Endpoints, Prefix: "/engine/", MaxTxnOps: 1024})
		if err != nil {
			return 0, 0, 0, err
		}
		if etcdRate, err = engineRate(backend, n); err != nil {
			return 0, 0, 0, err
		}
	}
	rawRate, err = rawBoltRate(dir)
	return boltRate, etcdRate, rawRate, err
}

// engineRate books n dialogues at once through the engine alone on
// backend (closed after) and returns bookings per second.
func engineRate(backend storage.Backend, n int) (float64, error) {
	cfg, err := office.ParseConfig("office.yaml", []byte(officeYAML("load", 1)))
	if err != nil {
		backend.Close()
		return 0, err
	}
	store, err := booking.New(backend, cfg, booking.Options{PINKey: make([]byte, 32)}) // keyed PINs, as the service
	if err != nil {
		backend.Close()
		return 0, err
	}
	defer store.Close()
	engine, err := conversation.New(store, conversation.Options{})
	if err != nil {
		return 0, err
	}
	engine.Register(conversation.MailChannel, discard{}) // an office with mail, as the service: the e-mail question is asked
	env := &environment{office: cfg}
	slots := env.slotTexts(n, 1, time.Now())
	var wg sync.WaitGroup
	var booked atomic.Int64
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := fmt.Sprint("engine", i)
			var out []conversation.Reply
			for _, text := range []string{"Perso " + slots[i], "Erika Muster", "nein", "ja"} {
				out, _ = engine.Handle(context.Background(), conversation.Message{Channel: "load", ChatID: chat, PersonKey: chat, Text: text})
				engine.Delivered(context.Background(), out) // as a channel does once it showed them
			}
			for _, r := range out {
				if bookedRx.MatchString(r.Text) {
					booked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if booked.Load() == 0 {
		return 0, fmt.Errorf("the engine alone booked nothing of %d dialogues", n)
	}
	return float64(booked.Load()) / time.Since(start).Seconds(), nil
}

// rawBoltRate is fsync'd single-put bbolt transactions per second.
func rawBoltRate(dir string) (float64, error) {
	db, err := storage.OpenFile(filepath.Join(dir, "raw.db"), time.Second) // the bbolt file, written directly
	if err != nil {
		return 0, err
	}
	defer db.Close()
	value := make([]byte, 400)
	start := time.Now()
	for i := range 500 {
		err := db.Update(func(tx storage.Tx) error {
			b, err := tx.CreateBucket([]byte("raw"))
			if err != nil {
				return err
			}
			return b.Put([]byte(fmt.Sprint(i)), value)
		})
		if err != nil {
			return 0, err
		}
	}
	return 500 / time.Since(start).Seconds(), nil
}
