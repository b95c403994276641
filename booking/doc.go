// Package booking is the domain of a citizens' office (Bürgerbüro) and the
// only package that touches its storage: the office configuration
// (concerns, counters, opening hours, closed days), the availability of
// appointment times, appointments and walk-in tickets with their waiting
// numbers and PINs, the limits against hoarding and guessing, the
// append-only event log that statistics read, and the records the dialogue
// and the channels keep across restarts.
//
// Everything is kept in a Backend (backend.go): named buckets of ordered
// keys, read and written in serialisable transactions. The bbolt file
// (boltfile.go) is the backend the service runs on, and the only code that
// knows bbolt; another backend must pass the conformance suite in
// booking/backendtest. Every change (book, cancel, reschedule, issue a
// walk-in, call) is one write transaction that re-checks what it relies on,
// so no slot is ever booked twice, and a caller replies to a citizen only
// after it returned. Time comes from an injected Clock.
//
// The package is organised like bbolt itself, one file per concept:
// config.go, configcheck.go (Validate), configcompile.go (Compile),
// configbudget.go (hostile files), configerror.go, hours.go, capacity.go,
// availability.go, store.go, backend.go, boltfile.go, migrate.go,
// appointment.go, owner.go, walkin.go, calls.go, pin.go, guess.go,
// number.go, clusters.go, records.go, privacy.go (Forget, the one retention
// path), secret.go, demo.go (the demo's day), events.go, model.go, errors.go.
package booking
