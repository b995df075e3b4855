package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/natstest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/nats-io/nats-server/v2/server"
)

// chatter is a client of a chat server. What it hears comes on heard, a
// line at a time, its ending kept; heard is closed when the connection
// ends.
type chatter struct {
	name  string
	conn  *net.TCPConn
	heard chan string
}

// join connects a client to the chat server at addr.
func join(t *testing.T, addr, name string) *chatter {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testDeadline))
	ch := &chatter{name: name, conn: c.(*net.TCPConn), heard: make(chan string, 100_000)}
	go func() {
		defer close(ch.heard)
		r := bufio.NewReader(c)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			ch.heard <- l
		}
	}()
	return ch
}

// say sends lines, each of which must end in a newline.
func (c *chatter) say(t *testing.T, lines ...string) {
	t.Helper()
	if _, err := c.conn.Write([]byte(strings.Join(lines, ""))); err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
}

// isProbe reports whether a line is one of synced's probes.
func isProbe(l string) bool { return strings.HasPrefix(l, "probe ") }

// next returns the next line c hears that is not a probe.
func (c *chatter) next(t *testing.T) string {
	t.Helper()
	for {
		select {
		case l, ok := <-c.heard:
			if !ok {
				t.Fatalf("%s: the connection ended", c.name)
			}
			if !isProbe(l) {
				return l
			}
		case <-time.After(testDeadline):
			t.Fatalf("%s heard nothing more", c.name)
		}
	}
}

// synced waits until each of to hears from, so that their connections
// have joined the room (through NATS too, across servers): from says a
// probe line every few milliseconds until each has heard one. The
// others hear probes too; next skips them.
func synced(t *testing.T, from *chatter, to ...*chatter) {
	t.Helper()
	syncedAllowing(t, nil, from, to...)
}

// syncedAllowing is synced, except that a line other than a probe is
// passed to allow, and fails the test only if allow returns false (or is
// nil).
func syncedAllowing(t *testing.T, allow func(line string) bool, from *chatter, to ...*chatter) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(testDeadline)
	for n, c := range to {
		for heard := false; !heard; {
			from.say(t, fmt.Sprintf("probe from %s to %s %d\n", from.name, c.name, n))
			for waiting := true; waiting && !heard; {
				select {
				case l, ok := <-c.heard:
					if !ok {
						t.Fatalf("%s: the connection ended", c.name)
					}
					if !isProbe(l) && (allow == nil || !allow(l)) {
						t.Fatalf("%s heard %q while joining", c.name, l)
					}
					heard = strings.HasPrefix(l, "probe from "+from.name+" ")
				case <-tick.C:
					waiting = false
				case <-deadline:
					t.Fatalf("%s never heard %s", c.name, from.name)
				}
			}
		}
	}
}

// talkAtOnce has every client say lines lines at once, and checks that
// each heard every line of every other client exactly once, in the
// order it was said, and none of its own; then that nothing else was on
// its way (the next thing each hears is a last line from the first).
func talkAtOnce(t *testing.T, clients []*chatter, lines int) {
	t.Helper()
	said := func(i, j int) string {
		if i%2 == 0 {
			return fmt.Sprintf("%s line %d\r\n", clients[i].name, j) // CRLF goes through as it is
		}
		return fmt.Sprintf("%s line %d: %s\n", clients[i].name, j, strings.Repeat("é", i*5))
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			var b strings.Builder
			for j := range lines {
				b.WriteString(said(i, j))
			}
			c.conn.Write([]byte(b.String()))
		})
	}
	for i, c := range clients {
		got := map[string][]string{}
		for range (len(clients) - 1) * lines {
			l := c.next(t)
			who, _, _ := strings.Cut(l, " ")
			got[who] = append(got[who], l)
		}
		for k, other := range clients {
			var want []string
			if k != i {
				for j := range lines {
					want = append(want, said(k, j))
				}
			}
			if !slices.Equal(got[other.name], want) {
				t.Fatalf("%s heard from %s %d lines, not each of its %d exactly once in order:\n%q", c.name, other.name, len(got[other.name]), len(want), got[other.name])
			}
		}
	}
	wg.Wait()
	clients[0].say(t, "last\n")
	for _, c := range clients[1:] {
		if l := c.next(t); l != "last\n" {
			t.Fatalf("%s heard %q after everything; want the last line", c.name, l)
		}
	}
}

// TestServeChat: "serve --protocol chat" is one room: every line a
// client says reaches every other client, byte for byte, exactly once,
// and not the sender.
func TestServeChat(t *testing.T) {
	t.Parallel()
	s := serve(t, nil, "--protocol", "chat")
	var clients []*chatter
	for i := range 5 {
		clients = append(clients, join(t, s.addr, "c"+strconv.Itoa(i)))
	}
	synced(t, clients[0], clients[1:]...)
	synced(t, clients[1], clients[0])
	talkAtOnce(t, clients, 200)
	s.stop(t)
	if !strings.Contains(s.stderr.String(), "protocol=chat") || !strings.Contains(s.stderr.String(), "backplane=in-process") {
		t.Errorf("serve does not log its protocol and room:\n%s", s.stderr)
	}
}

// TestServeChatDisconnectsASlowClient: a client that stops reading and
// falls more than --max-behind lines behind is disconnected, with a log
// line; the others hear everything.
func TestServeChatDisconnectsASlowClient(t *testing.T) {
	t.Parallel()
	s := serve(t, nil, "--protocol", "chat", "--max-behind", "50")
	slow, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// It never reads. (Its receive buffer is left as it is. Set to 4 KiB
	// after connecting, smaller than a loopback segment, it made the
	// drain below take up to 30 s: about a megabyte came, then nothing
	// until the linger ran out, most likely because the kernel sent the
	// rest only on zero-window probes, ever further apart.)
	talker, listener := join(t, s.addr, "talker"), join(t, s.addr, "listener")
	synced(t, talker, listener)
	line := strings.Repeat("x", 16000) + "\n" // lines this long fill the buffers on the way in a few hundred
	disconnected := regexp.MustCompile(`level=ERROR .*fell 50 messages behind.*subscriber too slow`)
	for sent := 0; !disconnected.MatchString(s.stderr.String()); sent++ {
		if sent > 100_000 {
			t.Fatalf("the slow client is still there after %d lines; stderr:\n%s", sent, s.stderr)
		}
		talker.say(t, line)
		if l := listener.next(t); l != line { // the listener keeps up
			t.Fatalf("the listener heard %q", l)
		}
	}
	// What the kernel holds for it comes, then the end of its
	// connection.
	slow.SetReadDeadline(time.Now().Add(testDeadline))
	r := bufio.NewReader(slow)
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break // the end of its connection: EOF, or a reset
		}
	}
	talker.say(t, "still here\n")
	if l := listener.next(t); l != "still here\n" {
		t.Fatalf("after the slow client went, the listener heard %q", l)
	}
	s.stop(t)
}

// chatOnNATS starts "serve --protocol chat --backplane url" with args.
func chatOnNATS(t *testing.T, url string, args ...string) *serveProc {
	t.Helper()
	return serve(t, nil, append([]string{"--protocol", "chat", "--backplane", url}, args...)...)
}

// TestServeChatTwoServersOnNATS: two "serve --protocol chat" processes
// share one room through NATS: a line from a client of either server
// reaches every client of the other and the other clients of its own,
// exactly once and byte for byte, and never comes back to its sender.
func TestServeChatTwoServersOnNATS(t *testing.T) {
	t.Parallel()
	nats := natstest.Start(t)
	one, two := chatOnNATS(t, nats.URL()), chatOnNATS(t, nats.URL())
	var clients []*chatter
	for i := range 3 {
		clients = append(clients, join(t, one.addr, "one"+strconv.Itoa(i)))
	}
	for i := range 3 {
		clients = append(clients, join(t, two.addr, "two"+strconv.Itoa(i)))
	}
	synced(t, clients[0], clients[1:]...)
	synced(t, clients[3], clients[0])
	talkAtOnce(t, clients, 100)
	one.stop(t)
	two.stop(t)
	if !strings.Contains(one.stderr.String(), "backplane=\"NATS subject kamaelia.backplane.chat\"") {
		t.Errorf("serve does not log its room:\n%s", one.stderr)
	}
}

// waitStderr waits until p has written a line that matches re, and
// returns the first submatch, if any.
func waitStderr(t *testing.T, p *proc, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(testDeadline)
	for {
		if m := re.FindStringSubmatch(p.stderr.String()); m != nil {
			if len(m) > 1 {
				return m[1]
			}
			return m[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing on stderr matches %s:\n%s", re, p.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServeChatNATSLostAndBack: NATS goes away under two chat servers
// and comes back on the same port. Meanwhile the clients of each server
// go on talking among themselves; each server logs the loss and the
// recovery; what one server's clients said during the outage beyond its
// --backplane-buffer is dropped and counted in the log, the rest reaches
// the other server's clients in order once NATS is back, none twice; and
// the room is whole again afterwards.
func TestServeChatNATSLostAndBack(t *testing.T) {
	t.Parallel()
	nats := natstest.Start(t)
	port := nats.Server.Addr().(*net.TCPAddr).Port
	one, two := chatOnNATS(t, nats.URL(), "--backplane-buffer", "4KiB"), chatOnNATS(t, nats.URL())
	a1, a2, b1 := join(t, one.addr, "a1"), join(t, one.addr, "a2"), join(t, two.addr, "b1")
	synced(t, a1, a2, b1)
	synced(t, b1, a1, a2)

	nats.Stop()
	lost := regexp.MustCompile(`level=WARN msg="backplane: lost NATS; delivering here only, reconnecting"`)
	waitStderr(t, one.proc, lost)
	waitStderr(t, two.proc, lost)
	const outage = 200 // lines of some 60 bytes: more than 4 KiB
	during := func(j int) string { return fmt.Sprintf("a1 during %03d %s\n", j, strings.Repeat("-", 40)) }
	for j := range outage {
		a1.say(t, during(j))
	}
	for j := range outage { // a2 is on the same server: it hears it all
		if l := a2.next(t); l != during(j) {
			t.Fatalf("during the outage a2 heard %q, want %q", l, during(j))
		}
	}

	natstest.Start(t, func(o *server.Options) { o.Port = port })
	back := regexp.MustCompile(`level=INFO msg="backplane: NATS is back" .*unsent=(\d+)`)
	unsent, _ := strconv.Atoi(waitStderr(t, one.proc, back))
	waitStderr(t, two.proc, back)
	if unsent == 0 || unsent >= outage {
		t.Fatalf("server one counted %d of the %d lines said during the outage as not sent; want some, not all", unsent, outage)
	}
	// Once both are back, the room is whole again: a1's next line
	// reaches b1 after whatever b1 got of the outage, in order, none
	// twice. (What server one held back may reach b1 while it is
	// being synced, too.)
	last := -1
	outageLine := func(l string) bool {
		var j int
		if _, err := fmt.Sscanf(l, "a1 during %d ", &j); err != nil || l != during(j) || j <= last {
			return false
		}
		last = j
		return true
	}
	syncedAllowing(t, outageLine, a1, b1)
	a1.say(t, "after\n")
	for {
		l := b1.next(t)
		if l == "after\n" {
			break
		}
		if !outageLine(l) {
			t.Fatalf("after the outage b1 heard %q (after line %d)", l, last)
		}
	}
	if l := a2.next(t); l != "after\n" {
		t.Fatalf("a2 heard %q, want the line after", l)
	}
	b1.say(t, "from two\n")
	for _, c := range []*chatter{a1, a2} {
		if l := c.next(t); l != "from two\n" {
			t.Fatalf("%s heard %q, want b1's line", c.name, l)
		}
	}
	one.stop(t)
	two.stop(t)
}

// TestServeChatNATSUnreachable: with NATS unreachable at start, serve
// exits 1 with one line saying why.
func TestServeChatNATSUnreachable(t *testing.T) {
	t.Parallel()
	ln := listen(t)
	url := "nats://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	r := runKamaelia(t, "", "serve", "--port", "0", "--protocol", "chat", "--backplane", url)
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, exitFailure, r.stderr)
	}
	if !regexp.MustCompile(`\Akamaelia serve: backplane "chat": connect to NATS at ` + regexp.QuoteMeta(url) + `: .*connection refused.*\n\z`).MatchString(r.stderr) {
		t.Fatalf("stderr %q; want one line naming NATS's URL and the refusal", r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("stdout %q; want nothing (no LISTENING line)", r.stdout)
	}
}

// TestServeChatBackplaneTLSAndCredentials: serve reaches a NATS server
// that wants TLS (a tls:// URL, and --backplane-ca for its certificate)
// or a credentials file (--backplane-creds), and two servers share the
// room through it. Without what the NATS server wants, serve exits 1
// with one line saying why.
func TestServeChatBackplaneTLSAndCredentials(t *testing.T) {
	t.Parallel()
	pki := testpki.New(t)
	op := natstest.NewOperator(t)
	creds := filepath.Join(t.TempDir(), "user.creds")
	if err := os.WriteFile(creds, op.Creds, 0o600); err != nil {
		t.Fatal(err)
	}
	withTLS := natstest.Start(t, func(o *server.Options) { o.TLS, o.TLSConfig = true, pki.ServerConfig() })
	withCreds := natstest.Start(t, op.Serve)
	tests := []struct {
		name      string
		args      []string
		refused   []string // the same, without what NATS wants
		refusedBy string   // what the one line says then
	}{
		{"TLS", []string{"--backplane", "tls://" + withTLS.Addr(), "--backplane-ca", pki.CAFile},
			[]string{"--backplane", "tls://" + withTLS.Addr()}, "certificate"},
		{"credentials", []string{"--backplane", withCreds.URL(), "--backplane-creds", creds},
			[]string{"--backplane", withCreds.URL()}, "Authorization Violation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			one := serve(t, nil, append([]string{"--protocol", "chat"}, tt.args...)...)
			two := serve(t, nil, append([]string{"--protocol", "chat"}, tt.args...)...)
			a, b := join(t, one.addr, "a"), join(t, two.addr, "b")
			synced(t, a, b)
			b.say(t, "over "+tt.name+"\n")
			if l := a.next(t); l != "over "+tt.name+"\n" {
				t.Fatalf("a heard %q", l)
			}
			one.stop(t)
			two.stop(t)

			r := runKamaelia(t, "", append([]string{"serve", "--port", "0", "--protocol", "chat"}, tt.refused...)...)
			if r.code != exitFailure || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.refusedBy) {
				t.Fatalf("without it: exit %d, stderr %q; want 1 and one line saying %q", r.code, r.stderr, tt.refusedBy)
			}
		})
	}
	r := runKamaelia(t, "", "serve", "--port", "0", "--protocol", "chat", "--backplane", withCreds.URL(), "--backplane-creds", "missing.creds")
	if r.code != exitFailure || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "missing.creds") {
		t.Fatalf("a missing credentials file: exit %d, stderr %q; want 1 and one line naming it", r.code, r.stderr)
	}
}
