package understand

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// Days named in words rather than numbers: "am Ersten", "Anfang Dezember",
// "Ende nächster Woche", and the ones no date follows from ("nach Ostern").

var (
	firstOfMonth = regexp.MustCompile(` (?:am|zum|on the|the) (?:ersten|1st|first) `)
	monthPart    = regexp.MustCompile(` (anfang|mitte|ende|early|mid|end of|late) (januar|jaenner|februar|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|january|february|march|may|june|july|october|december|naechsten monats|next month) `)
	weekEnd      = regexp.MustCompile(` (?:ende (?:der |dieser )?(naechsten |naechster )?woche|end of (?:the |this )?(next )?week) `)
)

// vagueWords are times of year no single day follows from; the dialogue
// asks which day is meant.
var vagueWords = []string{"ostern", "osterferien", "pfingsten", "pfingstferien", "weihnachten", "weihnachtsferien", "sommerferien", "herbstferien",
	"winterferien", "ferien", "feiertage", "feiertagen", "silvester", "neujahr", "fasching", "karneval", "easter", "christmas", "holidays"}

// dayInWords sets u's day from words ("am Ersten" is the next first of a
// month; "Anfang Dezember" offers the days from the 1st, "Mitte" from the
// 15th, "Ende" from the last week; "Ende der Woche" from its Thursday) and
// reports whether it did.
func dayInWords(u *Understanding, joined string, today time.Time) bool {
	if firstOfMonth.MatchString(joined) {
		first := time.Date(today.Year(), today.Month()+1, 1, 0, 0, 0, 0, today.Location())
		if today.Day() == 1 {
			first = today
		}
		u.Day, u.HasDay = first, true
		return true
	}
	if m := monthPart.FindStringSubmatch(joined); m != nil {
		month := today.Month() + 1
		if mo, ok := monthNames[m[2]]; ok {
			month = mo
		}
		year := today.Year()
		if month < today.Month() {
			year++
		}
		day := map[string]int{"anfang": 1, "early": 1, "mitte": 15, "mid": 15}[m[1]]
		if day == 0 { // the month's last week
			day = time.Date(year, month+1, 0, 0, 0, 0, 0, today.Location()).Day() - 6
		}
		t := time.Date(year, month, day, 0, 0, 0, 0, today.Location())
		u.Day, u.HasDay, u.Week = maxTime(t, today), true, true
		return true
	}
	if m := weekEnd.FindStringSubmatch(joined); m != nil {
		monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
		if m[1] != "" || m[2] != "" {
			monday = monday.AddDate(0, 0, 7)
		}
		u.Day, u.HasDay, u.Week = maxTime(monday.AddDate(0, 0, 3), today), true, true
		return true
	}
	return false
}

// vagueDay finds a time of year named without a day ("nach Ostern",
// "zwischen den Jahren", "after Easter"), with the word before it.
func vagueDay(toks []string) string {
	joined := " " + strings.Join(toks, " ") + " "
	if strings.Contains(joined, " zwischen den jahren ") {
		return "zwischen den Jahren"
	}
	for i, t := range toks {
		if !slices.Contains(vagueWords, t) {
			continue
		}
		from := i
		for from > 0 && i-from < 2 && slices.Contains([]string{"nach", "vor", "ueber", "an", "zu", "den", "die", "after", "before", "over", "the", "around"}, toks[from-1]) {
			from--
		}
		return strings.Join(toks[from:i+1], " ")
	}
	return ""
}

func maxTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}
