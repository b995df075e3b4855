package main

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/natstest"
)

// The chat benchmarks measure lines delivered per second by a chat
// server with 200 clients, all talking: on one server, and split
// between two servers that share the room through NATS. An op is a
// round: every client says linesPerRound lines, and the round ends when
// every client has heard every line the others said in it (so no
// client falls behind by more than a round, far from the -max-behind
// of 1000, and nothing is dropped). deliveries/s counts lines arriving
// at clients; lines/s counts lines said.
const (
	benchClients  = 200
	linesPerRound = 2
)

func BenchmarkChat(b *testing.B) {
	b.Run(fmt.Sprintf("one server/clients=%d", benchClients), func(b *testing.B) {
		addr, room, _ := startChat(b, 1000)
		benchChat(b, dial(b, addr, room, benchClients, 0))
	})
	b.Run(fmt.Sprintf("two servers on NATS/clients=%d", benchClients), func(b *testing.B) {
		nats := natstest.Start(b)
		var conns []*net.TCPConn
		for range 2 {
			addr, room := startSharedChat(b, nats.URL(), 1000)
			conns = append(conns, dial(b, addr, room, benchClients/2, 0)...)
		}
		benchChat(b, conns)
	})
}

// listener counts the lines a client hears, and says when it has heard
// a round's worth.
type listener struct {
	heard  atomic.Int64
	target *atomic.Int64 // the count that ends the round
	round  *sync.WaitGroup
}

func (l *listener) read(c net.Conn) {
	buf := make([]byte, 64<<10)
	var last int64 // the target this listener last reported reaching
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		got := l.heard.Add(int64(bytes.Count(buf[:n], []byte{'\n'})))
		if t := l.target.Load(); got >= t && last < t {
			last = t
			l.round.Done()
		}
	}
}

func benchChat(b *testing.B, conns []*net.TCPConn) {
	n := len(conns)
	var target atomic.Int64
	var round sync.WaitGroup
	var readers sync.WaitGroup
	for _, c := range conns {
		c.SetDeadline(time.Time{}) // dial's is for tests, not for a long benchmark
		l := &listener{target: &target, round: &round}
		readers.Go(func() { l.read(c) })
	}
	// Every client's lines for one round, each line as long as a short
	// chat message.
	said := make([][]byte, n)
	for i := range said {
		for j := range linesPerRound {
			said[i] = fmt.Appendf(said[i], "client %03d line %d %s\n", i, j, strings.Repeat("x", 40))
		}
	}
	perRound := int64(linesPerRound * (n - 1)) // what each client hears in a round
	for b.Loop() {
		round.Add(n)
		target.Add(perRound)
		for i, c := range conns {
			if _, err := c.Write(said[i]); err != nil {
				b.Fatal(err)
			}
		}
		round.Wait()
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)*float64(n*linesPerRound)/secs, "lines/s")
	b.ReportMetric(float64(b.N)*float64(n)*float64(perRound)/secs, "deliveries/s")
	for _, c := range conns {
		c.Close()
	}
	readers.Wait()
}
