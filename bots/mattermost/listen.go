package mattermost

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/conversation"
)

// listen follows Mattermost's websocket for messages staff write to the
// bot in a direct message (the booking dialogue for a caller), reconnecting
// with back-off.
func (b *Bot) listen(ctx context.Context) {
	url := b.cfg.URL
	url = "ws" + strings.TrimPrefix(strings.TrimRight(url, "/"), "http")
	wait := time.Second
	for ctx.Err() == nil {
		ws, err := model.NewWebSocketClient4(url, b.cfg.Token)
		if err != nil {
			b.log.Warn("mattermost websocket, trying again", "in", wait, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, time.Minute)
			continue
		}
		wait = time.Second
		ws.Listen()
		b.read(ctx, ws)
		ws.Close()
	}
}

func (b *Bot) read(ctx context.Context, ws *model.WebSocketClient) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ws.PingTimeoutChannel:
			return
		case ev, ok := <-ws.EventChannel:
			if !ok {
				return
			}
			if ev.EventType() == model.WebsocketEventPosted {
				b.onPosted(ctx, ev.GetData())
			}
		}
	}
}

// onPosted hands a staff member's direct message to the bot to the dialogue.
func (b *Bot) onPosted(ctx context.Context, data map[string]any) {
	raw, _ := data["post"].(string)
	var post model.Post
	if json.Unmarshal([]byte(raw), &post) != nil || post.UserId == b.botID() || post.UserId == "" {
		return
	}
	if kind, _ := data["channel_type"].(string); kind != string(model.ChannelTypeDirect) {
		return
	}
	name, _ := data["sender_name"].(string)
	name = strings.TrimPrefix(name, "@")
	if !b.isStaff(post.UserId, "") {
		if _, _, err := b.client.CreatePost(ctx, &model.Post{ChannelId: post.ChannelId, Message: b.say("StaffOnlyBot")}); err != nil {
			b.log.Warn("refusal to a stranger not posted", "err", err)
		}
		return
	}
	if err := b.converse(ctx, post.ChannelId, name, conversation.Message{Text: post.Message}); err != nil {
		b.log.Warn("dialogue in a direct message", "err", err)
	}
}
