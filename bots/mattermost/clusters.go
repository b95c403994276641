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
		return "Die Liste ist gerade nicht lesbar."
	}
	if len(clusters) == 0 {
		return fmt.Sprintf("Keine Auffälligkeiten: keine Gruppe von %d oder mehr Terminen aus einer Quelle oder unter einem Namen.", booking.MinClusterSize)
	}
	loc := b.store.Config().Location()
	var out strings.Builder
	out.WriteString("**Auffällige Gruppen von Buchungen** (mögliches Horten):\n")
	for _, c := range clusters {
		why := "gleiche Quelle"
		if c.Kind == booking.ClusterName {
			why = "ähnlicher Name"
		}
		fmt.Fprintf(&out, "\n• %s „%s“: %d Termine –", why, plain(c.Value), len(c.Bookings))
		for i, bk := range c.Bookings {
			if i == 8 {
				fmt.Fprintf(&out, " … und %d weitere", len(c.Bookings)-i)
				break
			}
			fmt.Fprintf(&out, " %s (%s, %s)", bk.Number, bk.Start.In(loc).Format("02.01. 15:04"), plain(bk.Name))
		}
		fmt.Fprintf(&out, "\n  Alle absagen und die Personen benachrichtigen: `/bb cancelcluster %s`", c.Key)
	}
	return out.String()
}

// cancelCluster cancels a cluster in one step and tells each citizen in
// their chat (/bb cancelcluster <key>).
func (b *Bot) cancelCluster(ctx context.Context, c command, key string) string {
	if key == "" {
		return "Welche Gruppe? `/bb clusters` zeigt sie mit dem Befehl zum Absagen."
	}
	cancelled, err := b.store.CancelCluster(ctx, key, c.userName)
	if err != nil {
		return "Diese Gruppe gibt es nicht (mehr). `/bb clusters` zeigt die aktuellen."
	}
	told := 0
	for _, bk := range cancelled {
		if err := b.dialogue.NotifyCancelledByOffice(ctx, bk); err != nil {
			b.log.Warn("citizen not told of a cluster cancellation", "number", bk.Number, "err", err)
			continue
		}
		told++
	}
	b.log.Warn("cluster cancelled by staff", "cluster_kind", strings.SplitN(key, ":", 2)[0], "bookings", len(cancelled), "by", c.userName)
	return fmt.Sprintf("%d Termine abgesagt (protokolliert mit Ihrem Namen); %d Personen wurden in ihrem Chat oder per E-Mail benachrichtigt.", len(cancelled), told)
}

// AlertGuessing tells the staff channel that PINs are being guessed.
func (b *Bot) AlertGuessing(ctx context.Context, a booking.Alert) {
	text := fmt.Sprintf("⚠️ **Ungewöhnlich viele falsche PINs**: %d in der letzten Stunde (Grenze %d). Vermutlich probiert jemand Wartenummern von der Anzeige durch.", a.Tries, a.Limit)
	if a.Paused {
		text = fmt.Sprintf("🛑 **PIN-Prüfung für Fremde ausgesetzt bis %s**: %d falsche PINs in der letzten Stunde. Bürgerinnen und Bürger können in dem Chat, in dem sie gebucht haben, weiter ohne PIN absagen und verschieben; am Telefon helfen Sie mit `/bb cancel`.",
			a.Until.In(b.store.Config().Location()).Format("15:04"), a.Tries)
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
