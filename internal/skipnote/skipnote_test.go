package skipnote

import (
	"testing"
)

func TestSkipSkipsWithoutTheRequirement(t *testing.T) {
	t.Setenv("BUERGERBUERO_REQUIRE_NOTHING", "")
	var skipped bool
	t.Run("needs a missing program", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Skip(t, "a missing program", "install it", "BUERGERBUERO_REQUIRE_NOTHING")
	})
	if !skipped {
		t.Fatal("not skipped")
	}
	if firstTime("a missing program") {
		t.Fatal("the reason was not noted: it would be told again")
	}
}
