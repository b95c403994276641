package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/booking"
	"buergerbuero/conversation"
	"buergerbuero/office"
)

// contextOf returns the signed context of the button named on post.
func contextOf(t *testing.T, post *model.Post, name string) map[string]any {
	t.Helper()
	for _, a := range post.Attachments() {
		for _, act := range a.Actions {
			if act.Name == name {
				return act.Integration.Context
			}
		}
	}
	t.Fatalf("no button %q", name)
	return nil
}

// A button works only on the post it was made for, for its action, and
// for a working day.
func TestButtonsAreBoundToTheirPostAndExpire(t *testing.T) {
	r := newRig(t)
	first, _ := r.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	second, _ := r.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	r.slash("anna", "next 1")
	firstPost := r.lastPost(r.staff, 1)
	r.slash("ben", "next 2")
	secondPost := r.lastPost(r.staff, 2)
	// The first post's "done" pressed as if it were on the second post.
	moved := &model.Post{Id: secondPost.Id, ChannelId: secondPost.ChannelId}
	if status, resp := r.pressContext(moved, contextOf(t, firstPost, "Fertig"), "anna"); status != http.StatusForbidden {
		t.Errorf("a button copied to another post: %d %+v", status, resp)
	}
	// An expiry pushed further is a forgery too.
	ctxLater := contextOf(t, firstPost, "Fertig")
	ctxLater["expires"] = "2099-01-01T00:00:00Z"
	if status, _ := r.pressContext(firstPost, ctxLater, "anna"); status != http.StatusForbidden {
		t.Errorf("a changed expiry: %d", status)
	}
	r.clock.Advance(buttonLifetime + time.Minute)
	_, resp := r.press(firstPost, "Fertig", "anna")
	expect(t, "expired", resp.EphemeralText, "abgelaufen")
	for _, b := range []booking.Booking{first, second} {
		if got, _ := r.store.Get(ctx, b.ID); got.Status != booking.StatusCalled {
			t.Errorf("%s is %s after refused presses", b.Number, got.Status)
		}
	}
}

// Staff are their user ids: a user who renames themselves to a clerk's
// name gets nothing.
func TestARenamedUserIsNoClerk(t *testing.T) {
	r := newRig(t)
	r.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}}})
	r.mm.RenameUser(r.users["mallory"], "anna")
	r.users["anna"], r.users["real-anna"] = r.users["mallory"], r.users["anna"] // "anna" is now mallory's id
	expect(t, "impostor", r.slash("anna", "next 1"), "vorbehalten")
	r.users["anna"] = r.users["real-anna"]
	expect(t, "the real clerk", r.slash("anna", "next 1"), "aufgerufen")
}

// A citizen's name is text in the call post: no link, image, formatting or
// mention of everybody.
func TestCitizenNamesAreInertInMarkdown(t *testing.T) {
	r := newRig(t)
	loc := r.store.Config().Location()
	r.clock.Set(time.Date(2026, 11, 24, 8, 30, 0, 0, loc))
	name := "Eve [Klick hier](https://e.vil/x) ![b](https://e.vil/p.png) @channel **laut** www.e.vil"
	appt, _, err := r.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}},
		Start: time.Date(2026, 11, 24, 9, 40, 0, 0, loc), Name: name, PersonKey: "x"})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Set(appt.Start)
	r.slash("anna", "next 1")
	text := postText(r.lastPost(r.staff, 1))
	for _, bad := range []string{"](", "![", "@channel", "**laut**", "https://", "www.e.vil"} {
		if strings.Contains(text, bad) {
			t.Errorf("the call post carries %q:\n%s", bad, text)
		}
	}
	expect(t, "the name is still readable", text, "Eve", "Klick hier", "laut")
}

func TestPlainEscapesEveryMarkdownSign(t *testing.T) {
	for in, want := range map[string]string{
		"Dr. Müller":     `Dr\. Müller`,
		"a\nb  c":        "a b c",
		"@all":           "@\u200ball",
		"<img src=x>":    `\<img src\=x\>`,
		"`code` *b* _i_": "\\`code\\` \\*b\\* \\_i\\_",
		"Eve \u202eredlof\u202c \u2066x\u2069\u200b": "Eve redlof x",
	} {
		if got := plain(in); got != want {
			t.Errorf("plain(%q) = %q, want %q", in, got, want)
		}
	}
}

// inbox is a citizens' channel as the engine sees it: what it was asked to
// send, by chat.
type inbox struct {
	mu   sync.Mutex
	sent map[string][]string
}

// await is what chat was sent, once it says want (or after 5 s): the
// outbox delivers in the background.
func (i *inbox) await(chat, want string) string {
	var got string
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(got, want) && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		i.mu.Lock()
		got = strings.Join(i.sent[chat], "\n")
		i.mu.Unlock()
	}
	return got
}

func (i *inbox) Send(_ context.Context, chat string, replies []conversation.Reply) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, r := range replies {
		i.sent[chat] = append(i.sent[chat], r.Text)
	}
	return nil
}

// Staff see a cluster of hoarded bookings and cancel it in one step; each
// citizen is told in their chat (the message stored with the
// cancellation, delivered by the outbox).
func TestStaffCancelAClusterAndCitizensAreTold(t *testing.T) {
	r := newRig(t)
	web := &inbox{sent: map[string][]string{}}
	r.engine.Register("web", web)
	loc := r.store.Config().Location()
	for i := range 3 {
		_, _, err := r.store.Book(ctx, booking.Request{Concerns: []office.ConcernCount{{ID: "meldebescheinigung", Count: 1}},
			Start: time.Date(2026, 11, 25, 9, 0, 0, 0, loc).Add(time.Duration(i) * 20 * time.Minute), Name: fmt.Sprintf("Max Mustermann %c", 'A'+i),
			PersonKey: fmt.Sprint("web:", i), Source: "net:198.51.100.0/24", Channel: "web", ChatID: fmt.Sprint("chat", i)})
		if err != nil {
			t.Fatal(err)
		}
	}
	list := r.slash("anna", "clusters")
	expect(t, "list", list, "gleiche Quelle", "198\\.51\\.100\\.0/24", "3 Termine", "/bb cancelcluster source:net:198.51.100.0/24",
		"ähnlicher Name", "/bb cancelcluster name:max mustermann")
	expect(t, "not for others", r.slash("mallory", "clusters"), "vorbehalten")
	expect(t, "cancel", r.slash("anna", "cancelcluster source:net:198.51.100.0/24"), "3 Termine abgesagt", "3 Personen")
	for i := range 3 { // by the outbox, which stored each message with the cancellation
		expect(t, "citizen told", web.await(fmt.Sprint("chat", i), "abgesagt"), "vom Bürgerbüro abgesagt", "Termine hortet", "02175 992200")
	}
	expect(t, "gone", r.slash("anna", "clusters"), "Keine Auffälligkeiten")
}

func TestGuessingAlertReachesTheStaffChannel(t *testing.T) {
	r := newRig(t)
	r.bot.AlertGuessing(ctx, booking.Alert{Tries: 101, Limit: 100, Paused: true, Until: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)})
	expect(t, "alert", postText(r.lastPost(r.staff, 1)), "PIN-Prüfung für Fremde ausgesetzt bis 10:00", "101 falsche PINs")
	// A cohort of the waiting list that reached its share: a suspected
	// farm, with the command that cancels it.
	r.bot.AlertGuessing(ctx, booking.Alert{Cohort: "w20261124-0000", Day: time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)})
	expect(t, "cohort alert", postText(r.lastPost(r.staff, 1)), "Verdacht auf eine Buchungsfarm", "15.12.2026", "/bb cancelcluster cohort:w20261124-0000")
}

var escaped = regexp.MustCompile(`\\.`)

// FuzzPlain: no name, however written, yields a link, an image, a mention or
// a line break in the markdown.
func FuzzPlain(f *testing.F) {
	f.Add("Eve [x](https://e.vil) @channel")
	f.Add("![a](b)\n# Titel")
	f.Fuzz(func(t *testing.T, name string) {
		out := escaped.ReplaceAllString(plain(name), "") // what markdown reads as signs
		if strings.Contains(out, "\n") || strings.Contains(out, "](") || strings.Contains(out, "@channel") || strings.Contains(out, "@all") ||
			strings.Contains(out, "://") || strings.Contains(out, "@here") {
			t.Fatalf("plain(%q) = %q", name, out)
		}
	})
}
