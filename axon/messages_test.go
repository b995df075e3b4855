package axon_test

import (
	"errors"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// A package's own messages join a family by embedding its head, as
// package internet's socket messages do.
type (
	closedNotice struct {
		axon.ProducerFinished
		Where string
	}
	stopListening struct{ axon.ShutdownMicroprocess }
	openedNotice  struct {
		axon.Notify
		Err error
	}
)

func (m openedNotice) Cause() error { return m.Err }

func TestMessageFamilies(t *testing.T) {
	cause := errors.New("reset")
	var (
		none     axontest.Families
		finished = axontest.Families{ProducerFinished: true}
		shutdown = axontest.Families{ShutdownMicroprocess: true}
		notify   = axontest.Families{Notify: true}
	)
	tests := []struct {
		name string
		msg  any
		want axontest.Families
	}{
		{"ProducerFinished", axon.ProducerFinished{}, finished},
		{"*ProducerFinished", &axon.ProducerFinished{}, finished},
		{"what embeds ProducerFinished is one", closedNotice{}, finished},
		{"*what embeds ProducerFinished is one", &closedNotice{ProducerFinished: axon.ProducerFinished{Err: cause}}, finished},
		{"ShutdownMicroprocess", axon.ShutdownMicroprocess{}, shutdown},
		{"what embeds ShutdownMicroprocess is one", stopListening{}, shutdown},
		{"*what embeds ShutdownMicroprocess is one", &stopListening{}, shutdown},
		{"Shutdown is in neither family", axon.Shutdown{}, none},
		{"Notify", axon.Notify{}, notify},
		{"what embeds Notify is one", openedNotice{}, notify},
		{"Status", axon.Status{}, none},
		{"bytes", []byte("x"), none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			axontest.CheckFamilies(t, tt.msg, tt.want)
		})
	}
}

func TestMessageFields(t *testing.T) {
	c := axon.New("caller", nil)
	cause := errors.New("refused")
	pf := axon.ProducerFinished{Caller: c, Message: "howDied", Err: cause}
	ss := closedNotice{ProducerFinished: pf}
	tests := []struct {
		name string
		msg  any
		want error
	}{
		{"ProducerFinished", pf, cause},
		{"*ProducerFinished", &pf, cause},
		{"what embeds ProducerFinished", ss, cause},
		{"*what embeds ProducerFinished", &ss, cause},
		{"ErrorInformation", axon.ErrorInformation{Caller: c, Err: cause}, cause},
		{"*ErrorInformation", &axon.ErrorInformation{Caller: c, Err: cause}, cause},
		{"a message with a Cause method", openedNotice{Err: cause}, cause},
		{"Notify", axon.Notify{}, nil},
		{"ShutdownMicroprocess", axon.ShutdownMicroprocess{}, nil},
	}
	for _, tt := range tests {
		if got := axon.Cause(tt.msg); got != tt.want {
			t.Errorf("%s: Cause = %v, want %v", tt.name, got, tt.want)
		}
	}
	if ss.Caller != axon.Component(c) || ss.Message != "howDied" {
		t.Errorf("the embedded ProducerFinished's fields: %+v", ss)
	}
}
