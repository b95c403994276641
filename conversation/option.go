package conversation

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Option ids. An option's id says what choosing it does; options that
// carry an argument have a prefix and the argument after it
// ("day:2026-11-25", "cancelid:42"). This file is the one place that spells
// them: the dialogue makes ids with the functions below and reads them with
// optionArg.

// Ids of options without an argument.
const (
	optBack           = "back"
	optMenuBook       = "menu:book"
	optMenuCancel     = "menu:cancel"
	optMenuReschedule = "menu:reschedule"
	optMenuDocs       = "menu:docs"
	optMenuHours      = "menu:hours"
	optMenuStatus     = "menu:status"
	optConfirmYes     = "confirm:yes"
	optConfirmNo      = "confirm:no"
	optMoreYes        = "more:yes"
	optMoreNo         = "more:no"
	optNoEmail        = "email:none"
	optWatchNew       = "watch:new" // tell me when a time becomes free, with no booking yet
	optWatchAnywhere  = "watch:any" // the same, at any office of the town that offers the concerns
)

// Prefixes of options with an argument.
const (
	prefMenu     = "menu:"     // the main menu's choices
	prefConcern  = "c:"        // a concern's id
	prefCount    = "count:"    // how many people
	prefDay      = "day:"      // a day, YYYY-MM-DD
	prefDays     = "days:"     // the page of days from a day
	prefTime     = "time:"     // a start time, RFC 3339
	prefTimes    = "times:"    // the page of times from an index
	prefOwn      = "own:"      // a booking of this chat, by id
	prefLang     = "lang:"     // switch to a language
	prefCancelID = "cancelid:" // cancel a booking of this chat, by id (reminders, limits)
	prefWatch    = "watch:"    // tell me of earlier times for a booking, by id
	prefUnwatch  = "unwatch:"  // stop telling, by watch id
	prefOffer    = "offer:"    // take an offered earlier time: watch id ":" unix seconds
)

func concernOption(id string) string       { return prefConcern + id }
func countOption(n int) string             { return prefCount + strconv.Itoa(n) }
func dayOption(day time.Time) string       { return prefDay + day.Format(time.DateOnly) }
func daysOption(from time.Time) string     { return prefDays + from.Format(time.DateOnly) }
func timeOption(t time.Time) string        { return prefTime + t.Format(time.RFC3339) }
func timesOption(from int) string          { return prefTimes + strconv.Itoa(from) }
func ownOption(booking uint64) string      { return prefOwn + strconv.FormatUint(booking, 10) }
func langOption(lang string) string        { return prefLang + lang }
func cancelIDOption(booking uint64) string { return prefCancelID + strconv.FormatUint(booking, 10) }
func watchOption(booking uint64) string    { return prefWatch + strconv.FormatUint(booking, 10) }

// watchAnywhereOption asks to hear of an earlier time for a booking at any
// office of the town ("watch:any:12").
func watchAnywhereOption(booking uint64) string {
	return optWatchAnywhere + ":" + strconv.FormatUint(booking, 10)
}
func unwatchOption(watch uint64) string { return prefUnwatch + strconv.FormatUint(watch, 10) }
func offerOption(watch uint64, at int64) string {
	return fmt.Sprintf("%s%d:%d", prefOffer, watch, at)
}

// optionArg returns the argument of an option id with prefix, and whether
// the id has that prefix.
func optionArg(id, prefix string) (string, bool) { return strings.CutPrefix(id, prefix) }

// pushedOption reports whether an option belongs to a message the engine
// sent on its own (it works in any state).
func pushedOption(id string) bool {
	for _, p := range []string{prefCancelID, prefOffer, prefWatch, prefUnwatch} {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}
