package email

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"buergerbuero/conversation"
)

// Proof of the mailbox. A mail's From can be forged; a reply in the thread
// of a mail the service sent to that address cannot, short of reading the
// mailbox. So every Message-ID the service makes carries a MAC of the
// recipient's address (keyed with a secret kept in the store), and a mail
// whose In-Reply-To or References holds such an ID for its own sender
// proves the mailbox: it may confirm a booking and manage the bookings made
// from that address without the PIN.

// threadID makes a Message-ID (without angle brackets) for a mail to addr.
//
// A mail that carries an outbox entry (a confirmation) takes its nonce
// from the entry's key: sent again after a crash, it has the same
// Message-ID, and mail programs show it once.
func (m *Mail) threadID(addr, outboxKey string) (string, error) {
	nonce := make([]byte, 12)
	if outboxKey != "" {
		sum := sha256.Sum256([]byte(outboxKey))
		copy(nonce, sum[:])
	} else if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	n := hex.EncodeToString(nonce)
	return n + "." + m.threadMAC(addr, n) + "@" + domainOf(m.cfg.Address), nil
}

// outboxKeyOf is the outbox entry the replies carry, if any.
func outboxKeyOf(replies []conversation.Reply) string {
	for _, r := range replies {
		if r.Outbox != "" {
			return r.Outbox
		}
	}
	return ""
}

func (m *Mail) threadMAC(addr, nonce string) string {
	mac := hmac.New(sha256.New, m.threadKey)
	mac.Write([]byte(strings.ToLower(strings.TrimSpace(addr))))
	mac.Write([]byte{0})
	mac.Write([]byte(nonce))
	return hex.EncodeToString(mac.Sum(nil)[:12])
}

// provesMailbox reports whether the mail answers one of our mails to its
// sender.
func (m *Mail) provesMailbox(in inbound) bool {
	for _, id := range in.References {
		local, domain, ok := strings.Cut(id, "@")
		nonce, mac, dotted := strings.Cut(local, ".")
		if !ok || !dotted || !strings.EqualFold(domain, domainOf(m.cfg.Address)) {
			continue
		}
		if hmac.Equal([]byte(mac), []byte(m.threadMAC(in.From, nonce))) {
			return true
		}
	}
	return false
}

// publicMailDomains are providers where anybody gets an address: their
// users are not one source. Any other domain is (one company, or one
// script's catch-all domain).
var publicMailDomains = []string{
	"gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de", "posteo.de", "posteo.net", "mailbox.org",
	"outlook.com", "outlook.de", "hotmail.com", "hotmail.de", "live.com", "live.de", "msn.com", "gmail.com", "googlemail.com",
	"yahoo.com", "yahoo.de", "icloud.com", "me.com", "mac.com", "aol.com", "aol.de", "arcor.de", "online.de", "email.de",
	"vodafone.de", "kabelmail.de", "protonmail.com", "proton.me", "tutanota.com", "tutanota.de", "tuta.io", "magenta.de", "1und1.de",
}

// sourceOf is the mail's source for the per-source booking limit: its
// registrable domain (public suffix list: mail.a.catchall.example and
// b.catchall.example are catchall.example), unless anybody can get an
// address there — then each mailbox is a person of its own and there is no
// source.
func (m *Mail) sourceOf(addr string) string {
	domain := strings.ToLower(domainOf(addr))
	org := registrable(domain)
	for _, d := range append(publicMailDomains, m.cfg.PublicDomains...) {
		if d = strings.ToLower(d); domain == d || org == d {
			return ""
		}
	}
	return "mail:" + org
}
