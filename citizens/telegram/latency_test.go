package telegram

import (
	"slices"
	"testing"
	"time"

	"buergerbuero/citizens/telegram/telegramtest"
)

// A citizen who taps a button every two seconds gets the answer at once:
// Telegram's per-chat limit (1 message a second, bursts of 3) holds, and
// the time from the tap to the next question stays short.
func TestReplyLatencyAtHumanPace(t *testing.T) {
	if testing.Short() {
		t.Skip("taps for ten seconds")
	}
	r := newRig(t, Config{MessagesPerSecond: 30, ChatMessagesPerSecond: 1, ChatBurst: 3})
	u := r.user(4242, "de")
	u.say("/start")
	var took []time.Duration
	for range 5 {
		time.Sleep(2 * time.Second)
		all := r.api.Sent(u.id)
		last := all[len(all)-1]
		buttons := last.Buttons()
		if len(buttons) == 0 {
			t.Fatalf("no buttons on %q", last.Text)
		}
		start := time.Now()
		seen := len(all)
		calls := r.api.Calls("sendMessage") + r.api.Calls("editMessageText")
		r.api.Press(u.id, u.lang, last, buttons[0].CallbackData)
		if _, err := r.api.WaitFor(u.id, seen, 10*time.Second, func(s telegramtest.Sent) bool {
			return len(s.Keyboard) > 0
		}); err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
		time.Sleep(100 * time.Millisecond)
		if n := r.api.Calls("sendMessage") + r.api.Calls("editMessageText") - calls; n != 1 {
			t.Errorf("a press on %q cost %d message calls, want 1", last.Text, n)
		}
		u.seen = len(r.api.Sent(u.id))
	}
	slices.Sort(took)
	t.Logf("tap to next question at a tap every 2 s: median %v, max %v", took[len(took)/2], took[len(took)-1])
	if worst := took[len(took)-1]; worst > 300*time.Millisecond {
		t.Errorf("a reply took %v, want under 300 ms", worst)
	}
}
