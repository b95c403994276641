// Package webgate is the door of the citizens' web channels (the web chat,
// the web booking and the citizens' API): sessions that cost a proof of
// work, and message budgets per session and per client address.
//
// Sessions cost work. A script can throw its session away after every
// booking and be a new "person"; so a session id (the person key of the
// channel) is handed out only for a proof of work the page solves in the
// background: a SHA-256 hash with WorkBits leading zero bits, some
// 2^WorkBits hashes (about a second of a phone's CPU at the default). The id
// is signed, so it cannot be made up. What stops hoarding is the limit per
// source (booking.max_active_per_source); the work keeps a script from
// minting thousands of sessions a second to flood the dialogue or the store.
package webgate

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/bits"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"buergerbuero/internal/clientaddr"
)

// ChallengeTTL is how long a challenge may be solved.
const ChallengeTTL = 5 * time.Minute

// Message budgets: a session may send two messages a second (bursts of
// ten); one network address, which may be a proxy or an office network shared
// by many people, twenty a second (bursts of a hundred).
const (
	sessionRate, sessionBurst = 2, 10
	addressRate, addressBurst = 20, 100
	maxLimiters               = 20000
)

// Options set up a gate.
type Options struct {
	// Secret signs challenges and session ids; keep it across restarts so
	// sessions resume. At least 16 bytes.
	Secret []byte
	// WorkBits is the proof of work a new session costs; default 20.
	WorkBits int
	// Addrs tells the client's address behind trusted proxies; nil trusts
	// none.
	Addrs *clientaddr.Resolver
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Gate hands out challenges and signed session ids and keeps the message
// budgets. It is safe for concurrent use.
type Gate struct {
	key   []byte
	bits  int
	addrs *clientaddr.Resolver
	now   func() time.Time

	mu       sync.Mutex
	used     map[string]time.Time     // solved challenges, until they expire
	limiters map[string]*rate.Limiter // "s:"+session or "a:"+address -> its budget
}

// New makes a gate.
func New(opts Options) (*Gate, error) {
	if len(opts.Secret) < 16 {
		return nil, errors.New("webgate: a secret of at least 16 bytes is required")
	}
	if opts.WorkBits <= 0 {
		opts.WorkBits = 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Gate{key: opts.Secret, bits: opts.WorkBits, addrs: opts.Addrs, now: opts.Now,
		used: map[string]time.Time{}, limiters: map[string]*rate.Limiter{}}, nil
}

// Bits is the work a session costs, in leading zero bits.
func (g *Gate) Bits() int { return g.bits }

// Challenge is "expiry.random.mac": valid for ChallengeTTL, made here.
func (g *Gate) Challenge() string {
	r := make([]byte, 12)
	rand.Read(r)
	body := strconv.FormatInt(g.now().Add(ChallengeTTL).Unix(), 10) + "." + hex.EncodeToString(r)
	return body + "." + g.mac("challenge", body)
}

func (g *Gate) mac(purpose, body string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(purpose + "\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Redeem checks a solved challenge, once, and returns a new signed session
// (the token the client keeps).
func (g *Gate) Redeem(challenge, nonce string) (string, bool) {
	body, mac, ok := cutLast(challenge, ".")
	exp, _, _ := strings.Cut(body, ".")
	expiry, err := strconv.ParseInt(exp, 10, 64)
	now := g.now()
	if !ok || err != nil || now.Unix() > expiry || !hmac.Equal([]byte(mac), []byte(g.mac("challenge", body))) ||
		len(nonce) > 32 || LeadingZeroBits(challenge, nonce) < g.bits {
		return "", false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for c, until := range g.used {
		if now.After(until) {
			delete(g.used, c)
		}
	}
	if _, again := g.used[challenge]; again {
		return "", false
	}
	g.used[challenge] = time.Unix(expiry, 0)
	id := make([]byte, 16)
	rand.Read(id)
	session := hex.EncodeToString(id)
	return session + "." + g.mac("chat", session), true
}

// Session returns the session id of a token Redeem made, or "".
func (g *Gate) Session(token string) string {
	id, mac, ok := strings.Cut(token, ".")
	if !ok || len(id) != 32 || !hmac.Equal([]byte(mac), []byte(g.mac("chat", id))) {
		return ""
	}
	return id
}

// Allow spends one message of the session's and of its address's budget,
// so nobody floods the channel (or the store) by keeping a session or by
// throwing it away. session "" spends only the address's.
func (g *Gate) Allow(r *http.Request, session string) bool {
	host := g.addrs.Addr(r).String()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.limiters) > maxLimiters {
		clear(g.limiters)
	}
	now := g.now()
	if !g.limiter("a:"+host, addressRate, addressBurst).AllowN(now, 1) {
		return false
	}
	return session == "" || g.limiter("s:"+session, sessionRate, sessionBurst).AllowN(now, 1)
}

// limiter returns the limiter stored under key, making it if needed; g.mu is held.
func (g *Gate) limiter(key string, r rate.Limit, burst int) *rate.Limiter {
	l := g.limiters[key]
	if l == nil {
		l = rate.NewLimiter(r, burst)
		g.limiters[key] = l
	}
	return l
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// LeadingZeroBits counts the leading zero bits of SHA-256(challenge ":"
// nonce), the work the page proves.
func LeadingZeroBits(challenge, nonce string) int {
	sum := sha256.Sum256([]byte(challenge + ":" + nonce))
	n := 0
	for i := 0; i < len(sum); i += 8 {
		w := binary.BigEndian.Uint64(sum[i:])
		n += bits.LeadingZeros64(w)
		if w != 0 {
			break
		}
	}
	return n
}

// Solve finds a nonce for challenge with at least want leading zero bits,
// as the page does (for tests and the load tool).
func Solve(challenge string, want int) string {
	for i := 0; ; i++ {
		nonce := strconv.FormatInt(int64(i), 36)
		if LeadingZeroBits(challenge, nonce) >= want {
			return nonce
		}
	}
}

//go:embed pow.js
var worker embed.FS

// Worker serves pow.js, the Web Worker a page solves its challenge in.
func Worker() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, worker, "pow.js")
	})
}
