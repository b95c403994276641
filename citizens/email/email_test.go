package email

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"buergerbuero/booking"
	"buergerbuero/citizens/email/mailtest"
	"buergerbuero/conversation"
)

func expect(t *testing.T, step, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: missing %q in\n%s", step, w, got)
		}
	}
}

var bookedRx = regexp.MustCompile(`(?:Wartenummer|Waiting number): (T-\d+)\s+PIN: (\d{6})`)

func TestBookAndCancelByReplies(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	raw, id1 := r.citizenMail("Max Mustermann <Max@Example.org>", "Termin", "",
		"Guten Tag,\n\nTermin für Personalausweis am Mittwoch vormittags, Max Mustermann\n\nViele Grüße\n-- \nMax Mustermann\nMusterweg 1")
	r.deliver(raw)
	m := r.wait(0)
	expect(t, "first answer", m.Body, "Um welche Uhrzeit am Mi 25.11.?", "  1) 08:00", "Bitte antworten Sie mit der Nummer")
	if m.To != "max@example.org" || m.Subject != "Re: Termin" || m.InReplyTo != id1 || !strings.Contains(m.References, id1) || m.AutoSubmitted != "auto-replied" {
		t.Fatalf("threading/headers: to %q subject %q in-reply-to %q references %q auto %q", m.To, m.Subject, m.InReplyTo, m.References, m.AutoSubmitted)
	}
	// The answer quotes our mail below; only the "3" on top counts.
	raw, _ = r.citizenMail("max@example.org", "Re: Termin", "<"+m.MessageID+">",
		"3\n\nAm 24.11.2026 um 09:00 schrieb Bürgerbüro Musterstadt <buergerbuero@musterstadt.example>:\n> Um welche Uhrzeit am Mi 25.11.?\n>   1) 08:00\n>   5) 08:40")
	r.deliver(raw)
	m = r.wait(1)
	expect(t, "summary: name from the first mail, address known", m.Body, "Bitte prüfen", "Mi 25.11.2026, 08:20", "Max Mustermann", "max@example.org")
	if m.Subject != "Re: Termin" {
		t.Fatalf("subject %q, want no stacked Re:", m.Subject)
	}
	raw, _ = r.citizenMail("max@example.org", "AW: Re: Termin", "<"+m.MessageID+">", "Ja, bitte buchen.\n\nGesendet von meinem iPhone")
	r.deliver(raw)
	m = r.wait(2)
	expect(t, "confirmation", m.Body, "Ihr Termin ist gebucht", "PIN: ", "Am Markt 1", "Bitte mitbringen")
	if strings.Contains(m.Body, "hier im Chat") {
		t.Errorf("the mail speaks of a chat:\n%s", m.Body)
	}
	var ics string
	for name, data := range m.Attachments {
		if strings.HasSuffix(name, ".ics") {
			ics = data
		}
	}
	expect(t, "calendar", ics, "METHOD:REQUEST", "DTSTART:20261125T072000Z")
	got := bookedRx.FindStringSubmatch(m.Body)
	if got == nil {
		t.Fatal("no number and PIN")
	}
	b, err := r.store.Lookup(context.Background(), got[1], got[2])
	if err != nil || b.Email != "max@example.org" || b.PersonKey != "mail:max@example.org" || b.Channel != Channel {
		t.Fatalf("booking %+v %v", b, err)
	}

	raw, _ = r.citizenMail("max@example.org", "Absage", "", "Ich möchte absagen: "+got[1]+" "+got[2])
	r.deliver(raw)
	m = r.wait(3)
	expect(t, "ask", m.Body, "wirklich absagen", "1) Ja, Termin absagen")
	raw, _ = r.citizenMail("max@example.org", "Re: Absage", "<"+m.MessageID+">", "1")
	r.deliver(raw)
	m = r.wait(4)
	expect(t, "cancelled", m.Body, "ist abgesagt")
	for name, data := range m.Attachments {
		if strings.HasSuffix(name, ".ics") {
			ics = data
		}
	}
	expect(t, "cancel calendar", ics, "METHOD:CANCEL", "STATUS:CANCELLED")
	deadline := time.Now().Add(5 * time.Second)
	for {
		all := true
		for _, seen := range r.seenFlags() {
			all = all && seen
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mails not flagged seen: %v", r.seenFlags())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEnglishHTMLAndLatin1Mails(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	raw, _ := r.citizenMail("ann@example.com", "Appointment", "",
		"<html><head><style>p{color:red}</style></head><body><p>Hello,</p><p>I would like an appointment for a <b>passport</b> please.</p></body></html>",
		"MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8")
	r.deliver(raw)
	m := r.wait(0)
	expect(t, "html, english", m.Body, "Your concerns: Apply for or renew a passport", "Please answer with the number")
	// Latin-1, quoted-printable, as older German mail programs send.
	raw, _ = r.citizenMail("otto@example.de", "Anfrage", "", "Was brauche ich f=FCr ein F=FChrungszeugnis?",
		"MIME-Version: 1.0", "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable")
	r.deliver(raw)
	m = r.wait(1)
	expect(t, "latin-1", m.Body, "Führungszeugnis beantragen", "13,00 €")
	raw, _ = r.citizenMail("otto@example.de", "=?windows-1252?Q?Gr=FC=DFe?=", "", "Wie sind die \x96 \xd6ffnungszeiten?",
		"MIME-Version: 1.0", "Content-Type: text/plain; charset=windows-1252", "Content-Transfer-Encoding: 8bit")
	r.deliver(raw)
	m = r.wait(2)
	expect(t, "windows-1252", m.Body, "Mo: 08:00-12:30")
	if m.Subject != "Re: Grüße" {
		t.Fatalf("subject %q", m.Subject)
	}
}

func TestNoAnswerToAutomaticMail(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	for _, extra := range [][]string{
		{"Auto-Submitted: auto-replied"},
		{"Precedence: bulk"},
		{"List-Id: <news.example.org>"},
		{"Return-Path: <>"},
	} {
		raw, _ := r.citizenMail("someone@example.org", "Abwesend", "", "Ich bin bis Montag nicht im Büro. Termin?", extra...)
		r.deliver(raw)
	}
	raw, _ := r.citizenMail("MAILER-DAEMON@mx.example.org", "Undelivered Mail", "", "Termin bounce")
	r.deliver(raw)
	raw, _ = r.citizenMail("real@example.org", "Frage", "", "Öffnungszeiten?")
	r.deliver(raw)
	m := r.wait(0)
	if m.To != "real@example.org" {
		t.Fatalf("answered %s first", m.To)
	}
	time.Sleep(300 * time.Millisecond)
	if n := r.smtp.Count(); n != 1 {
		t.Fatalf("%d mails sent, want only the one to a person", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		all := true
		for _, s := range r.seenFlags() {
			all = all && s
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("automatic mails not flagged seen: %v", r.seenFlags())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOversizedMailGetsOneShortAnswer(t *testing.T) {
	r := newMailRig(t, Config{MaxBytes: 4096}, nil)
	raw, _ := r.citizenMail("big@example.org", "Scan", "", "Termin für Perso\n"+strings.Repeat("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 200))
	r.deliver(raw)
	m := r.wait(0)
	expect(t, "too big", m.Body, "zu groß", "4 KB", "ohne Anhänge")
	if strings.Contains(m.Body, "Anliegen") {
		t.Fatalf("an oversized mail reached the dialogue:\n%s", m.Body)
	}
	time.Sleep(300 * time.Millisecond)
	if n := r.smtp.Count(); n != 1 {
		t.Fatalf("%d answers, want one", n)
	}
}

func TestEachMailIsHandledOnceAcrossRestarts(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	raw, _ := r.citizenMail("eve@example.org", "Termin", "", "Termin für Reisepass")
	r.deliver(raw)
	r.wait(0)
	r.stop()
	r.clearSeen() // as if the process died before flagging the mail
	r.start()
	deadline := time.Now().Add(5 * time.Second)
	for !r.seenFlags()[0] {
		if time.Now().After(deadline) {
			t.Fatal("mail not flagged again after the restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := r.smtp.Count(); n != 1 {
		t.Fatalf("%d answers after the restart, want still 1", n)
	}
	// And the dialogue did not take the mail twice: it still waits for "more?".
	raw, _ = r.citizenMail("eve@example.org", "Re: Termin", "", "nein")
	r.deliver(raw)
	expect(t, "dialogue", r.wait(1).Body, "An welchem Tag")
}

func TestNothingAMailSaysGetsIntoTheHeaders(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	// An encoded subject that decodes to a line break and a Bcc header.
	raw, _ := r.citizenMail("mallory@example.org", "=?utf-8?q?Termin=0D=0ABcc:_victim@example.org?=", "", "Öffnungszeiten")
	r.deliver(raw)
	m := r.wait(0)
	if m.Header.Get("Bcc") != "" || strings.Contains(strings.SplitN(m.Raw, "\r\n\r\n", 2)[0], "\r\nBcc:") {
		t.Fatalf("a Bcc header got in:\n%s", m.Raw)
	}
	if m.Subject != "Re: Termin Bcc: victim@example.org" || m.To != "mallory@example.org" {
		t.Fatalf("subject %q to %q", m.Subject, m.To)
	}
}

func TestReplyLimitPerAddress(t *testing.T) {
	r := newMailRig(t, Config{RepliesPerHour: 2}, nil)
	for range 4 {
		raw, _ := r.citizenMail("flood@example.org", "x", "", "Öffnungszeiten")
		r.deliver(raw)
	}
	raw, _ := r.citizenMail("calm@example.org", "x", "", "Öffnungszeiten")
	r.deliver(raw)
	r.wait(2)
	time.Sleep(300 * time.Millisecond)
	to := map[string]int{}
	for i := range r.smtp.Count() {
		to[r.wait(i).To]++
	}
	if to["flood@example.org"] != 2 || to["calm@example.org"] != 1 {
		t.Fatalf("answers per address: %v", to)
	}
}

func TestSMTPRefusalIsRetried(t *testing.T) {
	rec, err := mailtest.NewSMTP(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	rec.Refuse(4) // three tries fail, then the mail comes round again
	r := newMailRig(t, Config{}, rec)
	raw, _ := r.citizenMail("patient@example.org", "Termin", "", "Öffnungszeiten")
	r.deliver(raw)
	m := r.wait(0)
	expect(t, "after the retry", m.Body, "Mo: 08:00-12:30")
	time.Sleep(200 * time.Millisecond)
	if n := r.smtp.Count(); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}

func TestSTARTTLSAndAuth(t *testing.T) {
	tlsConfig, caFile := selfSigned(t)
	rec, err := mailtest.NewSMTP(tlsConfig, "smtp-secret")
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	host, port := splitAddr(t, rec.Addr)
	r := newMailRig(t, Config{SMTP: ServerConfig{Host: host, Port: port, Security: "starttls", Username: "buergerbuero", Password: "smtp-secret", CAFile: caFile}}, rec)
	raw, _ := r.citizenMail("secure@example.org", "Termin", "", "Öffnungszeiten")
	r.deliver(raw)
	expect(t, "over STARTTLS with AUTH", r.wait(0).Body, "Mo: 08:00-12:30")
}

func TestPushedMailsAreNumberedAndAnswerable(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	err := r.engine.Push(context.Background(), Channel, "erika@example.org", "de", []conversation.Reply{
		{Text: "Erinnerung: Ihr Termin T-123 ist morgen.", Options: []conversation.Option{{ID: "menu:hours", Label: "Öffnungszeiten"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m := r.wait(0)
	if m.Subject != "Erinnerung: Ihr Termin T-123 ist morgen." || !strings.Contains(m.Body, "1) Öffnungszeiten") {
		t.Fatalf("pushed mail: %q\n%s", m.Subject, m.Body)
	}
	raw, _ := r.citizenMail("erika@example.org", "Re: "+m.Subject, "<"+m.MessageID+">", "1")
	r.deliver(raw)
	expect(t, "typed number answers the pushed mail", r.wait(1).Body, "Mo: 08:00-12:30")
}

func TestStripQuoted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ja\n\nAm 24.11.2026 um 09:00 schrieb Bürgerbüro <a@b>:\n> Frage", "ja"},
		{"yes please\n\nOn Tue, Nov 24, 2026 at 9:00 AM Office <a@b> wrote:\n> question", "yes please"},
		{"2\n-----Ursprüngliche Nachricht-----\nVon: Bürgerbüro", "2"},
		{"3\n\nVon: Bürgerbüro <a@b>\nGesendet: Dienstag", "3"},
		{"Max Mustermann\n-- \nSignatur", "Max Mustermann"},
		{"ok\n\nSent from my iPhone", "ok"},
		{"Zeile 1\nZeile 2", "Zeile 1\nZeile 2"},
		{"> nur Zitat", ""},
	}
	for _, tc := range tests {
		if got := stripQuoted(tc.in); got != tc.want {
			t.Errorf("stripQuoted(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestIdleWakesUpForNewMail: with polling only once a minute, a new mail is
// still answered at once, because the channel waits in IMAP IDLE.
func TestIdleWakesUpForNewMail(t *testing.T) {
	r := newMailRig(t, Config{PollInterval: time.Minute}, nil)
	time.Sleep(500 * time.Millisecond) // let the channel settle into IDLE
	start := time.Now()
	raw, _ := r.citizenMail("quick@example.org", "Frage", "", "Öffnungszeiten?")
	r.deliver(raw)
	r.wait(0)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("answered after %s: IDLE did not wake up", took)
	}
}

// TestTwentyMegabyteMail: the default limit keeps a 20 MB mail unread (only
// its header is fetched) and its sender gets one short answer.
func TestTwentyMegabyteMail(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	big := strings.Repeat(strings.Repeat("QUFBQUFBQUFB", 6)+"\n", 20<<20/73)
	raw, _ := r.citizenMail("scanner@example.org", "Unterlagen", "", "--b\nContent-Type: text/plain\n\nTermin\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=scan.pdf\n\n"+big+"--b--",
		"MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=b")
	if len(raw) < 20<<20 {
		t.Fatalf("mail of %d bytes", len(raw))
	}
	r.deliver(raw)
	m := r.wait(0)
	expect(t, "too big", m.Body, "zu groß", "1024 KB")
	if m.InReplyTo == "" || m.To != "scanner@example.org" {
		t.Fatalf("answer not threaded to the sender: %q %q", m.InReplyTo, m.To)
	}
}

// TestCalendarFilesParseBack reads the .ics of a booking and of its
// cancellation with an iCalendar parser: one event, same UID, later
// SEQUENCE, the right methods and times.
func TestCalendarFilesParseBack(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	raw, _ := r.citizenMail("ics@example.org", "Termin", "", "Termin für Reisepass am Donnerstag um 11:00, Ida Ical")
	r.deliver(raw)
	m := r.wait(0)
	raw, _ = r.citizenMail("ics@example.org", "Re: Termin", "<"+m.MessageID+">", "ja")
	r.deliver(raw)
	booked := r.wait(1)
	got := bookedRx.FindStringSubmatch(booked.Body)
	if got == nil {
		t.Fatalf("not booked:\n%s", booked.Body)
	}
	r.clock.Advance(time.Hour)
	raw, _ = r.citizenMail("ics@example.org", "Absage", "", "absagen "+got[1]+" "+got[2])
	r.deliver(raw)
	m = r.wait(2)
	raw, _ = r.citizenMail("ics@example.org", "Re: Absage", "<"+m.MessageID+">", "ja")
	r.deliver(raw)
	cancelled := r.wait(3)
	read := func(m mailtest.Mail) *ical.Calendar {
		t.Helper()
		for name, data := range m.Attachments {
			if strings.HasSuffix(name, ".ics") {
				cal, err := ical.NewDecoder(strings.NewReader(data)).Decode()
				if err != nil {
					t.Fatalf("%s: %v\n%s", name, err, data)
				}
				return cal
			}
		}
		t.Fatal("no .ics attached")
		return nil
	}
	req, can := read(booked), read(cancelled)
	method := func(c *ical.Calendar) string { v, _ := c.Props.Text(ical.PropMethod); return v }
	if method(req) != "REQUEST" || method(can) != "CANCEL" {
		t.Fatalf("methods %q %q", method(req), method(can))
	}
	evReq, evCan := req.Events(), can.Events()
	if len(evReq) != 1 || len(evCan) != 1 {
		t.Fatalf("%d and %d events", len(evReq), len(evCan))
	}
	uid := func(e ical.Event) string { v, _ := e.Props.Text(ical.PropUID); return v }
	seq := func(e ical.Event) int { n, _ := e.Props.Get(ical.PropSequence).Int(); return n }
	if uid(evReq[0]) != uid(evCan[0]) || seq(evCan[0]) <= seq(evReq[0]) {
		t.Fatalf("UID %q/%q SEQUENCE %d/%d: the cancel does not update the same entry", uid(evReq[0]), uid(evCan[0]), seq(evReq[0]), seq(evCan[0]))
	}
	start, err := evReq[0].DateTimeStart(time.UTC)
	end, _ := evReq[0].DateTimeEnd(time.UTC)
	if err != nil || !start.Equal(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)) || end.Sub(start) != 20*time.Minute {
		t.Fatalf("event %s to %s (%v)", start, end, err)
	}
	if st, _ := evCan[0].Status(); st != ical.EventCancelled {
		t.Fatalf("cancel status %q", st)
	}
}

func TestPersonKeyAndSubject(t *testing.T) {
	for in, want := range map[string]string{"Max+termin1@Example.org": "mail:max@example.org", "max@example.org": "mail:max@example.org",
		"m.a.x@gmail.com": "mail:max@gmail.com", "M.ax+1@GoogleMail.com": "mail:max@gmail.com", "m.a.x@web.de": "mail:m.a.x@web.de"} {
		if got := personKey(in); got != want {
			t.Errorf("personKey(%q) = %q, want %q", in, got, want)
		}
	}
	m := &Mail{cfg: Config{PublicDomains: []string{"stadtwerke.example"}}}
	for in, want := range map[string]string{"a@sub1.catchall.example": "mail:catchall.example", "b@x.sub2.catchall.example": "mail:catchall.example",
		"c@catchall.co.uk": "mail:catchall.co.uk", "d@gmail.com": "", "e@mail.stadtwerke.example": "", "f@gmx.de": ""} {
		if got := m.sourceOf(in); got != want {
			t.Errorf("sourceOf(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Re: AW: Termin": "Re: Termin", "": "Amt", "WG: Fwd: x": "Re: x"} {
		if got := replySubject(in, "Amt"); got != want {
			t.Errorf("replySubject(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseMail: whatever bytes arrive, reading a mail and cutting out the
// answer never panics, and the answer has no quoted lines.
func FuzzParseMail(f *testing.F) {
	for _, body := range []string{"ja\n\nAm 1.1.2026 schrieb X:\n> y", "<p>Hallo</p><blockquote>zitat</blockquote>", "=FC=DF", "-- \nsig"} {
		raw, _ := mailtest.CitizenMail("a@b.example", "=?iso-8859-1?q?Gr=FC=DFe?=", "<x@y>", body)
		f.Add(raw)
	}
	f.Add([]byte("From: a@b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n<b>\x96</b>\r\n--x--"))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := parseMail(raw)
		if err != nil {
			return
		}
		for _, line := range strings.Split(in.Text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), ">") {
				t.Fatalf("quoted line left: %q", in.Text)
			}
		}
		if strings.ContainsAny(in.Subject, "\r\n") {
			t.Fatalf("subject with a line break: %q", in.Subject)
		}
	})
}

func TestForgetOldRecords(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	raw, _ := r.citizenMail("old@example.org", "Frage", "", "Öffnungszeiten?")
	r.deliver(raw)
	r.wait(0)
	processed := func() bool {
		seen, err := r.mail.processed(context.Background(), mustID(t, raw))
		if err != nil {
			t.Fatal(err)
		}
		return seen
	}
	deadline := time.Now().Add(5 * time.Second)
	for !processed() {
		if time.Now().After(deadline) {
			t.Fatal("not recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The store's one retention path forgets the mail records too.
	if _, err := r.store.Forget(context.Background(), r.clock.Now().Add(-time.Hour)); err != nil || !processed() {
		t.Fatalf("forgot recent records (%v)", err)
	}
	r.clock.Advance(31 * 24 * time.Hour)
	if _, err := r.store.Forget(context.Background(), r.clock.Now().AddDate(0, 0, -30)); err != nil {
		t.Fatal(err)
	}
	th, err := r.mail.thread(context.Background(), "old@example.org")
	if err != nil || th.MessageID != "" || processed() {
		t.Fatalf("after retention: thread %+v (%v), processed %v", th, err, processed())
	}
}

func mustID(t *testing.T, raw []byte) string {
	in, err := parseMail(raw)
	if err != nil {
		t.Fatal(err)
	}
	return in.MessageID
}

// TestMalformedMailGetsNoAnswerAndChangesNothing: a mail without a sender
// cannot be answered; it is set aside (flagged) and the store is unchanged.
func TestMalformedMailGetsNoAnswerAndChangesNothing(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	r.deliver([]byte("Subject: Termin\r\nContent-Type: text/plain\r\n\r\nTermin fuer Perso morgen 10 Uhr, Max Muster\r\n"))
	r.deliver([]byte("\x00\xff garbage \r\n\r\n"))
	raw, _ := r.citizenMail("ok@example.org", "Frage", "", "Öffnungszeiten?")
	r.deliver(raw)
	if m := r.wait(0); m.To != "ok@example.org" {
		t.Fatalf("answered %s", m.To)
	}
	time.Sleep(200 * time.Millisecond)
	if n := r.smtp.Count(); n != 1 {
		t.Fatalf("%d mails sent, want only the answer to the good one", n)
	}
	n := 0
	r.store.Events(context.Background(), 0, func(booking.Event) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d events", n)
	}
}

// A burst of mails is answered several at a time, but one sender's mails in
// the order they came: the second answer must not overtake the first.
func TestSendersAreAnsweredInParallelEachInOrder(t *testing.T) {
	rec, err := mailtest.NewSMTP(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	rec.Slow(100 * time.Millisecond)
	r := newMailRig(t, Config{}, rec)
	r.stop() // the burst lies in the mailbox when the channel starts
	for i := range 10 {
		raw, _ := r.citizenMail(fmt.Sprintf("citizen%d@example.org", i), "Frage", "", "Öffnungszeiten")
		r.deliver(raw)
	}
	for _, subject := range []string{"eins", "zwei", "drei"} {
		raw, _ := r.citizenMail("order@example.org", subject, "", "Öffnungszeiten")
		r.deliver(raw)
	}
	r.start()
	r.wait(12)
	for i, subject := range []string{"eins", "zwei", "drei"} {
		m, err := rec.WaitTo("order@example.org", i, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Subject, subject) {
			t.Errorf("answer %d to one sender is about %q, want %q: answers overtook each other", i+1, m.Subject, subject)
		}
	}
	if n := rec.MostAtOnce(); n < 2 {
		t.Errorf("at most %d answer sent at a time, want several senders answered in parallel", n)
	}
}
