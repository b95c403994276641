package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	_ "github.com/emersion/go-message/charset" // Latin-1, Windows-1252 and other charsets German mail programs send
	"github.com/emersion/go-message/mail"
	"golang.org/x/net/html"

	"buergerbuero/internal/lang"
)

// inbound is an incoming mail as the channel needs it.
type inbound struct {
	From       string // the sender's address, lower-case
	Subject    string
	MessageID  string // without angle brackets; a hash of the mail if it has none
	References []string
	Text       string // what the citizen wrote, without quotes and signature
	Automatic  string // why it is an automatic mail (no reply), or ""
	Lang       string // one of the catalogue's languages, guessed
	// AuthResults are the Authentication-Results fields, top first.
	AuthResults []string
}

// parseHeader reads the fields the channel needs from a mail's header.
func parseHeader(h mail.Header, raw []byte) (inbound, error) {
	var in inbound
	from, err := h.AddressList("From")
	if err != nil || len(from) == 0 {
		return in, fmt.Errorf("no sender address: %w", errNoSender)
	}
	in.From = strings.ToLower(strings.TrimSpace(from[0].Address))
	in.Subject, _ = h.Subject()
	in.Subject = oneLine(in.Subject, 200)
	in.MessageID, _ = h.MessageID()
	if in.MessageID == "" {
		sum := sha256.Sum256(raw)
		in.MessageID = "sha256-" + hex.EncodeToString(sum[:16])
	}
	in.References, _ = h.MsgIDList("References")
	irt, _ := h.MsgIDList("In-Reply-To")
	for _, id := range irt {
		if !slices.Contains(in.References, id) {
			in.References = append(in.References, id)
		}
	}
	in.Automatic = automatic(h, in.From)
	in.AuthResults = h.Values("Authentication-Results")
	return in, nil
}

var errNoSender = errors.New("no sender")

// automatic tells why a mail must not be answered: auto-replies, bounces,
// mailing lists, bulk mail. Answering them could start a mail loop.
func automatic(h mail.Header, from string) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + h.Get("Precedence")
	}
	if h.Get("List-Id") != "" || h.Get("List-Unsubscribe") != "" {
		return "mailing list"
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" || strings.EqualFold(h.Get("X-Auto-Response-Suppress"), "All") {
		return "auto-reply header"
	}
	if strings.TrimSpace(h.Get("Return-Path")) == "<>" {
		return "empty Return-Path (a bounce)"
	}
	local, _, _ := strings.Cut(from, "@")
	switch local {
	case "mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces":
		return "sender " + local
	}
	return ""
}

// parseMail reads a whole mail: header fields and the citizen's text, from
// the text part, or from the HTML part when there is no text part.
func parseMail(raw []byte) (inbound, error) {
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && r == nil {
		return inbound{}, fmt.Errorf("read mail: %w", err)
	}
	in, err := parseHeader(r.Header, raw)
	if err != nil {
		return in, err
	}
	var plain, htmlText string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if plain == "" && htmlText == "" {
				return in, fmt.Errorf("read mail part: %w", err)
			}
			break
		}
		ih, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			continue // attachments are not read
		}
		ct, _, _ := ih.ContentType()
		body, err := io.ReadAll(io.LimitReader(p.Body, 1<<20))
		if err != nil {
			continue
		}
		switch ct {
		case "text/plain", "":
			if plain == "" {
				plain = string(body)
			}
		case "text/html":
			if htmlText == "" {
				htmlText = htmlToText(string(body))
			}
		}
	}
	text := plain
	if strings.TrimSpace(text) == "" {
		text = htmlText
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "?")
	}
	in.Text = stripQuoted(text)
	in.Lang = guessLang(in.Subject + "\n" + in.Text)
	return in, nil
}

// htmlToText keeps the text of an HTML mail, with line breaks where blocks end.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.WriteString(spaces.ReplaceAllString(string(z.Text()), " "))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip++
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "blockquote":
				b.WriteString("\n")
			}
			if string(name) == "blockquote" {
				b.WriteString("> ") // quoted: stripped like a quote
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip = max(0, skip-1)
			case "p", "div", "li", "tr":
				b.WriteString("\n")
			}
		}
	}
}

var (
	spaces    = regexp.MustCompile(`\s+`)
	wroteLine = regexp.MustCompile(`(?i)^(am|on|le|el)\b.*\b(schrieb|wrote|a écrit|escribió)[^:]*:?\s*$`)
	quoteHead = regexp.MustCompile(`(?i)^(-{2,}\s*(original message|ursprüngliche nachricht|weitergeleitete nachricht|forwarded message)\s*-{2,}|_{10,}|(von|from):\s.*)$`)
	sentFrom  = regexp.MustCompile(`(?i)^(gesendet (von|mit)|sent from|von meinem .* gesendet)`)
)

// stripQuoted keeps what the citizen wrote on top: it cuts at the first
// quoted line, "Am ... schrieb ...:", an Outlook header block, the
// signature delimiter or a "Sent from my phone" line.
func stripQuoted(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	var out []string
	for i, l := range lines {
		t := strings.TrimSpace(l)
		next := ""
		if i+1 < len(lines) {
			next = strings.TrimSpace(lines[i+1])
		}
		if strings.HasPrefix(t, ">") || l == "-- " || t == "--" || quoteHead.MatchString(t) || sentFrom.MatchString(t) ||
			wroteLine.MatchString(t) || (wroteLine.MatchString(t+" "+next) && strings.HasPrefix(strings.ToLower(t), "am ")) {
			break
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// guessLang tells the catalogue's languages apart by letters and common
// words (lang.OfText); German when the mail says too little.
func guessLang(s string) string {
	if l := lang.OfText(s); l != "" {
		return l
	}
	return "de"
}

// oneLine makes a header value safe to reuse: one line, at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' || r == '\t' || r == 0 }), " ")
	if dec, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
		s = dec
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}

// personKey is the mailbox a person is counted by, as the provider
// delivers it: lower-case, without "+tag" (every big provider delivers
// max+anything to max), and for Gmail without dots and with googlemail.com
// as gmail.com (m.a.x@googlemail.com is max@gmail.com). So one mailbox
// cannot hold many bookings under many spellings.
func personKey(addr string) string {
	local, domain, ok := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	if !ok {
		return "mail:" + addr
	}
	local, _, _ = strings.Cut(local, "+")
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return "mail:" + local + "@" + domain
}
