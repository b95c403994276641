package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"buergerbuero/booking"
	"buergerbuero/bots/email"
	"buergerbuero/bots/mattermost"
	"buergerbuero/bots/telegram"
)

// fileConfig is the whole config file: the office (inline, as documented in
// config.example.yaml) and the settings of the channels.
type fileConfig struct {
	booking.Config `yaml:",inline"`
	Telegram       telegram.Config   `yaml:"telegram"`
	Email          email.Config      `yaml:"email"`
	Mattermost     mattermost.Config `yaml:"mattermost"`
	Dialogue       DialogueConfig    `yaml:"dialogue"`
	Admin          AdminConfig       `yaml:"admin"`
	Kiosk          KioskConfig       `yaml:"kiosk"`
	Counter        CounterConfig     `yaml:"counter"`
	Privacy        PrivacyConfig     `yaml:"privacy"`
}

// DialogueConfig tunes the citizens' dialogues.
type DialogueConfig struct {
	// ExpireAfter is how long a dialogue left half-way is kept before it
	// starts over; default 2h.
	ExpireAfter time.Duration `yaml:"expire_after"`
}

// AdminConfig protects the admin pages (statistics, backup).
type AdminConfig struct {
	// Password for HTTP Basic auth (user "admin") or as a Bearer token;
	// without one the admin pages are off. Or BUERGERBUERO_ADMIN_PASSWORD.
	Password string `yaml:"password"`
}

// KioskConfig protects the info desk's page (/kiosk/).
type KioskConfig struct {
	// Password for HTTP Basic auth as user "kiosk"; none = the page is off.
	// Or BUERGERBUERO_KIOSK_PASSWORD.
	Password string `yaml:"password"`
}

// CounterConfig protects the clerks' page (/counter/), for offices without
// Mattermost.
type CounterConfig struct {
	// Password for HTTP Basic auth as user "counter"; none = the page is
	// off. Or BUERGERBUERO_COUNTER_PASSWORD.
	Password string `yaml:"password"`
}

// PrivacyConfig sets how long personal data is kept.
type PrivacyConfig struct {
	// RetentionDays after an appointment's or ticket's day, names, e-mail
	// addresses, chat ids and mail records are deleted; default 30.
	RetentionDays int `yaml:"retention_days"`
}

// validate checks the office and the channels.
func (f *fileConfig) validate(c *booking.Checker) {
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
	if f.Dialogue.ExpireAfter < time.Minute || f.Dialogue.ExpireAfter > 7*24*time.Hour {
		c.Add("dialogue.expire_after", "must be between 1m and 168h")
	}
	if f.Privacy.RetentionDays < 1 || f.Privacy.RetentionDays > 3650 {
		c.Add("privacy.retention_days", "must be between 1 and 3650")
	}
	if f.Admin.Password != "" && len(f.Admin.Password) < 12 {
		c.Add("admin.password", "needs at least 12 characters")
	}
}

// loadConfig reads the config file, or the embedded demo office without
// one. Secrets may come from the environment instead of the file.
func loadConfig(path string) (*fileConfig, error) {
	name, data := "demo.yaml", booking.DemoConfigYAML()
	if path != "" {
		var err error
		if data, err = booking.ReadConfigFile(path); err != nil {
			return nil, err
		}
		name = path
	}
	cfg := &fileConfig{Config: booking.Defaults(), Privacy: PrivacyConfig{RetentionDays: 30}, Dialogue: DialogueConfig{ExpireAfter: 2 * time.Hour}}
	// Secrets from the environment win over the file, and are checked with it.
	validate := func(c *booking.Checker) {
		cfg.fromEnvironment()
		cfg.validate(c)
	}
	if err := booking.DecodeYAML(name, data, cfg, validate); err != nil {
		return nil, err
	}
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
		"BUERGERBUERO_MATTERMOST_ACTION_SECRET": &cfg.Mattermost.ActionSecret,
		"BUERGERBUERO_ADMIN_PASSWORD":           &cfg.Admin.Password,
		"BUERGERBUERO_KIOSK_PASSWORD":           &cfg.Kiosk.Password,
		"BUERGERBUERO_COUNTER_PASSWORD":         &cfg.Counter.Password,
	} {
		if v := os.Getenv(env); v != "" {
			*field = v
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
	fmt.Fprintf(stdout, "%s: OK: %s, %d counters, %d concerns\n", args[0], cfg.Office.Name, len(cfg.Counters), len(cfg.Concerns))
	return nil
}
