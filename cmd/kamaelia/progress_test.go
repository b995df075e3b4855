package main

import (
	"bytes"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	p := newProgress(nil, 5<<20)
	for _, tc := range []struct {
		sent int64
		rate float64
		want string
	}{
		{0, 0, "[>                       ]       0 B / 5.0 MiB         0 B/s  --:-- left"},
		{5 << 19, 2 << 20, "[============>           ]   2.5 MiB / 5.0 MiB     2.0 MiB/s  0:01 left"},
		{5 << 20, 2 << 20, "[========================]   5.0 MiB / 5.0 MiB     2.0 MiB/s  done"},
	} {
		if got := p.line(tc.sent, tc.rate); got != tc.want {
			t.Errorf("line(%d, %.0f) =\n%q, want\n%q", tc.sent, tc.rate, got, tc.want)
		}
	}
}

func TestProgressRateFollowsRecentWindow(t *testing.T) {
	p := newProgress(nil, 100<<20)
	t0 := time.Unix(1000, 0)
	// 1 MiB/s for ten seconds, then a stall.
	var rate float64
	for i := range 11 {
		rate = p.record(t0.Add(time.Duration(i)*time.Second), int64(i)<<20)
	}
	if rate != 1<<20 {
		t.Fatalf("steady rate %.0f, want %d", rate, 1<<20)
	}
	if len(p.samples) > 5 {
		t.Fatalf("kept %d samples, want only the recent window", len(p.samples))
	}
	for i := 11; i < 11+int(rateWindow/time.Second)+1; i++ {
		rate = p.record(t0.Add(time.Duration(i)*time.Second), 10<<20)
	}
	if rate != 0 {
		t.Fatalf("rate %.0f after a stall longer than the window, want 0", rate)
	}
}

func TestHumanBytesAndClock(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB",
	} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "0:00", 1499 * time.Millisecond: "0:01", 61 * time.Second: "1:01",
		3*time.Hour + 2*time.Minute + 1*time.Second: "3:02:01",
	} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestStartProgressDrawsAndEndsTheLine(t *testing.T) {
	var out axontest.Buffer
	var sent atomic.Int64
	sent.Store(1 << 20)
	stop := startProgress(&out, 2<<20, time.Hour, sent.Load)
	sent.Store(2 << 20)
	stop()
	stop() // a second stop does nothing
	s := out.String()
	if !strings.HasPrefix(s, "\r[") || !strings.HasSuffix(s, "\n") || !strings.Contains(s, "2.0 MiB / 2.0 MiB") {
		t.Fatalf("progress output %q", s)
	}
	if n := bytes.Count([]byte(s), []byte("\n")); n != 1 {
		t.Fatalf("progress wrote %d lines, want 1: %q", n, s)
	}
}
