package mattermost

import (
	"context"
	"fmt"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/booking"
)

// clustersText lists the clusters of suspicious bookings (/bb clusters).
func (b *Bot) clustersText(ctx context.Context) string {
	clusters, err := b.store.Clusters(ctx)
	if err != nil {
		b.log.Error("clusters", "err", err)
		return b.say("StaffListUnreadable")
	}
	if len(clusters) == 0 {
		return b.say("StaffNoClusters", "Min", booking.MinClusterSize)
	}
	loc := b.store.Config().Location()
	var out strings.Builder
	out.WriteString(b.say("StaffClustersTitle") + "\n")
	for _, c := range clusters {
		why := b.say("StaffClusterSource")
		switch c.Kind {
		case booking.ClusterName:
			why = b.say("StaffClusterName")
		case booking.ClusterCohort:
			why = b.say("StaffClusterCohort")
		}
		out.WriteString("\n• " + b.say("StaffClusterLine", "Why", why, "Value", plain(c.Value), "N", len(c.Bookings)))
		for i, bk := range c.Bookings {
			if i == 8 {
				out.WriteString(" " + b.say("StaffAndMore", "N", len(c.Bookings)-i))
				break
			}
			fmt.Fprintf(&out, " %s (%s, %s)", bk.Number, bk.Start.In(loc).Format("02.01. 15:04"), plain(bk.Name))
		}
		out.WriteString("\n  " + b.say("StaffClusterCancelHint", "Key", c.Key))
	}
	return out.String()
}

// cancelCluster cancels a cluster in one step and tells each citizen in
// their chat (/bb cancelcluster <key>).
func (b *Bot) cancelCluster(ctx context.Context, c command, key string) string {
	if key == "" {
		return b.say("StaffWhichCluster")
	}
	cancelled, err := b.store.CancelCluster(ctx, key, c.userName, b.dialogue.CancelledInCluster)
	if err != nil {
		return b.say("StaffClusterGone")
	}
	b.dialogue.DeliverSoon()
	told := 0
	for _, bk := range cancelled {
		if bk.ChatID != "" || bk.Email != "" {
			told++
		}
	}
	b.log.Warn("cluster cancelled by staff", "cluster_kind", strings.SplitN(key, ":", 2)[0], "bookings", len(cancelled), "by", c.userName)
	return b.say("StaffClusterCancelled", "N", len(cancelled), "Told", told)
}

// AlertGuessing tells the staff channel that PINs are being guessed, or
// that a cohort of a day's waiting list reached its share (a suspected
// farm).
func (b *Bot) AlertGuessing(ctx context.Context, a booking.Alert) {
	text := b.say("StaffGuessingAlert", "Tries", a.Tries, "Limit", a.Limit)
	switch {
	case a.Cohort != "":
		text = b.say("StaffCohortFull", "Day", a.Day.In(b.store.Config().Location()).Format("02.01.2006"), "Key", booking.ClusterCohort+":"+a.Cohort)
	case a.Paused:
		text = b.say("StaffGuessingPaused", "Until", a.Until.In(b.store.Config().Location()).Format("15:04"), "Tries", a.Tries)
	}
	b.mu.Lock()
	staffChannel := b.staffChannel
	b.mu.Unlock()
	if staffChannel == "" {
		return
	}
	if _, _, err := b.client.CreatePost(ctx, &model.Post{ChannelId: staffChannel, Message: text}); err != nil {
		b.log.Warn("guessing alert not posted", "err", err)
	}
}
