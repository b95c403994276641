// Package basicauth guards the service's own staff pages with HTTP Basic
// authentication: one account per clerk (a bcrypt hash in the config or an
// htpasswd file), or a page's shared login. It throttles guessing without
// letting strangers lock a clerk out: a network that guesses is paused,
// and a user that many networks guess at is closed only to networks that
// have guessed, never to one that has not.
package basicauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"buergerbuero/internal/clientaddr"
)

// Throttle limits: wrong passwords per network and per user in a window.
const (
	FailuresPerNetwork = 10
	FailuresPerUser    = 50
	Window             = 15 * time.Minute
	// remembered is how long a right password is remembered, so that a
	// page's requests do not each cost a bcrypt hash.
	remembered = 10 * time.Minute
)

// Account is one login of a page: a clerk's own (User and the bcrypt Hash
// of the password) or a shared one (User and Password, from the config or
// the environment; it also works as a Bearer token).
type Account struct {
	User     string `yaml:"user"`
	Hash     string `yaml:"password_hash"`
	Password string `yaml:"-"`
}

// Guard checks staff logins and remembers recent failures.
type Guard struct {
	addrs *clientaddr.Resolver
	log   *slog.Logger
	now   func() time.Time
	slots chan struct{} // bcrypt hashes at once

	mu       sync.Mutex
	failures map[string][]time.Time // "net:"+network, "user:"+realm/user or "guess:"+realm/user/network -> recent failures
	good     map[string]goodLogin   // realm/user -> the last right password, hashed fast
}

type goodLogin struct {
	sum   [32]byte
	until time.Time
}

// NewGuard makes a guard; addrs says which proxies to believe (nil: none),
// now is the clock (nil: time.Now).
func NewGuard(addrs *clientaddr.Resolver, log *slog.Logger, now func() time.Time) *Guard {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Guard{addrs: addrs, log: log, now: now, slots: make(chan struct{}, runtime.GOMAXPROCS(0)),
		failures: map[string][]time.Time{}, good: map[string]goodLogin{}}
}

type userKey struct{}

// User is the staff user a request was let through as ("" outside Require):
// the name the audit trail gives.
func User(r *http.Request) string {
	u, _ := r.Context().Value(userKey{}).(string)
	return u
}

// Require lets a request through only with a user and password of
// accounts (the password compared in constant time or against its bcrypt
// hash), or with a shared account's password as a Bearer token. Without
// accounts the page is off: off explains how to turn it on.
func (g *Guard) Require(realm string, accounts []Account, off string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(accounts) == 0 {
			http.Error(w, off, http.StatusForbidden)
			return
		}
		network := clientaddr.Network(g.addrs.Addr(r))
		user, given, tried := credentials(r, accounts)
		if wait := g.blocked(realm, user, network); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			http.Error(w, "Zu viele falsche Anmeldungen – bitte warten Sie ein paar Minuten. / Too many failed logins – please wait a few minutes.", http.StatusTooManyRequests)
			return
		}
		if !g.check(r.Context(), realm, accounts, user, given) {
			if tried {
				g.fail(realm, user, network)
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
			http.Error(w, "Bitte melden Sie sich an. / Please log in.", http.StatusUnauthorized)
			return
		}
		g.succeeded(realm, user, network)
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
	})
}

// credentials are the user and password a request gives, and whether it
// gave any. A Bearer token is the password of the first shared account.
func credentials(r *http.Request, accounts []Account) (user, password string, tried bool) {
	if u, p, ok := r.BasicAuth(); ok {
		return u, p, true
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		for _, a := range accounts {
			if a.Password != "" {
				return a.User, tok, true
			}
		}
		return "", tok, true
	}
	return "", "", r.Header.Get("Authorization") != ""
}

// check reports whether password is user's among accounts.
func (g *Guard) check(ctx context.Context, realm string, accounts []Account, user, password string) bool {
	for _, a := range accounts {
		if a.User != user || user == "" {
			continue
		}
		if a.Password != "" {
			return subtle.ConstantTimeCompare([]byte(password), []byte(a.Password)) == 1
		}
		return g.checkHash(ctx, realm+"/"+user, a.Hash, password)
	}
	return false
}

// checkHash checks password against a bcrypt hash, remembering a right
// one for a while (a fast hash of it in memory) so that every request of
// an open page does not cost a bcrypt hash.
func (g *Guard) checkHash(ctx context.Context, key, hash, password string) bool {
	sum := sha256.Sum256([]byte(hash + "\x00" + password))
	g.mu.Lock()
	known, ok := g.good[key]
	g.mu.Unlock()
	if ok && g.now().Before(known.until) && subtle.ConstantTimeCompare(sum[:], known.sum[:]) == 1 {
		return true
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	<-g.slots
	if err != nil {
		return false
	}
	g.mu.Lock()
	g.good[key] = goodLogin{sum: sum, until: g.now().Add(remembered)}
	g.mu.Unlock()
	return true
}

// blocked says how long a login as user from network must still wait: the
// network guessed too often, or the user was guessed at too often and this
// network is one of those that guessed. A network that has not guessed is
// never kept from a user's right password.
func (g *Guard) blocked(realm, user, network string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	wait := g.waitLocked("net:"+network, FailuresPerNetwork, now)
	if len(g.recent("guess:"+realm+"/"+user+"/"+network, now)) > 0 {
		wait = max(wait, g.waitLocked("user:"+realm+"/"+user, FailuresPerUser, now))
	}
	return wait
}

// waitLocked is how long key must wait with limit failures in the window;
// g.mu is held.
func (g *Guard) waitLocked(key string, limit int, now time.Time) time.Duration {
	recent := g.recent(key, now)
	if len(recent) < limit {
		return 0
	}
	return recent[len(recent)-limit].Add(Window).Sub(now)
}

// fail counts a wrong password and warns when a limit is reached.
func (g *Guard) fail(realm, user, network string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if len(g.failures) > 10000 {
		clear(g.failures) // a flood of networks: start over rather than grow
	}
	for key, limit := range map[string]int{"net:" + network: FailuresPerNetwork, "user:" + realm + "/" + user: FailuresPerUser,
		"guess:" + realm + "/" + user + "/" + network: 0} {
		g.failures[key] = append(g.recent(key, now), now)
		if len(g.failures[key]) == limit {
			g.log.Warn("staff login throttled after repeated wrong passwords", "page", realm, "who", key, "failures", limit, "window", Window.String())
		}
	}
}

// succeeded forgets that network guessed at user: a clerk's typo before
// a right password does not keep the clerk out when strangers guess later.
func (g *Guard) succeeded(realm, user, network string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.failures, "guess:"+realm+"/"+user+"/"+network)
}

// recent drops failures older than the window; g.mu is held.
func (g *Guard) recent(key string, now time.Time) []time.Time {
	times := g.failures[key]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= Window {
		i++
	}
	if i == len(times) {
		delete(g.failures, key)
		return nil
	}
	return times[i:]
}

// MinCost is the least bcrypt cost a password hash may have.
const MinCost = 10

// ErrWeakHash says a password hash is not a bcrypt hash of MinCost or more.
var ErrWeakHash = errors.New("not a bcrypt hash of cost 10 or more (make one with: buergerbuero hash-password)")

// CheckHash checks that hash is a bcrypt hash of MinCost or more.
func CheckHash(hash string) error {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil || cost < MinCost {
		return ErrWeakHash
	}
	return nil
}

// Hash makes the bcrypt hash of a password, at cost 12.
func Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), 12)
	return string(h), err
}
