package conversation

import (
	"testing"

	"github.com/looplab/fsm"
)

// The states table is the whole graph: every state has a handler and a
// question, every move leads to a state of the table, and every state can
// get back to idle.
func TestTheStatesTableIsComplete(t *testing.T) {
	for name, spec := range states {
		if spec.handle == nil || spec.prompt == nil {
			t.Errorf("state %s without a handler or a prompt", name)
		}
		for ev, dst := range spec.next {
			if _, ok := states[dst]; !ok {
				t.Errorf("state %s: event %s leads to %q, no state", name, ev, dst)
			}
		}
		if _, ok := states[spec.back]; spec.back != "" && !ok {
			t.Errorf("state %s: back leads to %q, no state", name, spec.back)
		}
		m := fsm.NewFSM(name, transitions(), nil)
		if !m.Can("done") {
			t.Errorf("state %s has no way back to idle", name)
		}
	}
	if _, ok := states[stIdle]; !ok {
		t.Fatal("no idle state")
	}
}
