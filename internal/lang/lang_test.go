package lang

import "testing"

func TestOf(t *testing.T) {
	for hint, want := range map[string]string{"": "de", "de-DE": "de", "de": "de", "en": "en", "en-US,en;q=0.9,de;q=0.8": "en",
		"de-AT,en;q=0.5": "de", "tr": "en", " EN ": "en"} {
		if got := Of(hint); got != want {
			t.Errorf("Of(%q) = %q, want %q", hint, got, want)
		}
	}
}
