// Package clientaddr tells which network address a request comes from,
// believing X-Forwarded-For only from the reverse proxies an office
// configured, so every per-address limit counts citizens, not the proxy,
// and nobody can pick an address by writing a header.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address.
type Resolver struct {
	trusted []netip.Prefix
}

// New makes a resolver that trusts X-Forwarded-For from the given proxies
// (addresses or CIDR prefixes, such as "127.0.0.1" or "10.0.0.0/8").
func New(trustedProxies []string) (*Resolver, error) {
	r := &Resolver{}
	for _, s := range trustedProxies {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		r.trusted = append(r.trusted, p)
	}
	return r, nil
}

// ParsePrefix reads an address or a CIDR prefix.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an address nor a prefix like 10.0.0.0/8", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Addr is the client's address: the peer's, or, when the peer is a trusted
// proxy, the nearest address in X-Forwarded-For that is not a trusted
// proxy. A nil Resolver trusts no proxy.
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	peer := peerAddr(req.RemoteAddr)
	if r == nil || !r.isTrusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: stop at the last address we could believe
		}
		addr = a.Unmap()
		if !r.isTrusted(addr) {
			break
		}
	}
	return addr
}

// Secure reports whether the client reached the service over TLS: the
// service's own, or, when the peer is a trusted proxy, the proxy's as its
// X-Forwarded-Proto says (the nearest value; a proxy sets it). From anybody
// else the header is not believed. Cookies are marked Secure by it.
func (r *Resolver) Secure(req *http.Request) bool {
	if req.TLS != nil {
		return true
	}
	if r == nil || !r.isTrusted(peerAddr(req.RemoteAddr)) {
		return false
	}
	protos := strings.Split(strings.Join(req.Header.Values("X-Forwarded-Proto"), ","), ",")
	return strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

// Network is the block of addresses one subscriber usually has: a /24 of
// IPv4 (one office or household router, or a small provider pool) and a
// /48 of IPv6 (one site). Limits on cheap identities count per network,
// because a script changes addresses within its block at will.
func Network(a netip.Addr) string {
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 48
	}
	p, err := a.Unmap().Prefix(bits)
	if err != nil {
		return a.String()
	}
	return p.String()
}
