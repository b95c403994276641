// Package office is a citizens' office's configuration (Bürgerbüro) and
// nothing else: its concerns with their minutes, documents and fees, its
// counters, opening hours and closed days, the numbers the booking rules
// run on, and a town's offices in one file. It reads the YAML with line
// and column in every complaint (Validate lists every problem at once),
// refuses hostile files before they cost memory, and derives what the
// rules ask of it (Compile): which counters serve which concerns, what a
// set of concerns takes (Plan), when a day opens and how its minutes are
// released (pace.go). It keeps nothing and decides no booking: package
// booking does that, package storage keeps it.
//
// Files: config.go (the types, the demo), configcheck.go (Validate),
// configcompile.go (Compile), configbudget.go (hostile files),
// configerror.go, hours.go (opening hours, closed days), offices.go (a
// town), capacity.go (Plan, CheckOnlineSize), pace.go, errors.go.
package office
