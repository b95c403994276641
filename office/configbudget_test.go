package office

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// aliasBomb is a demo config whose walk-in contingent's concerns are the
// last of nested anchors, each a list of ten aliases of the one before:
// 10^depth concern ids when expanded.
func aliasBomb(depth int) string {
	var b strings.Builder
	b.WriteString(strings.Replace(string(DemoConfigYAML()), "walk_ins:", "bomb_defs:\n  - &a0 [personalausweis]\nwalk_ins:", 1))
	for i := 1; i <= depth; i++ {
		fmt.Fprintf(&b, "  # level %d\n", i)
	}
	text := b.String()
	var defs strings.Builder
	for i := 1; i <= depth; i++ {
		fmt.Fprintf(&defs, "  - &a%d [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 10), ","))
	}
	text = strings.Replace(text, "  - &a0 [personalausweis]\n", "  - &a0 [personalausweis]\n"+defs.String(), 1)
	return strings.Replace(text, "concerns: [fahrzeug-abmelden]", fmt.Sprintf("concerns: *a%d", depth), 1)
}

// A small config must not take a lot of time or memory to be refused, in
// check-config and serve alike (both go through DecodeYAML).
func TestConfigBombsAreRefusedQuickly(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		why        string
	}{
		{"alias bomb", aliasBomb(9), "alias inside an anchored value"},
		{"nested brackets", "office:\n  name: " + strings.Repeat("[", 200_000) + "\n", "nested more than 32 deep"},
		{"nested braces", "office: " + strings.Repeat("{a: ", 1000) + "\n", "nested more than 32 deep"},
		{"many aliases", "x: &a 1\ny: [" + strings.TrimSuffix(strings.Repeat("*a, ", 40), ", ") + "]\n", "more than 32 aliases"},
		{"deep blocks", deepBlocks(300), "beyond column 256"},
		{"too large", "# " + strings.Repeat("x", MaxConfigBytes) + "\n", "larger than 256 KB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := ParseConfig("bomb.yaml", []byte(tc.data))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("not refused with problems: %v", err)
			}
			p := ce.Problems[0]
			if !strings.Contains(p.Why, tc.why) || p.Line < 1 || p.Column < 1 {
				t.Errorf("problem = %s, want %q with a line and column", p, tc.why)
			}
			if took > time.Second {
				t.Errorf("took %v, want under a second", took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
				t.Errorf("allocated %d MB, want under 100 MB", alloc>>20)
			}
		})
	}
	if added := len(aliasBomb(9)) - len(DemoConfigYAML()); added > 2<<10 {
		t.Errorf("the alias bomb adds %d bytes to the demo's config; the attack is a few lines", added)
	}
}

func deepBlocks(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return b.String()
}

// A file is read only up to the budget, so a config path pointing at a
// huge file (or a device) does not fill memory.
func TestReadConfigFileStopsAtTheBudget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, make([]byte, 3*MaxConfigBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := ReadConfigFile(path)
	if err != nil || len(data) != MaxConfigBytes+1 {
		t.Fatalf("read %d bytes, err %v; want the budget plus one", len(data), err)
	}
	if _, err := ParseConfig(path, data); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a file over the budget: %v", err)
	}
}

// An anchor used plainly (no nesting) stays allowed: offices share lists.
func TestPlainAnchorsStillWork(t *testing.T) {
	data := strings.Replace(string(DemoConfigYAML()), "concerns: [fahrzeug-abmelden]", "concerns: &kfz [fahrzeug-abmelden]", 1)
	if _, err := ParseConfig("anchors.yaml", []byte(data)); err != nil {
		t.Fatalf("a plain anchor is refused: %v", err)
	}
}
