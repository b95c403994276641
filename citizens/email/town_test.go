package email

import (
	"context"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/citizens/email/mailtest"
	"buergerbuero/conversation"
	"buergerbuero/internal/storetest"
	"buergerbuero/office"
)

// TestTownByMail: one mailbox for a town of two offices. The answer asks
// where as a numbered list; "2" books at Ohligs, confirmed with its
// address; a later mail with number and PIN, from a chat bound to Mitte
// by then, cancels at Ohligs.
func TestTownByMail(t *testing.T) {
	cfg, err := office.ParseConfig("town.yaml", []byte(storetest.TwoOffices))
	if err != nil {
		t.Fatal(err)
	}
	stores, clock := storetest.OpenTown(t, cfg, storetest.Berlin(2026, 11, 24, 9, 0), booking.Options{})
	var members []conversation.TownMember
	for i, s := range stores {
		members = append(members, conversation.TownMember{ID: cfg.Offices[i].ID, Store: s})
	}
	town, err := conversation.NewTown(cfg, members, nil)
	if err != nil {
		t.Fatal(err)
	}
	imap, err := mailtest.NewIMAP("buergerbuero", "imap-secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { imap.Close() })
	smtp, err := mailtest.NewSMTP(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { smtp.Close() })
	r := &mailRig{t: t, smtp: smtp, appendMail: imap.Deliver}
	host, port := splitAddr(t, imap.Addr)
	sh, sp := splitAddr(t, smtp.Addr)
	mcfg := Config{Address: "buergerbuero@musterstadt.example", Name: "Bürgerbüros Musterstadt", PollInterval: 200 * time.Millisecond,
		IMAP: ServerConfig{Host: host, Port: port, Security: "none", Username: imap.User, Password: imap.Password},
		SMTP: ServerConfig{Host: sh, Port: sp, Security: "none"}, AuthServID: mailtest.AuthServID, LookupTXT: fakeDNS{}.LookupTXT}
	mail, err := New(mcfg, town, stores[0], nil, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	town.Register(Channel, mail)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { mail.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for _, o := range town.Offices() {
		go o.Engine.RunOutbox(ctx, 20*time.Millisecond)
	}

	raw, _ := r.citizenMail("Erika Mustermann <erika@example.org>", "Termin", "", "Meldebescheinigung heute 15 Uhr, Erika Mustermann")
	r.deliver(raw)
	m := r.wait(0)
	expect(t, "where?", m.Body, "In welchem Bürgerbüro", "1) Bürgerbüro Mitte", "2) Bürgerbüro Ohligs", "Frühester Termin")
	raw, _ = r.citizenMail("erika@example.org", "Re: Termin", "<"+m.MessageID+">", "2\n\n> In welchem Bürgerbüro")
	r.deliver(raw)
	m = r.wait(1)
	expect(t, "at Ohligs", m.Body, "Bürgerbüro Ohligs, Düsseldorfer Str. 9", "Bitte prüfen", "Di 24.11.2026, 15:00", "Erika Mustermann")
	raw, _ = r.citizenMail("erika@example.org", "Re: Termin", "<"+m.MessageID+">", "Ja")
	r.deliver(raw)
	m = r.wait(2)
	expect(t, "confirmation", m.Body, "Ihr Termin ist gebucht", "Ort: Bürgerbüro Ohligs, Düsseldorfer Str. 9")
	got := bookedRx.FindStringSubmatch(m.Body)
	if got == nil {
		t.Fatalf("no number and PIN in\n%s", m.Body)
	}
	if _, err := stores[1].Lookup(ctx, got[1], got[2]); err != nil {
		t.Fatalf("not booked at Ohligs: %v", err)
	}
	if _, err := stores[0].Lookup(ctx, got[1], got[2]); err == nil {
		t.Fatal("booked at Mitte too")
	}

	raw, _ = r.citizenMail("erika@example.org", "Auto", "", "Ich möchte mein Auto abmelden")
	r.deliver(raw)
	expect(t, "vehicles: only Mitte", r.wait(3).Body, "Bürgerbüro Mitte, Am Markt 1")
	raw, _ = r.citizenMail("erika@example.org", "Absage", "", "Bitte absagen: "+got[1]+" "+got[2])
	r.deliver(raw)
	m = r.wait(4)
	expect(t, "cancel at Ohligs", m.Body, "Bürgerbüro Ohligs", "wirklich absagen", "1) Ja, Termin absagen")
	raw, _ = r.citizenMail("erika@example.org", "Re: Absage", "<"+m.MessageID+">", "1")
	r.deliver(raw)
	expect(t, "cancelled", r.wait(5).Body, "ist abgesagt")
	if b, err := stores[1].Find(ctx, got[1]); err != nil || b.Status != booking.StatusCancelled {
		t.Fatalf("Ohligs's booking: %+v %v", b, err)
	}
}
