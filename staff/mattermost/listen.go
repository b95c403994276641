package mattermost

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/conversation"
)

// listen follows Mattermost's websocket for messages staff write to the
// bot in a direct message (the booking dialogue for a caller), reconnecting
// with back-off.
func listen(ctx context.Context, cfg Config, log *slog.Logger, onPosted func(context.Context, map[string]any)) {
	url := "ws" + strings.TrimPrefix(strings.TrimRight(cfg.URL, "/"), "http")
	wait := time.Second
	for ctx.Err() == nil {
		ws, err := model.NewWebSocketClient4(url, cfg.Token)
		if err != nil {
			log.Warn("mattermost websocket, trying again", "in", wait, "err", err)
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
		read(ctx, ws, onPosted)
		ws.Close()
	}
}

func read(ctx context.Context, ws *model.WebSocketClient, onPosted func(context.Context, map[string]any)) {
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
				onPosted(ctx, ev.GetData())
			}
		}
	}
}

// onPosted hands a staff member's direct message to the bot to the dialogue.
func (b *Bot) onPosted(ctx context.Context, data map[string]any) {
	post, name, ok := directMessage(data, b.botID())
	if !ok {
		return
	}
	if !b.isStaff(post.UserId, "") {
		b.reply(ctx, post.ChannelId, b.say("StaffOnlyBot"))
		return
	}
	if err := b.converse(ctx, post.ChannelId, name, conversation.Message{Text: post.Message}); err != nil {
		b.log.Warn("dialogue in a direct message", "err", err)
	}
}

// directMessage is a post somebody other than the bot wrote in a direct
// message, and the writer's user name.
func directMessage(data map[string]any, botID string) (*model.Post, string, bool) {
	raw, _ := data["post"].(string)
	var post model.Post
	if json.Unmarshal([]byte(raw), &post) != nil || post.UserId == botID || post.UserId == "" {
		return nil, "", false
	}
	if kind, _ := data["channel_type"].(string); kind != string(model.ChannelTypeDirect) {
		return nil, "", false
	}
	name, _ := data["sender_name"].(string)
	return &post, strings.TrimPrefix(name, "@"), true
}

// reply posts a plain answer in a channel.
func (b *Bot) reply(ctx context.Context, channelID, text string) {
	if _, _, err := b.client.CreatePost(ctx, &model.Post{ChannelId: channelID, Message: text}); err != nil {
		b.log.Warn("answer not posted", "err", err)
	}
}
