package email

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// What the channel keeps across restarts, in records of the booking
// store (which forgets them with the rest of the personal data): the
// Message-IDs handled (exactly once across crashes), the last thread of
// each address (to answer in it) and the reply times per address (the
// limit per hour).

// thread is the last mail of an address, to answer in its thread.
type thread struct {
	MessageID  string    `json:"id"`
	References []string  `json:"refs,omitempty"`
	Lang       string    `json:"lang"`
	At         time.Time `json:"at"`
}

func (m *Mail) thread(ctx context.Context, addr string) (thread, error) {
	var th thread
	rec, found, err := m.threads.Get(ctx, strings.ToLower(addr))
	if err != nil || !found {
		return th, err
	}
	return th, json.Unmarshal(rec.Value, &th)
}

// noteReply remembers the thread and counts the reply for the limit. A
// failure is logged: the answer went out, and at worst the next one is not
// threaded or the limit counts one reply less.
func (m *Mail) noteReply(ctx context.Context, addr string, in inbound) {
	now := m.now()
	th, err := json.Marshal(thread{MessageID: in.MessageID, References: in.References, Lang: in.Lang, At: now})
	if err == nil {
		err = m.threads.Put(ctx, addr, th)
	}
	if err == nil {
		err = m.replyTimes.Update(ctx, addr, func(old []byte) ([]byte, error) {
			return json.Marshal(append(recent(old, now.Unix()), now.Unix()))
		})
	}
	if err != nil {
		m.log.Error("note reply", "err", err)
	}
}

// recent keeps the reply times of the last hour.
func recent(v []byte, now int64) []int64 {
	var times []int64
	json.Unmarshal(v, &times) // a damaged record counts as no replies
	out := times[:0]
	for _, t := range times {
		if now-t < 3600 {
			out = append(out, t)
		}
	}
	return out
}

// allowReply reports whether the address is under its reply limit. When
// the store cannot say, it answers (a citizen waiting beats a stuck limit)
// and logs why.
func (m *Mail) allowReply(ctx context.Context, addr string) bool {
	rec, _, err := m.replyTimes.Get(ctx, addr)
	if err != nil {
		m.log.Error("reply limit", "err", err)
		return true
	}
	return len(recent(rec.Value, m.now().Unix())) < m.cfg.RepliesPerHour
}

func (m *Mail) processed(ctx context.Context, id string) (bool, error) {
	_, found, err := m.processedMails.Get(ctx, id)
	return found, err
}

func (m *Mail) record(ctx context.Context, id string) error {
	return m.processedMails.Put(ctx, id, nil)
}
