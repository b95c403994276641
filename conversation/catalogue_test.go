package conversation

import (
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// Every text of the catalogue, in every language, renders with its
// placeholders filled: no "[Id]" of a missing or empty text, no "{{…}}" or
// "<no value>" left, so no citizen or clerk ever reads a placeholder.
func TestEveryTextRendersComplete(t *testing.T) {
	c, err := newCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`\{\{[^}]*\.(\w+)[^}]*\}\}`)
	for _, lang := range []string{"de", "en"} {
		data, err := localeFiles.ReadFile("locales/" + lang + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		var texts map[string]string
		if err := yaml.Unmarshal(data, &texts); err != nil {
			t.Fatal(err)
		}
		for id, text := range texts {
			var kv []any
			for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
				kv = append(kv, m[1], 2) // a number serves every placeholder, also those compared with eq
			}
			got := c.T(lang, id, kv...)
			if got == "["+id+"]" || strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
				t.Errorf("%s %s renders %q", lang, id, got)
			}
		}
	}
}
