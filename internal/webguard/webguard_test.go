package webguard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// What a page on another site can make a clerk's browser send, and what
// the clerk's own page sends.
func TestPageRefusesCrossSiteStateChanges(t *testing.T) {
	changed := 0
	h := Page("default-src 'self'", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			changed++
		}
	}))
	for _, tc := range []struct {
		name        string
		method      string
		header      map[string]string
		wantStatus  int
		wantChanged bool
	}{
		{"own page, JSON", "POST", map[string]string{"Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}, 200, true},
		{"script or curl, JSON", "POST", map[string]string{"Content-Type": "application/json; charset=utf-8"}, 200, true},
		{"other site's fetch", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, 403, false},
		{"other site's form (old browser: Origin only)", "POST", map[string]string{"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, 403, false},
		{"same site, other origin", "POST", map[string]string{"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}, 403, false},
		{"simple text/plain body", "POST", map[string]string{"Content-Type": "text/plain"}, 415, false},
		{"no content type", "POST", nil, 415, false},
		{"reading", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := changed
			req := httptest.NewRequest(tc.method, "http://buergerbuero.example/api/next", strings.NewReader(`{"counter":"1"}`))
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus || (changed > before) != tc.wantChanged {
				t.Errorf("status %d, changed %v; want %d, %v", rec.Code, changed > before, tc.wantStatus, tc.wantChanged)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || rec.Header().Get("X-Frame-Options") != "DENY" {
				t.Errorf("framing allowed: CSP %q, XFO %q", csp, rec.Header().Get("X-Frame-Options"))
			}
		})
	}
}

func TestPageKeepsItsOwnFramePolicy(t *testing.T) {
	rec := httptest.NewRecorder()
	Page("default-src 'self'; frame-ancestors 'self'", http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); strings.Count(csp, "frame-ancestors") != 1 {
		t.Errorf("CSP %q", csp)
	}
}
