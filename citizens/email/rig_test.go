package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/citizens/email/mailtest"
	"buergerbuero/conversation"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/internal/storetest"
)

// mailRig is the channel between an IMAP server and an in-process SMTP
// server, with the demo office on Tuesday 24.11.2026, 09:00.
type mailRig struct {
	t                            testing.TB
	imapAddr, imapUser, imapPass string
	appendMail                   func(raw []byte) error
	smtp                         *mailtest.SMTP
	store                        *booking.Store
	engine                       *conversation.Engine
	mail                         *Mail
	cfg                          Config
	clock                        *fakeclock.Clock
	cancel                       context.CancelFunc
	done                         chan struct{}
}

// newMailRig runs the channel against go-imap's in-memory IMAP server.
func newMailRig(t testing.TB, cfg Config, rec *mailtest.SMTP) *mailRig {
	srv, err := mailtest.NewIMAP("buergerbuero", "imap-secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return newMailRigOn(t, cfg, rec, srv.Addr, srv.User, srv.Password, srv.Deliver)
}

// newMailRigOn runs the channel against the IMAP server at imapAddr.
func newMailRigOn(t testing.TB, cfg Config, rec *mailtest.SMTP, imapAddr, imapUser, imapPass string, appendMail func([]byte) error) *mailRig {
	if rec == nil {
		var err error
		if rec, err = mailtest.NewSMTP(nil, ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rec.Close() })
	}
	host, port := splitAddr(t, imapAddr)
	cfg.Address, cfg.Name = "buergerbuero@musterstadt.example", "Bürgerbüro Musterstadt"
	cfg.IMAP = ServerConfig{Host: host, Port: port, Security: "none", Username: imapUser, Password: imapPass, OAuth2: cfg.IMAP.OAuth2}
	if cfg.SMTP.Host == "" {
		sh, sp := splitAddr(t, rec.Addr)
		cfg.SMTP = ServerConfig{Host: sh, Port: sp, Security: "none"}
	}
	if cfg.AuthServID == "" {
		cfg.AuthServID = mailtest.AuthServID
	}
	if cfg.LookupTXT == nil {
		cfg.LookupTXT = fakeDNS{}.LookupTXT
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	r := &mailRig{t: t, imapAddr: imapAddr, imapUser: imapUser, imapPass: imapPass, appendMail: appendMail, smtp: rec, cfg: cfg}
	r.store, r.clock = storetest.Open(t, nil, storetest.Berlin(2026, 11, 24, 9, 0))
	r.start()
	return r
}

// start runs the channel (again, as after a restart).
func (r *mailRig) start() {
	var err error
	if r.engine, err = conversation.New(r.store, conversation.Options{}); err != nil {
		r.t.Fatal(err)
	}
	if r.mail, err = New(r.cfg, r.engine, r.store, nil, r.clock.Now); err != nil {
		r.t.Fatal(err)
	}
	r.engine.Register(Channel, r.mail)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	outboxDone := make(chan struct{})
	go func() { r.engine.RunOutbox(ctx, 20*time.Millisecond); close(outboxDone) }()
	go func() { r.mail.Run(ctx); <-outboxDone; close(r.done) }()
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
	p, _ := strconv.Atoi(port)
	return host, p
}

func (r *mailRig) citizenMail(from, subject, inReplyTo, body string, extra ...string) ([]byte, string) {
	return mailtest.CitizenMail(from, subject, inReplyTo, body, extra...)
}

func (r *mailRig) deliver(raw []byte) {
	r.t.Helper()
	if err := r.appendMail(raw); err != nil {
		r.t.Fatal(err)
	}
}

func (r *mailRig) wait(n int) mailtest.Mail {
	r.t.Helper()
	m, err := r.smtp.Wait(n, 15*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func (r *mailRig) seenFlags() []bool {
	r.t.Helper()
	flags, err := mailtest.Flags(r.imapAddr, r.imapUser, r.imapPass)
	if err != nil {
		r.t.Fatal(err)
	}
	return flags
}

func (r *mailRig) clearSeen() {
	if err := mailtest.ClearSeen(r.imapAddr, r.imapUser, r.imapPass); err != nil {
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

// fakeDNS answers TXT queries (DKIM keys, DMARC policies) from a map, and
// "no such domain" for anything else, as DNS does.
type fakeDNS map[string][]string

func (d fakeDNS) LookupTXT(domain string) ([]string, error) {
	if txt, ok := d[domain]; ok {
		return txt, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: domain, IsNotFound: true}
}
