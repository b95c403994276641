// Package lang is the one rule for which of the catalogue's languages a
// person reads: the dialogue's from a channel's hint (Telegram's
// language_code, a mail's words), the pages' from the browser's
// Accept-Language.
package lang

import "strings"

// Of picks the language for a hint such as "de-DE", "en" or a browser's
// "en-US,en;q=0.9,de;q=0.8": German unless the first choice is another
// language, then English (the catalogue's two).
func Of(hint string) string {
	h := strings.ToLower(strings.TrimSpace(hint))
	if h == "" || strings.HasPrefix(h, "de") {
		return "de"
	}
	return "en"
}
