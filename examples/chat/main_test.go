package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	bpnats "github.com/kamaelia-go/kamaelia/backplane/nats"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
	"github.com/kamaelia-go/kamaelia/internal/socktest"
	"github.com/kamaelia-go/kamaelia/internet"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// startChat starts a chat server on a free port, logging to the
// returned buffer, and shuts it down when the test ends.
func startChat(t testing.TB, maxBehind int) (addr string, room *backplane.Backplane, logs *axontest.Buffer) {
	t.Helper()
	room, logs = backplane.New("chat"), &axontest.Buffer{}
	return serve(t, room, maxBehind, slog.New(slog.NewTextHandler(logs, nil))), room, logs
}

// serve starts a chat server on a free port with room, and shuts both
// down when the test ends.
func serve(t testing.TB, room axon.Component, maxBehind int, logger *slog.Logger) (addr string) {
	t.Helper()
	server, err := newChat(0, maxBehind, internet.Host("127.0.0.1"), internet.Linger(time.Second), internet.Logger(logger))
	if err != nil {
		if c, ok := room.(interface{ Close() error }); ok {
			c.Close()
		}
		t.Fatal(err)
	}
	if err := start(context.Background(), server, room); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := server.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		axon.CoreOf(room).Stop()
		<-axon.CoreOf(room).Done()
	})
	return server.Addr().String()
}

// subscribers returns how many subscribers (clients) room has.
func subscribers(room axon.Component) int {
	switch r := room.(type) {
	case *backplane.Backplane:
		return r.Stats().Subscribers
	case *bpnats.Backplane:
		return r.Stats().Subscribers
	}
	panic(fmt.Sprintf("a room of type %T", room))
}

// dial connects n clients and waits until the room has them all as well
// as the have subscribers it had.
func dial(t testing.TB, addr string, room axon.Component, n, have int) []*net.TCPConn {
	t.Helper()
	var cs []*net.TCPConn
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(axontest.Deadline))
		t.Cleanup(func() { c.Close() })
		cs = append(cs, c.(*net.TCPConn))
	}
	eventually(t, func() bool { return subscribers(room) == have+n })
	return cs
}

// eventually waits until cond holds, looking every millisecond, or fails
// the test after axontest.Deadline.
func eventually(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(axontest.Deadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met before the deadline")
		}
		time.Sleep(time.Millisecond)
	}
}

// talkAtOnce has every client say its lines (said(i, j) is client i's
// line j) while every client listens, and checks that each heard every
// line of every other client exactly once, byte for byte, and none of
// its own.
func talkAtOnce(t *testing.T, conns []*net.TCPConn, lines int, said func(i, j int) string) {
	t.Helper()
	var wg sync.WaitGroup
	heard := make([][]string, len(conns))
	errs := make(chan error, 2*len(conns))
	for i, c := range conns {
		wg.Go(func() { // talk, a line at a time
			for j := range lines {
				if _, err := io.WriteString(c, said(i, j)); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() { // listen
			var err error
			heard[i], err = readLines(bufio.NewReader(c), (len(conns)-1)*lines)
			if err != nil {
				errs <- fmt.Errorf("client %d after %d lines: %w", i, len(heard[i]), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range conns {
		var want []string
		for k := range conns {
			for j := range lines {
				if k != i {
					want = append(want, said(k, j))
				}
			}
		}
		got := append([]string(nil), heard[i]...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "") != strings.Join(want, "") {
			t.Fatalf("client %d heard %d lines, not each of the others' %d exactly once", i, len(got), len(want))
		}
	}
}

// runChat runs the program with args until stop is called, which fails
// the test unless the program then exits cleanly. It returns the
// address the program printed it listens on.
func runChat(t *testing.T, args ...string) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	if err != nil || !ok {
		t.Fatalf("first line %q, %v", line, err)
	}
	return addr, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run: %v", err)
			}
		case <-time.After(axontest.Deadline):
			t.Fatal("the server did not shut down")
		}
	}
}

// readLines reads n lines, each with its ending.
func readLines(r *bufio.Reader, n int) ([]string, error) {
	lines := make([]string, 0, n)
	for len(lines) < n {
		l, err := r.ReadString('\n')
		if err != nil {
			return lines, err
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// Fifty clients (twenty with -short) all talk at once: each hears every
// line of every other client exactly once, byte for byte, and none of
// its own.
func TestChatEveryoneHearsEveryoneElse(t *testing.T) {
	t.Parallel()
	const lines = 20
	clients := axontest.ShortOr(20, 50)
	addr, room, _ := startChat(t, 1000)
	conns := dial(t, addr, room, clients, 0)
	talkAtOnce(t, conns, lines, func(i, j int) string {
		if i%2 == 0 {
			return fmt.Sprintf("client %d line %d\r\n", i, j) // CRLF goes through as it is
		}
		return fmt.Sprintf("client %d line %d: %s\n", i, j, strings.Repeat("x", i*10))
	})
	// Nothing more is on its way: a last line from client 0 is the next
	// thing client 1 hears.
	io.WriteString(conns[0], "last\n")
	if l, err := bufio.NewReader(conns[1]).ReadString('\n'); err != nil || l != "last\n" {
		t.Fatalf("client 1 heard %q, %v", l, err)
	}
	if st := room.Stats(); st.Dropped != 0 || st.Disconnected != 0 {
		t.Fatalf("room stats %+v", st)
	}
}

// A client that stops reading is disconnected once it is more than
// max-behind lines behind, with a log line; the others hear everything
// and go on.
func TestChatDisconnectsASlowClient(t *testing.T) {
	t.Parallel()
	const others, maxBehind, batch = 4, 1000, 500
	addr, room, logs := startChat(t, maxBehind)
	// The slow client never reads. The kernel's buffers take a few
	// megabytes for it first (on Linux the server's send buffer grows to
	// about 3 MB even towards a small receive buffer), then the server's
	// queue for it fills.
	d := net.Dialer{Control: socktest.Buffers(4<<10, 0)}
	sc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	sc.SetDeadline(time.Now().Add(axontest.Deadline))
	slow := sc.(*net.TCPConn)
	eventually(t, func() bool { return room.Stats().Subscribers == 1 })
	conns := dial(t, addr, room, others+2, 1) // the talker and the others
	talker, listeners := conns[0], conns[1:]

	line := func(j int) string { return fmt.Sprintf("%06d %s\n", j, strings.Repeat("y", 390)) }
	// The talker sends a batch at a time, and waits until every listener
	// has heard it: the listeners keep up, the slow client does not.
	heard := make([]chan int, len(listeners))
	for i, c := range listeners {
		heard[i] = make(chan int, 1)
		r := bufio.NewReader(c)
		go func() {
			defer close(heard[i])
			for j := 0; ; j++ {
				l, err := r.ReadString('\n')
				if err != nil || l != line(j) {
					return // short of what the talker waits for: it fails
				}
				if (j+1)%batch == 0 {
					heard[i] <- j + 1
				}
			}
		}()
	}
	sent := 0
	talk := func() {
		t.Helper()
		var b strings.Builder
		for j := sent; j < sent+batch; j++ {
			b.WriteString(line(j))
		}
		if _, err := io.WriteString(talker, b.String()); err != nil {
			t.Fatal(err)
		}
		sent += batch
		for i, ch := range heard {
			if n := <-ch; n != sent {
				t.Fatalf("listener %d heard %d lines, want %d", i, n, sent)
			}
		}
	}
	for room.Stats().Disconnected == 0 {
		if sent > 200_000 {
			t.Fatalf("the slow client is still there after %d lines: %+v", sent, room.Stats())
		}
		talk()
	}
	eventually(t, func() bool { return strings.Contains(logs.String(), backplane.ErrSlowSubscriber.Error()) })
	// Its connection closes: what it is sent ends, short of everything.
	n := 0
	r := bufio.NewReader(slow)
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break // EOF, or a reset
		}
		n++
	}
	if n >= sent {
		t.Fatalf("the slow client got all %d lines", n)
	}
	// The rest go on.
	talk()
	if st := room.Stats(); st.Subscribers != others+2 || st.Disconnected != 1 {
		t.Fatalf("room stats %+v", st)
	}
}

// A client that half-closes has said its last line (even one without an
// ending) and leaves; the others stay.
func TestChatClientLeaves(t *testing.T) {
	t.Parallel()
	addr, room, _ := startChat(t, 1000)
	conns := dial(t, addr, room, 2, 0)
	io.WriteString(conns[0], "bye\nno newline")
	conns[0].CloseWrite()
	r := bufio.NewReader(conns[1])
	if got, err := readLines(r, 1); err != nil || got[0] != "bye\n" {
		t.Fatalf("heard %q, %v", got, err)
	}
	buf := make([]byte, len("no newline"))
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "no newline" {
		t.Fatalf("heard %q, %v", buf, err)
	}
	if _, err := io.ReadAll(conns[0]); err != nil { // the server closes the leaver
		t.Fatal(err)
	}
	eventually(t, func() bool { return room.Stats().Subscribers == 1 })
}

// A line over the maximum closes that client's connection, with a log
// line; the others are not affected.
func TestChatLineTooLong(t *testing.T) {
	t.Parallel()
	addr, room, logs := startChat(t, 1000)
	conns := dial(t, addr, room, 3, 0)
	io.WriteString(conns[0], "fine\n"+strings.Repeat("z", components.DefaultMaxLine+1))
	if got, err := io.ReadAll(conns[0]); err != nil || len(got) != 0 {
		t.Fatalf("the long-winded client read %d bytes, %v; want its connection closed", len(got), err)
	}
	eventually(t, func() bool { return strings.Contains(logs.String(), components.ErrLineTooLong.Error()) })
	io.WriteString(conns[1], "still here\n")
	r := bufio.NewReader(conns[2])
	if got, err := readLines(r, 2); err != nil || got[0] != "fine\n" || got[1] != "still here\n" {
		t.Fatalf("heard %q, %v", got, err)
	}
	eventually(t, func() bool { return room.Stats().Subscribers == 2 })
}

// The program: LISTENING, then a graceful exit when ctx ends.
func TestRun(t *testing.T) {
	t.Parallel()
	addr, stop := runChat(t, "-port", "0")
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("listening on %q", addr)
	}
	stop()
	if err := run(context.Background(), []string{"-port", "nope"}, io.Discard, io.Discard); err == nil {
		t.Fatal("a bad flag was accepted")
	}
}

// Shutting the server down while clients are connected lets them go:
// each hears the end of its connection and Shutdown returns. (The
// server's ShutdownBegun notice reaches each client's graph on control,
// where it is passed from child to child and must not go round for
// ever.)
func TestChatShutdownWithClientsConnected(t *testing.T) {
	t.Parallel()
	server, err := newChat(0, 1000, internet.Host("127.0.0.1"), internet.Linger(time.Second),
		internet.Logger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	room := backplane.New("chat")
	if err := start(context.Background(), server, room); err != nil {
		t.Fatal(err)
	}
	conns := dial(t, server.Addr().String(), room, 3, 0)
	ctx, cancel := context.WithTimeout(context.Background(), axontest.Deadline)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- server.Shutdown(ctx) }()
	for i, c := range conns {
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	room.Stop()
	<-room.Done()
}

// TestHelpExitsZero: -help, -h and --help print the usage and exit 0; a
// flag that does not exist exits 1.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for arg, want := range map[string]int{"-help": 0, "-h": 0, "--help": 0, "-no-such-flag": 1} {
		if got := exitStatus(run(context.Background(), []string{arg}, io.Discard, io.Discard)); got != want {
			t.Errorf("%s: exit status %d, want %d", arg, got, want)
		}
	}
}
