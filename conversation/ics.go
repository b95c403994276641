package conversation

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"buergerbuero/booking"
)

// calendarFile is the booking as an iCalendar entry: METHOD:REQUEST adds or
// updates it in the citizen's calendar, METHOD:CANCEL removes it. The UID
// stays the same for a booking, and SEQUENCE grows with each change, so
// calendar programs update the one entry.
func (e *Engine) calendarFile(b booking.Booking, method, lang string) Attachment {
	now := e.store.Now()
	office := e.cfg.Office
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//buergerbuero//Terminbuchung//DE")
	cal.Props.SetText(ical.PropMethod, method)

	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, fmt.Sprintf("booking-%d-%d@%s", b.ID, b.CreatedAt.Unix(), domainOf(office.Email)))
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeStart, b.Start.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeEnd, b.End().UTC())
	seq := ical.NewProp(ical.PropSequence) // an INTEGER: seconds since booking, so it grows with every change
	seq.Value = strconv.FormatInt(max(0, now.Unix()-b.CreatedAt.Unix()), 10)
	ev.Props.Set(seq)
	ev.Props.SetText(ical.PropSummary, fmt.Sprintf("%s: %s (%s)", office.Name, e.concernList(lang, b.Concerns), b.Number))
	ev.Props.SetText(ical.PropLocation, office.Address)
	ev.Props.SetText(ical.PropDescription, e.texts.T(lang, "BringDocs", "Docs", e.documents(lang, b.Concerns)))
	if office.Email != "" {
		org := ical.NewProp(ical.PropOrganizer)
		org.Value = "mailto:" + office.Email
		org.Params.Set(ical.ParamCommonName, office.Name)
		ev.Props.Set(org)
	}
	if method == "CANCEL" {
		ev.SetStatus(ical.EventCancelled)
	} else {
		ev.SetStatus(ical.EventConfirmed)
	}
	cal.Children = append(cal.Children, ev.Component)

	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		e.log.Error("encode calendar entry", "err", err)
	}
	return Attachment{Name: "termin-" + strings.ToLower(b.Number) + ".ics", ContentType: "text/calendar; charset=utf-8; method=" + method, Data: foldICS(buf.Bytes())}
}

// foldICS folds content lines longer than 75 octets, as RFC 5545 (3.1)
// asks: a CRLF and a space before the rest, never inside a UTF-8 character.
func foldICS(data []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.SplitAfter(string(data), "\r\n") {
		body, eol := strings.CutSuffix(line, "\r\n")
		limit := 75
		for len(body) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(body[cut]) {
				cut--
			}
			out.WriteString(body[:cut] + "\r\n ")
			body = body[cut:]
			limit = 74 // the leading space counts
		}
		out.WriteString(body)
		if eol {
			out.WriteString("\r\n")
		}
	}
	return out.Bytes()
}

func domainOf(addr string) string {
	if _, domain, ok := strings.Cut(addr, "@"); ok && domain != "" {
		return domain
	}
	return "buergerbuero.invalid"
}
