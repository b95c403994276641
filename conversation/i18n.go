package conversation

import (
	"embed"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"buergerbuero/internal/lang"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// catalogue holds the dialogue's texts in every language.
type catalogue struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
}

func newCatalogue() (*catalogue, error) {
	b := i18n.NewBundle(language.German)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	c := &catalogue{bundle: b, localizers: map[string]*i18n.Localizer{}}
	for _, lang := range lang.All() {
		data, err := localeFiles.ReadFile("locales/" + lang + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("read %s texts: %w", lang, err)
		}
		if _, err := b.ParseMessageFileBytes(data, lang+".yaml"); err != nil {
			return nil, fmt.Errorf("parse %s texts: %w", lang, err)
		}
		c.localizers[lang] = i18n.NewLocalizer(b, lang, "de")
	}
	return c, nil
}

// T is the text id in lang with the template data (pairs of name, value).
func (c *catalogue) T(lang, id string, kv ...any) string {
	loc, ok := c.localizers[lang]
	if !ok {
		loc = c.localizers["de"]
	}
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return "[" + id + "]" // a missing text shows, and a test catches it
	}
	return s
}

// langOf picks the dialogue language from a channel's hint ("de-DE", "en").
func langOf(hint string) string { return lang.Of(hint) }

// Text is the catalogue's text id in the language a channel hints at
// ("de-DE", "en"), with template data as name, value pairs. Channels take
// every word a citizen or clerk reads from here.
func (e *Engine) Text(langHint, id string, kv ...any) string {
	return e.texts.T(langOf(langHint), id, kv...)
}
