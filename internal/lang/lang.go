// Package lang is the one rule for which of the catalogue's languages a
// person reads: the dialogue's from a channel's hint (Telegram's
// language_code, a mail's words), the pages' from the browser's
// Accept-Language; and how each is named and written (Arabic right to left).
package lang

import (
	"slices"
	"strings"
	"unicode"
)

// All are the catalogue's languages, German (the office's own) first.
func All() []string { return []string{"de", "en", "uk", "ru", "tr", "ar"} }

// names are the languages as their speakers write them.
var names = map[string]string{"de": "Deutsch", "en": "English", "uk": "Українська", "ru": "Русский", "tr": "Türkçe", "ar": "العربية"}

// Name is the language as its speakers write it ("Українська").
func Name(l string) string { return names[Of(l)] }

// Dir is the writing direction of a page in the language: "rtl" or "ltr".
func Dir(l string) string {
	if Of(l) == "ar" {
		return "rtl"
	}
	return "ltr"
}

// Of picks the language for a hint such as "de-DE", "uk", or a browser's
// "uk-UA,uk;q=0.9,en;q=0.8": the first the catalogue has, German for an
// empty hint, English when none of the hint's languages is in the
// catalogue.
func Of(hint string) string {
	h := strings.ToLower(strings.TrimSpace(hint))
	if h == "" {
		return "de"
	}
	for _, part := range strings.Split(h, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
		base, _, _ = strings.Cut(base, "_")
		if base == "ua" { // the country, often taken for the language
			base = "uk"
		}
		if slices.Contains(All(), base) {
			return base
		}
	}
	return "en"
}

// OfText guesses the language a citizen wrote in from the letters and
// common words, for channels that give no hint (mail): "" when the text
// says too little to tell.
func OfText(s string) string {
	var cyrillic, ukrainian, russian, arabic, latin, turkish int
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Cyrillic, r):
			cyrillic++
			if strings.ContainsRune("іїєґІЇЄҐ", r) {
				ukrainian++
			}
			if strings.ContainsRune("ыэъёЫЭЪЁ", r) {
				russian++
			}
		case unicode.Is(unicode.Latin, r):
			latin++
			if strings.ContainsRune("şğıŞĞİ", r) {
				turkish++
			}
		}
	}
	switch {
	case arabic > latin && arabic >= cyrillic && arabic >= 3:
		return "ar"
	case cyrillic > latin && cyrillic >= 3:
		if ukrainian > russian || ukrainian == 0 && russian == 0 && hasWord(s, ukrainianWords) {
			return "uk"
		}
		return "ru"
	case latin >= 3:
		return latinLanguage(s, turkish)
	}
	return ""
}

// Words that tell languages apart where the letters do not.
var (
	ukrainianWords = []string{"що", "як", "це", "дякую", "мене", "мені", "записатися", "потрібно", "потрібна", "потрібен", "треба", "чи", "де", "коли", "ви", "вас", "ласка", "добрий"}
	germanWords    = []string{"ich", "und", "bitte", "termin", "für", "fuer", "möchte", "moechte", "einen", "der", "die", "das", "mit", "nicht", "danke", "ja", "nein", "am", "um", "brauche", "wann", "kann"}
	englishWords   = []string{"i", "and", "please", "appointment", "for", "would", "like", "the", "with", "not", "thanks", "thank", "yes", "no", "my", "on", "at", "need", "can", "when"}
	turkishWords   = []string{"merhaba", "randevu", "randevusu", "için", "icin", "istiyorum", "lütfen", "lutfen", "teşekkürler", "tesekkurler", "evet", "hayır", "hayir", "ve", "bir", "ne", "yarın", "yarin", "kimlik", "pasaport", "nasıl", "nasil", "saat", "gün", "iptal", "almak", "lazım", "lazim", "mı", "mu", "nedir", "nerede", "olur", "gerekiyor", "bugün", "benim"}
)

// latinLanguage tells German, English and Turkish apart by common words;
// Turkish's own letters add to its words, but never make Turkish alone
// ("Termin für Ayşe Yılmaz" is German).
func latinLanguage(s string, turkishLetters int) string {
	trWords := countWords(s, turkishWords)
	de, en, tr := countWords(s, germanWords), countWords(s, englishWords), trWords+min(turkishLetters, 2)
	switch {
	case trWords > 0 && tr > de && tr > en:
		return "tr"
	case en > de:
		return "en"
	case de > 0:
		return "de"
	}
	return ""
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
}

func countWords(s string, list []string) int {
	n := 0
	for _, w := range words(s) {
		if slices.Contains(list, w) {
			n++
		}
	}
	return n
}

func hasWord(s string, list []string) bool { return countWords(s, list) > 0 }
