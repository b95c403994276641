package conversation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"buergerbuero/booking"
)

// What the engine keeps across restarts, in records the booking store
// offers: the dialogue of every chat, the "tell me when earlier is free"
// watches, and which reminders went out. The store's Forget removes them
// with the rest of the personal data; dialogues also go a week after their
// last message (pruneDialogues).

// dialogueTTLStored is how long an untouched dialogue stays stored.
const dialogueTTLStored = 7 * 24 * time.Hour

func dialogueKey(channel, chatID string) string { return channel + "\x00" + chatID }

func (e *Engine) load(ctx context.Context, channel, chatID string) (*dialogue, error) {
	rec, found, err := e.dialogues.Get(ctx, dialogueKey(channel, chatID))
	if err != nil || !found {
		return nil, err
	}
	d := &dialogue{}
	if err := json.Unmarshal(rec.Value, d); err != nil {
		return nil, fmt.Errorf("dialogue of %s: %w", channel, err)
	}
	return d, nil
}

// pruneDialogues deletes dialogues untouched for a week: they hold names
// and e-mail addresses that are not needed any more.
func (e *Engine) pruneDialogues(ctx context.Context) error {
	_, err := e.dialogues.DeleteBefore(ctx, e.store.Now().Add(-dialogueTTLStored))
	return err
}

func watchKey(id uint64) string { return fmt.Sprintf("%016x", id) }

func (e *Engine) putWatch(ctx context.Context, w *watch) error {
	if w.ID == 0 {
		id, err := e.watchRecords.NextSequence(ctx)
		if err != nil {
			return err
		}
		w.ID = id
	}
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return e.watchRecords.Put(ctx, watchKey(w.ID), data)
}

func (e *Engine) getWatch(ctx context.Context, id uint64) (*watch, error) {
	rec, found, err := e.watchRecords.Get(ctx, watchKey(id))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("watch %d: %w", id, booking.ErrNotFound)
	}
	w := &watch{}
	if err := json.Unmarshal(rec.Value, w); err != nil {
		return nil, fmt.Errorf("watch %d: %w", id, err)
	}
	return w, nil
}

func (e *Engine) deleteWatch(ctx context.Context, id uint64) error {
	return e.watchRecords.Delete(ctx, watchKey(id))
}

func (e *Engine) watches(ctx context.Context) ([]watch, error) {
	recs, err := e.watchRecords.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]watch, 0, len(recs))
	for _, rec := range recs {
		var w watch
		if err := json.Unmarshal(rec.Value, &w); err != nil {
			return nil, fmt.Errorf("watch %s: %w", rec.Key, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// reminded reports whether the reminder under key went out.
func (e *Engine) reminded(ctx context.Context, key string) (bool, error) {
	_, found, err := e.reminders.Get(ctx, key)
	return found, err
}

// dropWatch deletes a watch whose use is over; a failure is logged (the
// watch is offered again at worst, and taken back then).
func (e *Engine) dropWatch(ctx context.Context, id uint64) {
	if err := e.deleteWatch(ctx, id); err != nil {
		e.log.Error("delete watch", "watch", id, "err", err)
	}
}
