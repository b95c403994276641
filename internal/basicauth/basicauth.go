// Package basicauth guards the service's own staff pages with HTTP Basic
// authentication against one configured password, and throttles guessing:
// after a few wrong passwords from one network, or many for one user, the
// page answers "too many attempts" for a while and a warning is logged.
package basicauth

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"buergerbuero/internal/clientaddr"
)

// Throttle limits: wrong passwords per network and per user in a window.
const (
	FailuresPerNetwork = 10
	FailuresPerUser    = 50
	Window             = 15 * time.Minute
)

// Guard checks staff logins and remembers recent failures.
type Guard struct {
	addrs *clientaddr.Resolver
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time // "net:"+network or "user:"+realm/user -> recent failures
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
	return &Guard{addrs: addrs, log: log, now: now, failures: map[string][]time.Time{}}
}

// Require lets a request through only with user and password (compared in
// constant time), or with the password as a Bearer token. Without a
// password the page is off: off explains how to turn it on.
func (g *Guard) Require(realm, user, password, off string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if password == "" {
			http.Error(w, off, http.StatusForbidden)
			return
		}
		network := "net:" + clientaddr.Network(g.addrs.Addr(r))
		account := "user:" + realm + "/" + user
		if wait := g.blocked(network, account); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			http.Error(w, "Zu viele falsche Anmeldungen – bitte warten Sie ein paar Minuten. / Too many failed logins – please wait a few minutes.", http.StatusTooManyRequests)
			return
		}
		given := ""
		if u, p, ok := r.BasicAuth(); ok && u == user {
			given = p
		} else if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			given = tok
		}
		if subtle.ConstantTimeCompare([]byte(given), []byte(password)) != 1 {
			if r.Header.Get("Authorization") != "" {
				g.fail(network, account, realm)
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
			http.Error(w, "Bitte melden Sie sich an. / Please log in.", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// blocked says how long the network or the account must still wait.
func (g *Guard) blocked(network, account string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	var wait time.Duration
	for key, limit := range map[string]int{network: FailuresPerNetwork, account: FailuresPerUser} {
		recent := g.recent(key, now)
		if len(recent) >= limit {
			wait = max(wait, recent[len(recent)-limit].Add(Window).Sub(now))
		}
	}
	return wait
}

// fail counts a wrong password and warns when a limit is reached.
func (g *Guard) fail(network, account, realm string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if len(g.failures) > 10000 {
		clear(g.failures) // a flood of networks: start over rather than grow
	}
	for key, limit := range map[string]int{network: FailuresPerNetwork, account: FailuresPerUser} {
		g.failures[key] = append(g.recent(key, now), now)
		if len(g.failures[key]) == limit {
			g.log.Warn("staff login throttled after repeated wrong passwords", "page", realm, "who", key, "failures", limit, "window", Window.String())
		}
	}
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
