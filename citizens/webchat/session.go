package webchat

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sessions cost work. A script can throw its cookie away after every
// booking and be a new "person"; so a chat id (the person key of the web
// chat) is handed out only for a proof of work the page solves in the
// background on load: a SHA-256 hash with WorkBits leading zero bits, some
// 2^WorkBits hashes (about a second of a phone's CPU at the default). The
// chat id is signed, so it cannot be made up. What stops hoarding is the
// limit per source (booking.max_active_per_source); the work keeps a script
// from minting thousands of sessions a second to flood the dialogue.

const challengeTTL = 5 * time.Minute

// sessions hands out challenges and signed chat ids.
type sessions struct {
	key  []byte
	bits int
	now  func() time.Time

	mu   sync.Mutex
	used map[string]time.Time // solved challenges, until they expire
}

// challenge is "expiry.random.mac": valid for challengeTTL, made here.
func (s *sessions) challenge() string {
	r := make([]byte, 12)
	rand.Read(r)
	body := strconv.FormatInt(s.now().Add(challengeTTL).Unix(), 10) + "." + hex.EncodeToString(r)
	return body + "." + s.mac("challenge", body)
}

func (s *sessions) mac(purpose, body string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + "\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// redeem checks a solved challenge, once, and returns a new signed chat id.
func (s *sessions) redeem(challenge, nonce string) (string, bool) {
	body, mac, ok := cutLast(challenge, ".")
	exp, _, _ := strings.Cut(body, ".")
	expiry, err := strconv.ParseInt(exp, 10, 64)
	now := s.now()
	if !ok || err != nil || now.Unix() > expiry || !hmac.Equal([]byte(mac), []byte(s.mac("challenge", body))) ||
		len(nonce) > 32 || LeadingZeroBits(challenge, nonce) < s.bits {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for c, until := range s.used {
		if now.After(until) {
			delete(s.used, c)
		}
	}
	if _, again := s.used[challenge]; again {
		return "", false
	}
	s.used[challenge] = time.Unix(expiry, 0)
	id := make([]byte, 16)
	rand.Read(id)
	chat := hex.EncodeToString(id)
	return chat + "." + s.mac("chat", chat), true
}

// chatID returns the chat id of a signed session cookie, or "".
func (s *sessions) chatID(r *http.Request) string {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	chat, mac, ok := strings.Cut(ck.Value, ".")
	if !ok || len(chat) != 32 || !hmac.Equal([]byte(mac), []byte(s.mac("chat", chat))) {
		return ""
	}
	return chat
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
