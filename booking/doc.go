// Package booking is the rules of a citizens' office (Bürgerbüro) on top of
// its configuration (package office): the availability of appointment times, appointments and
// walk-in tickets with their waiting numbers and PINs, the limits against
// hoarding, farms and guessing, the append-only event log that statistics
// read, and the records the dialogue and the channels keep across restarts.
//
// It keeps everything in a storage.Backend (package storage, the only one
// that knows bbolt and etcd): named buckets of ordered keys, read and
// written in serialisable transactions. Every change (book, cancel,
// reschedule, issue a walk-in, call) is one write transaction that
// re-checks what it relies on, so no slot is ever booked twice, and a
// caller replies to a citizen only after it returned. Time comes from an
// injected Clock.
//
// The package is organised like bbolt itself, one file per concept:
// capacity.go (fitting an appointment to the counters), availability.go,
// store.go, appointment.go,
// limits.go (minutes and cases), pace.go (a day released over time),
// hold.go (a chosen time kept while the citizen finishes), erase.go
// (a citizen's data deleted on request),
// owner.go, walkin.go, calls.go, pin.go, guess.go, number.go, name.go,
// clusters.go, records.go, effects.go, seal.go, key.go, secret.go,
// leader.go, migrate.go, privacy.go (Forget, the one retention path),
// demo.go (the demo's day), events.go, model.go, errors.go.
package booking
