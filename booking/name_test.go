package booking

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"buergerbuero/storage"
)

func TestCleanNameRemovesInvisibleCharacters(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Max Mustermann", "Max Mustermann"},
		{"Max \u202eNNAMRETSUM\u202c", "Max NNAMRETSUM"},                              // right-to-left override
		{"\u2066Eve\u2069 \u2067Mallory\u2069", "Eve Mallory"},                        // isolates
		{"Max Mus\u200btermann\u200d\u2060", "Max Mustermann"},                        // zero-width space, joiner, word joiner
		{"Max\u00ad Muster\ufe0fmann", "Max Mustermann"},                              // soft hyphen, variation selector
		{"\u3164 Eve \u115fAdams", "Eve Adams"},                                       // Hangul fillers
		{"Eve\r\nBcc: x@y", "Eve Bcc: x@y"},                                           // one line
		{"Jose\u0301 Garci\u0301a", "José García"},                                    // NFC
		{"Z\u0301\u0302\u0303\u0304\u0305\u0306algo", "\u0179\u0302\u0303\u0304algo"}, // at most three marks in a row
		{"Ngô Bảo Châu", "Ngô Bảo Châu"},
		{"Ursula von der Leyen", "Ursula von der Leyen"},
		{"Олена Шевченко", "Олена Шевченко"},
		{"محمد علي", "محمد علي"},
	} {
		got, err := CleanName(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("CleanName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"\u200b\u200b\u200b", "\u202e1", "Eve\x00", "\x1b[2J Eve", strings.Repeat("a", 101)} {
		if got, err := CleanName(bad); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("CleanName(%q) = %q, %v; want refused", bad, got, err)
		}
	}
}

func TestSkeletonsFoldLookAlikes(t *testing.T) {
	want := NameSkeleton("Max Mustermann")
	for _, variant := range []string{
		"Mаx Mustermann",       // Cyrillic а
		"Max Μustermann",       // Greek capital Mu
		"Max Mus\u200btermann", // zero-width space
		"Ｍａｘ Ｍｕｓｔｅｒｍａｎｎ",       // fullwidth
		"𝐌𝐚𝐱 𝐌𝐮𝐬𝐭𝐞𝐫𝐦𝐚𝐧𝐧",       // mathematical bold
		"MAX MUSTERMANN 7",
		"Max Mustérmann",
		"max-mustermann B",
		"Max Mustermаnn\u202e", // Cyrillic а and an override
	} {
		if got := NameSkeleton(variant); got != want {
			t.Errorf("NameSkeleton(%q) = %q, want %q", variant, got, want)
		}
	}
	if NameSkeleton("Max Müller") != "max mueller" || NameSkeleton("Erika Mustermann") == want {
		t.Errorf("skeletons: %q %q", NameSkeleton("Max Müller"), NameSkeleton("Erika Mustermann"))
	}
}

// Look-alike names from many sources still form one cluster.
func TestLookAlikeNamesFormOneCluster(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	start := at(2026, 11, 24, 8, 0)
	for i, name := range []string{"Max Mustermann", "Mаx Mustermann", "Max Mus\u200btermann", "Ｍａｘ Mustermann"} {
		if _, _, err := s.Book(ctx, Request{Concerns: one("ausweis"), Start: start.Add(time.Duration(i) * 30 * time.Minute),
			Name: name, PersonKey: fmt.Sprint("web:", i), Source: fmt.Sprintf("net:10.0.%d.0/24", i)}); err != nil {
			t.Fatal(err)
		}
	}
	clusters, err := s.Clusters(ctx)
	if err != nil || len(clusters) != 1 || clusters[0].Key != "name:max mustermann" || len(clusters[0].Bookings) != 4 {
		t.Fatalf("clusters %+v, %v; want one of 4 under name:max mustermann", clusters, err)
	}
}

// FuzzCleanName: whatever comes in, a name that is accepted is one line of
// visible text, stable under cleaning again, and has a skeleton of
// letters and spaces.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"Max Mustermann", "Eve\u202eevil", "a\u200bb", "Z\u0301\u0302\u0303\u0304", "\u3164x", "Jose\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, err := CleanName(in)
		if err != nil {
			return
		}
		if !utf8.ValidString(name) && utf8.ValidString(in) {
			t.Fatalf("invalid UTF-8 from %q", in)
		}
		for _, r := range name {
			if invisible(r) || r == '\n' || r == '\r' {
				t.Fatalf("CleanName(%q) = %q keeps %U", in, name, r)
			}
		}
		if again, err := CleanName(name); err != nil || again != name {
			t.Fatalf("not stable: %q -> %q -> %q, %v", in, name, again, err)
		}
		for _, r := range NameSkeleton(name) {
			if r != ' ' && !unicode.IsLetter(r) {
				t.Fatalf("skeleton of %q has %U", name, r)
			}
		}
	})
}

// A name stored before the rule is shown without its invisible characters.
func TestNamesStoredBeforeTheRuleAreReadClean(t *testing.T) {
	s, _, _ := newStore(t, testOffice, monday)
	b, _ := book(t, s, "ausweis", at(2026, 11, 24, 9, 0), "tg:1")
	err := s.write(func(tx storage.Tx) error {
		old, err := getBooking(tx, b.ID)
		if err != nil {
			return err
		}
		old.Name = "Eve \u202eredlof\u202c"
		return putBooking(tx, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, b.ID); err != nil || got.Name != "Eve redlof" {
		t.Fatalf("name read %q, %v", got.Name, err)
	}
}
