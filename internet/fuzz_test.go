package internet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// plan is one side's part in a fuzzed exchange, decoded from fuzz input.
type plan struct {
	chunks    []int // sizes of the chunks it sends
	afterPeer bool  // it starts sending only once the peer has finished (a half-close)
}

func decodePlans(in []byte) (a, b plan) {
	next := func() int {
		if len(in) == 0 {
			return 0
		}
		v := int(in[0])
		in = in[1:]
		return v
	}
	decode := func() plan {
		var p plan
		p.afterPeer = next()%3 == 0
		n := next() % 12
		for range n {
			p.chunks = append(p.chunks, next()*next()%(96<<10)+next()%3)
		}
		return p
	}
	a, b = decode(), decode()
	if a.afterPeer && b.afterPeer { // both waiting for the other would never start
		b.afterPeer = false
	}
	return a, b
}

func FuzzCSAPairDeliversEveryByteInOrder(f *testing.F) {
	f.Add([]byte{0, 3, 10, 20, 1, 5, 6, 7, 0, 2, 200, 200, 0})
	f.Add([]byte{3, 5, 255, 255, 2, 1, 1, 0, 9, 9, 9, 0, 4, 100, 100, 1})
	f.Add([]byte{1, 0, 0, 1, 255, 255, 255})
	f.Add([]byte{})
	// Found by the fuzzer: empty chunks once made the writer half-close.
	f.Add([]byte("\x03\x05\xff\xf1\x02\x00!\x00@\x00!\x7f\xe8\x03\x04dd\x01"))
	ln := listenLoopback(f)
	f.Cleanup(func() { ln.Close() })
	f.Fuzz(func(t *testing.T, in []byte) {
		pa, pb := decodePlans(in)
		ctx, _ := testCtx(t)
		c1, c2 := tcpPairOn(t, ln)
		a, b := internet.NewCSA(c1), internet.NewCSA(c2)
		ka, kb := newSink(), newSink()
		attach(t, a, ka)
		attach(t, b, kb)
		ha, hb := axontest.Handle(t, a), axontest.Handle(t, b)
		activate(t, ctx, ka, kb, a, b)

		run := func(h *axon.Handle, p plan, peerDone <-chan struct{}, seed uint64) ([]byte, error) {
			if p.afterPeer {
				select {
				case <-peerDone:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			var sent bytes.Buffer
			for i, n := range p.chunks {
				chunk := randomBytes(seed+uint64(i), n)
				sent.Write(chunk)
				if err := h.Put(ctx, "inbox", chunk); err != nil {
					return nil, err
				}
			}
			return sent.Bytes(), h.Put(ctx, "control", axon.ProducerFinished{})
		}
		type result struct {
			sent []byte
			err  error
		}
		ra, rb := make(chan result, 1), make(chan result, 1)
		// A side that waits for its peer starts once its own sink has
		// seen the peer's finish.
		go func() { s, err := run(ha, pa, ka.done, 1000); ra <- result{s, err} }()
		go func() { s, err := run(hb, pb, kb.done, 2000); rb <- result{s, err} }()
		sa, sb := <-ra, <-rb
		if sa.err != nil || sb.err != nil {
			t.Fatal(sa.err, sb.err)
		}
		waitDone(t, ctx, a, b, ka, kb)
		explain := func() string {
			var out []string
			for _, side := range []struct {
				name string
				h    *axon.Handle
				c    *internet.CSA
			}{{"a", ha, a}, {"b", hb, b}} {
				var msgs []string
				for _, box := range []string{"signal", "CreatorFeedback"} {
					for {
						m, ok := side.h.TryGet(box)
						if !ok {
							break
						}
						msgs = append(msgs, fmt.Sprintf("%s:%T(cause %v)", box, m, axon.Cause(m)))
					}
				}
				out = append(out, fmt.Sprintf("%s: stats %+v, %v, outbox %+v", side.name, side.c.Stats(), msgs, side.c.Info().Outboxes[0]))
			}
			for _, k := range []*sink{ka, kb} {
				ki := k.Info()
				out = append(out, fmt.Sprintf("%s: %s inbox %+v control %+v", k.Name(), ki.State, ki.Inboxes[0], ki.Inboxes[1]))
			}
			return strings.Join(out, "; ")
		}
		if got := kb.bytes(); !bytes.Equal(got, sa.sent) {
			t.Fatalf("b received %d bytes, a sent %d (plans %+v / %+v); %s", len(got), len(sa.sent), pa, pb, explain())
		}
		if got := ka.bytes(); !bytes.Equal(got, sb.sent) {
			t.Fatalf("a received %d bytes, b sent %d (plans %+v / %+v); %s", len(got), len(sb.sent), pa, pb, explain())
		}
		for _, k := range []*sink{ka, kb} {
			if k.notice.Err != nil {
				t.Fatalf("peerFinished carried %v", k.notice.Err)
			}
		}
	})
}

// csaOp is one step of FuzzCSAMessages: a message for one of the
// adapter's inboxes, or something the peer does.
type csaOp struct {
	box  string // "inbox", "control", "makessl"; "" for the peer
	msg  any
	data []byte                    // the bytes msg carries to the peer, if it is data
	peer func(*net.TCPConn) []byte // returns what it wrote
}

// decodeOps turns fuzz input into a sequence of steps: messages of every
// kind the adapter may be sent, good and bad, and the peer's actions.
func decodeOps(in []byte) []csaOp {
	next := func() int {
		if len(in) == 0 {
			return 0
		}
		v := int(in[0])
		in = in[1:]
		return v
	}
	var ops []csaOp
	for len(in) > 0 && len(ops) < 64 {
		kind, arg := next()%22, next()
		payload := randomBytes(uint64(len(ops)), arg*arg%(48<<10)+1)
		var op csaOp
		switch kind {
		case 0, 1, 2:
			op = csaOp{box: "inbox", msg: payload, data: payload}
		case 3:
			op = csaOp{box: "inbox", msg: string(payload), data: payload}
		case 4:
			op = csaOp{box: "inbox", msg: []byte{}}
		case 5:
			op = csaOp{box: "inbox", msg: arg}
		case 6:
			op = csaOp{box: "inbox", msg: nil}
		case 7:
			op = csaOp{box: "control", msg: nil}
		case 8:
			op = csaOp{box: "control", msg: axon.ProducerFinished{}}
		case 9:
			op = csaOp{box: "control", msg: axon.ShutdownMicroprocess{}}
		case 10:
			op = csaOp{box: "control", msg: &internet.ServerShutdown{}}
		case 11:
			op = csaOp{box: "control", msg: internet.Reset{}}
		case 12:
			op = csaOp{box: "control", msg: &internet.Reset{Err: errOurs}}
		case 13:
			op = csaOp{box: "control", msg: internet.ShutdownBegun{}}
		case 14:
			op = csaOp{box: "control", msg: axon.ErrorInformation{Err: errOurs}}
		case 15:
			op = csaOp{box: "makessl", msg: internet.MakeSSL{}}
		case 16:
			// Refused (the adapter has no TLS configuration): its
			// plaintext must not reach the peer.
			op = csaOp{box: "makessl", msg: &internet.MakeSSL{Plaintext: []byte("not for the peer")}}
		case 17:
			op = csaOp{box: "makessl", msg: arg}
		case 18:
			op = csaOp{box: "makessl", msg: nil}
		case 19:
			op = csaOp{peer: func(c *net.TCPConn) []byte {
				p := payload[:min(len(payload), 4<<10)]
				n, _ := c.Write(p)
				return p[:n]
			}}
		case 20:
			op = csaOp{peer: func(c *net.TCPConn) []byte { c.CloseWrite(); return nil }}
		case 21:
			op = csaOp{box: "control", msg: arg}
		}
		ops = append(ops, op)
	}
	return ops
}

// FuzzCSAMessages sends an adapter on a live loopback connection
// sequences of messages of any type on "inbox", "control" and
// "makessl", while its peer reads everything (and may send and
// half-close). Whatever the sequence, the adapter never panics, ends
// within a bound once a final shutdownMicroprocess arrives, sends
// exactly one ShutdownCSA on "signal" (nothing else there but
// ErrorInformation) and one SocketShutdown on "CreatorFeedback", and
// what reaches the peer is a prefix of the data sent, in order.
func FuzzCSAMessages(f *testing.F) {
	f.Add([]byte{0, 10, 8, 0})                                 // data, producerFinished
	f.Add([]byte{1, 200, 9, 0, 0, 5})                          // data, shutdownMicroprocess, data after it
	f.Add([]byte{0, 50, 11, 0, 0, 50})                         // data, Reset, data
	f.Add([]byte{5, 1, 6, 0, 7, 0, 0, 3})                      // bad messages, a nil control, data
	f.Add([]byte{15, 0, 0, 9, 16, 0, 17, 3, 18, 0, 3, 40})     // makessl of every kind, refused, around data
	f.Add([]byte{19, 30, 20, 0, 0, 100, 8, 0})                 // the peer sends and half-closes first
	f.Add([]byte{13, 0, 14, 0, 21, 7, 12, 0, 0, 1})            // ignored control messages, then a Reset with a cause
	f.Add([]byte{2, 255, 2, 255, 2, 255, 10, 0, 2, 255, 8, 0}) // big chunks around a ServerShutdown
	f.Add([]byte{4, 0, 0, 0, 3, 0, 20, 0, 19, 9, 8, 0, 9, 0})  // empty data, the peer finishes, then both requests
	ln := listenLoopback(f)
	f.Cleanup(func() { ln.Close() })
	f.Fuzz(func(t *testing.T, in []byte) {
		ops := decodeOps(in)
		ctx, _ := testCtx(t)
		peer, ours := tcpPairOn(t, ln)
		csa := internet.NewCSA(ours, internet.Linger(2*time.Second))
		k := newSink()
		attach(t, csa, k)
		h := axontest.Handle(t, csa)
		activate(t, ctx, k, csa)
		received := make(chan []byte, 1)
		go func() { // the peer reads everything, until the adapter closes
			var got bytes.Buffer
			peer.SetReadDeadline(time.Now().Add(30 * time.Second))
			buf := make([]byte, 64<<10)
			for {
				n, err := peer.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					received <- got.Bytes()
					return
				}
			}
		}()

		var sent, peerSent bytes.Buffer
		for _, op := range ops {
			if op.peer != nil {
				peerSent.Write(op.peer(peer))
				continue
			}
			sent.Write(op.data)
			if err := h.Put(ctx, op.box, op.msg); err != nil {
				t.Fatalf("put %T on %s: %v", op.msg, op.box, err)
			}
		}
		if err := h.Put(ctx, "control", axon.ShutdownMicroprocess{}); err != nil {
			t.Fatal(err)
		}
		end, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		select {
		case <-csa.Done():
		case <-end.Done():
			t.Fatalf("the adapter did not end within 10 s of a shutdownMicroprocess (ops %v)", opNames(ops))
		}
		var pe *axon.PanicError
		if err := csa.Err(); errors.As(err, &pe) {
			t.Fatalf("the adapter panicked: %v", err)
		}
		finals := 0
		for {
			m, ok := h.TryGet("signal")
			if !ok {
				break
			}
			switch m.(type) {
			case internet.ShutdownCSA:
				finals++
			case axon.ErrorInformation:
			default:
				t.Fatalf("signal carried %#v", m)
			}
		}
		if finals != 1 {
			t.Fatalf("%d ShutdownCSA on signal; want exactly one (ops %v)", finals, opNames(ops))
		}
		feedback := 0
		for {
			if _, ok := h.TryGet("CreatorFeedback"); !ok {
				break
			}
			feedback++
		}
		if feedback != 1 {
			t.Fatalf("%d notices on CreatorFeedback; want exactly one", feedback)
		}
		select {
		case <-k.done:
		case <-ctx.Done():
			t.Fatal("no notice on peerFinished")
		}
		got := <-received
		if !bytes.HasPrefix(sent.Bytes(), got) {
			i := 0
			for i < len(got) && i < sent.Len() && got[i] == sent.Bytes()[i] {
				i++
			}
			t.Fatalf("the peer got %d bytes, not a prefix of the %d sent: they differ at %d (ops %v)", len(got), sent.Len(), i, opNames(ops))
		}
		if got := k.bytes(); !bytes.HasPrefix(peerSent.Bytes(), got) {
			t.Fatalf("outbox gave %d bytes, not a prefix of the %d the peer sent (ops %v)", len(got), peerSent.Len(), opNames(ops))
		}
	})
}

// opNames describes ops for a failure message.
func opNames(ops []csaOp) []string {
	var names []string
	for _, op := range ops {
		if op.peer != nil {
			names = append(names, "peer")
			continue
		}
		names = append(names, fmt.Sprintf("%s:%T", op.box, op.msg))
	}
	return names
}
