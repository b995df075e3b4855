package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// drawProgress says whether send draws its progress bar: on stderr, only
// when stderr is a terminal that is not a dumb one, unless --no-progress.
func (e *env) drawProgress(noProgress bool) bool {
	return !noProgress && e.stderrIsTerminal && e.getenv("TERM") != "dumb"
}

// progress is send's progress bar, redrawn in place on stderr:
//
//	sending  45% |█████████           | (2.2/5.0 MiB, 2.0 MiB/s) [1s:1s]
//
// percentage, bytes sent of the total, the rate, then the time elapsed
// and the time left. Without a total (send -) it shows a spinner, the
// bytes sent, the rate and the time elapsed. Until the connection is
// made it says "connecting". When it stops it draws a last time and ends
// its line, and on success a summary line follows:
//
//	sent 5.0 MiB in 2.5s (2.0 MiB/s)
type progress struct {
	bar   *progressbar.ProgressBar
	line  *termLine
	total int64 // -1: unknown
	sent  func() (n int64, connected bool)
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup
}

// startProgress draws the bar on line every interval with what sent
// reports, until stop is called.
func startProgress(line *termLine, columns int, total int64, interval time.Duration, sent func() (int64, bool)) *progress {
	width := 30
	if columns > 0 {
		width = min(max(columns-60, 10), 40)
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(line.barWriter()),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionSetWidth(width),
		progressbar.OptionThrottle(0),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionSetDescription("connecting "),
	}
	if total < 0 {
		// The spinner turns as the loop draws: no goroutine of its own.
		opts = append(opts, progressbar.OptionSpinnerType(14), progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetSpinnerChangeInterval(0))
	} else {
		opts = append(opts, progressbar.OptionSetPredictTime(true), progressbar.OptionShowElapsedTimeOnFinish())
	}
	p := &progress{
		bar:   progressbar.NewOptions64(total, opts...),
		line:  line,
		total: total,
		sent:  sent,
		start: time.Now(),
		done:  make(chan struct{}),
	}
	p.wg.Add(1)
	go p.loop(interval)
	return p
}

func (p *progress) loop(interval time.Duration) {
	defer p.wg.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	connected := false
	for {
		select {
		case <-tick.C:
		case <-p.done:
			return
		}
		n, ok := p.sent()
		if ok && !connected {
			connected = true
			p.bar.Describe("sending ")
		}
		_ = p.bar.Set64(n)
	}
}

// stop draws the bar a last time and ends its line; after a success
// (ok) it adds the summary line.
func (p *progress) stop(ok bool) {
	close(p.done)
	p.wg.Wait()
	n, _ := p.sent()
	p.bar.Describe("")
	_ = p.bar.Set64(n)
	p.line.endBar()
	if ok {
		elapsed := time.Since(p.start)
		p.line.println(fmt.Sprintf("sent %s in %s (%s/s)", humanBytes(n), elapsed.Round(100*time.Millisecond),
			humanBytes(int64(float64(n)/elapsed.Seconds()))))
	}
}

// termLine keeps the progress bar and stdout's output apart when both
// go to one terminal: before stdout writes, the bar is wiped from its
// line, and it is drawn again only once stdout has ended its line.
type termLine struct {
	mu      sync.Mutex
	term    io.Writer // stderr, the terminal
	out     io.Writer // stdout
	drawn   bool      // the bar is on the terminal's current line
	midLine bool      // stdout shares the terminal and left a line unfinished
}

// barWriter is where the bar draws.
func (t *termLine) barWriter() io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.midLine {
			return len(b), nil // not over stdout's unfinished line
		}
		t.drawn = true
		return t.term.Write(b)
	})
}

// stdout is where stdout's output goes, given that stdout is the same
// terminal as stderr.
func (t *termLine) stdout() io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		if len(b) == 0 {
			return 0, nil
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		t.wipe()
		t.midLine = b[len(b)-1] != '\n'
		return t.out.Write(b)
	})
}

// wipe clears the bar's line; t.mu is held.
func (t *termLine) wipe() {
	if t.drawn {
		_, _ = io.WriteString(t.term, "\r\x1b[K")
		t.drawn = false
	}
}

// stderr is where other lines for stderr go while the bar is drawn.
func (t *termLine) stderr() io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.wipe()
		if t.midLine {
			if _, err := io.WriteString(t.term, "\n"); err != nil {
				return 0, err
			}
			t.midLine = false
		}
		return t.term.Write(b)
	})
}

// endBar leaves the bar as it is and ends its line.
func (t *termLine) endBar() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.drawn {
		_, _ = io.WriteString(t.term, "\n")
		t.drawn = false
	}
}

// println writes s as a line of its own.
func (t *termLine) println(s string) { _, _ = io.WriteString(t.stderr(), s+"\n") }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// humanBytes formats a byte count with a binary unit: 512 B, 1.5 KiB,
// 2.0 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
