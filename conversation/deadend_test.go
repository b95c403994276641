package conversation

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestNoDeadEnds walks random sequences of buttons, typed answers, stale
// buttons, "zurück" and repeated answers through every flow, rendered for
// a chat (buttons) and for mail (numbered lists). After every message:
// outside the menu the citizen is offered a way out (back, start over or
// the menu), something is always answered, and no answer comes a third
// time in a row without the office's phone number (at the menu, whose
// answers are the way on, an answer may repeat).
func TestNoDeadEnds(t *testing.T) {
	typed := []string{"zurück", "ja", "nein", "morgen 10 Uhr", "Erika Mustermann", "asdf", "31.02.", "2", "Perso",
		"Termin absagen", "Termin verschieben", "Was muss ich mitbringen?", "Öffnungszeiten", "T-042 123456", "T-042",
		"erika@example.org", "Weiter", "später", "Donnerstag", "09:30", "vormittags", "Reisepass und Führungszeugnis",
		"Wo stehe ich?", "???", "1", "Hallo", "English", "Deutsch", "back", "abbrechen"}
	for walk := range 48 {
		rng := rand.New(rand.NewPCG(uint64(walk), 14))
		ev := newEnv(t, "", tuesday)
		c := ev.chat("w", []string{"de", "en"}[walk%2])
		c.buttons = walk%3 != 0 // every third walk reads numbered lists, as mail does
		var seen [][]Option
		var lastText string
		repeats := 0
		var path []string
		var previous Message
		for step := range 30 {
			var m Message
			opts := optionsOf(c.last)
			switch r := rng.IntN(10); {
			case r < 5 && len(opts) > 0:
				m.Option = opts[rng.IntN(len(opts))].ID
			case r < 6 && len(seen) > 0: // a button of an older message
				old := seen[rng.IntN(len(seen))]
				m.Option = old[rng.IntN(len(old))].ID
			case r < 7 && step > 0: // the same again
				m = previous
			default:
				m.Text = typed[rng.IntN(len(typed))]
			}
			if m.Option != "" {
				path = append(path, "pressed "+m.Option)
			} else {
				path = append(path, "typed "+m.Text)
			}
			previous = m
			replies := c.send(m)
			text := joined(replies)
			if len(opts) > 0 {
				seen = append(seen, opts)
			}
			d, err := ev.engine.load(ctx, "test", "w")
			if err != nil {
				t.Fatal(err)
			}
			where := func() string {
				return "walk " + strconv.Itoa(walk) + ": " + strings.Join(path, " → ") + "\n" + text
			}
			if strings.TrimSpace(text) == "" && !quietAllowed(m) {
				t.Fatalf("no answer at step %d\n%s", step, where())
			}
			if d != nil && d.State != stIdle && !hasWayOut(optionsOf(replies)) {
				t.Fatalf("state %s offers no way out\n%s", d.State, where())
			}
			atMenu := d == nil || d.State == stIdle // the menu's answers are the way on
			if text == lastText && text != "" && !atMenu {
				repeats++
			} else {
				repeats = 0
			}
			lastText = text
			if repeats >= 2 && !strings.Contains(text, ev.cfg.Office.Phone) {
				t.Fatalf("the same answer a third time without the office's phone\n%s", where())
			}
		}
	}
}

// optionsOf are the options of the last reply that has some.
func optionsOf(replies []Reply) []Option {
	for i := len(replies) - 1; i >= 0; i-- {
		if len(replies[i].Options) > 0 {
			return replies[i].Options
		}
	}
	return nil
}

// hasWayOut reports whether opts lead back or out ("no" at a question
// to confirm is one).
func hasWayOut(opts []Option) bool {
	return slices.ContainsFunc(opts, func(o Option) bool {
		return o.ID == optBack || o.ID == optConfirmNo || o.ID == "restart" || strings.HasPrefix(o.ID, prefMenu)
	})
}

// quietAllowed: a thank-you or goodbye at the menu needs no answer.
func quietAllowed(m Message) bool {
	return m.Option == "" && (m.Text == "Danke" || m.Text == "thanks")
}
