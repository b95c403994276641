package conversation

import (
	"fmt"
	"strings"
	"time"

	"buergerbuero/office"
)

// dayName is "Di 25.11." / "Tue 25.11.".
func (e *Engine) dayName(lang string, t time.Time) string {
	t = t.In(e.cfg.Location())
	return e.texts.T(lang, fmt.Sprintf("Weekday%d", t.Weekday())) + " " + t.Format("02.01.")
}

// when is "Di 25.11.2026, 10:30".
func (e *Engine) when(lang string, t time.Time) string {
	t = t.In(e.cfg.Location())
	return e.texts.T(lang, fmt.Sprintf("Weekday%d", t.Weekday())) + " " + t.Format("02.01.2006, 15:04")
}

// concernList is "2 × Personalausweis beantragen, Reisepass beantragen".
func (e *Engine) concernList(lang string, cs []office.ConcernCount) string {
	parts := make([]string, 0, len(cs))
	for _, cc := range cs {
		c, ok := e.cfg.Concern(cc.ID)
		name := cc.ID
		if ok {
			name = c.Name.In(lang)
		}
		if cc.Count > 1 {
			name = fmt.Sprintf("%d × %s", cc.Count, name)
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", ")
}

// documents lists what to bring for all concerns, each item once, as bullets.
func (e *Engine) documents(lang string, cs []office.ConcernCount) string {
	return bullets(e.documentList(lang, cs))
}

// documentList is what to bring for all concerns, each item once.
func (e *Engine) documentList(lang string, cs []office.ConcernCount) []string {
	var items []string
	seen := map[string]bool{}
	for _, cc := range cs {
		c, _ := e.cfg.Concern(cc.ID)
		for _, d := range c.Documents.In(lang) {
			if !seen[d] {
				seen[d] = true
				items = append(items, d)
			}
		}
	}
	return items
}

func bullets(items []string) string {
	if len(items) == 0 {
		return "–"
	}
	return "• " + strings.Join(items, "\n• ")
}

// tooManyText names the concern asked for too often and its maximum.
func (e *Engine) tooManyText(lang string, cs []office.ConcernCount) string {
	counts := map[string]int{}
	for _, cc := range cs {
		counts[cc.ID] += cc.Count
	}
	for id, n := range counts {
		if c, ok := e.cfg.Concern(id); ok && n > c.MaxCount {
			return e.texts.T(lang, "TooMany", "Concern", c.Name.In(lang), "Max", c.MaxCount)
		}
	}
	return e.texts.T(lang, "NotUnderstood")
}
