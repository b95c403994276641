package conversation

import (
	"context"
	"encoding/json"
	"fmt"

	"buergerbuero/booking"
)

// ForgetChats deletes, in one write transaction, what the engine keeps of
// chats whose citizen asked the office to delete their data
// (booking.Store.Erase finds the chats): their dialogues, "tell me when
// earlier" wishes, waiting-list requests and messages not yet delivered.
// It returns how many records it deleted.
func (e *Engine) ForgetChats(ctx context.Context, chats []booking.Owner) (int, error) {
	if len(chats) == 0 {
		return 0, nil
	}
	of := map[booking.Owner]bool{}
	for _, c := range chats {
		of[c] = true
	}
	var writes []booking.Write
	for _, c := range chats {
		if _, found, err := e.dialogues.Get(ctx, dialogueKey(c.Channel, c.ChatID)); err != nil {
			return 0, err
		} else if found {
			writes = append(writes, booking.Write{Kind: "dialogues", Key: dialogueKey(c.Channel, c.ChatID)})
		}
	}
	for _, list := range []struct {
		kind    string
		records *booking.Records
		sealed  bool
	}{{"watches", e.watchRecords, false}, {waitingKind, e.waitingList, false}, {outboxKind, e.outbox, true}} {
		recs, err := list.records.All(ctx)
		if err != nil {
			return 0, err
		}
		for _, rec := range recs {
			value := rec.Value
			if list.sealed {
				if value, err = e.store.Unseal(rec.Value); err != nil {
					continue // unreadable: the outbox drops it itself
				}
			}
			var chat struct {
				Channel string `json:"channel"`
				ChatID  string `json:"chat"`
			}
			if json.Unmarshal(value, &chat) == nil && of[booking.Owner{Channel: chat.Channel, ChatID: chat.ChatID}] {
				writes = append(writes, booking.Write{Kind: list.kind, Key: rec.Key})
			}
		}
	}
	if err := e.store.Apply(ctx, writes...); err != nil {
		return 0, fmt.Errorf("forget chats: %w", err)
	}
	return len(writes), nil
}
