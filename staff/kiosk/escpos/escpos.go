// Package escpos prints the info desk's tickets on a receipt printer over
// the network: the ESC/POS commands that Epson defined and nearly every
// 80 mm ticket printer understands, sent raw to the printer's port 9100
// (JetDirect). It knows only that wire format; what a ticket says comes
// from the kiosk.
//
// The few commands used (initialise, code page, alignment, emphasis,
// character size, feed and cut) are fixed bytes from the ESC/POS
// reference; the text is encoded in code page 858 (Latin-1 with €) by
// golang.org/x/text, so "Bürgerbüro" prints as it reads.
package escpos

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Ticket is what one ticket says: a heading (the office), the big line
// (the waiting number, under its caption), and lines below.
type Ticket struct {
	Heading string
	Caption string // above the big line ("Ihre Wartenummer")
	Big     string
	Lines   []string
}

// Columns is how many characters of the normal font fit on an 80 mm
// roll (font A, 12×24 dots).
const Columns = 48

// ESC/POS commands (Epson's reference).
var (
	initialise    = []byte{0x1b, '@'}
	codePage858   = []byte{0x1b, 't', 19}
	alignLeft     = []byte{0x1b, 'a', 0}
	alignCentre   = []byte{0x1b, 'a', 1}
	boldOn        = []byte{0x1b, 'E', 1}
	boldOff       = []byte{0x1b, 'E', 0}
	sizeNormal    = []byte{0x1d, '!', 0x00}
	sizeQuadruple = []byte{0x1d, '!', 0x33}  // four times as wide and as high
	feedAndCut    = []byte{0x1d, 'V', 66, 3} // feed 3 lines, then a partial cut
)

// typography maps the punctuation of German texts that code page 858
// lacks to what it has; any other character it lacks prints as "?".
var typography = strings.NewReplacer("–", "-", "—", "-", "„", "\"", "“", "\"", "”", "\"", "‚", "'", "‘", "'", "’", "'", "…", "...", "\u00a0", " ")

// Encode is the byte stream that prints t, lines wrapped to columns.
func Encode(t Ticket, columns int) ([]byte, error) {
	encoder := encoding.ReplaceUnsupported(charmap.CodePage858.NewEncoder())
	var b bytes.Buffer
	put := func(cmds ...[]byte) {
		for _, c := range cmds {
			b.Write(c)
		}
	}
	text := func(s string) error {
		enc, err := encoder.String(typography.Replace(s))
		if err != nil {
			return fmt.Errorf("ticket text %q: %w", s, err)
		}
		b.WriteString(strings.ReplaceAll(enc, "\x1a", "?")) // the encoder's mark for a character it lacks
		b.WriteByte('\n')
		return nil
	}
	put(initialise, codePage858, alignCentre, boldOn)
	if err := text(t.Heading); err != nil {
		return nil, err
	}
	put(boldOff)
	if err := text(t.Caption); err != nil {
		return nil, err
	}
	put(sizeQuadruple, boldOn)
	if err := text(t.Big); err != nil {
		return nil, err
	}
	put(sizeNormal, boldOff, alignLeft)
	for _, l := range t.Lines {
		for _, w := range wrap(l, columns) {
			if err := text(w); err != nil {
				return nil, err
			}
		}
	}
	put(feedAndCut)
	return b.Bytes(), nil
}

// wrap breaks a line at spaces into pieces of at most columns runes.
func wrap(line string, columns int) []string {
	var out []string
	var cur []rune
	for _, word := range strings.Fields(line) {
		w := []rune(word)
		if len(cur) > 0 && len(cur)+1+len(w) > columns {
			out, cur = append(out, string(cur)), nil
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		cur = append(cur, w...)
		for len(cur) > columns {
			out, cur = append(out, string(cur[:columns])), cur[columns:]
		}
	}
	if len(cur) > 0 || len(out) == 0 {
		out = append(out, string(cur))
	}
	return out
}

// Network is a ticket printer at Addr ("192.0.2.40:9100").
type Network struct {
	Addr string
	// Timeout bounds connecting and sending; default 3 s.
	Timeout time.Duration
}

// PrintTicket prints t on the printer.
func (p Network) PrintTicket(ctx context.Context, t Ticket) error {
	data, err := Encode(t, Columns)
	if err != nil {
		return err
	}
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		return fmt.Errorf("ticket printer %s: %w", p.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	err = conn.SetWriteDeadline(deadline)
	if err == nil {
		_, err = conn.Write(data)
	}
	if closeErr := conn.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("ticket printer %s: %w", p.Addr, err)
	}
	return nil
}
