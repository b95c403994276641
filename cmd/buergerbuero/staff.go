package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"

	"buergerbuero/internal/basicauth"
	"buergerbuero/internal/webguard"
	"buergerbuero/office"
	"buergerbuero/staff/kiosk"
	"buergerbuero/staff/kiosk/escpos"
)

// StaffLogins are who may open a staff page (admin, kiosk, counter): one
// account per person, so the audit trail names who acted, and/or the
// page's shared password.
type StaffLogins struct {
	// Password is the page's shared login (user admin, kiosk or counter; also
	// a Bearer token); none and no accounts = the page is off. Or
	// BUERGERBUERO_ADMIN_PASSWORD, _KIOSK_PASSWORD, _COUNTER_PASSWORD.
	Password string `yaml:"password"`
	// Accounts are personal logins: user and the bcrypt hash of the password
	// ("buergerbuero hash-password" makes one).
	Accounts []basicauth.Account `yaml:"accounts"`
	// AccountsFile is an htpasswd file of more accounts ("user:bcrypt hash"
	// per line; htpasswd -B makes one too), read at start.
	AccountsFile string `yaml:"accounts_file"`

	logins []basicauth.Account // all of them, once loaded (loadLogins)
}

// KioskConfig is the info desk page's logins and its ticket printer.
type KioskConfig struct {
	StaffLogins `yaml:",inline"`
	// Printer is the address of a ticket printer on the network (ESC/POS,
	// raw port 9100, 80 mm: "192.0.2.40:9100"): the service prints each
	// ticket there. Empty: the page prints through the browser.
	Printer string `yaml:"printer"`
}

// ticketPrinter is the kiosk's printer, or nil when the browser prints.
func (k KioskConfig) ticketPrinter() kiosk.Printer {
	if k.Printer == "" {
		return nil
	}
	return escpos.Network{Addr: k.Printer}
}

// loadLogins checks a page's logins and gathers them, the shared one as
// user shared: passwords strong enough, hashes bcrypt of cost 10 or more,
// each user once.
func (l *StaffLogins) loadLogins(c *office.Checker, page string) {
	l.logins = nil
	if l.Password != "" {
		if why := weakPassword(l.Password); why != "" {
			c.Add(page+".password", why)
		}
		l.logins = append(l.logins, basicauth.Account{User: page, Password: l.Password})
	}
	add := func(field string, a basicauth.Account) {
		switch {
		case a.User == "" || strings.ContainsAny(a.User, ": \t"):
			c.Add(field, fmt.Sprintf("user %q: a user name without spaces or colons is required", a.User))
		case basicauth.CheckHash(a.Hash) != nil:
			c.Add(field, fmt.Sprintf("user %s: the password_hash is %v", a.User, basicauth.ErrWeakHash))
		case slices.ContainsFunc(l.logins, func(o basicauth.Account) bool { return o.User == a.User }):
			c.Add(field, fmt.Sprintf("user %s is there twice", a.User))
		default:
			l.logins = append(l.logins, a)
		}
	}
	for i, a := range l.Accounts {
		add(fmt.Sprintf("%s.accounts[%d]", page, i), basicauth.Account{User: a.User, Hash: a.Hash})
	}
	if l.AccountsFile == "" {
		return
	}
	data, err := os.ReadFile(l.AccountsFile)
	if err != nil {
		c.Add(page+".accounts_file", err.Error())
		return
	}
	lines := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; lines.Scan(); n++ {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, _ := strings.Cut(line, ":")
		add(fmt.Sprintf("%s.accounts_file %s line %d", page, l.AccountsFile, n), basicauth.Account{User: user, Hash: hash})
	}
}

// share sets the page's shared password (the demo's), unchecked.
func (l *StaffLogins) share(user, password string) {
	l.Password = password
	l.logins = append(l.logins, basicauth.Account{User: user, Password: password})
}

// requireAdmin lets only the admins through (an account, user "admin" or
// the shared password as a Bearer token).
func requireAdmin(guard *basicauth.Guard, admins StaffLogins, next http.Handler) http.Handler {
	return webguard.Page("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:", guard.Require("buergerbuero admin", admins.logins,
		"The admin pages are off: set admin.accounts or admin.password (or BUERGERBUERO_ADMIN_PASSWORD).", next))
}

// hashPassword reads a password (twice from a terminal, once from a pipe)
// and prints its bcrypt hash for a config's accounts or an htpasswd file,
// refusing a weak one.
func hashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		return errors.New("usage: buergerbuero hash-password [USER]   (the password is read from the terminal or standard input)")
	}
	read := func(prompt string) (string, error) {
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			fmt.Fprint(stderr, prompt)
			pw, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stderr)
			return string(pw), err
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("no password on standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pw, err := read("Password: ")
	if err != nil {
		return err
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		again, err := read("Again: ")
		if err != nil {
			return err
		}
		if again != pw {
			return errors.New("the two passwords differ")
		}
	}
	if why := weakPassword(pw); why != "" {
		return fmt.Errorf("the password %s", why)
	}
	hash, err := basicauth.Hash(pw)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		fmt.Fprintf(stdout, "%s:%s\n", args[0], hash)
		return nil
	}
	fmt.Fprintln(stdout, hash)
	return nil
}
