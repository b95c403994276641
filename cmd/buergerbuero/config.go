package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"buergerbuero/citizens/email"
	"buergerbuero/citizens/telegram"
	"buergerbuero/citizens/webbooking"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/office"
	"buergerbuero/staff/mattermost"
)

// fileConfig is the whole config file: the office (inline, as documented in
// config.example.yaml) and the settings of the channels.
type fileConfig struct {
	office.Config `yaml:",inline"`
	Telegram      telegram.Config   `yaml:"telegram"`
	Email         email.Config      `yaml:"email"`
	Mattermost    mattermost.Config `yaml:"mattermost"`
	Dialogue      DialogueConfig    `yaml:"dialogue"`
	Admin         StaffLogins       `yaml:"admin"`   // the statistics and the backup
	Kiosk         KioskConfig       `yaml:"kiosk"`   // the info desk's page (/kiosk/) and its ticket printer
	Counter       StaffLogins       `yaml:"counter"` // the clerks' page (/counter/), for offices without Mattermost
	Privacy       PrivacyConfig     `yaml:"privacy"`
	HTTP          HTTPConfig        `yaml:"http"`
	Store         StoreConfig       `yaml:"store"`
}

// HTTPConfig sets how the web server sees its clients.
type HTTPConfig struct {
	// TrustedProxies are the reverse proxies (addresses or prefixes such as
	// 127.0.0.1 or 10.0.0.0/8) whose X-Forwarded-For is believed. Every
	// per-address limit (web chat, staff logins, display streams) then counts
	// the citizen's address, not the proxy's. Empty: no proxy is trusted.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// DisplayToken marks the office's own screens: opened as
	// /display/?token=…, a screen always gets a stream. Without display_public
	// nobody else may watch. Or BUERGERBUERO_DISPLAY_TOKEN.
	DisplayToken string `yaml:"display_token"`
	// DisplayPublic lets anybody watch the calls beside the screens with the
	// token (without a token anybody may anyway).
	DisplayPublic bool `yaml:"display_public"`
	// MaxDisplays is how many display streams without the token may be open
	// at once (and how many with it); default 50.
	MaxDisplays int `yaml:"max_displays"`
	// MaxDisplaysPerAddress is how many streams without the token one client
	// address may hold; default 4 (a foyer's screens behind one address).
	MaxDisplaysPerAddress int `yaml:"max_displays_per_address"`
	// MetricsToken, if set, must come as "Authorization: Bearer <token>" to
	// read /metrics (Prometheus: authorization.credentials), so the queue
	// and the call figures stay internal even where /metrics is reachable.
	// Or BUERGERBUERO_METRICS_TOKEN.
	MetricsToken string `yaml:"metrics_token"`
	// ChatWorkBits is the proof of work a new web chat session costs:
	// 2^bits SHA-256 hashes, done by the page in the background; default 20
	// (about a second or two on a phone).
	ChatWorkBits int `yaml:"chat_work_bits"`
	// BookingOrigins are the town's websites ("https://www.example.de")
	// that embed the booking page (/book/embed.js) or call the citizens'
	// API (/api/v1/) from a citizen's browser; no other site can.
	BookingOrigins []string `yaml:"booking_origins"`
}

// DialogueConfig tunes the citizens' dialogues.
type DialogueConfig struct {
	// ExpireAfter is how long a dialogue left half-way is kept before it
	// starts over; default 2h.
	ExpireAfter time.Duration `yaml:"expire_after"`
}

// PrivacyConfig sets how long personal data is kept.
type PrivacyConfig struct {
	// RetentionDays after an appointment's or ticket's day, names, e-mail
	// addresses, chat ids and mail records are deleted; default 30.
	RetentionDays int `yaml:"retention_days"`
}

// validate checks the office and the channels.
func (f *fileConfig) validate(c *office.Checker) {
	f.Config.Validate(c)
	if f.Telegram.WebhookURL != "" && f.Telegram.WebhookSecret == "" {
		c.Add("telegram.webhook_secret", "is required with webhook_url, so nobody else can post updates")
	}
	if f.Telegram.MessagesPerSecond < 0 || f.Telegram.ChatMessagesPerSecond < 0 {
		c.Add("telegram", "rates must not be negative")
	}
	for _, p := range append(f.Email.Problems(), f.Mattermost.Problems()...) {
		c.Add(p[0], p[1])
	}
	f.checkMattermostOffices(c)
	if f.Dialogue.ExpireAfter < time.Minute || f.Dialogue.ExpireAfter > 7*24*time.Hour {
		c.Add("dialogue.expire_after", "must be between 1m and 168h")
	}
	if f.Privacy.RetentionDays < 1 || f.Privacy.RetentionDays > 3650 {
		c.Add("privacy.retention_days", "must be between 1 and 3650")
	}
	f.Admin.loadLogins(c, "admin")
	f.Kiosk.loadLogins(c, "kiosk")
	if p := f.Kiosk.Printer; p != "" {
		if _, port, err := net.SplitHostPort(p); err != nil || port == "" {
			c.Add("kiosk.printer", fmt.Sprintf("%q is not a printer's address like 192.0.2.40:9100", p))
		}
	}
	f.Counter.loadLogins(c, "counter")
	for i, p := range f.HTTP.TrustedProxies {
		if _, err := clientaddr.ParsePrefix(p); err != nil {
			c.Add(fmt.Sprintf("http.trusted_proxies[%d]", i), err.Error())
		}
	}
	for i, o := range f.HTTP.BookingOrigins {
		if err := webbooking.CheckOrigin(o); err != nil {
			c.Add(fmt.Sprintf("http.booking_origins[%d]", i), err.Error())
		}
	}
	if f.HTTP.ChatWorkBits < 8 || f.HTTP.ChatWorkBits > 26 {
		c.Add("http.chat_work_bits", "must be between 8 and 26")
	}
	if f.HTTP.MaxDisplays < 1 || f.HTTP.MaxDisplays > 10000 {
		c.Add("http.max_displays", "must be between 1 and 10000")
	}
	if f.HTTP.MaxDisplaysPerAddress < 1 || f.HTTP.MaxDisplaysPerAddress > f.HTTP.MaxDisplays {
		c.Add("http.max_displays_per_address", "must be between 1 and max_displays")
	}
	if f.HTTP.DisplayPublic && f.HTTP.DisplayToken == "" {
		c.Add("http.display_public", "is for a display_token: without a token anybody may watch anyway")
	}
	f.Store.validate(c)
}

// checkMattermostOffices checks that, in a town, every office has its
// Mattermost channels and no other office is named.
func (f *fileConfig) checkMattermostOffices(c *office.Checker) {
	if f.Mattermost.URL == "" {
		return
	}
	known := map[string]bool{}
	var ids []string
	for _, o := range f.Offices {
		known[o.ID] = true
		ids = append(ids, o.ID)
		if _, ok := f.Mattermost.Offices[o.ID]; !ok && len(f.Offices) > 1 {
			c.Add("mattermost.offices", fmt.Sprintf("office %s needs its staff channel, queue channel and clerks here", o.ID))
		}
	}
	for id := range f.Mattermost.Offices {
		switch {
		case len(f.Offices) < 2:
			c.Add("mattermost.offices", "is for a town with several offices (set offices:); one office uses staff_channel and queue_channel above")
		case !known[id]:
			c.Add("mattermost.offices."+id, fmt.Sprintf("is no office of the town (offices: %s)", strings.Join(ids, ", ")))
		}
	}
}

// weakPassword says why a staff password is too weak to stand on the
// internet, or "" if it is not: at least 12 characters, 6 of them
// different, and none of the passwords everybody tries first.
func weakPassword(pw string) string {
	distinct := map[rune]bool{}
	for _, r := range pw {
		distinct[r] = true
	}
	low := strings.ToLower(pw)
	switch {
	case len([]rune(pw)) < 12:
		return "needs at least 12 characters (a staff password guards citizens' data)"
	case len(distinct) < 6:
		return "needs at least 6 different characters"
	case strings.Contains(low, "buergerbuero") || strings.Contains(low, "passwort") || strings.Contains(low, "password") ||
		strings.Contains(low, "123456") || strings.Contains(low, "qwertz") || strings.Contains(low, "qwerty"):
		return "is one of the passwords attackers try first; choose another"
	}
	return ""
}

// loadConfig reads the config file, or the embedded demo office without
// one. Secrets may come from the environment instead of the file.
func loadConfig(path string) (*fileConfig, error) {
	name, data := "demo.yaml", office.DemoConfigYAML()
	if path != "" {
		var err error
		if data, err = office.ReadConfigFile(path); err != nil {
			return nil, err
		}
		name = path
	}
	cfg := &fileConfig{Config: office.Defaults(), Privacy: PrivacyConfig{RetentionDays: 30}, Dialogue: DialogueConfig{ExpireAfter: 2 * time.Hour},
		HTTP: HTTPConfig{MaxDisplays: 50, MaxDisplaysPerAddress: 4, ChatWorkBits: 20}}
	// Secrets from the environment win over the file, and are checked with it.
	validate := func(c *office.Checker) {
		cfg.fromEnvironment()
		cfg.validate(c)
	}
	if err := office.DecodeYAML(name, data, cfg, validate); err != nil {
		return nil, err
	}
	cfg.Config.Compile()
	return cfg, nil
}

// fromEnvironment takes secrets from environment variables, where set.
func (cfg *fileConfig) fromEnvironment() {
	for env, field := range map[string]*string{
		"BUERGERBUERO_TELEGRAM_TOKEN":           &cfg.Telegram.Token,
		"BUERGERBUERO_IMAP_PASSWORD":            &cfg.Email.IMAP.Password,
		"BUERGERBUERO_SMTP_PASSWORD":            &cfg.Email.SMTP.Password,
		"BUERGERBUERO_MATTERMOST_TOKEN":         &cfg.Mattermost.Token,
		"BUERGERBUERO_MATTERMOST_COMMAND_TOKEN": &cfg.Mattermost.CommandToken,
		"BUERGERBUERO_ADMIN_PASSWORD":           &cfg.Admin.Password,
		"BUERGERBUERO_KIOSK_PASSWORD":           &cfg.Kiosk.Password,
		"BUERGERBUERO_COUNTER_PASSWORD":         &cfg.Counter.Password,
		"BUERGERBUERO_DISPLAY_TOKEN":            &cfg.HTTP.DisplayToken,
		"BUERGERBUERO_METRICS_TOKEN":            &cfg.HTTP.MetricsToken,
		"BUERGERBUERO_ETCD_PASSWORD":            &cfg.Store.Etcd.Password,
	} {
		if v := os.Getenv(env); v != "" {
			*field = v
		}
	}
	for env, o := range map[string]*email.OAuth2Config{"BUERGERBUERO_IMAP_OAUTH2_SECRET": cfg.Email.IMAP.OAuth2, "BUERGERBUERO_SMTP_OAUTH2_SECRET": cfg.Email.SMTP.OAuth2} {
		if v := os.Getenv(env); v != "" && o != nil {
			o.ClientSecret = v
		}
	}
}

func checkConfig(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: buergerbuero check-config FILE")
	}
	cfg, err := loadConfig(args[0])
	if err != nil {
		return err
	}
	if len(cfg.Offices) == 0 {
		fmt.Fprintf(stdout, "%s: OK: %s, %d counters, %d concerns\n", args[0], cfg.Office.Name, len(cfg.Counters), len(cfg.Concerns))
		return nil
	}
	var offices []string
	for _, o := range cfg.Config.OfficeConfigs() {
		offices = append(offices, fmt.Sprintf("%s (%d counters, %d concerns)", o.Office.Name, len(o.Counters), len(o.Concerns)))
	}
	fmt.Fprintf(stdout, "%s: OK: %s, %d offices: %s\n", args[0], cfg.Office.Name, len(offices), strings.Join(offices, "; "))
	return nil
}
