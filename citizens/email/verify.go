package email

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// Who sent a mail. A From can be written by anybody; an office that
// answers it sends its own mail to whoever the sender named — with the
// sender's words in it, a phishing mail from the town's own address. So
// the channel checks the sender as mail servers do, and what it may answer
// depends on the result:
//
//   - authentic: the mail carries a valid DKIM signature of the From's
//     domain (aligned as DMARC aligns: the same registrable domain), or the
//     office's own receiving server (Config.AuthServID) says DMARC passed,
//     or DKIM or SPF passed for an aligned domain. The dialogue answers.
//   - a reply in the service's own thread proves the mailbox anyway
//     (thread.go) and is answered like an authentic mail.
//   - forged: the From's domain signs its mail (an aligned signature that
//     does not verify) or publishes a DMARC policy of reject or quarantine
//     and the mail has no aligned signature, or the receiving server says
//     DMARC failed. Not answered at all.
//   - unknown: nothing either way (an unsigned domain, DNS unreachable, a
//     mail too big to check). Answered at most once per address and at a
//     rate per recipient domain, with a fixed text of the office's own
//     that asks the sender to reply; no word of the mail is in it, not
//     even the subject (unknownSender in email.go).

// verdict is what the channel knows of a mail's sender.
type verdict int

const (
	senderUnknown verdict = iota
	senderForged
	senderAuthentic
)

// verifier checks senders.
type verifier struct {
	authServID string
	lookupTXT  func(domain string) ([]string, error)
}

func newVerifier(cfg Config) verifier {
	v := verifier{authServID: strings.ToLower(strings.TrimSpace(cfg.AuthServID)), lookupTXT: cfg.LookupTXT}
	if v.lookupTXT == nil {
		v.lookupTXT = func(domain string) ([]string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return net.DefaultResolver.LookupTXT(ctx, domain)
		}
	}
	return v
}

// check tells who sent the mail raw from the address from, and why. authResults
// are the mail's Authentication-Results fields, top first; headerOnly says
// raw is only the header (a mail too big to read: its signature cannot be
// checked).
func (v verifier) check(raw []byte, headerOnly bool, from string, authResults []string) (verdict, string) {
	fromDomain := strings.ToLower(domainOf(from))
	if got, why := v.receivingServerSays(fromDomain, authResults); got != senderUnknown {
		return got, why
	}
	alignedFailed := ""
	if !headerOnly {
		verifications, _ := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: v.lookupTXT, MaxVerifications: 5})
		for _, sig := range verifications {
			if !aligned(sig.Domain, fromDomain) {
				continue
			}
			if sig.Err == nil {
				return senderAuthentic, "dkim=pass d=" + sig.Domain
			}
			if !dkim.IsTempFail(sig.Err) {
				alignedFailed = "dkim=fail d=" + sig.Domain + ": " + sig.Err.Error()
			}
		}
	}
	if alignedFailed != "" {
		return senderForged, alignedFailed
	}
	if policy := v.dmarcPolicy(fromDomain); policy == dmarc.PolicyReject || policy == dmarc.PolicyQuarantine {
		return senderForged, "no aligned signature, and " + fromDomain + " publishes DMARC p=" + string(policy)
	}
	return senderUnknown, "no aligned DKIM signature, no DMARC policy that refuses it"
}

// receivingServerSays reads the Authentication-Results of the office's own
// receiving server: the first field with its authserv-id (it adds its
// field on top, and removes any with its id that came from outside).
func (v verifier) receivingServerSays(fromDomain string, fields []string) (verdict, string) {
	if v.authServID == "" {
		return senderUnknown, ""
	}
	for _, field := range fields {
		id, results, err := authres.Parse(field)
		if err != nil || !strings.EqualFold(id, v.authServID) {
			continue
		}
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DMARCResult:
				if r.Value == authres.ResultPass {
					return senderAuthentic, "dmarc=pass at " + id
				}
				if r.Value == authres.ResultFail {
					return senderForged, "dmarc=fail at " + id
				}
			case *authres.DKIMResult:
				if r.Value == authres.ResultPass && aligned(r.Domain, fromDomain) {
					return senderAuthentic, "dkim=pass header.d=" + r.Domain + " at " + id
				}
			case *authres.SPFResult:
				if r.Value == authres.ResultPass && aligned(domainOf(r.From), fromDomain) {
					return senderAuthentic, "spf=pass smtp.mailfrom=" + r.From + " at " + id
				}
			}
		}
		return senderUnknown, ""
	}
	return senderUnknown, ""
}

// dmarcPolicy is the DMARC policy for mail from domain: the domain's own
// record, else its organisational domain's subdomain policy (or policy).
func (v verifier) dmarcPolicy(domain string) dmarc.Policy {
	opts := &dmarc.LookupOptions{LookupTXT: v.lookupTXT}
	if rec, err := dmarc.LookupWithOptions(domain, opts); err == nil {
		return rec.Policy
	} else if !errors.Is(err, dmarc.ErrNoPolicy) {
		return ""
	}
	org := registrable(domain)
	if org == domain {
		return ""
	}
	rec, err := dmarc.LookupWithOptions(org, opts)
	if err != nil {
		return ""
	}
	if rec.SubdomainPolicy != "" {
		return rec.SubdomainPolicy
	}
	return rec.Policy
}

// aligned reports whether two domains are aligned as DMARC's relaxed mode
// has it: the same registrable domain (public suffix list).
func aligned(a, b string) bool {
	return a != "" && b != "" && strings.EqualFold(registrable(a), registrable(b))
}

// registrable is domain's registrable part ("mail.stadt.example.de" →
// "example.de"), after the public suffix list; the domain itself when it
// has none.
func registrable(domain string) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if r, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return r
	}
	return domain
}
