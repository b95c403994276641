package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/internal/fakeclock"
)

// smtpRecorder is an in-process SMTP server that keeps what it is sent.
type smtpRecorder struct {
	srv      *smtp.Server
	addr     string
	mu       sync.Mutex
	mails    []recorded
	refuse   int    // refuse this many DATA commands
	password string // require AUTH PLAIN with this password, if set
}

type recorded struct {
	From string
	To   []string
	Raw  []byte
}

func newSMTPRecorder(t testing.TB, tlsConfig *tls.Config, password string) *smtpRecorder {
	r := &smtpRecorder{password: password}
	r.srv = smtp.NewServer(r)
	r.srv.Domain = "localhost"
	r.srv.AllowInsecureAuth = tlsConfig == nil
	r.srv.TLSConfig = tlsConfig
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

func (r *smtpRecorder) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{r: r}, nil }

type smtpSession struct {
	r      *smtpRecorder
	authed bool
	from   string
	to     []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "buergerbuero" || password != s.r.password {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.r.password != "" && !s.authed {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.refuse > 0 {
		s.r.refuse--
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	s.r.mails = append(s.r.mails, recorded{From: s.from, To: s.to, Raw: raw})
	return nil
}
func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

func (r *smtpRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.mails)
}

// wait returns the n-th mail (0-based) once it has arrived.
func (r *smtpRecorder) wait(t testing.TB, n int) sentMail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		if len(r.mails) > n {
			m := r.mails[n]
			r.mu.Unlock()
			return parseSent(t, m)
		}
		r.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("mail %d never sent (%d sent)", n+1, r.count())
	return sentMail{}
}

// sentMail is a mail the channel sent, read back.
type sentMail struct {
	To, Subject, MessageID, InReplyTo, References, AutoSubmitted string
	Header                                                       mail.Header
	Body                                                         string
	Attachments                                                  map[string]string // file name -> content
	Raw                                                          string
}

func parseSent(t testing.TB, m recorded) sentMail {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(m.Raw))
	if err != nil {
		t.Fatalf("read sent mail: %v\n%s", err, m.Raw)
	}
	s := sentMail{To: strings.Join(m.To, ","), Header: r.Header, Attachments: map[string]string{}, Raw: string(m.Raw)}
	s.Subject, _ = r.Header.Subject()
	s.MessageID, _ = r.Header.MessageID()
	s.InReplyTo = r.Header.Get("In-Reply-To")
	s.References = r.Header.Get("References")
	s.AutoSubmitted = r.Header.Get("Auto-Submitted")
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(p.Body)
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			s.Body += string(body)
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			s.Attachments[name] = string(body)
		}
	}
	return s
}

// mailRig is the channel between an in-process IMAP server (go-imap's
// memory backend) and an in-process SMTP server, with the demo office.
type mailRig struct {
	t        testing.TB
	imapAddr string
	user     *imapmemserver.User
	smtp     *smtpRecorder
	store    *booking.Store
	engine   *conversation.Engine
	mail     *Mail
	cfg      Config
	clock    *fakeclock.Clock
	cancel   context.CancelFunc
	done     chan struct{}
	seq      int
}

func newMailRig(t testing.TB, cfg Config, rec *smtpRecorder) *mailRig {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("buergerbuero", "imap-secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	if rec == nil {
		rec = newSMTPRecorder(t, nil, "")
	}
	host, port := splitAddr(t, ln.Addr().String())
	cfg.Address, cfg.Name = "buergerbuero@musterstadt.example", "Bürgerbüro Musterstadt"
	cfg.IMAP = ServerConfig{Host: host, Port: port, Security: "none", Username: "buergerbuero", Password: "imap-secret"}
	if cfg.SMTP.Host == "" {
		sh, sp := splitAddr(t, rec.addr)
		cfg.SMTP = ServerConfig{Host: sh, Port: sp, Security: "none"}
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	r := &mailRig{t: t, imapAddr: ln.Addr().String(), user: user, smtp: rec, cfg: cfg}
	office, _ := booking.DemoConfig()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	r.clock = fakeclock.New(time.Date(2026, 11, 24, 9, 0, 0, 0, berlin))
	path := filepath.Join(t.TempDir(), "bb.db")
	if r.store, err = booking.Open(path, office, booking.Options{Clock: r.clock}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	r.start()
	return r
}

// start runs the channel (again, as after a restart).
func (r *mailRig) start() {
	var err error
	if r.engine, err = conversation.New(r.store, conversation.Options{}); err != nil {
		r.t.Fatal(err)
	}
	if r.mail, err = New(r.cfg, r.engine, r.store.DB(), nil, r.clock.Now); err != nil {
		r.t.Fatal(err)
	}
	r.engine.Register(Channel, r.mail)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() { r.mail.Run(ctx); close(r.done) }()
	r.t.Cleanup(r.stop)
}

func (r *mailRig) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

func splitAddr(t testing.TB, addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var p int
	fmt.Sscan(port, &p)
	return host, p
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return int64(l.Len()) }

// deliver puts a mail into the office's INBOX, as the mail server would.
func (r *mailRig) deliver(raw string) {
	r.t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	if _, err := r.user.Append("INBOX", literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{Time: time.Now()}); err != nil {
		r.t.Fatal(err)
	}
}

// citizenMail builds a plain mail from a citizen.
func (r *mailRig) citizenMail(from, subject, inReplyTo, body string, extra ...string) (string, string) {
	r.seq++
	id := fmt.Sprintf("<m%d.%d@citizen.example>", r.seq, time.Now().UnixNano())
	var b strings.Builder
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
	return b.String(), id
}

// seen reports the \Seen flags of the INBOX's mails, read with a real client.
func (r *mailRig) seenFlags() []bool {
	r.t.Helper()
	c, err := imapclient.DialInsecure(r.imapAddr, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("buergerbuero", "imap-secret").Wait(); err != nil {
		r.t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		r.t.Fatal(err)
	}
	all := imap.SeqSet{}
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		r.t.Fatal(err)
	}
	var out []bool
	for _, m := range msgs {
		seen := false
		for _, f := range m.Flags {
			seen = seen || f == imap.FlagSeen
		}
		out = append(out, seen)
	}
	return out
}

// clearSeen removes \Seen from every mail, as if the process had died
// after handling a mail but before flagging it.
func (r *mailRig) clearSeen() {
	c, err := imapclient.DialInsecure(r.imapAddr, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	defer c.Close()
	c.Login("buergerbuero", "imap-secret").Wait()
	c.Select("INBOX", nil).Wait()
	all := imap.SeqSet{}
	all.AddRange(1, 0)
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		r.t.Fatal(err)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and writes it as a CA file.
func selfSigned(t testing.TB) (*tls.Config, string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, path
}
