package internet_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

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
