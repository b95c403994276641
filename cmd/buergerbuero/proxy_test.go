package main

import (
	"bytes"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"buergerbuero/office"
)

// TestBehindAReverseProxy runs the service behind a TLS reverse proxy that
// sends what deploy/Caddyfile and deploy/nginx.conf send (the client's
// address in X-Forwarded-For, the scheme in X-Forwarded-Proto, the Host),
// with the proxy in http.trusted_proxies: every limit sees the citizen's
// own address (a guesser at the clerks' login pauses only its network, a
// clerk elsewhere logs in), session cookies are Secure, the pages' links
// work through the proxy, and /metrics needs its token.
func TestBehindAReverseProxy(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "office.yaml")
	extra := "\ncounter:\n  password: Kaffee-Tasse-Ampel-7\nhttp:\n  trusted_proxies: [127.0.0.1]\n  metrics_token: ein-langes-metrics-token-2026\n"
	if err := os.WriteFile(cfgPath, append(office.DemoConfigYAML(), extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _ := startService(t, "--config", cfgPath, "--data", filepath.Join(dir, "bb.db"), "--listen", "127.0.0.1:0")
	target, _ := url.Parse(base)
	proxy := httptest.NewTLSServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
		r.Out.Header.Set("X-Forwarded-For", r.In.Header.Get("X-Test-Client")) // nginx: $remote_addr
		r.Out.Header.Set("X-Forwarded-Proto", "https")
	}})
	defer proxy.Close()
	get := func(client, path string, header map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", proxy.URL+path, nil)
		req.Header.Set("X-Test-Client", client)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := proxy.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}

	// A guesser at the clerks' login is paused; a clerk at another address is not.
	guesser, clerk := "198.51.100.7", "203.0.113.9"
	wrong := "Basic " + basic("counter", "falsch-falsch-falsch")
	paused := false
	for range 15 {
		if get(guesser, "/counter/", map[string]string{"Authorization": wrong}).StatusCode == http.StatusTooManyRequests {
			paused = true
		}
	}
	if !paused {
		t.Fatal("fifteen wrong logins from one address through the proxy were never paused")
	}
	if res := get(clerk, "/counter/", map[string]string{"Authorization": "Basic " + basic("counter", "Kaffee-Tasse-Ampel-7")}); res.StatusCode != http.StatusOK {
		t.Fatalf("a clerk at another address behind the same proxy: %d (the guesser's pause reached everybody: client addresses not believed?)", res.StatusCode)
	}

	// The chat's session cookie is Secure, and the page's links load through the proxy.
	jar, _ := cookiejar.New(nil)
	c := proxy.Client()
	c.Jar = jar
	if cookies := startChatSession(t, c, proxy.URL+"/chat/"); len(cookies) != 1 || !cookies[0].Secure {
		t.Fatalf("session cookies through the TLS proxy: %v, want one Secure", cookies)
	}
	page, err := c.Get(proxy.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	html.ReadFrom(page.Body)
	page.Body.Close()
	if page.Request.URL.Path != "/chat/" || page.StatusCode != http.StatusOK {
		t.Fatalf("the root through the proxy: %d at %s, want the chat", page.StatusCode, page.Request.URL)
	}
	for _, src := range attr(html.String(), `src="`) {
		if res, err := c.Get(page.Request.URL.ResolveReference(mustURL(src)).String()); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("the chat's %s through the proxy: %v %v", src, err, res)
		} else {
			res.Body.Close()
		}
	}

	// /metrics needs its token.
	if res := get(clerk, "/metrics", nil); res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusForbidden {
		t.Fatalf("/metrics without the token: %d", res.StatusCode)
	}
	if res := get(clerk, "/metrics", map[string]string{"Authorization": "Bearer ein-langes-metrics-token-2026"}); res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics with the token: %d", res.StatusCode)
	}
}

func basic(user, password string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, password)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// attr lists the values of the attribute whose opening (`src="`) is given.
func attr(html, opening string) []string {
	var out []string
	for rest := html; ; {
		_, after, ok := strings.Cut(rest, opening)
		if !ok {
			return out
		}
		value, tail, _ := strings.Cut(after, `"`)
		out, rest = append(out, value), tail
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
