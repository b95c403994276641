// Package mailtest runs an in-process IMAP server (go-imap's memory
// backend) and an in-process SMTP server (go-smtp) that records what it is
// sent, for the e-mail channel's tests, end-to-end tests and load runs.
package mailtest

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTP is an in-process SMTP server that keeps every mail.
type SMTP struct {
	Addr     string
	srv      *smtp.Server
	mu       sync.Mutex
	mails    []Raw
	refuse   int
	password string
	token    string        // with it, only AUTH XOAUTH2 with this bearer token
	delay    time.Duration // how long each mail's DATA takes
	inData   int           // mails being received right now
	atOnce   int           // the most mails received at the same time
}

// Raw is a mail as the SMTP server received it.
type Raw struct {
	From string
	To   []string
	Data []byte
}

// NewSMTPWithToken starts the server on loopback taking mail only after
// AUTH XOAUTH2 as "buergerbuero" with token.
func NewSMTPWithToken(token string) (*SMTP, error) { return newSMTP(nil, "", token) }

// NewSMTP starts the server on loopback. With tlsConfig it offers
// STARTTLS; with password it requires AUTH PLAIN as "buergerbuero".
func NewSMTP(tlsConfig *tls.Config, password string) (*SMTP, error) {
	return newSMTP(tlsConfig, password, "")
}

func newSMTP(tlsConfig *tls.Config, password, token string) (*SMTP, error) {
	s := &SMTP{password: password, token: token}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = tlsConfig == nil
	s.srv.TLSConfig = tlsConfig
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *SMTP) Close() error { return s.srv.Close() }

// Refuse makes the next n deliveries fail with 451.
func (s *SMTP) Refuse(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// Count is how many mails arrived.
func (s *SMTP) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mails)
}

// Wait returns the n-th mail (0-based) once it has arrived.
func (s *SMTP) Wait(n int, timeout time.Duration) (Mail, error) {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		if len(s.mails) > n {
			m := s.mails[n]
			s.mu.Unlock()
			return Parse(m)
		}
		got := len(s.mails)
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return Mail{}, fmt.Errorf("mail %d never sent (%d sent)", n+1, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitTo returns the mail number n (0-based) sent to addr, once it arrived.
func (s *SMTP) WaitTo(addr string, n int, timeout time.Duration) (Mail, error) {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		seen := 0
		for _, m := range s.mails {
			for _, to := range m.To {
				if strings.EqualFold(to, addr) {
					if seen == n {
						s.mu.Unlock()
						return Parse(m)
					}
					seen++
				}
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return Mail{}, fmt.Errorf("mail %d to %s never sent (%d sent)", n+1, addr, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// To returns every mail sent to addr so far, read back, in order.
func (s *SMTP) To(addr string) []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Mail
	for _, m := range s.mails {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				if parsed, err := Parse(m); err == nil {
					out = append(out, parsed)
				}
			}
		}
	}
	return out
}

// Slow makes receiving each mail take d, as a distant server would.
func (s *SMTP) Slow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// MostAtOnce is the most mails the server received at the same time.
func (s *SMTP) MostAtOnce() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.atOnce
}

// NewSession implements smtp.Backend.
func (s *SMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s      *SMTP
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.token != "" {
		return []string{"XOAUTH2"}
	}
	return []string{sasl.Plain}
}
func (ss *session) Auth(mech string) (sasl.Server, error) {
	if ss.s.token != "" {
		if mech != "XOAUTH2" {
			return nil, errors.New("only XOAUTH2")
		}
		return &xoauth2Server{check: func(user, token string) error {
			if user != "buergerbuero" || token != ss.s.token {
				return errors.New("bad token")
			}
			ss.authed = true
			return nil
		}}, nil
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "buergerbuero" || password != ss.s.password {
			return errors.New("bad credentials")
		}
		ss.authed = true
		return nil
	}), nil
}
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if (ss.s.password != "" || ss.s.token != "") && !ss.authed {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	ss.from = from
	return nil
}
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error { ss.to = append(ss.to, to); return nil }
func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.inData++
	ss.s.atOnce = max(ss.s.atOnce, ss.s.inData)
	delay := ss.s.delay
	ss.s.mu.Unlock()
	time.Sleep(delay)
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.inData--
	if ss.s.refuse > 0 {
		ss.s.refuse--
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	ss.s.mails = append(ss.s.mails, Raw{From: ss.from, To: ss.to, Data: data})
	return nil
}
func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Mail is a sent mail, read back.
type Mail struct {
	To, Subject, MessageID, InReplyTo, References, AutoSubmitted string
	Header                                                       mail.Header
	Body                                                         string
	Attachments                                                  map[string]string // file name -> content
	Raw                                                          string
}

// Parse reads a received mail.
func Parse(r Raw) (Mail, error) {
	mr, err := mail.CreateReader(bytes.NewReader(r.Data))
	if err != nil {
		return Mail{}, fmt.Errorf("read sent mail: %w", err)
	}
	m := Mail{To: strings.Join(r.To, ","), Header: mr.Header, Attachments: map[string]string{}, Raw: string(r.Data)}
	m.Subject, _ = mr.Header.Subject()
	m.MessageID, _ = mr.Header.MessageID()
	m.InReplyTo = mr.Header.Get("In-Reply-To")
	m.References = mr.Header.Get("References")
	m.AutoSubmitted = mr.Header.Get("Auto-Submitted")
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(p.Body)
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			m.Body += string(body)
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			m.Attachments[name] = string(body)
		}
	}
	return m, nil
}

// IMAP is an in-process IMAP server with one user and an INBOX.
type IMAP struct {
	Addr, User, Password string
	user                 *imapmemserver.User
	srv                  *imapserver.Server
}

// NewIMAP starts the server on loopback for user and password.
func NewIMAP(user, password string) (*IMAP, error) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, password)
	if err := u.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(u)
	return serveIMAP(u, user, password, mem.NewSession, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
}

// serveIMAP serves sessions made by newSession for u on loopback.
func serveIMAP(u *imapmemserver.User, user, password string, newSession func() imapserver.Session, caps imap.CapSet) (*IMAP, error) {
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return newSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       discard{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln)
	return &IMAP{Addr: ln.Addr().String(), User: user, Password: password, user: u, srv: srv}, nil
}

type discard struct{}

func (discard) Printf(string, ...any) {}

// Close stops the server.
func (s *IMAP) Close() error { return s.srv.Close() }

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return int64(l.Len()) }

// Deliver puts a mail into the INBOX, as the mail server would.
func (s *IMAP) Deliver(raw []byte) error {
	_, err := s.user.Append("INBOX", literal{bytes.NewReader(raw)}, &imap.AppendOptions{Time: time.Now()})
	return err
}

// Flags tells for each mail in the INBOX whether it is \Seen, read with a
// real client from addr (this server or another one).
func Flags(addr, user, password string) ([]bool, error) {
	c, err := login(addr, user, password)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	msgs, err := c.Fetch(all(), &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		return nil, err
	}
	out := make([]bool, 0, len(msgs))
	for _, m := range msgs {
		seen := false
		for _, f := range m.Flags {
			seen = seen || f == imap.FlagSeen
		}
		out = append(out, seen)
	}
	return out, nil
}

// ClearSeen removes \Seen from every mail, as if the process handling them
// had died before flagging them.
func ClearSeen(addr, user, password string) error {
	c, err := login(addr, user, password)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Store(all(), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
}

// Append puts a mail into the INBOX over IMAP (for a server not in process).
func Append(addr, user, password string, raw []byte) error {
	c, err := login(addr, user, password)
	if err != nil {
		return err
	}
	defer c.Close()
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	cmd.Write(raw)
	cmd.Close()
	_, err = cmd.Wait()
	return err
}

func login(addr, user, password string) (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func all() imap.SeqSet {
	s := imap.SeqSet{}
	s.AddRange(1, 0)
	return s
}

// AuthServID is the authserv-id of the office's receiving server in the
// tests: CitizenMail's mails carry its Authentication-Results, as a mail
// server that checked DMARC adds them; configure the channel with it.
const AuthServID = "mx.musterstadt.example"

// Unauthenticated is raw without the receiving server's
// Authentication-Results: a mail the channel must check itself.
func Unauthenticated(raw []byte) []byte {
	first, rest, _ := bytes.Cut(raw, []byte("\r\n"))
	if bytes.HasPrefix(first, []byte("Authentication-Results: "+AuthServID)) {
		return rest
	}
	return raw
}

// CitizenMail builds a plain mail from a citizen to the office, with CRLF
// line ends, as the office's receiving server passes it on (DMARC passed,
// in its Authentication-Results), and returns it with its Message-ID.
func CitizenMail(from, subject, inReplyTo, body string, extra ...string) ([]byte, string) {
	id := fmt.Sprintf("<m%s@citizen.example>", rand.Text())
	var b strings.Builder
	_, domain, _ := strings.Cut(from, "@")
	fmt.Fprintf(&b, "Authentication-Results: %s; dmarc=pass header.from=%s\n", AuthServID, strings.Trim(domain, "<> "))
	fmt.Fprintf(&b, "From: %s\nTo: buergerbuero@musterstadt.example\nSubject: %s\nDate: Tue, 24 Nov 2026 09:00:00 +0100\nMessage-ID: %s\n", from, subject, id)
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\nReferences: %s\n", inReplyTo, inReplyTo)
	}
	for _, h := range extra {
		b.WriteString(h + "\n")
	}
	if !strings.Contains(strings.Join(extra, "\n"), "Content-Type") {
		b.WriteString("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n")
	}
	b.WriteString("\n" + body + "\n")
	raw := strings.ReplaceAll(strings.ReplaceAll(b.String(), "\r\n", "\n"), "\n", "\r\n")
	return []byte(raw), id
}
