// Package booking is the domain of a citizens' office (Bürgerbüro) and its
// bbolt store: the office configuration (concerns, counters, opening hours,
// closed days), the availability of appointment times, appointments and
// walk-in tickets with their waiting numbers and PINs, the limits against
// hoarding, and the append-only event log that statistics read.
//
// Every change (book, cancel, reschedule, issue a walk-in) is one bbolt write
// transaction that re-checks capacity, so no slot is ever booked twice. Time
// comes from an injected Clock, so everything that depends on "now" is
// testable.
//
// The package is organised like bbolt itself: one file per concept
// (config.go, hours.go, availability.go, store.go, appointment.go, walkin.go,
// pin.go, number.go, events.go, errors.go).
package booking
