package email

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"buergerbuero/citizens/email/mailtest"
	"buergerbuero/internal/skipnote"
)

// startDovecot runs Debian's dovecot-imapd on loopback with a throw-away
// maildir and returns its address. Without dovecot (or root, which dovecot
// needs to switch to the mail user) the test is skipped, unless
// BUERGERBUERO_REQUIRE_DOVECOT is set, as in CI, where that is a failure.
func startDovecot(t *testing.T) string {
	need := os.Getenv("BUERGERBUERO_REQUIRE_DOVECOT") != ""
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		bin = "/usr/sbin/dovecot"
	}
	if _, err := os.Stat(bin); err != nil || os.Geteuid() != 0 {
		if need {
			t.Fatalf("dovecot interop test needs dovecot-imapd and root: %v (euid %d)", err, os.Geteuid())
		}
		skipnote.Skip(t, "dovecot (as root)", "apt-get install dovecot-imapd, and run the tests as root", "BUERGERBUERO_REQUIRE_DOVECOT")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir, err := os.MkdirTemp("", "dvt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"run", "state", "mail"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	os.Chmod(dir, 0o755)
	if err := os.Chown(filepath.Join(dir, "mail"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:%[1]s/mail/%%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=%[1]s/mail/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]s
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`, dir, port)
	os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644)
	os.WriteFile(filepath.Join(dir, "passwd"), []byte("buergerbuero:{PLAIN}dove-secret\n"), 0o644)
	cmd := exec.Command(bin, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not start:\n%s\n%s", out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDovecotInterop books by replies with the mailbox on a real IMAP
// server (dovecot) instead of the in-process one.
func TestDovecotInterop(t *testing.T) {
	addr := startDovecot(t)
	appendMail := func(raw []byte) error { return mailtest.Append(addr, "buergerbuero", "dove-secret", raw) }
	r := newMailRigOn(t, Config{PollInterval: 2 * time.Second}, nil, addr, "buergerbuero", "dove-secret", appendMail)
	raw, _ := r.citizenMail("max@example.org", "Termin", "", "Termin für Personalausweis am Mittwoch vormittags, Max Mustermann")
	r.deliver(raw)
	m := r.wait(0)
	expect(t, "times", m.Body, "Um welche Uhrzeit am Mi 25.11.?", "1) 08:00")
	raw, _ = r.citizenMail("max@example.org", "Re: Termin", "<"+m.MessageID+">", "10:00\n\n> quoted")
	r.deliver(raw)
	m = r.wait(1)
	expect(t, "summary", m.Body, "Bitte prüfen", "Mi 25.11.2026, 10:00")
	raw, _ = r.citizenMail("max@example.org", "Re: Termin", "<"+m.MessageID+">", "ja")
	r.deliver(raw)
	m = r.wait(2)
	expect(t, "booked", m.Body, "Ihr Termin ist gebucht", "Wartenummer: T-")
	if !strings.Contains(m.InReplyTo, "@citizen.example") {
		t.Fatalf("not threaded: %q", m.InReplyTo)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		flags := r.seenFlags()
		all := len(flags) == 3
		for _, f := range flags {
			all = all && f
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("flags on dovecot: %v", flags)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
