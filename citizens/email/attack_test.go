package email

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// mailer plays citizens (or an attacker) writing to the rig, counting the
// answers.
type mailer struct {
	r    *mailRig
	sent int
}

// say sends a mail (in the thread of inReplyTo, if set) and returns the answer.
func (c *mailer) say(from, inReplyTo, body string) (answer string, messageID string) {
	c.r.t.Helper()
	irt := ""
	if inReplyTo != "" {
		irt = "<" + inReplyTo + ">"
	}
	raw, _ := c.r.citizenMail(from, "Termin", irt, body)
	c.r.deliver(raw)
	m := c.r.wait(c.sent)
	c.sent++
	if m.To != strings.ToLower(from) {
		c.r.t.Fatalf("the answer went to %s, not %s", m.To, from)
	}
	return m.Body, m.MessageID
}

func (c *mailer) bookings(t *testing.T) int {
	t.Helper()
	n := 0
	for d := range 21 {
		bs, err := c.r.store.DayBookings(context.Background(), c.r.store.Now().AddDate(0, 0, d))
		if err != nil {
			t.Fatal(err)
		}
		n += len(bs)
	}
	return n
}

// A forged From cannot book: the summary goes to the real address, and a
// "yes" that does not answer it in its thread books nothing.
func TestAForgedSenderCannotBook(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	c := &mailer{r: r}
	summary, id := c.say("victim@example.org", "", "Termin für Personalausweis am Mittwoch um 9:00, Max Mustermann")
	expect(t, "summary to the victim", summary, "Bitte prüfen", "09:00")
	for _, forged := range []string{"", "0011223344556677aabbccdd.00112233445566778899aabb@musterstadt.example", strings.Replace(id, "@", "x@", 1)} {
		answer, _ := c.say("victim@example.org", forged, "Ja")
		expect(t, "forged yes", answer, "nur, wenn Sie direkt auf unsere Zusammenfassung antworten")
	}
	// Our ID for another address does not prove this one.
	_, other := c.say("attacker@example.net", "", "Termin für Personalausweis am Mittwoch um 9:00, Eve")
	answer, _ := c.say("victim@example.org", other, "Ja")
	expect(t, "another address's thread", answer, "direkt auf unsere Zusammenfassung antworten")
	if n := c.bookings(t); n != 0 {
		t.Fatalf("%d booking(s) made by forged mails", n)
	}
	// The real citizen's reply in the thread books.
	answer, _ = c.say("victim@example.org", id, "Ja")
	expect(t, "in the thread", answer, "Ihr Termin ist gebucht")
}

// A citizen who booked by mail cancels by replying in the thread of the
// confirmation, without the PIN; a forged mail with the number cannot.
func TestCancelByReplyingToTheConfirmation(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	c := &mailer{r: r}
	_, id := c.say("erika@example.org", "", "Termin für Personalausweis am Mittwoch um 9:00, Erika Mustermann")
	confirmation, confID := c.say("erika@example.org", id, "Ja")
	got := bookedRx.FindStringSubmatch(confirmation)
	if got == nil {
		t.Fatalf("not booked:\n%s", confirmation)
	}
	forged, _ := c.say("erika@example.org", "", "Bitte absagen: "+got[1])
	expect(t, "forged, no PIN", forged, "PIN")
	if strings.Contains(forged, "wirklich absagen") {
		t.Fatalf("a forged mail got to the cancel question:\n%s", forged)
	}
	sure, sureID := c.say("erika@example.org", confID, "Bitte absagen")
	expect(t, "the one own booking, no PIN asked", sure, "wirklich absagen", got[1])
	done, _ := c.say("erika@example.org", sureID, "1")
	expect(t, "cancelled without the PIN", done, "ist abgesagt")
}

// A script with many addresses of its own domain holds at most
// max_active_per_source bookings; addresses at public providers are
// separate people.
func TestFreshAddressesOfOneDomainShareALimit(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	c := &mailer{r: r}
	limit := r.store.Config().Booking.MaxActivePerSource
	booked := 0
	for i := range limit + 2 {
		if c.books(t, fmt.Sprintf("bot%d@catchall.example", i), 8+i%4, fmt.Sprintf("Bot %c", 'A'+i), "Mail-Domain") {
			booked++
		}
	}
	if booked != limit {
		t.Errorf("%d bookings from one domain, want %d", booked, limit)
	}
	for i := range 2 {
		from := fmt.Sprintf("citizen%d@gmx.de", i)
		_, id := c.say(from, "", fmt.Sprintf("Termin für Personalausweis am Donnerstag um %d:00, Bürgerin %c", 9+i, 'A'+i))
		expect(t, "public provider", first(c.say(from, id, "Ja")), "Ihr Termin ist gebucht")
	}
}

func first(a, _ string) string { return a }

// books has from ask for an ID card on Wednesday at hour as name and say
// yes in the thread: true if booked, false if refused with words that
// contain refused; anything else fails the test.
func (c *mailer) books(t *testing.T, from string, hour int, name, refused string) bool {
	t.Helper()
	first, id := c.say(from, "", fmt.Sprintf("Termin für Personalausweis am Mittwoch um %d:00, %s", hour, name))
	if strings.Contains(first, refused) {
		return false // refused as the time was chosen: it would be held
	}
	switch answer, _ := c.say(from, id, "Ja"); {
	case strings.Contains(answer, "Ihr Termin ist gebucht"):
		return true
	case strings.Contains(answer, refused):
		return false
	default:
		t.Fatalf("%s: %s", from, answer)
		return false
	}
}

// FuzzProvesMailbox: no reference a sender makes up proves a mailbox; only
// an id the channel made for that very address does.
func FuzzProvesMailbox(f *testing.F) {
	m := &Mail{cfg: Config{Address: "termine@musterstadt.example"}, threadKey: []byte("0123456789abcdef0123456789abcdef")}
	own := "0011223344556677aabbccdd." + m.threadMAC("erika@example.org", "0011223344556677aabbccdd") + "@musterstadt.example"
	if made, _ := m.threadID("erika@example.org", ""); !m.provesMailbox(inbound{From: "Erika@Example.org", References: []string{made}}) {
		f.Fatal("an id the channel made does not prove the mailbox")
	}
	// A confirmation's id comes from its outbox entry: the same when sent
	// again after a crash (mail programs show it once), and still a proof.
	once, _ := m.threadID("erika@example.org", "00000001764000000000-a1b2c3")
	again, _ := m.threadID("erika@example.org", "00000001764000000000-a1b2c3")
	other, _ := m.threadID("erika@example.org", "00000001764000000000-ffffff")
	if once != again || once == other || !m.provesMailbox(inbound{From: "erika@example.org", References: []string{once}}) {
		f.Fatalf("outbox ids: %s %s %s", once, again, other)
	}
	f.Add("erika@example.org", own)
	f.Add("eve@example.org", own)
	f.Add("x@y", "a.b@musterstadt.example")
	f.Fuzz(func(t *testing.T, from, ref string) {
		proven := m.provesMailbox(inbound{From: from, References: []string{ref}})
		// A domain is the same in any case; the id's own part is not.
		ownLocal, ownDomain, _ := strings.Cut(own, "@")
		local, domain, _ := strings.Cut(ref, "@")
		same := local == ownLocal && strings.EqualFold(domain, ownDomain)
		if proven && !(same && strings.EqualFold(strings.TrimSpace(from), "erika@example.org")) {
			t.Fatalf("%q proved by %q", from, ref)
		}
	})
}

// A question in a reply in the middle of a booking is answered, and the
// same step's question (with its numbered times) follows in that mail.
func TestQuestionsInTheMiddleOfABookingByMail(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	c := &mailer{r: r}
	body, id := c.say("erika@example.org", "", "Reisepass Donnerstag")
	expect(t, "time step", body, "Um welche Uhrzeit am Do 26.11.?", "  1) ")
	body, id = c.say("erika@example.org", id, "Was kostet ein Pass?")
	expect(t, "fee, then the step again", body, "70,00 €", "Um welche Uhrzeit am Do 26.11.?", "  1) ")
	body, _ = c.say("erika@example.org", id, "Wo stehe ich?")
	expect(t, "where am I, then the step again", body, "Um welche Uhrzeit am Do 26.11.?")
}

// SMTP refuses the confirmation: the mail is handled all the same, and the
// confirmation (with the PIN that opens the booking) goes out from the
// outbox once SMTP takes mail again, once.
func TestRefusedConfirmationComesFromTheOutbox(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	c := &mailer{r: r}
	body, id := c.say("erika@example.org", "", "Perso Donnerstag 10 Uhr, Erika Mustermann")
	expect(t, "summary", body, "Bitte prüfen")
	r.smtp.Refuse(3) // every try of the confirmation fails
	raw, _ := r.citizenMail("erika@example.org", "Re: Termin", "<"+id+">", "ja")
	r.deliver(raw)
	m := r.wait(c.sent) // after the channel's three tries, the outbox's
	expect(t, "from the outbox", m.Body, "Ihr Termin ist gebucht", "Wiederholung")
	got := bookedRx.FindStringSubmatch(m.Body)
	if got == nil {
		t.Fatalf("no number and PIN:\n%s", m.Body)
	}
	if _, err := r.store.Lookup(context.Background(), got[1], got[2]); err != nil {
		t.Fatalf("the PIN mailed does not open the booking: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := r.smtp.Count(); n != c.sent+1 {
		t.Fatalf("%d mails, want %d: the confirmation once", n, c.sent+1)
	}
}

// Identities grouped as mail works: seven spellings of one Gmail mailbox
// are one person (one booking), addresses at six subdomains of one
// private domain are one source (its limit).
func TestSpellingsOfOneMailboxAndSubdomainsOfOneDomain(t *testing.T) {
	r := newMailRig(t, Config{}, nil)
	c := &mailer{r: r}
	spellings := []string{"max.muster@gmail.com", "maxmuster@gmail.com", "m.a.x.muster@gmail.com", "Max.Muster+1@gmail.com",
		"maxmuster@googlemail.com", "max.muster+termin@googlemail.com", "MAXMUSTER@GMAIL.COM"}
	booked := 0
	for i, from := range spellings {
		if c.books(t, from, 8+i%4, "Max Muster", "Sie haben schon einen Termin") {
			booked++
		}
	}
	if booked != 1 {
		t.Errorf("%d bookings from %d spellings of one Gmail mailbox, want 1", booked, len(spellings))
	}
	limit := r.store.Config().Booking.MaxActivePerSource
	booked = 0
	for i := range 6 {
		if c.books(t, fmt.Sprintf("bot@sub%d.hoard.example", i), 8+i%4, "Max Muster", "Mail-Domain") {
			booked++
		}
	}
	if booked != limit {
		t.Errorf("%d bookings from 6 subdomains of one domain, want the limit %d", booked, limit)
	}
}
