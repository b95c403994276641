// Package web is what the service's web handlers share: JSON answers and
// the language of the page a browser asked for.
package web

import (
	"encoding/json"
	"net/http"

	"buergerbuero/internal/lang"
)

// JSON answers with v as JSON, not to be cached; the error says the answer
// did not get out (the client went away).
func JSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// Lang is the catalogue's language for the browser of r (lang.Of its
// Accept-Language).
func Lang(r *http.Request) string { return lang.Of(r.Header.Get("Accept-Language")) }
