package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	bpnats "github.com/kamaelia-go/kamaelia/backplane/nats"
	"github.com/kamaelia-go/kamaelia/internal/natstest"
)

// startSharedChat starts a chat server on a free port whose room is
// shared through the NATS server at url, as "chat -backplane url" does,
// and shuts it down when the test ends.
func startSharedChat(t testing.TB, url string, maxBehind int) (addr string, room *bpnats.Backplane) {
	t.Helper()
	r, err := newRoom(url, "", "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	room = r.(*bpnats.Backplane)
	return serve(t, room, maxBehind, slog.New(slog.DiscardHandler)), room
}

// Two chat servers share one room through NATS, each with clients of
// its own, all talking at once: every line a client says reaches every
// other client, of either server, exactly once and byte for byte, and
// never comes back to the one who said it.
func TestChatServersShareARoomThroughNATS(t *testing.T) {
	const perServer, lines = 10, 30
	srv := natstest.Start(t)
	type client struct {
		conn   *net.TCPConn
		server int
	}
	var clients []client
	var rooms []*bpnats.Backplane
	for s := range 2 {
		addr, room := startSharedChat(t, srv.URL(), 1000)
		rooms = append(rooms, room)
		for _, c := range dial(t, addr, room, perServer, 0) {
			clients = append(clients, client{c, s})
		}
	}
	var conns []*net.TCPConn
	for _, c := range clients {
		conns = append(conns, c.conn)
	}
	talkAtOnce(t, conns, lines, func(i, j int) string {
		if i%2 == 0 {
			return fmt.Sprintf("client %d line %d\r\n", i, j)
		}
		return fmt.Sprintf("client %d line %d: %s\n", i, j, strings.Repeat("é", i*7))
	})
	// Every line has come back from NATS to the server it was said on
	// and been skipped there, and every line from the other server has
	// arrived. So a last line is the next thing every other client
	// hears: nothing was on its way.
	for s, room := range rooms {
		eventually(t, func() bool {
			st := room.Stats()
			return st.Echoes == perServer*lines && st.Received == perServer*lines
		})
		if st := room.Stats(); st.Dropped != 0 || st.Disconnected != 0 || st.Unsent != 0 || st.Lost != 0 {
			t.Fatalf("server %d: stats %+v", s, st)
		}
	}
	io.WriteString(clients[0].conn, "last\n")
	for i, c := range clients[1:] {
		if l, err := bufio.NewReader(c.conn).ReadString('\n'); err != nil || l != "last\n" {
			t.Fatalf("client %d (server %d) heard %q, %v", i+1, c.server, l, err)
		}
	}
}

// The program with -backplane: LISTENING, a room shared with another
// chat server, and a graceful exit; and NATS unreachable at start is an
// error of one line naming the URL, before anything listens.
func TestRunWithBackplane(t *testing.T) {
	srv := natstest.Start(t)
	other, room := startSharedChat(t, srv.URL(), 1000)
	listener := dial(t, other, room, 1, 0)[0]

	addr, stop := runChat(t, "-port", "0", "-backplane", srv.URL())
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// What it says reaches the other server's client (what a client
	// sends before its handler is ready waits for it).
	io.WriteString(c, "hello\n")
	if l, err := bufio.NewReader(listener).ReadString('\n'); err != nil || l != "hello\n" {
		t.Fatalf("the other server's client heard %q, %v", l, err)
	}
	stop()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-port", "0", "-backplane", "nats://" + down}, `backplane "chat": connect to NATS at nats://` + down + ": nats: no servers available for connection (dial tcp " + down + ": connect: connection refused)"},
		{[]string{"-port", "0", "-backplane", "http://" + srv.Addr()}, `scheme "http"`},
		{[]string{"-port", "0", "-backplane-creds", "user.creds"}, "need -backplane"},
		{[]string{"-port", "0", "-backplane", srv.URL(), "-backplane-creds", "/nonexistent/user.creds"}, "credentials: open /nonexistent/user.creds"},
	} {
		err := run(context.Background(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line with %q", tc.args, err, tc.want)
		}
	}
}
