package webgate

import (
	"strings"
	"testing"
	"time"
)

func TestSessionsCannotBeForgedOrReused(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s, _ := New(Options{Secret: []byte("0123456789abcdef"), WorkBits: 10, Now: func() time.Time { return now }})
	ch := s.Challenge()
	nonce := Solve(ch, 10)
	if _, ok := s.Redeem(ch, nonce+"x"); ok && LeadingZeroBits(ch, nonce+"x") < 10 {
		t.Fatal("a wrong nonce was taken")
	}
	value, ok := s.Redeem(ch, nonce)
	if !ok {
		t.Fatal("a solved challenge was refused")
	}
	if _, ok := s.Redeem(ch, nonce); ok {
		t.Fatal("a challenge was redeemed twice")
	}
	forgedChallenge := strings.Replace(ch, ch[:10], "9999999999", 1) // a later expiry, same MAC
	if _, ok := s.Redeem(forgedChallenge, Solve(forgedChallenge, 10)); ok {
		t.Fatal("a made-up challenge was taken")
	}
	old := s.Challenge()
	now = now.Add(ChallengeTTL + time.Second)
	if _, ok := s.Redeem(old, Solve(old, 10)); ok {
		t.Fatal("an expired challenge was taken")
	}
	for cookie, want := range map[string]bool{value: true, "0123456789abcdef0123456789abcdef": false,
		strings.Replace(value, value[:4], "ffff", 1): false, value + "x": false} {
		if got := s.Session(cookie) != ""; got != want {
			t.Errorf("token %q accepted: %v, want %v", cookie, got, want)
		}
	}
}

// FuzzRedeem: whatever a client sends as challenge, nonce or token, no
// session comes of it without the work and the server's own challenge.
func FuzzRedeem(f *testing.F) {
	s, _ := New(Options{Secret: []byte("0123456789abcdef"), WorkBits: 12})
	ch := s.Challenge()
	f.Add(ch, Solve(ch, 12), "")
	f.Add("1.2.3", "0", "abc.def")
	f.Add("99999999999.00.x", "", "0123456789abcdef0123456789abcdef.AAAA")
	f.Fuzz(func(t *testing.T, challenge, nonce, cookie string) {
		if value, ok := s.Redeem(challenge, nonce); ok {
			body, mac, _ := cutLast(challenge, ".")
			if mac != s.mac("challenge", body) || LeadingZeroBits(challenge, nonce) < 12 {
				t.Fatalf("redeemed %q %q", challenge, nonce)
			}
			cookie = value
		}
		if id := s.Session(cookie); id != "" && !strings.HasPrefix(cookie, id+".") {
			t.Fatalf("token %q gave chat %q", cookie, id)
		}
	})
}

// BenchmarkSolve is what a session costs a script in Go (the page's
// worker, measured in TestProofOfWorkInChromium, is what it costs a phone).
func BenchmarkSolve(b *testing.B) {
	s, _ := New(Options{Secret: []byte("0123456789abcdef"), WorkBits: 20})
	for b.Loop() {
		Solve(s.Challenge(), 20)
	}
}
