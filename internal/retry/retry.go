// Package retry has the two loops long-running parts of the service share:
// trying until something works, with back-off, and doing something at an
// interval, both until their context ends.
package retry

import (
	"context"
	"log/slog"
	"time"
)

// Until calls try until it succeeds, waiting 1s, 2s, 4s … up to a minute
// between tries and logging each failure as what. A failure for which
// final reports true ends the loop with that error; so does ctx (nil).
func Until(ctx context.Context, log *slog.Logger, what string, try func() error, final func(error) bool) error {
	wait := time.Second
	for {
		err := try()
		if err == nil {
			return nil
		}
		if final != nil && final(err) {
			return err
		}
		log.Warn(what+" failed, trying again", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// Every calls fn every interval until ctx ends.
func Every(ctx context.Context, interval time.Duration, fn func()) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn()
		}
	}
}
