package escpos

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakePrinter listens like a ticket printer's port 9100 and hands over
// each byte stream it receives.
func fakePrinter(t *testing.T) (string, <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan []byte, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			data, _ := io.ReadAll(conn)
			conn.Close()
			got <- data
		}
	}()
	return ln.Addr().String(), got
}

// A ticket reaches the printer as ESC/POS: initialised, code page 858 (so
// "ü" is byte 0x81), the office centred and bold, the number four times
// the size, long lines wrapped at 48 columns, then fed and cut.
func TestTicketOnTheWire(t *testing.T) {
	addr, got := fakePrinter(t)
	ticket := Ticket{Heading: "Bürgerbüro Musterstadt", Caption: "Ihre Wartenummer", Big: "W-017",
		Lines: []string{"Personalausweis beantragen", "3 vor Ihnen, etwa 12 Min.",
			"Bitte bereithalten: bisheriger Ausweis, ein biometrisches Passfoto, die Gebühr von 37,00 € in bar oder mit Karte"}}
	if err := (Network{Addr: addr}).PrintTicket(context.Background(), ticket); err != nil {
		t.Fatal(err)
	}
	var data []byte
	select {
	case data = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the printer")
	}
	for _, want := range []struct {
		what  string
		bytes []byte
	}{
		{"initialise, code page 858, centred, bold", []byte("\x1b@\x1bt\x13\x1ba\x01\x1bE\x01")},
		{"the office in code page 858", []byte("B\x81rgerb\x81ro Musterstadt\n")},
		{"the number four times the size", []byte("\x1d!\x33\x1bE\x01W-017\n\x1d!\x00")},
		{"the euro sign of code page 858", []byte{0xd5}},
	} {
		if !bytes.Contains(data, want.bytes) {
			t.Errorf("%s: %q not in\n%q", want.what, want.bytes, data)
		}
	}
	if !bytes.HasSuffix(data, []byte("\x1dVB\x03")) {
		t.Errorf("not fed and cut at the end: %q", data[max(0, len(data)-8):])
	}
	for _, line := range strings.Split(string(data), "\n") {
		if len(line) > Columns+12 { // the commands before a line aside
			t.Errorf("a line longer than the roll: %q", line)
		}
	}
}

// A printer that is off is an error the kiosk can fall back from, within
// the timeout; text the code page cannot show is refused before sending.
func TestPrinterFailures(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nobody listens there
	start := time.Now()
	if err := (Network{Addr: addr, Timeout: time.Second}).PrintTicket(context.Background(), Ticket{Big: "W-001"}); err == nil {
		t.Fatal("printing to a printer that is off succeeded")
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("the kiosk waited beyond the timeout")
	}
}

// German typography prints as its nearest in code page 858; what the code
// page lacks prints as "?", never stops the ticket.
func TestTextTheCodePageLacks(t *testing.T) {
	data, err := Encode(Ticket{Big: "W-001", Lines: []string{"Pass – „biometrisch“ …", "Привіт"}}, Columns)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Pass - \"biometrisch\" ...\n", "??????\n"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("%q not in %q", want, data)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"", []string{""}},
		{"kurz", []string{"kurz"}},
		{"eins zwei drei", []string{"eins", "zwei", "drei"}},
		{"abcdefghij", []string{"abcde", "fghij"}},
	} {
		if got := wrap(tc.line, 5); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}
