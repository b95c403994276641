package mailtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// Servers that accept only OAuth 2 tokens, as Microsoft 365 and Google
// Workspace do: an IMAP and an SMTP server that take SASL XOAUTH2 with the
// right bearer token and refuse every password, and a token endpoint that
// hands that token out by the client-credentials flow.

// TokenEndpoint is a provider's token endpoint on loopback.
type TokenEndpoint struct {
	*httptest.Server
	// Issued counts the tokens handed out.
	Issued int
}

// NewTokenEndpoint hands out token to clientID with secret (client
// credentials, the secret in a Basic header or the form), nothing to
// anyone else.
func NewTokenEndpoint(clientID, secret, token string) *TokenEndpoint {
	e := &TokenEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, sec, ok := r.BasicAuth()
		if !ok {
			id, sec = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		if r.PostFormValue("grant_type") != "client_credentials" || id != clientID || sec != secret {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
			return
		}
		e.Issued++
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600})
	}))
	return e
}

// xoauth2Server checks SASL XOAUTH2's one message: "user=<user>\x01auth=Bearer <token>\x01\x01".
type xoauth2Server struct {
	check func(user, token string) error
	done  bool
}

func (s *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	if s.done {
		return nil, true, errors.New("xoauth2: login refused")
	}
	if response == nil {
		return []byte{}, false, nil // the client sends its message after an empty challenge
	}
	var user, token string
	for _, part := range bytes.Split(response, []byte{1}) {
		k, v, _ := strings.Cut(string(part), "=")
		switch k {
		case "user":
			user = v
		case "auth":
			token, _ = strings.CutPrefix(v, "Bearer ")
		}
	}
	if err := s.check(user, token); err != nil {
		s.done = true
		return []byte(`{"status":"401","schemes":"bearer"}`), false, nil // the error challenge; the client answers empty
	}
	return nil, true, nil
}

// tokenSession is the memory server's session with password login off
// and XOAUTH2 on.
type tokenSession struct {
	imapserver.Session
	user, password, token string
}

func (s *tokenSession) Login(string, string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "password login is off: use XOAUTH2"}
}

func (s *tokenSession) AuthenticateMechanisms() []string { return []string{"XOAUTH2"} }

func (s *tokenSession) Authenticate(mech string) (sasl.Server, error) {
	if mech != "XOAUTH2" {
		return nil, errors.New("only XOAUTH2")
	}
	return &xoauth2Server{check: func(user, token string) error {
		if user != s.user || token != s.token {
			return imapserver.ErrAuthFailed
		}
		return s.Session.Login(s.user, s.password)
	}}, nil
}

// NewIMAPWithToken starts an IMAP server on loopback for user that takes
// only XOAUTH2 with token.
func NewIMAPWithToken(user, token string) (*IMAP, error) {
	var r [12]byte
	rand.Read(r[:])
	password := hex.EncodeToString(r[:]) // nobody's: the server logs in itself once the token is right
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, password)
	if err := u.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(u)
	newSession := func() imapserver.Session {
		return &tokenSession{Session: mem.NewSession(), user: user, password: password, token: token}
	}
	return serveIMAP(u, user, password, newSession, imap.CapSet{imap.CapIMAP4rev1: {}})
}
