package mattermost

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/booking"
	"buergerbuero/conversation"
)

// action runs a verified button press by a staff member.
func (b *Bot) action(ctx context.Context, req model.PostActionIntegrationRequest, action, target string) *model.PostActionIntegrationResponse {
	b.remember(req.UserId, "seen", b.store.Now().Format("2006-01-02T15:04:05Z07:00"))
	if action == "opt" { // a choice in a booking dialogue in the bot's DM
		dm, option, _ := strings.Cut(target, "\x00")
		if err := b.converse(ctx, dm, req.UserName, conversation.Message{Option: option}); err != nil {
			return &model.PostActionIntegrationResponse{EphemeralText: b.failed(err)}
		}
		return &model.PostActionIntegrationResponse{}
	}
	id, err := strconv.ParseUint(target, 10, 64)
	verb := actionFor(action)
	if err != nil || verb == "" {
		return &model.PostActionIntegrationResponse{EphemeralText: b.say("StaffUnknownButton")}
	}
	bk, err := b.calls.Act(ctx, id, verb, "", req.UserName)
	if err != nil {
		text := b.failed(err)
		if errors.Is(err, booking.ErrNotActive) {
			text = b.say("StaffAlreadyFurther", "Err", strings.TrimPrefix(err.Error(), "booking: "))
		}
		return &model.PostActionIntegrationResponse{EphemeralText: text}
	}
	b.refreshBoard(ctx)
	what := b.say("StaffDid_" + action)
	if action == "noshow" && bk.Status == booking.StatusBooked {
		what = b.say("StaffDidNoShowRecall", "Minutes", int(b.store.Config().Calls.RecallDelay.Minutes()))
	}
	if bk.Status == booking.StatusExpired {
		what = b.say("StaffDidExpire")
	}
	post := &model.Post{Id: req.PostId, ChannelId: req.ChannelId}
	b.callPost(post, bk, fmt.Sprintf("✓ %s – @%s, %s", what, req.UserName, b.store.Now().In(b.store.Config().Location()).Format("15:04")))
	return &model.PostActionIntegrationResponse{Update: post}
}
