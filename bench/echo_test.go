package bench_test

// Benchmarks of the echo path over loopback TCP: each runs against the
// SimpleServer with an Echo handler (simple), the bare adapter echoing to
// itself (direct), and a plain goroutine-per-connection server (plain),
// in the same process and run, so their ns/op and allocs/op compare.
// Profile one with, for example:
//
//	go test ./bench -run '^$' -bench 'PingPong64/direct' -cpuprofile cpu.out -memprofile mem.out
//
// The client side runs in the same process and counts in the figures;
// ../shared/bench measures the server alone (see RESULTS.md).

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/bench"
	"github.com/kamaelia-go/kamaelia/internet"
)

var kinds = []string{bench.Simple, bench.Direct, "plain"}

// startKind starts an echo server of the given kind for the benchmark.
func startKind(tb testing.TB, kind string) string {
	tb.Helper()
	return startKindIn(tb, context.Background(), kind)
}

// startKindIn is startKind with the server's components in the registry
// parent carries (see axon.NewContext).
func startKindIn(tb testing.TB, parent context.Context, kind string) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(parent)
	if kind == "plain" {
		addr, done := startPlain(tb, ctx)
		tb.Cleanup(func() { cancel(); <-done })
		return addr
	}
	// Warnings only: the server's shutdown notice would land in the
	// middle of the benchmark's result line.
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	addr, done, err := bench.StartEcho(ctx, kind, 0, internet.Logger(quiet))
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			tb.Errorf("%s server did not stop", kind)
		}
	})
	return addr
}

// startPlain is the baseline: a goroutine per connection reading into a
// 16 KiB buffer and writing back what it read (../shared/bench's
// echo-raw).
func startPlain(tb testing.TB, ctx context.Context) (string, <-chan struct{}) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	go func() {
		<-ctx.Done()
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	go func() {
		defer close(done)
		defer wg.Wait()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer func() { mu.Lock(); delete(conns, c); mu.Unlock(); c.Close() }()
				buf := make([]byte, 16<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	}()
	return ln.Addr().String(), done
}

func dial(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// pingPong sends n messages of size bytes on c, one at a time, waiting
// for each echo.
func pingPong(c net.Conn, size, n int) error {
	out := bytes.Repeat([]byte{'k'}, size)
	in := make([]byte, size)
	for i := 0; i < n; i++ {
		out[0] = byte(i)
		if _, err := c.Write(out); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, in); err != nil {
			return err
		}
		if in[0] != out[0] {
			return errors.New("echo mismatch")
		}
	}
	return nil
}

func benchPingPong(b *testing.B, conns, size int) {
	for _, kind := range kinds {
		b.Run(kind, func(b *testing.B) {
			timePingPong(b, dialWarm(b, startKind(b, kind), conns, size), size)
		})
	}
}

// dialWarm opens conns connections to addr and makes one round trip on
// each.
func dialWarm(b *testing.B, addr string, conns, size int) []net.Conn {
	cs := make([]net.Conn, conns)
	for i := range cs {
		cs[i] = dial(b, addr)
		if err := pingPong(cs[i], size, 1); err != nil { // warm up
			b.Fatal(err)
		}
	}
	return cs
}

// timePingPong times b.N round trips of size bytes, shared out among the
// connections, which run at once.
func timePingPong(b *testing.B, cs []net.Conn, size int) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, len(cs))
	for i, c := range cs {
		n := b.N / len(cs)
		if i < b.N%len(cs) {
			n++
		}
		wg.Go(func() { errs <- pingPong(c, size, n) })
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPingPong1 is the harness's pp1: one connection, 64 B round
// trips (op = one round trip).
func BenchmarkPingPong1(b *testing.B) { benchPingPong(b, 1, 64) }

// BenchmarkPingPong64 is pp64: 64 connections, 64 B round trips.
func BenchmarkPingPong64(b *testing.B) { benchPingPong(b, 64, 64) }

// BenchmarkPingPong64x4K is pp64-4k: 64 connections, 4 KiB round trips.
func BenchmarkPingPong64x4K(b *testing.B) { benchPingPong(b, 64, 4096) }

// BenchmarkStream writes 64 KiB chunks flat out on 8 connections while
// readers drain the echo (op = one 64 KiB chunk echoed).
func BenchmarkStream(b *testing.B) {
	const conns, size = 8, 64 << 10
	for _, kind := range kinds {
		b.Run(kind, func(b *testing.B) {
			addr := startKind(b, kind)
			chunk := bytes.Repeat([]byte("0123456789abcdef"), size/16)
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			errs := make(chan error, 2*conns)
			for i := 0; i < conns; i++ {
				n := b.N / conns
				if i < b.N%conns {
					n++
				}
				c := dial(b, addr)
				wg.Go(func() {
					for j := 0; j < n; j++ {
						if _, err := c.Write(chunk); err != nil {
							errs <- err
							return
						}
					}
				})
				wg.Go(func() {
					_, err := io.CopyN(io.Discard, c, int64(n)*size)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIdleConns opens b.N connections (at least 1000), pings each
// once and reports the heap and stack in use per connection with all of
// them held. The in-process client ends count too (the same for every
// kind); ../shared/bench's idle scenario measures the server alone.
func BenchmarkIdleConns(b *testing.B) {
	for _, kind := range kinds {
		b.Run(kind, func(b *testing.B) {
			n := max(b.N, 1000)
			addr := startKind(b, kind)
			before := inUse()
			cs := make([]net.Conn, n)
			for i := range cs {
				cs[i] = dial(b, addr)
				if err := pingPong(cs[i], 64, 1); err != nil {
					b.Fatal(err)
				}
			}
			after := inUse()
			b.ReportMetric(float64(after.heap-before.heap)/float64(n), "heap-B/conn")
			b.ReportMetric(float64(after.stack-before.stack)/float64(n), "stack-B/conn")
			b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(n), "goroutines/conn")
		})
	}
}

type usage struct{ heap, stack, goroutines int64 }

func inUse() usage {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{int64(ms.HeapInuse), int64(ms.StackInuse), int64(runtime.NumGoroutine())}
}

// TestEchoKinds checks that every server kind the benchmarks use echoes
// correctly, so the benchmarks measure working servers.
func TestEchoKinds(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			addr := startKind(t, kind)
			c := dial(t, addr)
			for _, size := range []int{1, 64, 4096, 100 << 10} {
				if err := pingPong(c, size, 3); err != nil {
					t.Fatalf("%d B: %v", size, err)
				}
			}
		})
	}
}
