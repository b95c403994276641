package conversation

import (
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"buergerbuero/internal/lang"
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
	for _, lang := range lang.All() {
		for id, text := range readTexts(t, lang) {
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

// Every text a citizen reads is in every language: a text missing in
// Ukrainian would silently fall back to German. Only the clerks' texts
// (Staff…, Page…, Stats…) may stay German and English.
func TestEveryCitizenTextInEveryLanguage(t *testing.T) {
	german := readTexts(t, "de")
	staff := regexp.MustCompile(`^(Staff|Page|Stats)`)
	placeholder := regexp.MustCompile(`\.([A-Z]\w*)`)
	for _, l := range lang.All()[1:] {
		texts := readTexts(t, l)
		for id, de := range german {
			text, ok := texts[id]
			switch {
			case !ok && !staff.MatchString(id):
				t.Errorf("%s has no text %s", l, id)
			case ok && strings.Join(placeholder.FindAllString(text, -1), " ") != "" && !samePlaceholders(placeholder, de, text):
				t.Errorf("%s %s names other placeholders than German: %q", l, id, text)
			}
		}
		for id := range texts {
			if _, ok := german[id]; !ok {
				t.Errorf("%s has a text %s that German has not", l, id)
			}
		}
	}
}

func samePlaceholders(re *regexp.Regexp, a, b string) bool {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, p := range re.FindAllString(s, -1) {
			m[p] = true
		}
		return m
	}
	x, y := set(a), set(b)
	if len(x) != len(y) {
		return false
	}
	for p := range x {
		if !y[p] {
			return false
		}
	}
	return true
}

// readTexts is the catalogue's file of one language, text id to text.
func readTexts(t *testing.T, l string) map[string]string {
	t.Helper()
	data, err := localeFiles.ReadFile("locales/" + l + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	var texts map[string]string
	if err := yaml.Unmarshal(data, &texts); err != nil {
		t.Fatal(err)
	}
	return texts
}
