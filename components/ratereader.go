package components

import (
	"fmt"

	"github.com/kamaelia-go/kamaelia/chassis"
)

// RateControlledFileReader reads a file at a controlled rate, Kamaelia's
// RateControlledFileReader: a chassis.Graphline of a RateController
// ("RATE") prompting a PromptedFileReader ("READER"):
//
//	RATE.outbox   → READER.inbox    how much to read, at the rate
//	READER.outbox → self.outbox     what was read
//	READER.signal → RATE.control    the reader's end (or reports)
//	RATE.signal   → self.signal     ... passed on unchanged
//
// Its boxes are a Graphline's:
//
//	inbox    in   not used: messages are reported on signal (wrapping
//	              chassis.ErrUnrouted) and dropped
//	control  in   shutdown requests, passed to the reader, whose
//	              signal passes them on to the controller and out
//	outbox   out  []byte chunks, or string lines in ReadLines mode
//	signal   out  the reader's producerFinished at the end of the file,
//	              through the controller, so its Err (a file that could
//	              not be opened or read) reaches the outside; the
//	              shutdown request received
//
// It ends when both children have; its Err reports a child's failure,
// such as a missing file (errors.Is(err, fs.ErrNotExist) holds).
//
// A RateControlledFileReader is safe for concurrent use; its methods are
// those of chassis.Graphline.
type RateControlledFileReader struct {
	*chassis.Graphline
}

// NewRateControlledFileReader returns a reader of the named file in the
// given mode, paced by a RateController configured by opts: the rate is
// in bytes per second in ReadBytes mode and lines per second in
// ReadLines mode. It returns an error for an unknown mode or a bad rate
// option; problems with the file are reported when it runs.
func NewRateControlledFileReader(filename string, mode ReadMode, opts ...RateOption) (*RateControlledFileReader, error) {
	reader, err := NewPromptedFileReader(filename, mode)
	if err != nil {
		return nil, fmt.Errorf("NewRateControlledFileReader: %w", err)
	}
	rate, err := NewRateController(opts...)
	if err != nil {
		return nil, fmt.Errorf("NewRateControlledFileReader: %w", err)
	}
	g, err := chassis.NewGraphline(chassis.Children{"RATE": rate, "READER": reader}, chassis.Linkages{
		{"RATE", "outbox"}:   {"READER", "inbox"},
		{"READER", "outbox"}: {"self", "outbox"},
		{"READER", "signal"}: {"RATE", "control"},
		{"RATE", "signal"}:   {"self", "signal"},
	})
	if err != nil {
		return nil, fmt.Errorf("NewRateControlledFileReader: %w", err)
	}
	return &RateControlledFileReader{g}, nil
}
