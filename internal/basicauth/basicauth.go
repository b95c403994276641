// Package basicauth guards the service's own staff pages with HTTP Basic
// authentication against one configured password.
package basicauth

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Require lets a request through only with user and password (compared in
// constant time), or with the password as a Bearer token. Without a
// password the page is off: off explains how to turn it on.
func Require(realm, user, password, off string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if password == "" {
			http.Error(w, off, http.StatusForbidden)
			return
		}
		given := ""
		if u, p, ok := r.BasicAuth(); ok && u == user {
			given = p
		} else if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			given = tok
		}
		if subtle.ConstantTimeCompare([]byte(given), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
			http.Error(w, "Bitte melden Sie sich an. / Please log in.", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
