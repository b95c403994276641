package email

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"

	"buergerbuero/citizens/email/mailtest"
)

// Mail as Microsoft 365 and Google Workspace run it: IMAP and SMTP take
// no password, only a bearer token (SASL XOAUTH2), which the channel gets
// from the provider's token endpoint by the client-credentials flow. A
// citizen's mail is read and answered.
func TestOAuth2Login(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.test-token"
	endpoint := mailtest.NewTokenEndpoint("buergerbuero-app", "app-secret", token)
	defer endpoint.Close()
	imapSrv, err := mailtest.NewIMAPWithToken("buergerbuero", token)
	if err != nil {
		t.Fatal(err)
	}
	defer imapSrv.Close()
	smtpSrv, err := mailtest.NewSMTPWithToken(token)
	if err != nil {
		t.Fatal(err)
	}
	defer smtpSrv.Close()

	// The servers really refuse a password.
	c, err := imapclient.DialInsecure(imapSrv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("buergerbuero", imapSrv.Password).Wait(); err == nil {
		t.Fatal("the token-only IMAP server took a password")
	}
	c.Close()

	oauth := &OAuth2Config{TokenURL: endpoint.URL, ClientID: "buergerbuero-app", ClientSecret: "app-secret",
		Scopes: []string{"https://outlook.office365.com/.default"}}
	if p := (&Config{IMAP: ServerConfig{Host: "x", OAuth2: oauth}, SMTP: ServerConfig{Host: "y", OAuth2: oauth}, Address: "a@b.example"}).Problems(); len(p) != 0 {
		t.Fatalf("a good OAuth 2 config has problems: %v", p)
	}
	sh, sp := splitAddr(t, smtpSrv.Addr)
	cfg := Config{IMAP: ServerConfig{OAuth2: oauth}, SMTP: ServerConfig{Host: sh, Port: sp, Security: "none", Username: "buergerbuero", OAuth2: oauth}}
	r := newMailRigOn(t, cfg, smtpSrv, imapSrv.Addr, "buergerbuero", "", imapSrv.Deliver)
	raw, _ := r.citizenMail("Erika Mustermann <erika@example.org>", "Frage", "", "Wann haben Sie geöffnet?")
	r.deliver(raw)
	answer := r.wait(0)
	if !strings.Contains(answer.Body, "08:00") {
		t.Fatalf("no answer with the opening hours:\n%s", answer.Body)
	}
	if endpoint.Issued == 0 {
		t.Fatal("no token was fetched")
	}
}

// Half an OAuth 2 setting is named by check-config.
func TestOAuth2Problems(t *testing.T) {
	cfg := Config{Address: "a@b.example", IMAP: ServerConfig{Host: "x", OAuth2: &OAuth2Config{TokenURL: "http://login.example/token", Mechanism: "magic"}}, SMTP: ServerConfig{Host: "y"}}
	got := map[string]bool{}
	for _, p := range cfg.Problems() {
		got[p[0]] = true
	}
	for _, want := range []string{"email.imap.oauth2.token_url", "email.imap.oauth2.client_id", "email.imap.oauth2.mechanism"} {
		if !got[want] {
			t.Errorf("%s not named in %v", want, cfg.Problems())
		}
	}
}
