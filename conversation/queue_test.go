package conversation

import (
	"context"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/office"
)

// callQueue adapts the real call system to QueueInfo, as cmd does.
type callQueue struct{ s *callsystem.System }

func (q callQueue) Position(ctx context.Context, b booking.Booking) (Position, error) {
	p, err := q.s.Position(ctx, b)
	return Position{Ahead: p.Ahead, Wait: p.Wait, Called: p.Called, Counter: p.Counter}, err
}

// TestStatusFromTheCallSystem: "where am I?" gives the queue position and
// estimate of a walk-in ticket, then the counter once it is called.
func TestStatusFromTheCallSystem(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	calls, err := callsystem.New(ctx, ev.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev.engine.opts.Queue = callQueue{calls}
	for range 3 {
		ev.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	}
	mine, err := ev.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}},
		PersonKey: "person-1", Channel: "test", ChatID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	c := ev.chat("1", "de")
	// Three ahead, 5 minutes each, four counters serve it: 3 min 45 s, said as 4.
	expect(t, "waiting", c.say("wo bin ich?"), mine.Number+": Vor Ihnen warten 3 Personen, voraussichtlich etwa 4 Minuten")
	ev.clock.Advance(time.Minute)
	for range 3 {
		b, _ := calls.Next(ctx, "1", "clerk")
		calls.Act(ctx, b.ID, booking.ActionDone, "", "clerk")
	}
	// A ticket from the info desk, asked about by its number from any chat.
	desk, _ := ev.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	expect(t, "by number", ev.chat("other", "de").say("Wo bin ich? "+desk.Number), desk.Number+": Vor Ihnen wartet 1 Person")
	calls.Next(ctx, "2", "clerk")
	expect(t, "called", c.say("Status"), mine.Number+": Sie sind aufgerufen, bitte gehen Sie zu Platz 2")
}
