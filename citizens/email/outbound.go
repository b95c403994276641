package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"buergerbuero/conversation"
)

// hints are the few words the channel adds around the dialogue's replies.
// outgoing is a mail to send.
type outgoing struct {
	To         string
	Subject    string
	InReplyTo  string
	References []string
	Lang       string
	Replies    []conversation.Reply
}

// render turns the dialogue's replies into a mail body: texts one after
// the other, options as a numbered list to answer with.
func render(replies []conversation.Reply, answerHint string) string {
	var b strings.Builder
	for _, r := range replies {
		if r.Text != "" {
			b.WriteString(r.Text)
			b.WriteString("\n\n")
		}
		if len(r.Options) > 0 {
			for i, o := range r.Options {
				fmt.Fprintf(&b, "  %d) %s\n", i+1, o.Label)
			}
			b.WriteString("\n" + answerHint + "\n\n")
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// compose builds the mail. Every header value is set through go-message,
// which encodes it; values that came from a mail are made one line first,
// so nothing a citizen wrote can add a header.
func (m *Mail) compose(o outgoing, now time.Time) ([]byte, error) {
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Name: m.cfg.Name, Address: m.cfg.Address}})
	h.SetAddressList("To", []*mail.Address{{Address: o.To}})
	h.SetSubject(oneLine(o.Subject, 200))
	id, err := m.threadID(o.To, outboxKeyOf(o.Replies))
	if err != nil {
		return nil, err
	}
	h.SetMessageID(id)
	if o.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{o.InReplyTo})
		refs := append(append([]string(nil), o.References...), o.InReplyTo)
		if len(refs) > 20 {
			refs = refs[len(refs)-20:]
		}
		h.SetMsgIDList("References", refs)
	}
	h.Set("Auto-Submitted", "auto-replied")
	h.Set("Content-Language", o.Lang)

	var buf bytes.Buffer
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	var th mail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	tw, err := w.CreateSingleInline(th)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(tw, render(o.Replies, m.dialogue.Text(o.Lang, "MailAnswerHint"))); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	for _, r := range o.Replies {
		for _, a := range r.Attachments {
			var ah mail.AttachmentHeader
			ah.Set("Content-Type", a.ContentType)
			ah.SetFilename(a.Name)
			aw, err := w.CreateAttachment(ah)
			if err != nil {
				return nil, err
			}
			if _, err := aw.Write(a.Data); err != nil {
				return nil, err
			}
			if err := aw.Close(); err != nil {
				return nil, err
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func domainOf(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		return d
	}
	return "localhost"
}

// deliver sends one mail over SMTP, trying again after a failure.
func (m *Mail) deliver(ctx context.Context, to string, msg []byte) error {
	var err error
	wait := time.Second
	for attempt := range 3 {
		if err = m.smtpSend(to, msg); err == nil {
			return nil
		}
		if attempt < 2 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
	}
	return fmt.Errorf("smtp to %s: %w", to, err)
}

func (m *Mail) smtpSend(to string, msg []byte) error {
	s := m.cfg.SMTP
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	tlsConfig, err := s.tlsConfig()
	if err != nil {
		return err
	}
	var c *smtp.Client
	switch s.Security {
	case "tls":
		conn, err := tls.DialWithDialer(dialer, "tcp", addr, tlsConfig)
		if err != nil {
			return err
		}
		c = smtp.NewClient(conn)
	case "starttls":
		conn, err := dialer.Dial("tcp", addr)
		if err != nil {
			return err
		}
		if c, err = smtp.NewClientStartTLS(conn, tlsConfig); err != nil {
			conn.Close()
			return err
		}
	default:
		conn, err := dialer.Dial("tcp", addr)
		if err != nil {
			return err
		}
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if err := c.Hello(domainOf(m.cfg.Address)); err != nil {
		return err
	}
	switch {
	case m.smtpTokens != nil:
		client, err := s.OAuth2.saslClient(m.smtpTokens, s.Username)
		if err != nil {
			return err
		}
		if err := c.Auth(client); err != nil {
			return err
		}
	case s.Username != "":
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return err
		}
	}
	if err := c.SendMail(m.cfg.Address, []string{to}, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}
