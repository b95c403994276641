package clientaddr

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestAddrBelievesOnlyTrustedProxies(t *testing.T) {
	r, err := New([]string{"127.0.0.1", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote, xff, want string
	}{
		{"direct", "203.0.113.7:5000", "", "203.0.113.7"},
		{"direct with a forged header", "203.0.113.7:5000", "198.51.100.1", "203.0.113.7"},
		{"through the proxy", "127.0.0.1:5000", "198.51.100.1", "198.51.100.1"},
		{"a forged hop before the proxy's", "127.0.0.1:5000", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"two trusted proxies", "127.0.0.1:5000", "198.51.100.1, 10.1.2.3", "198.51.100.1"},
		{"proxy without header", "127.0.0.1:5000", "", "127.0.0.1"},
		{"garbled header", "127.0.0.1:5000", "not-an-ip", "127.0.0.1"},
		{"IPv6 client", "[::1]:5000", "", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := r.Addr(req); got.String() != tc.want {
				t.Errorf("Addr = %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := New([]string{"proxy.example"}); err == nil {
		t.Error("a host name was taken as a proxy address")
	}
}

func TestNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.77":        "198.51.100.0/24",
		"2001:db8:1:2:3::4":    "2001:db8:1::/48",
		"::ffff:198.51.100.77": "198.51.100.0/24",
	} {
		if got := Network(netip.MustParseAddr(in)); got != want {
			t.Errorf("Network(%s) = %s, want %s", in, got, want)
		}
	}
}

func FuzzAddr(f *testing.F) {
	r, _ := New([]string{"127.0.0.0/8", "::1"})
	f.Add("127.0.0.1:1", "1.2.3.4, ::1, garbage,,")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", xff)
		a := r.Addr(req)
		if !a.IsValid() {
			t.Fatalf("no address for %q %q", remote, xff)
		}
		if p := peerAddr(remote); !r.isTrusted(p) && a != p {
			t.Fatalf("an untrusted peer %s was replaced by %s", p, a)
		}
	})
}

func TestSecureBelievesTheProtoOnlyFromTrustedProxies(t *testing.T) {
	r, err := New([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote, proto string
		tls, want           bool
	}{
		{"plain http", "203.0.113.7:5000", "", false, false},
		{"our own TLS", "203.0.113.7:5000", "", true, true},
		{"a forged proto", "203.0.113.7:5000", "https", false, false},
		{"the proxy terminated TLS", "127.0.0.1:5000", "https", false, true},
		{"the proxy says http", "127.0.0.1:5000", "http", false, false},
		{"a client's value before the proxy's", "127.0.0.1:5000", "https, http", false, false},
		{"the proxy without the header", "127.0.0.1:5000", "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			req.TLS = nil
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if got := r.Secure(req); got != tc.want {
				t.Errorf("Secure = %v, want %v", got, tc.want)
			}
		})
	}
}
