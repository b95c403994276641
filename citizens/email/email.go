// Package email lets citizens book and cancel by writing to the office's
// address and answering its replies. It watches the mailbox over IMAP
// (github.com/emersion/go-imap/v2: IDLE where the server has it, polling
// otherwise, reconnecting with back-off), hands each new mail to the
// dialogue, and answers over SMTP (github.com/emersion/go-smtp), threaded
// and with the dialogue's options as a numbered list. It knows only the
// mail wire format; the dialogue is the conversation engine's.
package email

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"golang.org/x/oauth2"

	"buergerbuero/booking"
	"buergerbuero/conversation"
)

// Channel is the channel name of e-mail messages.
const Channel = conversation.MailChannel

// Config configures the e-mail channel. Without an IMAP host it is off.
type Config struct {
	// Address is the office's mailbox address; replies come from it.
	Address string `yaml:"address"`
	// Name is shown as the sender's name.
	Name string       `yaml:"name"`
	IMAP ServerConfig `yaml:"imap"`
	SMTP ServerConfig `yaml:"smtp"`
	// Mailbox is the IMAP folder to watch; default INBOX.
	Mailbox string `yaml:"mailbox"`
	// PollInterval is how often to look for mail when the server has no
	// IDLE, and how often IDLE is renewed to look anyway; default 1m.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MaxBytes is the largest mail read; larger ones get one short answer.
	// Default 1 MiB.
	MaxBytes int64 `yaml:"max_bytes"`
	// RepliesPerHour limits the answers to one address; default 20.
	RepliesPerHour int `yaml:"replies_per_hour"`
	// ReminderBefore is when a reminder mail goes out before an appointment
	// booked on another channel with an e-mail address; default 24h.
	ReminderBefore time.Duration `yaml:"reminder_before"`
	// AuthServID is the authserv-id of the office's own receiving mail
	// server (the first word of the Authentication-Results it adds, e.g.
	// "mx.musterstadt.de"): its DMARC, DKIM and SPF results are believed.
	// Without it the channel checks DKIM signatures itself (verify.go).
	AuthServID string `yaml:"auth_serv_id"`
	// UnverifiedPerDomainHour is how many mails an hour go to senders the
	// channel cannot verify, per recipient domain (each address gets one at
	// most); default 10.
	UnverifiedPerDomainHour int `yaml:"unverified_per_domain_hour"`
	// LookupTXT answers DNS TXT queries (DKIM keys, DMARC policies); the
	// system's resolver if nil. Tests set it.
	LookupTXT func(domain string) ([]string, error) `yaml:"-"`
	// PublicDomains adds mail providers where anybody gets an address to the
	// built-in list (gmx.de, web.de, gmail.com …). Bookings from any other
	// domain count as one source (booking.max_active_per_source).
	PublicDomains []string `yaml:"public_domains"`
}

// ServerConfig is an IMAP or SMTP server.
type ServerConfig struct {
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// Security is "tls" (implicit, ports 993/465), "starttls" (587/143) or
	// "none" (only for a server on the same machine).
	Security string `yaml:"security"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// OAuth2, if set, logs in with a token instead of the password
	// (Microsoft 365, Google Workspace: oauth.go).
	OAuth2 *OAuth2Config `yaml:"oauth2"`
	// CAFile is a PEM file of the certificate authority to trust for this
	// server (an office's internal CA); default: the system's.
	CAFile string `yaml:"ca_file"`
}

// tlsConfig is the TLS configuration to reach the server.
func (s ServerConfig) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no certificate in it", s.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Defaults fills in what is not set.
func (c *Config) Defaults() {
	if c.Mailbox == "" {
		c.Mailbox = "INBOX"
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Minute
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 1 << 20
	}
	if c.RepliesPerHour == 0 {
		c.RepliesPerHour = 20
	}
	if c.UnverifiedPerDomainHour == 0 {
		c.UnverifiedPerDomainHour = 10
	}
	if c.ReminderBefore == 0 {
		c.ReminderBefore = 24 * time.Hour
	}
	if c.IMAP.Security == "" {
		c.IMAP.Security = "tls"
	}
	if c.SMTP.Security == "" {
		c.SMTP.Security = "starttls"
	}
	if c.IMAP.Port == 0 {
		c.IMAP.Port = map[string]int{"tls": 993, "starttls": 143, "none": 143}[c.IMAP.Security]
	}
	if c.SMTP.Port == 0 {
		c.SMTP.Port = map[string]int{"tls": 465, "starttls": 587, "none": 25}[c.SMTP.Security]
	}
}

// Problems lists what is wrong with the config, as (field, why) pairs.
func (c *Config) Problems() [][2]string {
	var out [][2]string
	if c.IMAP.Host == "" {
		return nil // channel off
	}
	if !strings.Contains(c.Address, "@") {
		out = append(out, [2]string{"email.address", "the office's e-mail address is required"})
	}
	if c.SMTP.Host == "" {
		out = append(out, [2]string{"email.smtp.host", "is required to answer mails"})
	}
	for _, s := range []struct {
		field, sec string
	}{{"email.imap.security", c.IMAP.Security}, {"email.smtp.security", c.SMTP.Security}} {
		if s.sec != "" && s.sec != "tls" && s.sec != "starttls" && s.sec != "none" {
			out = append(out, [2]string{s.field, fmt.Sprintf("%q: use tls, starttls or none", s.sec)})
		}
	}
	out = append(out, c.IMAP.OAuth2.problems("email.imap.oauth2")...)
	return append(out, c.SMTP.OAuth2.problems("email.smtp.oauth2")...)
}

// Dialogue is what the channel needs of the conversation engine.
type Dialogue interface {
	Handle(ctx context.Context, msg conversation.Message) ([]conversation.Reply, error)
	// Delivered and Undelivered say whether the replies of a turn were
	// shown: what the engine keeps in its outbox is then done, or its to
	// deliver.
	Delivered(ctx context.Context, replies []conversation.Reply) error
	Undelivered(replies []conversation.Reply)
	// Text is a word from the catalogue, in the language hinted at.
	Text(langHint, id string, kv ...any) string
}

// Store is what the channel needs of the booking store: records kept
// across restarts, and a secret key.
type Store interface {
	RecordsOf(kinds ...string) ([]*booking.Records, error)
	Secret(ctx context.Context, name string) ([]byte, error)
}

// Mail is the e-mail channel. It is also the engine's Sender for e-mail:
// the chat id of an e-mail dialogue is the citizen's address.
type Mail struct {
	cfg      Config
	dialogue Dialogue
	log      *slog.Logger
	now      func() time.Time
	mu       sync.Mutex        // guards unsent
	unsent   map[string][]byte // answers SMTP did not take yet, by Message-ID
	// threadKey signs the Message-IDs the channel makes, so a reply in
	// their thread proves the mailbox (thread.go).
	threadKey []byte
	// verify tells who sent a mail (verify.go).
	verify verifier
	// Records kept across restarts (records.go).
	processedMails, replyTimes, threads, checked, domainTimes *booking.Records
	// imapTokens and smtpTokens log in by OAuth 2 where configured (oauth.go).
	imapTokens, smtpTokens oauth2.TokenSource
}

// New makes the channel; it keeps its records in the store. now is the
// clock for records (time.Now if nil).
func New(cfg Config, d Dialogue, store Store, log *slog.Logger, now func() time.Time) (*Mail, error) {
	cfg.Defaults()
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	key, err := store.Secret(context.Background(), "email_thread")
	if err != nil {
		return nil, err
	}
	m := &Mail{cfg: cfg, dialogue: d, log: log.With("channel", Channel), now: now, unsent: map[string][]byte{}, threadKey: key, verify: newVerifier(cfg)}
	recs, err := store.RecordsOf("email_processed", "email_rate", "email_threads", "email_checked", "email_domain_rate")
	if err != nil {
		return nil, err
	}
	m.processedMails, m.replyTimes, m.threads, m.checked, m.domainTimes = recs[0], recs[1], recs[2], recs[3], recs[4]
	if cfg.IMAP.OAuth2.on() {
		m.imapTokens = cfg.IMAP.OAuth2.tokens(context.Background())
	}
	if cfg.SMTP.OAuth2.on() {
		m.smtpTokens = cfg.SMTP.OAuth2.tokens(context.Background())
	}
	return m, nil
}

// login logs in to the IMAP server: by OAuth 2 where configured, else
// with the password.
func (m *Mail) login(c *imapclient.Client) error {
	if m.imapTokens == nil {
		return c.Login(m.cfg.IMAP.Username, m.cfg.IMAP.Password).Wait()
	}
	client, err := m.cfg.IMAP.OAuth2.saslClient(m.imapTokens, m.cfg.IMAP.Username)
	if err != nil {
		return err
	}
	return c.Authenticate(client)
}

// Run watches the mailbox until ctx ends, reconnecting with back-off.
func (m *Mail) Run(ctx context.Context) error {
	wait := time.Second
	for {
		started := time.Now()
		err := m.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			wait = time.Second
		}
		m.log.Warn("mailbox connection lost, reconnecting", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Minute)
	}
}

// session is one IMAP connection: it handles new mail, then waits for more
// with IDLE or by polling.
func (m *Mail) session(ctx context.Context) error {
	newMail := make(chan struct{}, 1)
	tlsConfig, err := m.cfg.IMAP.tlsConfig()
	if err != nil {
		return err
	}
	opts := &imapclient.Options{
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
		Dialer:      &net.Dialer{Timeout: 30 * time.Second},
		TLSConfig:   tlsConfig,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case newMail <- struct{}{}:
				default:
				}
			}
		}},
	}
	addr := net.JoinHostPort(m.cfg.IMAP.Host, strconv.Itoa(m.cfg.IMAP.Port))
	var c *imapclient.Client
	switch m.cfg.IMAP.Security {
	case "tls":
		c, err = imapclient.DialTLS(addr, opts)
	case "starttls":
		c, err = imapclient.DialStartTLS(addr, opts)
	default:
		c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return fmt.Errorf("connect %s: %w", addr, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := m.login(c); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if _, err := c.Select(m.cfg.Mailbox, nil).Wait(); err != nil {
		return fmt.Errorf("select %s: %w", m.cfg.Mailbox, err)
	}
	caps, err := c.Capability().Wait()
	if err != nil {
		return fmt.Errorf("capability: %w", err)
	}
	idle := caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2)
	m.log.Info("watching mailbox", "server", addr, "mailbox", m.cfg.Mailbox, "idle", idle)
	for {
		if err := m.processNew(ctx, c); err != nil {
			return err
		}
		if !idle {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(m.cfg.PollInterval):
			}
			continue
		}
		cmd, err := c.Idle()
		if err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		select {
		case <-ctx.Done():
		case <-newMail:
		case <-time.After(m.cfg.PollInterval): // look anyway now and then: a missed notice must not leave a mail lying
		case <-c.Closed():
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("end idle: %w", err)
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// processNew handles every unseen mail in the mailbox. Mails are fetched
// in batches and handled in parallel, but one sender's mails in the order
// they arrived.
func (m *Mail) processNew(ctx context.Context, c *imapclient.Client) error {
	data, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	for uids := range slices.Chunk(data.AllUIDs(), fetchBatch) {
		if ctx.Err() != nil {
			return nil
		}
		mails, err := m.fetch(c, uids)
		if err != nil {
			return err
		}
		done, retry := m.handleAll(ctx, mails)
		if len(done) > 0 {
			store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}, Silent: true}
			if err := c.Store(imap.UIDSetNum(done...), store, nil).Close(); err != nil {
				return fmt.Errorf("flag seen: %w", err)
			}
		}
		if retry != nil {
			return retry // those not flagged are handled again after the reconnect
		}
	}
	return nil
}

const (
	fetchBatch  = 64      // mails whose headers one FETCH asks for
	fetchBytes  = 8 << 20 // the most bytes of whole mails one FETCH asks for
	mailsAtOnce = 8       // senders whose mails are handled at the same time
)

// fetched is one mail as read from the mailbox: whole, or only its header
// when it is larger than allowed.
type fetched struct {
	uid    imap.UID
	from   string
	size   int64
	raw    []byte
	tooBig bool
}

// fetch reads the mails uids: first sizes and headers, then the whole of
// those small enough.
func (m *Mail) fetch(c *imapclient.Client, uids []imap.UID) ([]fetched, error) {
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	heads, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true, Envelope: true,
		BodySection: []*imap.FetchItemBodySection{header}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch headers: %w", err)
	}
	var out []fetched
	for _, h := range heads {
		f := fetched{uid: h.UID, size: h.RFC822Size, raw: h.FindBodySection(header), tooBig: h.RFC822Size > m.cfg.MaxBytes}
		if h.Envelope != nil && len(h.Envelope.From) > 0 {
			f.from = strings.ToLower(h.Envelope.From[0].Addr())
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b fetched) int { return cmp.Compare(a.uid, b.uid) })
	var batch []*fetched
	var batchBytes int64
	for i := range out {
		f := &out[i]
		if f.tooBig {
			continue // its header is all that is read
		}
		if len(batch) > 0 && batchBytes+f.size > fetchBytes {
			if err := fetchBodies(c, batch); err != nil {
				return nil, err
			}
			batch, batchBytes = nil, 0
		}
		batch, batchBytes = append(batch, f), batchBytes+f.size
	}
	if len(batch) > 0 {
		if err := fetchBodies(c, batch); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fetchBodies reads the whole of mails in one FETCH.
func fetchBodies(c *imapclient.Client, mails []*fetched) error {
	whole := &imap.FetchItemBodySection{Peek: true}
	uids := make([]imap.UID, len(mails))
	for i, f := range mails {
		uids[i] = f.uid
	}
	full, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil {
		return fmt.Errorf("fetch mails: %w", err)
	}
	bodies := map[imap.UID][]byte{}
	for _, f := range full {
		bodies[f.UID] = f.FindBodySection(whole)
	}
	for _, f := range mails {
		f.raw = bodies[f.uid]
	}
	return nil
}

// handleAll handles mails, a few senders at once, each sender's in order.
// It returns the mails done (to be flagged \Seen) and the first failure
// worth trying again for; a sender's later mails wait for that retry.
func (m *Mail) handleAll(ctx context.Context, mails []fetched) (done []imap.UID, retry error) {
	var order []string
	bySender := map[string][]fetched{}
	for _, f := range mails {
		if _, ok := bySender[f.from]; !ok {
			order = append(order, f.from)
		}
		bySender[f.from] = append(bySender[f.from], f)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, mailsAtOnce)
	for _, sender := range order {
		wg.Add(1)
		slots <- struct{}{}
		go func(queue []fetched) {
			defer func() { <-slots; wg.Done() }()
			for _, f := range queue {
				err := m.handleRaw(ctx, f.raw, f.tooBig)
				var later errRetry
				if errors.As(err, &later) {
					mu.Lock()
					retry = cmp.Or(retry, err)
					mu.Unlock()
					return
				}
				if err != nil {
					m.log.Error("mail not handled", "uid", f.uid, "err", err)
				}
				mu.Lock()
				done = append(done, f.uid)
				mu.Unlock()
			}
		}(bySender[sender])
	}
	wg.Wait()
	return done, retry
}

// handleRaw handles one mail's bytes (only its header when tooBig).
func (m *Mail) handleRaw(ctx context.Context, raw []byte, tooBig bool) error {
	var in inbound
	var err error
	if tooBig {
		in, err = parseHeaderOnly(raw)
	} else {
		in, err = parseMail(raw)
	}
	if err != nil {
		return err
	}
	if seen, err := m.processed(ctx, in.MessageID); err != nil || seen {
		return err
	}
	// An answer that could not be sent is kept in memory and sent when the
	// mail comes round again: the dialogue will not answer it twice.
	m.mu.Lock()
	msg, ok := m.unsent[in.MessageID]
	m.mu.Unlock()
	var replies []conversation.Reply
	if !ok {
		reply, why := m.answer(ctx, in, raw, tooBig)
		if why != "" {
			m.log.Info("mail not answered", "from", in.From, "why", why)
		}
		if reply != nil {
			replies = reply.Replies
			if msg, err = m.compose(*reply, m.now()); err != nil {
				m.dialogue.Undelivered(replies)
				return err
			}
		}
	}
	if msg == nil {
		return m.record(ctx, in.MessageID)
	}
	err = m.deliver(ctx, in.From, msg)
	switch {
	case err != nil && kept(replies):
		// The dialogue's outbox keeps what must arrive (a confirmation) and
		// sends it when SMTP takes it again; the mail is handled.
		m.dialogue.Undelivered(replies)
		m.log.Warn("answer not sent; the outbox will deliver it", "to", in.From, "err", err)
		return m.record(ctx, in.MessageID)
	case err != nil:
		m.mu.Lock()
		m.unsent[in.MessageID] = msg
		m.mu.Unlock()
		return errRetry{err}
	}
	m.mu.Lock()
	delete(m.unsent, in.MessageID)
	m.mu.Unlock()
	if err := m.dialogue.Delivered(ctx, replies); err != nil {
		m.log.Error("note delivery", "to", in.From, "err", err)
	}
	m.noteReply(ctx, in.From, in)
	return m.record(ctx, in.MessageID)
}

// kept reports whether the dialogue keeps any of replies in its outbox.
func kept(replies []conversation.Reply) bool {
	return slices.ContainsFunc(replies, func(r conversation.Reply) bool { return r.Outbox != "" })
}

// errRetry marks a failure worth trying the mail again for (SMTP down).
type errRetry struct{ err error }

func (e errRetry) Error() string { return "will try again: " + e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

// answer decides what to answer a mail with, if anything; raw is the
// mail (only its header when tooBig).
func (m *Mail) answer(ctx context.Context, in inbound, raw []byte, tooBig bool) (*outgoing, string) {
	switch {
	case in.Automatic != "":
		return nil, in.Automatic
	case strings.EqualFold(in.From, m.cfg.Address):
		return nil, "from our own address"
	}
	proven := m.provesMailbox(in)
	if !proven {
		switch got, why := m.verify.check(raw, tooBig, in.From, in.AuthResults); got {
		case senderForged:
			return nil, "forged sender: " + why
		case senderUnknown:
			return m.unknownSender(ctx, in, why)
		}
	}
	if !m.allowReply(ctx, in.From) {
		return nil, "reply limit for the address reached"
	}
	re := outgoing{To: in.From, Subject: replySubject(in.Subject, m.cfg.Name), InReplyTo: in.MessageID, References: in.References, Lang: in.Lang}
	if tooBig {
		re.Replies = []conversation.Reply{{Text: m.dialogue.Text(in.Lang, "MailTooBig", "KB", m.cfg.MaxBytes/1024)}}
		return &re, ""
	}
	text := in.Text
	if proven && strings.TrimSpace(text) == "" {
		text = m.pending(ctx, in.From) // "just reply": the mail that was waiting for the proof
	}
	replies, err := m.dialogue.Handle(ctx, conversation.Message{Channel: Channel, ChatID: in.From, PersonKey: personKey(in.From),
		Source: m.sourceOf(in.From), Proven: proven,
		Lang: in.Lang, Text: text, Email: in.From, ID: in.MessageID, Unsupported: strings.TrimSpace(text) == "", Numbered: true})
	if err != nil {
		m.log.Error("dialogue", "from", in.From, "err", err)
		return nil, "dialogue error"
	}
	if len(replies) == 0 {
		return nil, "nothing to answer (handled before, or a thank-you)"
	}
	re.Replies = replies
	return &re, ""
}

// unknownSender answers a mail whose sender nothing verifies: once per
// address, at most UnverifiedPerDomainHour an hour per recipient domain,
// with the office's own words only (no subject, name or text of the mail,
// not even in a header), asking for a reply that proves the mailbox. The
// mail's text waits for that reply (pending).
func (m *Mail) unknownSender(ctx context.Context, in inbound, why string) (*outgoing, string) {
	_, answered, err := m.checked.Get(ctx, in.From)
	switch {
	case err != nil:
		m.log.Error("unverified sender record", "err", err)
		return nil, "unverified sender; its record cannot be read"
	case answered:
		return nil, "unverified sender (" + why + "), answered once before"
	}
	domain := registrable(domainOf(in.From))
	allowed := false
	err = m.domainTimes.Update(ctx, domain, func(old []byte) ([]byte, error) {
		now := m.now().Unix()
		times := recent(old, now)
		if allowed = len(times) < m.cfg.UnverifiedPerDomainHour; !allowed {
			return json.Marshal(times)
		}
		return json.Marshal(append(times, now))
	})
	if err == nil && allowed {
		err = m.checked.Put(ctx, in.From, []byte(firstRunes(in.Text, maxPendingRunes)))
	}
	switch {
	case err != nil:
		m.log.Error("unverified sender record", "err", err)
		return nil, "unverified sender; its record cannot be written"
	case !allowed:
		return nil, "unverified sender (" + why + "), hourly limit for " + domain + " reached"
	}
	m.log.Info("unverified sender asked to confirm the address", "why", why)
	return &outgoing{To: in.From, Subject: m.dialogue.Text(in.Lang, "MailCheckSubject"), Lang: in.Lang,
		Replies: []conversation.Reply{{Text: m.dialogue.Text(in.Lang, "MailCheckSender")}}}, ""
}

// maxPendingRunes is how much of an unverified mail waits for the proof.
const maxPendingRunes = 2000

// pending is the text of the mail an address's proof answers, once: it is
// cleared as it is taken (the record stays, so the address is never asked
// again).
func (m *Mail) pending(ctx context.Context, addr string) string {
	rec, found, err := m.checked.Get(ctx, addr)
	if err != nil || !found || len(rec.Value) == 0 {
		return ""
	}
	if err := m.checked.Put(ctx, addr, []byte{}); err != nil {
		m.log.Error("unverified sender record", "err", err)
	}
	return string(rec.Value)
}

func firstRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func replySubject(subject, office string) string {
	subject = strings.TrimSpace(subject)
	if subject == "" {
		return office
	}
	for {
		low := strings.ToLower(subject)
		if strings.HasPrefix(low, "re:") || strings.HasPrefix(low, "aw:") || strings.HasPrefix(low, "wg:") || strings.HasPrefix(low, "fwd:") {
			subject = strings.TrimSpace(subject[strings.Index(subject, ":")+1:])
			continue
		}
		break
	}
	return "Re: " + subject
}

// Send delivers replies the engine starts (reminders, offers, copies of
// confirmations) to the address chatID, in the thread of the last mail.
func (m *Mail) Send(ctx context.Context, chatID string, replies []conversation.Reply) error {
	if !strings.Contains(chatID, "@") {
		return fmt.Errorf("not an e-mail address: %q", chatID)
	}
	lang := "de"
	th, err := m.thread(ctx, chatID)
	if err != nil {
		return err
	}
	subject := m.dialogue.Text(lang, "MailSubject")
	if len(replies) > 0 {
		first, _, _ := strings.Cut(replies[0].Text, "\n")
		subject = oneLine(first, 80)
	}
	o := outgoing{To: chatID, Subject: subject, InReplyTo: th.MessageID, References: th.References, Lang: th.Lang, Replies: replies}
	if o.Lang == "" {
		o.Lang = lang
	}
	msg, err := m.compose(o, m.now())
	if err != nil {
		return err
	}
	return m.deliver(ctx, chatID, msg)
}

// parseHeaderOnly reads the header of a mail too big to fetch whole.
func parseHeaderOnly(raw []byte) (inbound, error) {
	in, err := parseMail(append(raw, "\r\n"...))
	if errors.Is(err, errNoSender) {
		return in, err
	}
	in.Text = ""
	return in, nil
}
