package components

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Defaults of a RateController, as in Kamaelia's ByteRate_RequestControl.
const (
	// DefaultRate is the rate, in units per second, when none is given.
	DefaultRate = 100_000
	// DefaultChunksPerSecond sets the chunk size when none is given: the
	// rate divided by this, rounded, and at least 1.
	DefaultChunksPerSecond = 10
)

// RateController paces a reader, Kamaelia's ByteRate_RequestControl. It
// sends ints on "outbox", each saying how much to read (one chunk), so
// that the total follows its rate: chunk k (k = 1, 2, ...) falls due k ×
// chunk / rate seconds after the controller started, and is sent then.
// Due times come from the time elapsed since the start, not from adding
// up waits, so the rate does not drift, and when the controller falls
// behind (its consumer's inbox was full, say) it catches up by sending
// every chunk that fell due, one after another. The total sent by time
// t is never more than rate × t, and is less by under one chunk once
// the controller is keeping up.
//
//	inbox    in   not used: messages are reported as unexpected
//	control  in   shutdown requests (in a RateControlledFileReader the
//	              file reader's signal comes here)
//	outbox   out  int: the chunk size, once per chunk due
//	signal   out  the shutdown request received, unchanged (so the Err
//	              of a producerFinished survives); reports
//
// It never ends by itself. It is reactive: between chunks it holds only
// a timer, no goroutine.
//
// A RateController is safe for concurrent use; its methods are those of
// axon.Core.
type RateController struct {
	*axon.Core
	rate  float64 // units per second
	chunk int     // units per request

	// Used by the step only.
	start  time.Time
	issued int64 // chunks sent
	timer  *time.Timer
}

// RateOption configures a RateController (and a
// RateControlledFileReader).
type RateOption func(*rateConfig)

type rateConfig struct {
	rate  float64
	chunk int
}

// WithRate sets the rate in units per second (bytes, or lines for a
// RateControlledFileReader in ReadLines mode). Zero means DefaultRate;
// it must not be negative.
func WithRate(unitsPerSecond float64) RateOption {
	return func(c *rateConfig) { c.rate = unitsPerSecond }
}

// WithChunkSize sets how many units each request asks for. Zero means
// the rate divided by DefaultChunksPerSecond (at least 1); it must not
// be negative.
func WithChunkSize(n int) RateOption {
	return func(c *rateConfig) { c.chunk = n }
}

func (c *rateConfig) resolve(opts []RateOption) error {
	for _, o := range opts {
		o(c)
	}
	if c.rate < 0 || math.IsNaN(c.rate) || math.IsInf(c.rate, 0) {
		return fmt.Errorf("rate %v: want a finite rate, at least 0", c.rate)
	}
	if c.chunk < 0 {
		return fmt.Errorf("chunk size %d: want at least 0", c.chunk)
	}
	if c.rate == 0 {
		c.rate = DefaultRate
	}
	if c.chunk == 0 {
		c.chunk = max(1, int(math.Round(c.rate/DefaultChunksPerSecond)))
	}
	return nil
}

// NewRateController returns a RateController configured by opts. It
// returns an error for a negative or non-finite rate or a negative chunk
// size.
func NewRateController(opts ...RateOption) (*RateController, error) {
	var cfg rateConfig
	if err := cfg.resolve(opts); err != nil {
		return nil, fmt.Errorf("NewRateController: %w", err)
	}
	r := &RateController{rate: cfg.rate, chunk: cfg.chunk}
	r.Core = axon.NewReactive("RateController", r.step,
		boxes(docNoInput, fmt.Sprintf("int: %d units to read, %g units a second", r.chunk, r.rate))...)
	return r, nil
}

// Rate returns the rate in units per second.
func (r *RateController) Rate() float64 { return r.rate }

// ChunkSize returns how many units each request asks for.
func (r *RateController) ChunkSize() int { return r.chunk }

// due returns when chunk k falls due, counted from the start.
func (r *RateController) due(k int64) time.Duration {
	return time.Duration(math.Ceil(float64(k) * float64(r.chunk) / r.rate * float64(time.Second)))
}

// step runs at the start, when a message arrives, and when the timer
// set for the next chunk fires.
func (r *RateController) step(ctx context.Context, c *axon.Core) error {
	if err := r.pace(ctx, c); err != nil {
		if r.timer != nil {
			r.timer.Stop()
		}
		return err
	}
	return nil
}

func (r *RateController) pace(ctx context.Context, c *axon.Core) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.timer == nil {
		r.start = time.Now()
		r.timer = time.AfterFunc(r.due(1), c.Wake)
	}
	if err := dispatch(ctx, c, controlOnly(ctx, r)); err != nil {
		return err
	}
	for r.due(r.issued+1) <= time.Since(r.start) {
		if c.AnyReady() {
			break // handle it first: the step runs again at once
		}
		if err := c.Send(ctx, "outbox", r.chunk); err != nil {
			return err
		}
		r.issued++
	}
	r.timer.Reset(r.due(r.issued+1) - time.Since(r.start))
	return nil
}
