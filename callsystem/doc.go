// Package callsystem runs the office's day queue over the booking store:
// which citizen a free counter calls next, re-calls, no-shows, expiry, and
// the foyer display. (Issue 6.)
package callsystem
