package email

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Mail login by OAuth 2. Microsoft 365 (Exchange Online) turned password
// login for IMAP and SMTP off, and Google Workspace asks for OAuth too: the
// service then gets a token from the provider's token endpoint by the
// client-credentials flow (an app registered by the town's IT, no person
// logging in) and logs in with it by SASL XOAUTH2 (Microsoft, Google) or
// OAUTHBEARER (RFC 7628). golang.org/x/oauth2 fetches and renews the
// token; go-sasl speaks OAUTHBEARER; XOAUTH2 is one line of text.

// OAuth2Config is how a mail server is logged in to with a token instead
// of a password.
type OAuth2Config struct {
	// TokenURL is the provider's token endpoint, e.g. Microsoft 365's
	// https://login.microsoftonline.com/<tenant id>/oauth2/v2.0/token.
	TokenURL     string `yaml:"token_url"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// Scopes asked for; Microsoft 365: https://outlook.office365.com/.default.
	Scopes []string `yaml:"scopes"`
	// Mechanism is "xoauth2" (default; Microsoft 365, Google) or
	// "oauthbearer".
	Mechanism string `yaml:"mechanism"`
}

// on reports whether the server is logged in to by OAuth 2.
func (o *OAuth2Config) on() bool { return o != nil && o.TokenURL != "" }

// problems lists what is wrong with the OAuth 2 settings under field.
func (o *OAuth2Config) problems(field string) [][2]string {
	if !o.on() {
		return nil
	}
	var out [][2]string
	if !strings.HasPrefix(o.TokenURL, "https://") && !strings.HasPrefix(o.TokenURL, "http://127.0.0.1") {
		out = append(out, [2]string{field + ".token_url", "must be an https:// address"})
	}
	if o.ClientID == "" || o.ClientSecret == "" {
		out = append(out, [2]string{field + ".client_id", "client_id and client_secret (or its environment variable) are required"})
	}
	if o.Mechanism != "" && o.Mechanism != "xoauth2" && o.Mechanism != "oauthbearer" {
		out = append(out, [2]string{field + ".mechanism", fmt.Sprintf("%q: use xoauth2 or oauthbearer", o.Mechanism)})
	}
	return out
}

// tokens is the source of the server's tokens, renewed when they expire.
func (o *OAuth2Config) tokens(ctx context.Context) oauth2.TokenSource {
	cc := clientcredentials.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: o.TokenURL, Scopes: o.Scopes}
	return cc.TokenSource(ctx)
}

// saslClient is the SASL login of user with a token from ts.
func (o *OAuth2Config) saslClient(ts oauth2.TokenSource, user string) (sasl.Client, error) {
	tok, err := ts.Token()
	if err != nil {
		return nil, fmt.Errorf("oauth2 token: %w", err)
	}
	if o.Mechanism == "oauthbearer" {
		return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: tok.AccessToken}), nil
	}
	return &xoauth2Client{user: user, token: tok.AccessToken}, nil
}

// xoauth2Client is SASL XOAUTH2 as Google and Microsoft define it: the
// user and "Bearer <token>" in one message; a failure comes back as a
// JSON challenge, answered with an empty response.
type xoauth2Client struct {
	user, token string
	failed      bool
}

// Start sends the user and the token.
func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty response; the
// server then refuses the login.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	if c.failed {
		return nil, errors.New("xoauth2: the server refused the token")
	}
	c.failed = true
	return []byte{}, nil
}
