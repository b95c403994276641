package conversation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"buergerbuero/booking"
)

// The outbox: messages that must reach a citizen across a crash. A
// booking, cancellation or move is stored in one transaction with the
// dialogue's new state and the message that tells of it (an Effect passed with the change);
// what the engine sends on its own (calls, reminders, offers, copies by
// mail) is stored before it is sent. The channel that shows a turn's
// replies says when it did (Delivered); whatever is left is delivered by
// DeliverOutbox, oldest first per chat, with back-off, after a restart with
// a note that it may be a repeat. Entries are sealed with the service key
// (a confirmation holds the PIN) and deleted once delivered; the store's
// Forget clears any left after the retention period.

const outboxKind = "outbox"

// Outbox timing: a turn's reply the channel has not confirmed within
// handOverGrace is the outbox's to deliver; failed deliveries wait from
// outboxFirstWait, doubling up to outboxMaxWait, for up to outboxGiveUp.
const (
	handOverGrace = 2 * time.Minute
	// otherInstanceGrace is how long another instance's handed reply is
	// left to it: after that the instance is taken for dead.
	otherInstanceGrace = 30 * time.Second
	outboxFirstWait    = 10 * time.Second
	outboxMaxWait      = 30 * time.Minute
	outboxGiveUp       = 72 * time.Hour
)

// outgoing is one outbox entry: replies for one chat.
type outgoing struct {
	Channel string    `json:"channel"`
	ChatID  string    `json:"chat"`
	Lang    string    `json:"lang"`
	Replies []Reply   `json:"replies"`
	Created time.Time `json:"created"`
	// Handed is set for a turn's reply, handed to the channel at once: if
	// the outbox has to deliver it, the channel may have shown it already.
	Handed   bool      `json:"handed,omitempty"`
	Instance string    `json:"instance,omitempty"` // the instance that handed it
	Attempts int       `json:"attempts,omitempty"`
	NextTry  time.Time `json:"next_try,omitzero"`
}

// newOutboxKey names an entry so that keys sort by time.
func newOutboxKey(now time.Time) string {
	var r [6]byte
	rand.Read(r[:])
	return fmt.Sprintf("%020d-%s", now.UnixNano(), hex.EncodeToString(r[:]))
}

// outboxWrite is the sealed record of o under key.
func (e *Engine) outboxWrite(key string, o outgoing) (booking.Write, error) {
	plain, err := json.Marshal(o)
	if err != nil {
		return booking.Write{}, err
	}
	sealed, err := e.store.Seal(plain)
	if err != nil {
		return booking.Write{}, err
	}
	return booking.Write{Kind: outboxKind, Key: key, Value: sealed}, nil
}

// hold marks key as handed to a channel with a turn's replies, so the
// outbox leaves it to the channel for a while.
func (e *Engine) hold(key string) {
	e.outMu.Lock()
	defer e.outMu.Unlock()
	e.inflight[key] = time.Now()
}

func (e *Engine) release(keys ...string) {
	e.outMu.Lock()
	defer e.outMu.Unlock()
	for _, k := range keys {
		delete(e.inflight, k)
	}
}

// held reports whether a channel still has the entry o in hand: one of
// this instance for a while after it took it (unless it gave it back,
// Undelivered), one of another instance for a while after it was made.
func (e *Engine) held(key string, o outgoing, now time.Time) bool {
	e.outMu.Lock()
	defer e.outMu.Unlock()
	if _, ok := e.shown[key]; ok {
		return true // shown while this pass was under way: done
	}
	if at, ok := e.inflight[key]; ok {
		return !at.IsZero() && time.Since(at) < handOverGrace
	}
	return o.Handed && o.Instance != e.opts.Instance && now.Sub(o.Created) < otherInstanceGrace
}

// forgetShown drops the notes of entries shown a while ago: their records
// are gone by then.
func (e *Engine) forgetShown() {
	e.outMu.Lock()
	defer e.outMu.Unlock()
	for k, at := range e.shown {
		if _, pending := e.unswept[k]; !pending && time.Since(at) > handOverGrace {
			delete(e.shown, k)
		}
	}
}

// kick wakes the outbox's delivery.
func (e *Engine) kick() {
	select {
	case e.kicked <- struct{}{}:
	default:
	}
}

// Delivered tells the engine that a channel showed these replies (as
// returned by Handle): their outbox entries are done. It writes nothing
// itself: the instance's next sweep (RunSweeps, or the leader's outbox
// pass) deletes the entries of every turn shown since, in one transaction
// (a crash before that sends them again, marked as a possible repeat).
func (e *Engine) Delivered(ctx context.Context, replies []Reply) error {
	e.outMu.Lock()
	now := time.Now()
	for _, r := range replies {
		if r.Outbox != "" {
			e.shown[r.Outbox] = now
			e.unswept[r.Outbox] = struct{}{}
			delete(e.inflight, r.Outbox)
		}
	}
	e.outMu.Unlock()
	return nil
}

// sweepShown deletes the outbox entries of the replies channels showed
// since the last sweep, in one transaction.
func (e *Engine) sweepShown(ctx context.Context) error {
	e.outMu.Lock()
	writes := make([]booking.Write, 0, len(e.unswept))
	for k := range e.unswept {
		writes = append(writes, booking.Write{Kind: outboxKind, Key: k})
	}
	clear(e.unswept)
	e.outMu.Unlock()
	if len(writes) == 0 {
		return nil
	}
	// In parts: deleting one shown entry does not depend on another, and a
	// store on etcd takes at most so many writes in one transaction.
	for from := 0; from < len(writes); from += sweepPart {
		if err := e.store.Apply(ctx, writes[from:min(from+sweepPart, len(writes))]...); err != nil {
			e.outMu.Lock()
			for _, w := range writes[from:] {
				e.unswept[w.Key] = struct{}{} // the next sweep tries again
			}
			e.outMu.Unlock()
			return fmt.Errorf("delete shown outbox entries: %w", err)
		}
	}
	return nil
}

// sweepPart is how many shown entries one transaction deletes.
const sweepPart = 100

// Undelivered tells the engine that a channel could not show these
// replies: the outbox delivers their entries, with back-off.
func (e *Engine) Undelivered(replies []Reply) {
	e.outMu.Lock()
	for _, r := range replies {
		if r.Outbox != "" {
			e.inflight[r.Outbox] = time.Time{} // given back: the outbox's at once
		}
	}
	e.outMu.Unlock()
	e.kick()
}

// enqueue stores replies for a chat in the outbox, with extra records in
// the same transaction, and wakes the delivery.
func (e *Engine) enqueue(ctx context.Context, o outgoing, extra ...booking.Write) error {
	o.Created = e.store.Now()
	w, err := e.outboxWrite(newOutboxKey(o.Created), o)
	if err != nil {
		return err
	}
	if err := e.store.Apply(ctx, append([]booking.Write{w}, extra...)...); err != nil {
		return err
	}
	e.kick()
	return nil
}

// RunOutbox delivers the outbox now, whenever something is added, and
// every interval (for retries), until ctx ends.
func (e *Engine) RunOutbox(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := e.DeliverOutbox(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			if err := e.sweepShown(context.WithoutCancel(ctx)); err != nil {
				e.log.Error("outbox at stop", "err", err)
			}
			return
		case <-t.C:
		case <-e.kicked:
		}
	}
}

// RunSweeps deletes the outbox entries of replies shown (Delivered) on
// this instance, all shown since the last sweep in one transaction, every
// interval, until ctx ends. It runs on every instance that hands replies
// to a channel (RunOutbox, which sweeps too, runs only on the leader).
func (e *Engine) RunSweeps(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := e.sweepShown(context.WithoutCancel(ctx)); err != nil {
				e.log.Error("outbox sweep at stop", "err", err)
			}
			return
		case <-t.C:
			if err := e.sweepShown(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("outbox sweep", "err", err)
			}
		}
	}
}

// DeliverOutbox sends every entry that is due, oldest first; an entry that
// fails holds back the later ones of its chat, so each chat reads its
// messages in order.
func (e *Engine) DeliverOutbox(ctx context.Context) error {
	e.deliverMu.Lock()
	defer e.deliverMu.Unlock()
	if err := e.sweepShown(ctx); err != nil {
		return err
	}
	e.forgetShown()
	recs, err := e.outbox.All(ctx)
	if err != nil {
		return err
	}
	now := e.store.Now()
	blocked := map[string]bool{}
	var errs []error
	for _, rec := range recs {
		if ctx.Err() != nil {
			break // stopping: what was begun is done, nothing new begins
		}
		plain, err := e.store.Unseal(rec.Value)
		var o outgoing
		if err == nil {
			err = json.Unmarshal(plain, &o)
		}
		if err != nil {
			e.log.Error("outbox entry unreadable, dropped", "key", rec.Key, "err", err)
			e.release(rec.Key)
			errs = append(errs, e.outbox.Delete(ctx, rec.Key))
			continue
		}
		if e.held(rec.Key, o, now) {
			continue
		}
		chat := o.Channel + "\x00" + o.ChatID
		if blocked[chat] || now.Before(o.NextTry) {
			blocked[chat] = true
			continue
		}
		s := e.sender(o.Channel)
		if s == nil {
			blocked[chat] = true
			continue // the channel is not configured (now): kept for the retention period
		}
		replies := slices.Clone(o.Replies)
		if o.Handed || rec.Written.Before(e.started) {
			replies = e.markRepeat(o) // it may have reached the citizen already
		}
		for i := range replies {
			replies[i].Outbox = rec.Key // a channel may dedupe by it (a mail's Message-ID)
		}
		sent, err := e.deliverOne(ctx, s, rec.Key, o, replies, now)
		if !sent {
			blocked[chat] = true // the chat's later messages wait for this one
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// deliverTimeout bounds the sending of one outbox entry.
const deliverTimeout = 30 * time.Second

// deliverOne sends one entry and deletes it, or keeps it for a later try.
// A stop does not cut it in two: a message sent is also deleted, so the
// next instance does not send it again.
func (e *Engine) deliverOne(ctx context.Context, s Sender, key string, o outgoing, replies []Reply, now time.Time) (sent bool, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliverTimeout)
	defer cancel()
	if err := s.Send(ctx, o.ChatID, replies); err != nil {
		return false, e.retryLater(ctx, key, o, now, err)
	}
	err = e.outbox.Delete(ctx, key)
	e.release(key)
	return true, err
}

// markRepeat says on the first reply that it may be a repeat.
func (e *Engine) markRepeat(o outgoing) []Reply {
	replies := slices.Clone(o.Replies)
	if len(replies) > 0 {
		replies[0].Text = e.texts.T(langOf(o.Lang), "Repeat") + "\n\n" + replies[0].Text
	}
	return replies
}

// retryLater keeps a failed entry for a later try, or drops it after
// outboxGiveUp.
func (e *Engine) retryLater(ctx context.Context, key string, o outgoing, now time.Time, cause error) error {
	if now.Sub(o.Created) > outboxGiveUp {
		e.log.Error("outbox entry given up", "channel", o.Channel, "created", o.Created, "err", cause)
		e.release(key)
		return e.outbox.Delete(ctx, key)
	}
	wait := outboxFirstWait << min(o.Attempts, 20)
	o.Attempts++
	o.NextTry = now.Add(min(wait, outboxMaxWait))
	e.log.Warn("outbox delivery failed, will retry", "channel", o.Channel, "attempt", o.Attempts, "at", o.NextTry, "err", cause)
	w, err := e.outboxWrite(key, o)
	if err != nil {
		return err
	}
	return e.store.Apply(ctx, w)
}

// telling is the message of a booking change under way: the effect that
// stores it with the change (the chat's reply under key, a copy by mail,
// the dialogue as the turn will leave it, extra records), and what the
// committed run of that effect rendered and stored, so the turn shows that
// reply without rendering it again and writes nothing more.
type telling struct {
	t      *turn
	key    string
	render func(booking.Change) (chat, mail Reply)
	extra  []booking.Write
	after  dialogue
	chat   Reply      // the chat's reply as the last run of the effect rendered it
	stored *committed // the dialogue record the last run wrote
}

// tellWith starts the message of a change: pass its effect with the change,
// then say it (told) or drop it (abandon). render makes the chat's reply
// and the copy by mail; extra records are stored with them.
func (t *turn) tellWith(render func(booking.Change) (chat, mail Reply), extra ...booking.Write) *telling {
	return &telling{t: t, key: t.outboxKey(), render: render, extra: extra,
		after: dialogue{State: stIdle, Lang: t.d.Lang, Handled: t.d.Handled}}
}

// effect is the booking.Effect of the change: it stores the chat's reply
// (unless the key is empty), the copy by mail, the extra records and the
// chat's dialogue as the turn leaves it once the change is done. So a crash
// keeps the change and its message together, and the turn needs no write
// of its own.
func (tl *telling) effect(c booking.Change) ([]booking.Write, error) {
	e := tl.t.e
	chat, mail := tl.render(c)
	var writes []booking.Write
	if tl.key != "" {
		w, err := e.outboxWrite(tl.key, outgoing{Channel: tl.t.owner.Channel, ChatID: tl.t.owner.ChatID, Lang: tl.after.Lang,
			Replies: []Reply{chat}, Created: c.Now, Handed: true, Instance: e.opts.Instance})
		if err != nil {
			return nil, err
		}
		writes = append(writes, w)
	}
	copied, err := e.mailCopy(c, newOutboxKey(c.Now), mail)
	if err != nil {
		return nil, err
	}
	writes = append(writes, copied...)
	after := tl.after
	after.Options = (&turn{e: e, d: &after}).menuOptions() // the menu follows the change's reply
	stored, err := e.committedDialogue(after, tl.t.hint)
	if err != nil {
		return nil, err
	}
	after.Updated = c.Now
	w := booking.Write{Kind: "dialogues", Key: dialogueKey(tl.t.owner.Channel, tl.t.owner.ChatID)}
	if stored.kept {
		if w.Value, err = json.Marshal(after); err != nil {
			return nil, err
		}
	}
	tl.chat, tl.stored = chat, stored
	return append(append(writes, tl.extra...), w), nil
}

// abandon drops the message of a change that did not go through.
func (tl *telling) abandon() { tl.t.e.release(tl.key) }

// outboxKey is the key of the entry that keeps this turn's message of a
// change, held for the channel; empty for a clerk's turn (the clerk sees
// the answer at once and can look the booking up).
func (t *turn) outboxKey() string {
	if t.staff {
		return ""
	}
	key := newOutboxKey(t.now)
	t.e.hold(key)
	return key
}

// told says the reply of a change that went through, as its transaction
// stored it (kept in the outbox until the channel shows it), and notes the
// dialogue that transaction stored, so the turn writes it again only if
// it ends elsewhere.
func (t *turn) told(tl *telling) {
	r := tl.chat
	r.Outbox = tl.key
	t.say(r)
	t.committed = tl.stored
	t.d.Held = time.Time{} // the change's transaction ended the chat's hold
	t.e.kick()             // a copy by mail may wait in the outbox
}

// mailCopy is the outbox entry (under key) that copies mail, the message
// of change c, to the booking's e-mail address, where one is wanted
// (mailCopyWanted); none otherwise.
func (e *Engine) mailCopy(c booking.Change, key string, mail Reply) ([]booking.Write, error) {
	if !e.mailCopyWanted(c.Booking) {
		return nil, nil
	}
	mail.Options = nil // a copy answers nothing
	w, err := e.outboxWrite(key, outgoing{Channel: MailChannel, ChatID: c.Booking.Email, Lang: c.Booking.Lang, Replies: []Reply{mail}, Created: c.Now})
	if err != nil {
		return nil, err
	}
	return []booking.Write{w}, nil
}

// mailCopyWanted reports whether a change of b is copied by mail: made on
// another channel, with an address, where the office has mail.
func (e *Engine) mailCopyWanted(b booking.Booking) bool {
	return b.Email != "" && b.Channel != MailChannel && e.sender(MailChannel) != nil
}
