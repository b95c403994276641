package mattermost

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/office"
)

// refreshBoard keeps one post in the queue channel up to date: the waiting
// numbers, the appointments due later, and whom each counter serves. A new
// post is started each day.
func (b *Bot) refreshBoard(ctx context.Context) {
	b.mu.Lock()
	channel := b.queueChannel
	b.mu.Unlock()
	if channel == "" {
		return
	}
	q, err := b.calls.Queue(ctx)
	if err != nil {
		b.log.Warn("queue board", "err", err)
		return
	}
	now := b.store.Now()
	text := b.boardText(b.store.Config(), q, now)
	key := "board/" + now.In(b.store.Config().Location()).Format("2006-01-02")
	b.mu.Lock()
	defer b.mu.Unlock() // one refresh at a time, so there is one board post
	if id := b.recall(key); id != "" {
		if _, _, err := b.client.UpdatePost(ctx, id, &model.Post{Id: id, ChannelId: channel, Message: text}); err != nil {
			b.log.Warn("queue board update", "err", err)
		}
		return
	}
	post, _, err := b.client.CreatePost(ctx, &model.Post{ChannelId: channel, Message: text})
	if err != nil {
		b.log.Warn("queue board", "err", err)
		return
	}
	b.remember(strings.TrimPrefix(key, "board/"), "board", post.Id)
}

// boardText renders the queue as Markdown.
func (bot *Bot) boardText(cfg *office.Config, q callsystem.Queue, now time.Time) string {
	loc := cfg.Location()
	var b strings.Builder
	b.WriteString(bot.say("StaffBoardTitle", "Time", now.In(loc).Format("15:04")) + "\n")
	for _, c := range cfg.Counters {
		who := "–"
		if bk, ok := q.Serving[c.ID]; ok {
			who = bot.say("StaffBoardServing", "Number", bk.Number, "Status", bot.statusText(bk.Status), "Since", bk.CalledAt.In(loc).Format("15:04"))
		}
		fmt.Fprintf(&b, "| %s | %s |\n", c.Name, who)
	}
	b.WriteString("\n" + bot.say("StaffBoardWaiting", "N", len(q.Waiting)))
	for i, bk := range q.Waiting {
		if i == 15 {
			b.WriteString("\n" + bot.say("StaffAndMore", "N", len(q.Waiting)-15))
			break
		}
		since := bk.CreatedAt
		label := bot.say("StaffSince", "Time", since.In(loc).Format("15:04"))
		if bk.Kind == booking.KindAppointment {
			label = bot.say("StaffKindAppointment", "Time", bk.Start.In(loc).Format("15:04"))
		}
		flag := ""
		if bk.Priority {
			flag = " ❗"
		}
		b.WriteString("\n- " + bot.say("StaffBoardLine", "Number", bk.Number+flag, "Concerns", concernNames(cfg, bk), "Label", label, "Minutes", int(now.Sub(since).Minutes())))
	}
	if len(q.Later) > 0 {
		var later []string
		for _, bk := range q.Later {
			later = append(later, bk.Number+" "+bk.Start.In(loc).Format("15:04"))
		}
		b.WriteString("\n\n" + bot.say("StaffBoardLater", "List", strings.Join(later, ", ")))
	}
	return b.String()
}

func concernNames(cfg *office.Config, bk booking.Booking) string {
	var names []string
	for _, cc := range bk.Concerns {
		if c, ok := cfg.Concern(cc.ID); ok {
			names = append(names, c.Name.DE)
		}
	}
	return strings.Join(names, ", ")
}
