package email

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"buergerbuero/citizens/email/mailtest"
)

// The lure an attacker puts in a forged mail, hoping the office repeats it
// to the victim from its own address.
const (
	lureSubject = "Ihr Ausweis ist gesperrt – entsperren unter evil.example/unlock"
	lureBody    = "Termin für Personalausweis am Mittwoch um 9:00, Max Evil.Example"
)

// signer signs mails with DKIM for a domain whose key fakeDNS publishes.
type signer struct {
	domain string
	key    ed25519.PrivateKey
}

func newSigner(t *testing.T, dns fakeDNS, domain string) signer {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns["bb._domainkey."+domain] = []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
	return signer{domain: domain, key: key}
}

func (s signer) sign(t *testing.T, raw []byte) []byte {
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{Domain: s.domain, Selector: "bb", Signer: s.key,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// backscatterRig is a mail rig whose mails are checked by the channel
// itself (no Authentication-Results of ours on them), with DNS for a
// domain that signs and refuses what it did not sign (signed.example,
// DMARC p=reject) and one that does neither (plain.example).
func backscatterRig(t *testing.T, cfg Config) (*mailRig, signer, fakeDNS) {
	dns := fakeDNS{"_dmarc.signed.example": {"v=DMARC1; p=reject"}}
	sig := newSigner(t, dns, "signed.example")
	cfg.LookupTXT = dns.LookupTXT
	return newMailRig(t, cfg, nil), sig, dns
}

// settled waits until every mail in the mailbox is handled.
func (r *mailRig) settled() {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		flags := r.seenFlags()
		all := len(flags) > 0
		for _, seen := range flags {
			all = all && seen
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("mails not handled: %v", flags)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A forged From gets no answer, or one of the office's own words only:
// no subject, name or text of the mail comes back from the office's
// address, each address hears from it once, and a domain's addresses at a
// rate. A DKIM-signed mail and the reply that proves the mailbox are
// answered as ever.
func TestTheOfficeRepeatsNoWordOfAnUnverifiedSender(t *testing.T) {
	r, sig, _ := backscatterRig(t, Config{UnverifiedPerDomainHour: 5})
	lure := func(from string) []byte {
		raw, _ := r.citizenMail(from, lureSubject, "", lureBody)
		return mailtest.Unauthenticated(raw)
	}

	// Forged in the name of a domain that signs (DMARC p=reject): unsigned,
	// and signed with a key that is not the domain's.
	r.deliver(lure("victim@signed.example"))
	impostor := signer{domain: "signed.example", key: newSigner(t, fakeDNS{}, "signed.example").key}
	r.deliver(impostor.sign(t, lure("victim2@signed.example")))
	r.settled()
	if n := r.smtp.Count(); n != 0 {
		t.Fatalf("%d mail(s) sent for mails forged in the name of a domain that signs: %+v", n, r.smtp.To("victim@signed.example"))
	}

	// Signed by the domain: the dialogue answers, in the sender's thread.
	raw, _ := r.citizenMail("alice@signed.example", "Termin", "", lureBody)
	r.deliver(sig.sign(t, mailtest.Unauthenticated(raw)))
	if got := r.wait(0); got.To != "alice@signed.example" || !strings.Contains(got.Body, "Bitte prüfen") {
		t.Fatalf("a signed mail was not answered by the dialogue: %+v", got)
	}

	// Nothing says who sent it: one mail of ours, then nothing.
	r.deliver(lure("victim@plain.example"))
	check := r.wait(1)
	r.deliver(lure("victim@plain.example"))
	r.settled()
	if n := len(r.smtp.To("victim@plain.example")); n != 1 {
		t.Fatalf("%d mails to an unverified sender, want 1", n)
	}
	if check.Subject != r.engine.Text("de", "MailCheckSubject") || check.InReplyTo != "" || check.References != "" {
		t.Errorf("the check mail's header refers to the forged mail: subject %q, in-reply-to %q, references %q", check.Subject, check.InReplyTo, check.References)
	}
	for _, word := range []string{"evil", "gesperrt", "entsperren", "Max", "unlock"} {
		if strings.Contains(strings.ToLower(check.Raw+check.Subject+check.Body), strings.ToLower(word)) {
			t.Errorf("the office repeats %q of a forged mail:\n%s", word, check.Raw)
		}
	}

	// The real owner replies to it, without a word: the mail that was
	// waiting is answered now.
	reply, _ := r.citizenMail("victim@plain.example", "Re: "+check.Subject, "<"+check.MessageID+">", "")
	r.deliver(mailtest.Unauthenticated(reply))
	if got := r.wait(2); got.To != "victim@plain.example" || !strings.Contains(got.Body, "Bitte prüfen") || !strings.Contains(got.Body, "Personalausweis") {
		t.Fatalf("the proven reply did not go on with the waiting mail:\n%s", got.Body)
	}

	// A flood of forged senders at one domain: at most the rate.
	for i := range 30 {
		r.deliver(lure(fmt.Sprintf("victim%d@plain.example", i)))
	}
	r.settled()
	if n := r.smtp.Count() - 2; n != 5 {
		t.Errorf("%d check mails to plain.example after 30 more forged senders, want the hourly 5", n)
	}
}

// The receiving server's Authentication-Results count only under the
// configured authserv-id: a sender writes its own with another id, or
// ours below the server's.
func TestOnlyOurServersAuthenticationResultsCount(t *testing.T) {
	r, _, _ := backscatterRig(t, Config{})
	say := func(from string, results ...string) {
		raw, _ := r.citizenMail(from, lureSubject, "", lureBody)
		raw = mailtest.Unauthenticated(raw)
		for i := len(results) - 1; i >= 0; i-- {
			raw = append([]byte("Authentication-Results: "+results[i]+"\r\n"), raw...)
		}
		r.deliver(raw)
	}
	say("a@plain.example", "mx.evil.example; dmarc=pass header.from=plain.example")
	if got := r.wait(0); got.To != "a@plain.example" || got.Subject != r.engine.Text("de", "MailCheckSubject") {
		t.Errorf("another server's pass was believed: %q", got.Subject)
	}
	say("b@plain.example", mailtest.AuthServID+"; dmarc=fail header.from=plain.example", mailtest.AuthServID+"; dmarc=pass header.from=plain.example")
	say("c@plain.example", mailtest.AuthServID+"; dkim=pass header.d=plain.example")
	if got := r.wait(1); got.To != "c@plain.example" || !strings.Contains(got.Body, "Bitte prüfen") {
		t.Errorf("our server's dkim=pass was not believed: %+v", got)
	}
	r.settled()
	if n := len(r.smtp.To("b@plain.example")); n != 0 {
		t.Errorf("our server said dmarc=fail, and the office answered %d time(s)", n)
	}
}
