package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws send's progress bar on a terminal, one line redrawn in
// place:
//
//	[==========>         ]  2.5 MiB / 5.0 MiB   2.0 MiB/s   0:01 left
//
// The rate is measured over the last few seconds, so it follows changes
// (a stall shows at once) without jumping at every tick.
type progress struct {
	w       io.Writer
	total   int64
	samples []sample // recent (time, bytes) pairs, oldest first
}

type sample struct {
	t time.Time
	n int64
}

// rateWindow is how far back the current rate looks.
const rateWindow = 3 * time.Second

// barWidth is the number of cells in the bar.
const barWidth = 24

func newProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, total: total}
}

// record notes that n bytes had been sent at t and returns the current
// rate in bytes per second (0 until two samples are known).
func (p *progress) record(t time.Time, n int64) float64 {
	p.samples = append(p.samples, sample{t, n})
	// Keep one sample at or before the window's start, for the span.
	for len(p.samples) > 2 && t.Sub(p.samples[1].t) >= rateWindow {
		p.samples = p.samples[1:]
	}
	first := p.samples[0]
	if dt := t.Sub(first.t).Seconds(); dt > 0 {
		return float64(n-first.n) / dt
	}
	return 0
}

// line renders the bar for n bytes sent at the given rate.
func (p *progress) line(n int64, rate float64) string {
	frac := 1.0
	if p.total > 0 {
		frac = min(max(float64(n)/float64(p.total), 0), 1)
	}
	cells := int(frac * barWidth)
	bar := strings.Repeat("=", cells)
	if cells < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-cells-1)
	}
	left := "--:-- left"
	switch {
	case n >= p.total:
		left = "done"
	case rate > 0:
		left = clock(time.Duration(float64(p.total-n)/rate*float64(time.Second))) + " left"
	}
	return fmt.Sprintf("[%s] %9s / %-9s %9s/s  %s", bar, humanBytes(n), humanBytes(p.total), humanBytes(int64(rate)), left)
}

// draw redraws the line in place: carriage return, the line, and an
// erase to the end of the line.
func (p *progress) draw(t time.Time, n int64) {
	fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(n, p.record(t, n)))
}

// startProgress redraws the bar every interval with what sent reports,
// until the returned function is called; that draws it a last time and
// ends the line.
func startProgress(w io.Writer, total int64, interval time.Duration, sent func() int64) (stop func()) {
	p := newProgress(w, total)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		p.draw(time.Now(), sent())
		for {
			select {
			case t := <-tick.C:
				p.draw(t, sent())
			case <-done:
				p.draw(time.Now(), sent())
				fmt.Fprintln(p.w)
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done); wg.Wait() })
	}
}

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

// clock formats a duration as m:ss, or h:mm:ss from an hour up.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
