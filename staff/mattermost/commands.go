package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/conversation"
	"buergerbuero/office"
	"buergerbuero/stats"
)

// command is one /bb request.
type command struct {
	userID, userName, teamID, channelID, text string
}

// command runs a staff member's /bb command and returns the answer.
func (b *Bot) command(ctx context.Context, c command) string {
	verb, args, _ := strings.Cut(c.text, " ")
	args = strings.TrimSpace(args)
	b.remember(c.userID, "seen", b.store.Now().Format(time.RFC3339))
	b.remember(c.userID, "name", c.userName)
	var out string
	switch strings.ToLower(verb) {
	case "", "help", "hilfe":
		return b.say("StaffHelp")
	case "next", "weiter":
		out = b.next(ctx, c, args)
	case "recall", "arrived", "da", "noshow", "done", "fertig", "park":
		out = b.actOnCounter(ctx, c, strings.ToLower(verb), "")
	case "transfer":
		out = b.actOnCounter(ctx, c, "transfer", args)
	case "queue", "warteschlange":
		return b.queueText(ctx)
	case "today", "heute":
		return b.todayText(ctx)
	case "walkin", "nummer":
		out = b.walkIn(ctx, c, args)
	case "book", "termin":
		return b.book(ctx, c)
	case "cancel", "absagen":
		out = b.cancel(ctx, c, args)
	case "clusters", "verdacht":
		return b.clustersText(ctx)
	case "cancelcluster":
		out = b.cancelCluster(ctx, c, args)
	case "urgent", "dringend":
		out = b.urgent(ctx, c, args)
	case "checkin":
		out = b.checkIn(ctx, c, args)
	case "docs", "unterlagen":
		return b.docs(args)
	case "alarm", "notruf":
		return b.alarm(ctx, c)
	default:
		return b.say("StaffUnknownCommand", "Verb", clip(verb, 30), "Help", b.say("StaffHelp"))
	}
	b.refreshBoard(ctx)
	return out
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// remember keeps a small fact about a user (their counter, when seen). A
// failure is logged: the clerk is asked again at worst.
func (b *Bot) remember(userID, key, value string) {
	if err := b.facts.Put(context.Background(), key+"/"+userID, []byte(value)); err != nil {
		b.log.Error("remember", "fact", key, "err", err)
	}
}

// recall returns a fact remembered ("" if none, or if the store fails,
// which is logged).
func (b *Bot) recall(key string) string {
	rec, _, err := b.facts.Get(context.Background(), key)
	if err != nil {
		b.log.Error("recall", "fact", strings.SplitN(key, "/", 2)[0], "err", err)
	}
	return string(rec.Value)
}

// counterOf returns the user's counter: the one given (remembered from now
// on) or the one remembered; else a question to answer the clerk with.
func (b *Bot) counterOf(c command, given string) (id, problem string) {
	cfg := b.store.Config()
	if given != "" {
		for _, ct := range cfg.Counters {
			if strings.EqualFold(ct.ID, given) || strings.EqualFold(ct.Name, given) {
				b.remember(c.userID, "counter", ct.ID)
				return ct.ID, ""
			}
		}
		return "", b.say("StaffNoSuchCounter", "Given", clip(given, 20), "Counters", counterList(cfg))
	}
	if id := b.recall("counter/" + c.userID); id != "" {
		return id, ""
	}
	return "", b.say("StaffWhichCounter", "Counters", counterList(cfg))
}

func counterList(cfg *office.Config) string {
	var ids []string
	for _, c := range cfg.Counters {
		ids = append(ids, c.ID)
	}
	return strings.Join(ids, ", ")
}

func (b *Bot) next(ctx context.Context, c command, args string) string {
	counter, problem := b.counterOf(c, args)
	if problem != "" {
		return problem
	}
	bk, err := b.calls.Next(ctx, counter, c.userName)
	if errors.Is(err, callsystem.ErrNobodyWaiting) {
		return b.say("StaffNobodyWaiting")
	}
	if err != nil {
		b.log.Error("next", "err", err)
		return b.failed(err)
	}
	status := b.say("StaffCalledBy", "User", c.userName, "Time", bk.CalledAt.In(b.store.Config().Location()).Format("15:04"))
	if err := b.postWithButtons(ctx, &model.Post{ChannelId: c.channelID}, func(p *model.Post) { b.callPost(p, bk, status) }); err != nil {
		b.log.Warn("call post", "err", err)
	}
	return b.say("StaffCalled", "Number", bk.Number, "Counter", b.counterName(counter))
}

func (b *Bot) counterName(id string) string {
	if c, ok := b.store.Config().CounterByID(id); ok {
		return c.Name
	}
	return id
}

// callPost renders a called number with the buttons that fit its state.
func (b *Bot) callPost(post *model.Post, bk booking.Booking, status string) {
	cfg := b.store.Config()
	var concerns []string
	for _, cc := range bk.Concerns {
		name := cc.ID
		if c, ok := cfg.Concern(cc.ID); ok {
			name = c.Name.DE
		}
		if cc.Count > 1 {
			name = fmt.Sprintf("%d × %s", cc.Count, name)
		}
		concerns = append(concerns, name)
	}
	kind := b.say("StaffKindWalkIn")
	if bk.Kind == booking.KindAppointment {
		kind = b.say("StaffKindAppointment", "Time", bk.Start.In(cfg.Location()).Format("15:04"))
	}
	text := fmt.Sprintf("📣 **%s** → %s\n%s · %s", bk.Number, b.counterName(bk.Counter), kind, strings.Join(concerns, ", "))
	if bk.Name != "" {
		text += " · " + plain(bk.Name)
	}
	target := fmt.Sprint(bk.ID)
	button := func(name, action, style string) *model.PostAction {
		return b.button(post.Id, name, action, target, style)
	}
	var actions []*model.PostAction
	switch {
	case post.Id == "": // not posted yet: buttons are signed for the post, once it has its id
	case bk.Status == booking.StatusCalled:
		actions = []*model.PostAction{button(b.say("StaffBtnArrived"), "arrived", "primary"), button(b.say("StaffBtnRecall"), "recall", ""),
			button(b.say("StaffBtnNoShow"), "noshow", "danger"), button(b.say("StaffBtnDone"), "done", "good")}
	case bk.Status == booking.StatusServing:
		actions = []*model.PostAction{button(b.say("StaffBtnDone"), "done", "good"), button(b.say("StaffBtnPark"), "park", "")}
	case bk.Status == booking.StatusParked:
		actions = []*model.PostAction{button(b.say("StaffBtnUnpark"), "unpark", "primary")}
	}
	post.Message = ""
	model.ParseSlackAttachment(post, []*model.SlackAttachment{{Text: text, Footer: status, Actions: actions}})
}

// counterBooking is the number the counter has called or serves.
func (b *Bot) counterBooking(ctx context.Context, counter string) (booking.Booking, bool) {
	q, err := b.calls.Queue(ctx)
	if err != nil {
		return booking.Booking{}, false
	}
	bk, ok := q.Serving[counter]
	return bk, ok
}

// actionFor maps a command word or button to the call system's action.
func actionFor(verb string) booking.CallAction {
	switch verb {
	case "recall":
		return booking.ActionRecall
	case "arrived", "da":
		return booking.ActionStart
	case "noshow":
		return booking.ActionNoShow
	case "done", "fertig":
		return booking.ActionDone
	case "park":
		return booking.ActionPark
	case "unpark":
		return booking.ActionUnpark
	case "transfer":
		return booking.ActionTransfer
	}
	return ""
}

// actOnCounter applies a verb to the number at the user's counter.
func (b *Bot) actOnCounter(ctx context.Context, c command, verb, target string) string {
	counter, problem := b.counterOf(c, "")
	if problem != "" {
		return problem
	}
	bk, ok := b.counterBooking(ctx, counter)
	if !ok {
		return b.say("StaffNobodyCalled", "Counter", b.counterName(counter))
	}
	if verb == "transfer" {
		if target == "" {
			return b.say("StaffTransferWhere", "Counters", counterList(b.store.Config()))
		}
		if to, problem := b.counterOf(command{}, target); problem == "" {
			target = to
		} else if cs, _ := b.concernOf(target); len(cs) == 1 {
			target = "concern:" + cs[0].ID
		} else {
			return b.say("StaffTransferOrConcern", "Problem", problem)
		}
	}
	done, err := b.calls.Act(ctx, bk.ID, actionFor(verb), target, c.userName)
	if err != nil {
		return b.actError(bk, err)
	}
	return b.actDone(done, verb)
}

func (b *Bot) actError(bk booking.Booking, err error) string {
	if errors.Is(err, booking.ErrNotActive) {
		return b.say("StaffAlreadyDone", "Number", bk.Number, "Status", b.statusText(bk.Status))
	}
	return b.failed(err)
}

func (b *Bot) actDone(bk booking.Booking, verb string) string {
	switch {
	case verb == "recall":
		return b.say("StaffRecalled", "Number", bk.Number)
	case verb == "noshow" && bk.Status == booking.StatusBooked:
		return b.say("StaffNoShowRecall", "Number", bk.Number, "Minutes", int(b.store.Config().Calls.RecallDelay/time.Minute))
	case verb == "transfer" && bk.TransferTo == "":
		return b.say("StaffTransferredConcern", "Number", bk.Number, "Concerns", concernNames(b.store.Config(), bk))
	case verb == "transfer":
		return b.say("StaffTransferredCounter", "Number", bk.Number, "Counter", b.counterName(bk.TransferTo))
	}
	return b.say("StaffStatus", "Number", bk.Number, "Status", b.statusText(bk.Status))
}

// statusText is a booking's status in the staff's words.
func (b *Bot) statusText(s booking.Status) string { return b.say("StaffStatus_" + string(s)) }

// say is a text of the catalogue for the staff (in German, the office's
// working language), with template data as name, value pairs.
func (b *Bot) say(id string, kv ...any) string { return b.dialogue.Text("de", id, kv...) }

// concernOf reads a concern from what staff typed ("perso", "kfz").
func (b *Bot) concernOf(text string) ([]office.ConcernCount, string) {
	cs := b.parser.Understand(text, b.store.Now()).Concerns
	if len(cs) == 0 {
		var ids []string
		for _, c := range b.store.Config().Concerns {
			ids = append(ids, c.ID)
		}
		return nil, b.say("StaffWhichConcern", "Examples", strings.Join(ids, ", "))
	}
	return cs, ""
}

func (b *Bot) walkIn(ctx context.Context, c command, args string) string {
	cs, problem := b.concernOf(args)
	if problem != "" {
		return problem
	}
	bk, err := b.store.IssueWalkIn(ctx, booking.WalkInRequest{Concerns: cs, Actor: c.userName})
	switch {
	case errors.Is(err, booking.ErrContingentExhausted):
		return b.say("StaffContingentExhausted")
	case errors.Is(err, booking.ErrClosed):
		return b.say("StaffClosedForWalkIns")
	case err != nil:
		return b.failed(err)
	}
	return b.say("StaffWalkInIssued", "Number", bk.Number, "Concern", args)
}

func (b *Bot) cancel(ctx context.Context, c command, args string) string {
	if args == "" {
		return b.say("StaffCancelWhich")
	}
	bk, err := b.store.Find(ctx, args)
	if err != nil {
		return b.say("StaffNoBookingFromToday", "Number", clip(booking.NormalizeNumber(args), 12))
	}
	done, err := b.store.CancelByID(ctx, bk.ID, c.userName, b.dialogue.CancelledByOffice)
	if err != nil {
		return b.actError(bk, err)
	}
	b.dialogue.DeliverSoon()
	b.log.Info("cancelled by staff", "number", done.Number, "by", c.userName)
	return b.say("StaffCancelled", "Number", done.Number, "When", done.Start.In(b.store.Config().Location()).Format("02.01. 15:04"))
}

func (b *Bot) urgent(ctx context.Context, c command, args string) string {
	bk, err := b.store.Find(ctx, args)
	if err != nil {
		return b.say("StaffNoNumberToday", "Number", clip(booking.NormalizeNumber(args), 12))
	}
	if _, err := b.store.SetPriority(ctx, bk.ID, true, c.userName); err != nil {
		return b.actError(bk, err)
	}
	return b.say("StaffUrgent", "Number", bk.Number)
}

func (b *Bot) checkIn(ctx context.Context, c command, args string) string {
	bk, err := b.store.Find(ctx, args)
	if err != nil {
		return b.say("StaffNoNumberToday", "Number", clip(booking.NormalizeNumber(args), 12))
	}
	if _, err := b.store.CheckIn(ctx, bk.ID, booking.Owner{}, c.userName); err != nil {
		return b.actError(bk, err)
	}
	return b.say("StaffCheckedIn", "Number", bk.Number)
}

func (b *Bot) docs(args string) string {
	cs, problem := b.concernOf(args)
	if problem != "" {
		return problem
	}
	var out []string
	for _, cc := range cs {
		c, _ := b.store.Config().Concern(cc.ID)
		out = append(out, b.say("StaffDocs", "Name", c.Name.DE, "Minutes", c.Minutes, "Documents", strings.Join(c.Documents.DE, "\n- "), "Fee", c.Fee.DE))
	}
	return strings.Join(out, "\n\n")
}

// book starts the booking dialogue for a caller in a direct message.
func (b *Bot) book(ctx context.Context, c command) string {
	dm, _, err := b.client.CreateDirectChannel(ctx, b.botID(), c.userID)
	if err != nil {
		return b.say("StaffNoDirectChat", "Err", err.Error())
	}
	if err := b.converse(ctx, dm.Id, c.userName, conversation.Message{Option: "menu:book"}); err != nil {
		return b.failed(err)
	}
	return b.say("StaffBookInDirectChat")
}

// converse runs a staff member's message through the dialogue in the DM.
func (b *Bot) converse(ctx context.Context, dm, userName string, msg conversation.Message) error {
	msg.Channel, msg.ChatID, msg.Staff, msg.Lang = Channel, dm, userName, "de"
	replies, err := b.dialogue.Handle(ctx, msg)
	if err != nil {
		return err
	}
	return b.Send(ctx, dm, replies)
}

// alarm posts a silent emergency call to the staff channel and to every
// colleague on duty at once.
func (b *Bot) alarm(ctx context.Context, c command) string {
	counter := b.recall("counter/" + c.userID)
	where := b.say("StaffUnknownCounter")
	if counter != "" {
		where = b.counterName(counter)
	}
	text := b.say("StaffAlarm", "User", c.userName, "Where", where, "Time",
		b.store.Now().In(b.store.Config().Location()).Format("15:04"))
	b.mu.Lock()
	staffChannel := b.staffChannel
	b.mu.Unlock()
	sent := 0
	if staffChannel != "" {
		if _, _, err := b.client.CreatePost(ctx, &model.Post{ChannelId: staffChannel, Message: "@channel " + text}); err == nil {
			sent++
		}
	}
	for _, id := range b.onDuty(c.userID) {
		dm, _, err := b.client.CreateDirectChannel(ctx, b.botID(), id)
		if err != nil {
			continue
		}
		if _, _, err := b.client.CreatePost(ctx, &model.Post{ChannelId: dm.Id, Message: text}); err == nil {
			sent++
		}
	}
	b.log.Warn("emergency alarm", "by", c.userName, "counter", counter, "sent", sent)
	if sent == 0 {
		return b.say("StaffAlarmFailed")
	}
	return b.say("StaffAlarmSent", "N", sent)
}

// onDuty lists the staff seen today, other than the caller.
func (b *Bot) onDuty(except string) []string {
	today := b.store.Config().Day(b.store.Now())
	facts, err := b.facts.All(context.Background())
	if err != nil {
		b.log.Error("staff on duty", "err", err)
	}
	var ids []string
	for _, f := range facts {
		id, ok := strings.CutPrefix(f.Key, "seen/")
		seen, err := time.Parse(time.RFC3339, string(f.Value))
		if ok && err == nil && id != except && !b.store.Config().Day(seen).Before(today) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func (b *Bot) queueText(ctx context.Context) string {
	q, err := b.calls.Queue(ctx)
	if err != nil {
		return b.say("StaffQueueUnreadable", "Err", err.Error())
	}
	return b.boardText(b.store.Config(), q, b.store.Now())
}

// todayText is the day's figures so far, as the statistics count them,
// and who is waiting now.
func (b *Bot) todayText(ctx context.Context) string {
	now := b.store.Now()
	cfg := b.store.Config()
	day := cfg.Day(now)
	report, err := stats.Compute(ctx, b.store, cfg, day, day, stats.Day)
	if err != nil {
		b.log.Error("today's figures", "err", err)
		return b.say("StaffFiguresUnreadable")
	}
	waiting := "–"
	if q, err := b.calls.Queue(ctx); err == nil {
		waiting = fmt.Sprint(len(q.Waiting))
	}
	f := report.Total
	median := "–"
	if f.Wait.N > 0 {
		median = b.say("StaffMinutes", "N", int(f.Wait.Median.Round(time.Minute)/time.Minute))
	}
	return b.say("StaffToday", "When", now.In(cfg.Location()).Format("02.01.2006 15:04"), "Appointments", f.Appointments, "WalkIns", f.WalkIns,
		"Served", f.Served, "NoShows", f.NoShows+f.Expired, "Cancelled", f.Cancelled, "Waiting", waiting, "Median", median)
}

func decodeJSON(r *http.Request, v any) error {
	return json.NewDecoder(r.Body).Decode(v)
}

// failed tells the clerk why an action did not go through: the store
// being unreachable in plain words, anything else as it is.
func (b *Bot) failed(err error) string {
	if errors.Is(err, booking.ErrUnavailable) {
		return b.say("StaffStoreDown")
	}
	return b.say("StaffFailed", "Err", err.Error())
}
