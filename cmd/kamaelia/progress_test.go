package main

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB",
	} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestProgressShowsPercentRateTimesAndSummary: the bar says
// "connecting" until connected, then shows the percentage, bytes of the
// total, the rate, the time elapsed and left; at the end a summary line.
func TestProgressShowsPercentRateTimesAndSummary(t *testing.T) {
	t.Parallel()
	var term axontest.Buffer
	line := &termLine{term: &term}
	var sent atomic.Int64
	var connected atomic.Bool
	ticked := make(chan struct{}, 100)
	p := startProgress(line, 100, 4<<20, time.Millisecond, func() (int64, bool) {
		select {
		case ticked <- struct{}{}:
		default:
		}
		return sent.Load(), connected.Load()
	})
	<-ticked
	axontest.Eventually(t, testContext(t), "the bar says connecting", func() bool {
		return strings.Contains(term.String(), "connecting")
	})
	connected.Store(true)
	sent.Store(1 << 20)
	axontest.Eventually(t, testContext(t), "the bar shows a quarter sent", func() bool {
		s := term.String()
		return strings.Contains(s, "25%") && strings.Contains(s, "1.0/4.0 MiB") && strings.Contains(s, "sending")
	})
	sent.Store(4 << 20)
	p.stop(true)
	s := term.String()
	last := s[strings.LastIndex(s, "\r")+1:]
	lines := strings.Split(strings.TrimSuffix(last, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "100%") || !strings.HasPrefix(lines[1], "sent 4.0 MiB in ") {
		t.Fatalf("the end of the output is %q, want the full bar and a summary line", last)
	}
}

// TestProgressWithoutTotalShowsBytesAndRate: send - has no total.
func TestProgressWithoutTotalShowsBytesAndRate(t *testing.T) {
	t.Parallel()
	var term axontest.Buffer
	var sent atomic.Int64
	p := startProgress(&termLine{term: &term}, 0, -1, time.Millisecond, func() (int64, bool) { return sent.Load(), true })
	sent.Store(3 << 20)
	axontest.Eventually(t, testContext(t), "the spinner shows the bytes", func() bool {
		return strings.Contains(term.String(), "3.0 MiB")
	})
	p.stop(false)
	if s := term.String(); strings.Contains(s, "%") || strings.Contains(s, "sent ") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("output %q: want no percentage, no summary after a failure, and the line ended", s)
	}
}

// TestTermLineKeepsStdoutOffTheBar: with stdout on the same terminal,
// the bar is wiped before stdout writes, and not drawn over a line
// stdout left unfinished.
func TestTermLineKeepsStdoutOffTheBar(t *testing.T) {
	t.Parallel()
	var term axontest.Buffer
	line := &termLine{term: &term, out: &term}
	bar, out := line.barWriter(), line.stdout()
	steps := []struct {
		w    func(string)
		text string
		want string // what the terminal got for it
	}{
		{func(s string) { bar.Write([]byte(s)) }, "\r[bar 1]", "\r[bar 1]"},
		{func(s string) { out.Write([]byte(s)) }, "partial", "\r\x1b[Kpartial"},
		{func(s string) { bar.Write([]byte(s)) }, "\r[bar 2]", ""},
		{func(s string) { out.Write([]byte(s)) }, " line\n", " line\n"},
		{func(s string) { bar.Write([]byte(s)) }, "\r[bar 3]", "\r[bar 3]"},
		{func(s string) { line.println(s) }, "summary", "\r\x1b[Ksummary\n"},
	}
	want := ""
	for _, st := range steps {
		st.w(st.text)
		want += st.want
		if got := term.String(); got != want {
			t.Fatalf("after writing %q the terminal has %q, want %q", st.text, got, want)
		}
	}
}

// TestDrawProgress: the bar is drawn only on a terminal that is not
// dumb, and not with --no-progress.
func TestDrawProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		terminal   bool
		term       string
		noProgress bool
		want       bool
	}{
		{"a terminal", true, "xterm-256color", false, true},
		{"a terminal, TERM unset", true, "", false, true},
		{"a dumb terminal", true, "dumb", false, false},
		{"--no-progress", true, "xterm", true, false},
		{"not a terminal", false, "xterm", false, false},
	} {
		e := &env{stderrIsTerminal: tc.terminal, getenv: func(k string) string {
			if k == "TERM" {
				return tc.term
			}
			return ""
		}}
		if got := e.drawProgress(tc.noProgress); got != tc.want {
			t.Errorf("%s: drawProgress = %v, want %v", tc.name, got, tc.want)
		}
	}
}
