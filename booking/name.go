package booking

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Names. A citizen's name is the only free text the store keeps, and it is
// shown to clerks (their page, Mattermost), in mails and in exports. So
// it is kept as visible text: no control or format characters (bidi
// overrides and isolates such as U+202E and U+2066–2069 that would flip
// the rest of a clerk's line, zero-width spaces and joiners that split a
// name so clustering misses it), no invisible fillers, no pile of
// combining marks. Clustering compares names by their skeleton
// (NameSkeleton), so look-alike letters from other scripts do not make a
// scripted name look new.

// CleanName checks a citizen's name and puts it on one line with single
// spaces, without invisible characters (StripInvisible), in NFC. It wraps
// ErrInvalidInput when the name cannot be used.
func CleanName(name string) (string, error) {
	for _, r := range name {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return "", fmt.Errorf("name has control characters: %w", ErrInvalidInput)
		}
	}
	name = strings.Join(strings.Fields(StripInvisible(norm.NFC.String(name))), " ")
	if n := utf8.RuneCountInString(name); n < 2 || n > 100 {
		return "", fmt.Errorf("name must have 2 to 100 characters: %w", ErrInvalidInput)
	}
	if !strings.ContainsFunc(name, unicode.IsLetter) {
		return "", fmt.Errorf("name has no letters: %w", ErrInvalidInput)
	}
	return name, nil
}

// maxMarksInARow is how many combining marks may follow a letter: enough
// for any real name (Vietnamese stacks two), not for text that climbs
// over the lines above and below it.
const maxMarksInARow = 3

// StripInvisible removes what a reader cannot see but a screen obeys:
// control and format characters (bidi controls, zero-width characters,
// soft hyphens, tags), variation selectors, invisible fillers, and
// combining marks beyond maxMarksInARow. Line breaks and tabs become
// spaces. Names stored before this rule pass through it when read.
func StripInvisible(s string) string {
	if !strings.ContainsFunc(s, invisible) && !strings.ContainsFunc(s, unicode.IsMark) {
		return s
	}
	var b strings.Builder
	marks := 0
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
			marks = 0
		case invisible(r):
		case unicode.IsMark(r):
			if marks++; marks <= maxMarksInARow {
				b.WriteRune(r)
			}
		default:
			b.WriteRune(r)
			marks = 0
		}
	}
	return b.String()
}

// invisible reports whether r shows nothing while changing what is shown.
func invisible(r rune) bool {
	switch {
	case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
		return true
	case unicode.Is(unicode.Variation_Selector, r):
		return true
	case r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0 || r == 0x2800 || r == 0x034F: // fillers, braille blank, grapheme joiner
		return true
	}
	return false
}

// NameSkeleton is a name as a script varies it, for clustering: without
// invisible characters, compatibility forms folded (NFKC: fullwidth and
// mathematical letters), lower case, umlauts spelt out, other accents
// dropped, letters of other scripts that look like Latin ones replaced by
// those (a small table after Unicode's confusables.txt), everything else a space, single letters
// ("Max Mustermann B") dropped. "Mаx Mustermann" with a Cyrillic а and
// "Max Mus\u200btermann" have the skeleton of "Max Mustermann".
func NameSkeleton(name string) string {
	s := strings.ToLower(capitalLookAlikes.Replace(norm.NFKC.String(StripInvisible(name))))
	s = umlauts.Replace(s)
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if m, ok := lookAlikes[r]; ok {
			r = m
		}
		switch {
		case unicode.IsMark(r):
		case unicode.IsLetter(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	var words []string
	for _, w := range strings.Fields(b.String()) {
		if utf8.RuneCountInString(w) > 1 {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

var umlauts = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "a\u0308", "ae", "o\u0308", "oe", "u\u0308", "ue")

// capitalLookAlikes are the capitals of Greek and Cyrillic that pass for
// Latin ones; replaced before lower-casing, as their small letters look
// different (Greek Μ is M, its μ passes for u).
var capitalLookAlikes = strings.NewReplacer(
	"Α", "A", "Β", "B", "Ε", "E", "Ζ", "Z", "Η", "H", "Ι", "I", "Κ", "K", "Μ", "M", "Ν", "N", "Ο", "O", "Ρ", "P", "Τ", "T",
	"Υ", "Y", "Χ", "X", "А", "A", "В", "B", "Е", "E", "К", "K", "М", "M", "Н", "H", "О", "O", "Р", "P", "С", "C", "Т", "T",
	"Х", "X", "У", "Y", "Ѕ", "S", "І", "I", "Ј", "J")

// lookAlikes maps lower-case letters that pass for Latin
// letters to those, after Unicode's confusables.txt for the scripts a
// script would borrow from: Cyrillic, Greek, and Latin's own variants.
var lookAlikes = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'ь': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'һ': 'h', 'н': 'h', 'і': 'i', 'ӏ': 'l', 'ј': 'j', 'к': 'k',
	'м': 'm', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'ѕ': 's', 'т': 't', 'у': 'y', 'ү': 'y', 'ԝ': 'w', 'х': 'x', 'ɡ': 'g',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u',
	'χ': 'x', 'γ': 'y', 'ω': 'w', 'μ': 'u',
	// Latin variants
	'ı': 'i', 'ȷ': 'j', 'ł': 'l', 'ø': 'o', 'đ': 'd', 'ħ': 'h', 'ŀ': 'l', 'ſ': 's',
}
