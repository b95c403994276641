package understand

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// corpusFloor and overallFloor are the shares of the corpus understood
// that the parser must not fall below, in every category and overall: the
// figures reached (99 % of 420), less a little room (issue 14 asks for at
// least 97 % overall and 90 % per category on 400 messages).
const (
	corpusFloor  = 0.95
	overallFloor = 0.98
	// languageFloor is the share every language must reach on its own
	// (issue 29: at least 90 % for each new language).
	languageFloor = 0.90
)

// TestCorpus reads what citizens write (conversation/testdata/corpus.tsv)
// and reports the share understood per category: every expectation of a
// message must hold for it to count.
func TestCorpus(t *testing.T) {
	p := demoParser(t)
	f, err := os.Open("../testdata/corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	right, all := map[string]int{}, map[string]int{}
	langRight, langAll := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 4 {
			t.Fatalf("corpus line %d: %d columns, want 4", line, len(cols))
		}
		category, language, msg, want := cols[0], cols[1], cols[2], cols[3]
		all[category]++
		langAll[language]++
		if miss := corpusMisses(p.UnderstandIn(msg, language, parseNow), want); miss != "" {
			t.Logf("not understood (%s, %s): %q: %s", category, language, msg, miss)
			continue
		}
		right[category]++
		langRight[language]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var cats []string
	total, totalRight := 0, 0
	for c := range all {
		cats = append(cats, c)
		total += all[c]
		totalRight += right[c]
	}
	sort.Strings(cats)
	var report strings.Builder
	for _, c := range cats {
		share := float64(right[c]) / float64(all[c])
		fmt.Fprintf(&report, "| %s | %d | %.0f %% |\n", c, all[c], 100*share)
		if share < corpusFloor {
			t.Errorf("category %s: %.0f %% understood, below %.0f %%", c, 100*share, 100*corpusFloor)
		}
	}
	report.WriteString("\n| language | messages | understood |\n| --- | --- | --- |\n")
	for _, l := range []string{"de", "en", "uk", "ru", "tr", "ar"} {
		share := float64(langRight[l]) / float64(max(1, langAll[l]))
		fmt.Fprintf(&report, "| %s | %d | %.0f %% |\n", l, langAll[l], 100*share)
		if share < languageFloor {
			t.Errorf("language %s: %.0f %% understood, below %.0f %%", l, 100*share, 100*languageFloor)
		}
	}
	overall := float64(totalRight) / float64(total)
	fmt.Fprintf(&report, "| **all** | %d | **%.1f %%** |\n", total, 100*overall)
	t.Logf("corpus, understood per category:\n| category | messages | understood |\n| --- | --- | --- |\n%s", report.String())
	if overall < overallFloor {
		t.Errorf("%.1f %% of the corpus understood, want at least %.0f %%", 100*overall, 100*overallFloor)
	}
}

// corpusMisses checks u against expectations like "intent=book
// concerns=reisepass:1 day=2026-11-25 time=10:00 part=00:00-12:00" and
// says what did not hold ("" when all did).
func corpusMisses(u Understanding, want string) string {
	var miss []string
	for _, kv := range strings.Fields(want) {
		key, val, _ := strings.Cut(kv, "=")
		val = strings.ReplaceAll(val, "_", " ")
		var got string
		switch key {
		case "intent":
			got = string(u.Intent)
		case "concerns":
			var cs []string
			for _, c := range u.Concerns {
				cs = append(cs, fmt.Sprintf("%s:%d", c.ID, c.Count))
			}
			got = strings.Join(cs, ",")
		case "day":
			if u.HasDay {
				got = u.Day.Format(time.DateOnly)
			}
		case "time":
			if u.HasTime {
				got = fmt.Sprintf("%02d:%02d", u.Minute/60, u.Minute%60)
			}
		case "part":
			if u.HasPart {
				got = fmt.Sprintf("%02d:%02d-%02d:%02d", u.PartFrom/60, u.PartFrom%60, u.PartTo/60, u.PartTo%60)
			}
		case "name":
			got = u.Name
		case "ask":
			got = strings.Join(u.Plural, ",")
		case "vague":
			if u.VagueDay != "" {
				got = "yes"
			}
		default:
			return "unknown expectation " + key
		}
		if got != val {
			miss = append(miss, fmt.Sprintf("%s %q, want %q", key, got, val))
		}
	}
	return strings.Join(miss, "; ")
}
