// Package webguard puts the browser-side defences in front of the
// service's pages: no framing, no sniffing, and no state change from another
// site. A page a clerk opens elsewhere cannot make the clerk's browser call,
// mark or issue numbers here, because every request that changes something
// must come from the page's own origin (Sec-Fetch-Site / Origin, checked by
// net/http's CrossOriginProtection) and carry a JSON body, which no plain
// HTML form and no "simple" cross-site fetch can send.
package webguard

import (
	"mime"
	"net/http"
	"strings"
)

// Page wraps a page's handler. csp is the page's Content-Security-Policy;
// "frame-ancestors 'none'" is added unless it names its own (a page meant to
// be embedded by the sites it names, which then gets no X-Frame-Options).
func Page(csp string, next http.Handler) http.Handler {
	framed := strings.Contains(csp, "frame-ancestors")
	if !framed {
		csp += "; frame-ancestors 'none'"
	}
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		if !framed {
			h.Set("X-Frame-Options", "DENY")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if changesState(r.Method) {
			if err := cop.Check(r); err != nil {
				http.Error(w, "Diese Anfrage kam von einer anderen Seite und wurde abgelehnt. / This request came from another site and was refused.", http.StatusForbidden)
				return
			}
			if !isJSON(r.Header.Get("Content-Type")) {
				http.Error(w, "Bitte senden Sie JSON. / Please send JSON.", http.StatusUnsupportedMediaType)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func changesState(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
