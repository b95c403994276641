package webbooking

import (
	"net/http"
)

// CORS: a town's website (an origin the config names) may call the API
// from a citizen's browser; any other page may not change anything. The API
// uses no cookies: a session is a bearer token the page keeps, so another
// site cannot act with a citizen's session; and a request that changes
// something from an origin not named is refused outright, so no page
// elsewhere can make a visitor's browser book (and spend their address's
// limits). Clients that are not browsers send no Origin and are served.

const (
	allowMethods = "GET, POST, PATCH, DELETE"
	allowHeaders = "Authorization, Content-Type, Booking-PIN"
)

func (wb *Web) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin, allowed := wb.origin(r)
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("X-Content-Type-Options", "nosniff")
		if origin != "" && allowed {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		switch {
		case preflight && allowed:
			h.Set("Access-Control-Allow-Methods", allowMethods)
			h.Set("Access-Control-Allow-Headers", allowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
		case preflight, !allowed && r.Method != http.MethodGet && r.Method != http.MethodHead:
			wb.problem(w, r, http.StatusForbidden, "origin-refused", "ApiOriginRefused")
		default:
			next.ServeHTTP(w, r)
		}
	})
}
