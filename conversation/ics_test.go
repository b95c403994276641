package conversation

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// checkRFC5545 is a strict reading of an iCalendar file: CRLF line ends,
// no content line over 75 octets, folded lines starting with one space,
// property names as the grammar allows, the properties a calendar program
// needs, SEQUENCE an integer.
func checkRFC5545(t *testing.T, data []byte) map[string]string {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatalf("lines must end in CRLF:\n%q", data)
	}
	props := map[string]string{}
	name := regexp.MustCompile(`^[A-Z][A-Z0-9-]*$`)
	var unfolded []string
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("a line of %d octets: %q", len(line), line)
		}
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			if len(unfolded) == 0 {
				t.Fatal("the file starts with a continuation line")
			}
			unfolded[len(unfolded)-1] += line[1:]
			continue
		}
		unfolded = append(unfolded, line)
	}
	for _, line := range unfolded {
		head, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("no colon in %q", line)
		}
		prop, _, _ := strings.Cut(head, ";")
		if !name.MatchString(prop) {
			t.Errorf("property name %q", prop)
		}
		props[prop] = value
		if prop == "SEQUENCE" && (head != "SEQUENCE" || !regexp.MustCompile(`^\d+$`).MatchString(value)) {
			t.Errorf("SEQUENCE must be a plain integer: %q", line)
		}
	}
	for _, p := range []string{"VERSION", "PRODID", "METHOD", "UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "STATUS"} {
		if _, ok := props[p]; !ok {
			t.Errorf("no %s", p)
		}
	}
	if _, err := ical.NewDecoder(bytes.NewReader(data)).Decode(); err != nil {
		t.Errorf("go-ical cannot read it back: %v", err)
	}
	return props
}

func TestCalendarFilesFollowRFC5545(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	c := ev.chat("1", "de")
	num, pin := c.book("Reisepass und Personalausweis morgen 9 Uhr")
	b, err := ev.store.Lookup(ctx, num, pin)
	if err != nil {
		t.Fatal(err)
	}
	booked := checkRFC5545(t, ev.engine.calendarFile(b, "REQUEST", "de").Data)
	ev.clock.Advance(time.Hour)
	moved := checkRFC5545(t, ev.engine.calendarFile(b, "REQUEST", "de").Data)
	cancelled := checkRFC5545(t, ev.engine.calendarFile(b, "CANCEL", "de").Data)
	if booked["UID"] != moved["UID"] || moved["UID"] != cancelled["UID"] {
		t.Errorf("the UID changes: %s %s %s", booked["UID"], moved["UID"], cancelled["UID"])
	}
	if before, _ := strconv.Atoi(booked["SEQUENCE"]); func() int { after, _ := strconv.Atoi(moved["SEQUENCE"]); return after }() <= before {
		t.Errorf("SEQUENCE does not grow: %s then %s", booked["SEQUENCE"], moved["SEQUENCE"])
	}
	if cancelled["METHOD"] != "CANCEL" || cancelled["STATUS"] != "CANCELLED" || booked["METHOD"] != "REQUEST" {
		t.Errorf("methods: %s/%s, %s", cancelled["METHOD"], cancelled["STATUS"], booked["METHOD"])
	}
}

func TestFoldICSKeepsCharactersWhole(t *testing.T) {
	long := "DESCRIPTION:" + strings.Repeat("Bitte mitbringen: Personalausweis, Foto – äöü ß. ", 6)
	out := string(foldICS([]byte(long + "\r\n")))
	for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(line) > 75 || !utf8Valid(line) {
			t.Fatalf("folded line %q", line)
		}
	}
	if strings.ReplaceAll(out, "\r\n ", "") != long+"\r\n" {
		t.Fatal("unfolding does not give the line back")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
