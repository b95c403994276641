package webbooking

import (
	_ "embed"
	"net/http"
)

// spec is the OpenAPI 3.1 document of the citizens' API.
//
//go:embed openapi.yaml
var spec []byte

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Write(spec) // a client gone away has nothing left to read
}
