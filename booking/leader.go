package booking

import (
	"context"
	"fmt"

	"buergerbuero/storage"
)

// Leadership: with several service instances on one store, the jobs that
// must run once (polling Telegram and the mailbox, reminders, the outbox,
// retention, the staff bot's board) run on the instance that leads. On a
// bbolt file there is one instance, and it always leads.

// Lead blocks until this instance leads the jobs called name, or ctx
// ends, and returns a channel closed when it no longer leads (its lease
// ran out: partitioned, paused, or the cluster lost quorum). instance
// names this instance in the cluster.
func (s *Store) Lead(ctx context.Context, name, instance string) (<-chan struct{}, error) {
	lb, ok := s.backend.(storage.Leader)
	if !ok {
		return nil, ctx.Err() // the only instance: it leads until ctx ends
	}
	lost, err := lb.Campaign(ctx, name, instance)
	if err != nil {
		return nil, fmt.Errorf("lead %s: %w", name, err)
	}
	return lost, nil
}
