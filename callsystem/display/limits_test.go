package display

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/callsystem"
	"buergerbuero/internal/clientaddr"
	"buergerbuero/office"
)

// smallBuffers makes every accepted connection's send buffer tiny, so a
// client that stops reading blocks the server's writes quickly.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

func serveWith(t *testing.T, d *Display) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: d}
	go srv.Serve(smallBuffers{ln})
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// openStream sends a request for the stream and returns the connection
// without reading anything, as an attacker's script would.
func openStream(t *testing.T, addr, query string) (net.Conn, string) {
	return openStreamFrom(t, addr, query, "")
}

// openStreamFrom is openStream for a client behind the trusted proxy
// (loopback) at client, when it is not "".
func openStreamFrom(t *testing.T, addr, query, client string) (net.Conn, string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetReadBuffer(4096)
	t.Cleanup(func() { c.Close() })
	header := ""
	if client != "" {
		header = "X-Forwarded-For: " + client + "\r\n"
	}
	fmt.Fprintf(c, "GET /events%s HTTP/1.1\r\nHost: x\r\n%s\r\n", query, header)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, _ := bufio.NewReader(c).ReadString('\n')
	return c, status
}

func fakeCall(i int) callsystem.Call {
	return callsystem.Call{Booking: booking.Booking{ID: uint64(i), Number: fmt.Sprintf("W-%03d", i%1000)},
		Counter: office.Counter{ID: "1", Name: strings.Repeat("Platz mit langem Namen ", 20)}, At: time.Now()}
}

func TestDisplayStreamsAreCapped(t *testing.T) {
	d := New("Bürgerbüro", nil, nil, nil, Options{MaxClients: 3, MaxPerAddress: 3})
	addr := serveWith(t, d)
	for i := range 3 {
		if _, status := openStream(t, addr, ""); !strings.Contains(status, "200") {
			t.Fatalf("stream %d: %q", i, status)
		}
	}
	if _, status := openStream(t, addr, ""); !strings.Contains(status, "503") {
		t.Errorf("a fourth stream: %q, want 503", status)
	}
}

// One address cannot take every place; the office's screens, with the
// token, get one even when strangers fill every other place, and a new
// screen replaces the oldest when all of theirs are taken.
func TestDisplayPlacesPerAddressAndForTheOfficesScreens(t *testing.T) {
	addrs, _ := clientaddr.New([]string{"127.0.0.1"})
	d := New("Bürgerbüro", nil, nil, nil, Options{Token: "foyer-secret", Public: true, MaxClients: 4, MaxPerAddress: 2, Addrs: addrs})
	addr := serveWith(t, d)
	for i, want := range []string{"200", "200", "503"} {
		if _, status := openStreamFrom(t, addr, "", "198.51.100.7"); !strings.Contains(status, want) {
			t.Errorf("stream %d from one address: %q, want %s", i, status, want)
		}
	}
	for i := range 2 {
		if _, status := openStreamFrom(t, addr, "", fmt.Sprintf("203.0.113.%d", i)); !strings.Contains(status, "200") {
			t.Errorf("a stranger from another address: %q", status)
		}
	}
	if _, status := openStreamFrom(t, addr, "", "192.0.2.1"); !strings.Contains(status, "503") {
		t.Errorf("a stranger when every place is taken: %q, want 503", status)
	}
	for i := range 5 {
		if _, status := openStreamFrom(t, addr, "?token=foyer-secret", "10.0.0.5"); !strings.Contains(status, "200") {
			t.Errorf("the office's screen %d, all other places taken: %q, want 200", i, status)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for d.Clients() != 4+4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams open, want 4 strangers and the 4 newest screens", d.Clients())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A client that never reads is dropped after the write deadline, and its
// place is free again.
func TestDisplayDropsStreamsThatDoNotRead(t *testing.T) {
	d := New("Bürgerbüro", nil, nil, nil, Options{MaxClients: 1, WriteTimeout: 100 * time.Millisecond})
	addr := serveWith(t, d)
	if _, status := openStream(t, addr, ""); !strings.Contains(status, "200") {
		t.Fatalf("stream: %q", status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; d.Clients() > 0; i++ {
		if time.Now().After(deadline) {
			t.Fatal("a stream that never reads is still held after 10 s")
		}
		d.Called(context.Background(), fakeCall(i))
		time.Sleep(2 * time.Millisecond)
	}
	if _, status := openStream(t, addr, ""); !strings.Contains(status, "200") {
		t.Errorf("after the drop, a new display: %q", status)
	}
}

func TestDisplayToken(t *testing.T) {
	d := New("Bürgerbüro", nil, nil, nil, Options{Token: "foyer-secret"})
	addr := serveWith(t, d)
	for query, want := range map[string]string{"": "403", "?token=wrong": "403", "?token=foyer-secret": "200"} {
		if _, status := openStream(t, addr, query); !strings.Contains(status, want) {
			t.Errorf("/events%s: %q, want %s", query, status, want)
		}
	}
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("page: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
}

// The display shows the office's clock whatever zone the server runs in.
func TestDisplayClockIsTheOfficesWhateverTheServersZone(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	newYork, _ := time.LoadLocation("America/New_York")
	for _, serverZone := range []*time.Location{time.UTC, newYork} {
		at := time.Date(2026, 11, 27, 7, 43, 0, 0, time.UTC) // 08:43 in Berlin
		// The clock reports times in the server's zone, as time.Now does.
		d := New("Bürgerbüro", nil, func() time.Time { return at.In(serverZone) }, nil, Options{Location: berlin})
		var st state
		if err := json.Unmarshal(d.stateLocked(nil), &st); err != nil {
			t.Fatal(err)
		}
		if st.UTCOffset != 3600 {
			t.Errorf("server in %s: utc_offset %d, want 3600 (Berlin in November)", serverZone, st.UTCOffset)
		}
	}
}
