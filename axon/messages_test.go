package axon_test

import (
	"errors"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
)

func TestMessageFamilies(t *testing.T) {
	cause := errors.New("reset")
	tests := []struct {
		name                   string
		msg                    any
		finished, shutdown, nf bool
	}{
		{"ProducerFinished", axon.ProducerFinished{}, true, false, false},
		{"*ProducerFinished", &axon.ProducerFinished{}, true, false, false},
		{"SocketShutdown is a ProducerFinished", axon.SocketShutdown{}, true, false, false},
		{"*SocketShutdown is a ProducerFinished", &axon.SocketShutdown{ProducerFinished: axon.ProducerFinished{Err: cause}}, true, false, false},
		{"ShutdownMicroprocess", axon.ShutdownMicroprocess{}, false, true, false},
		{"ServerShutdown is a ShutdownMicroprocess", axon.ServerShutdown{}, false, true, false},
		{"*ServerShutdown is a ShutdownMicroprocess", &axon.ServerShutdown{}, false, true, false},
		{"Shutdown is in neither family", axon.Shutdown{}, false, false, false},
		{"Notify", axon.Notify{}, false, false, true},
		{"NewCSA is a Notify", axon.NewCSA{}, false, false, true},
		{"ShutdownCSA is a Notify", axon.ShutdownCSA{}, false, false, true},
		{"Status", axon.Status{}, false, false, false},
		{"bytes", []byte("x"), false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := axon.IsProducerFinished(tt.msg); got != tt.finished {
				t.Errorf("IsProducerFinished = %v", got)
			}
			if got := axon.IsShutdownMicroprocess(tt.msg); got != tt.shutdown {
				t.Errorf("IsShutdownMicroprocess = %v", got)
			}
			if got := axon.IsNotify(tt.msg); got != tt.nf {
				t.Errorf("IsNotify = %v", got)
			}
			if got := axon.IsShutdownRequest(tt.msg); got != (tt.finished || tt.shutdown) {
				t.Errorf("IsShutdownRequest = %v", got)
			}
		})
	}
}

func TestMessageFields(t *testing.T) {
	c := axon.New("caller", nil)
	cause := errors.New("refused")
	pf := axon.ProducerFinished{Caller: c, Message: "howDied", Err: cause}
	ss := axon.SocketShutdown{ProducerFinished: pf}
	tests := []struct {
		name string
		msg  any
		want error
	}{
		{"ProducerFinished", pf, cause},
		{"SocketShutdown", ss, cause},
		{"*SocketShutdown", &ss, cause},
		{"ErrorInformation", axon.ErrorInformation{Caller: c, Err: cause}, cause},
		{"ShutdownCSA", axon.ShutdownCSA{Err: cause}, cause},
		{"ShutdownMicroprocess", axon.ShutdownMicroprocess{}, nil},
	}
	for _, tt := range tests {
		if got := axon.Cause(tt.msg); got != tt.want {
			t.Errorf("%s: Cause = %v, want %v", tt.name, got, tt.want)
		}
	}
	if ss.Caller != axon.Component(c) || ss.Message != "howDied" {
		t.Errorf("SocketShutdown fields: %+v", ss)
	}
	n := axon.NewCSA{Notify: axon.Notify{Caller: c, Object: "csa"}}
	if n.Caller != axon.Component(c) || n.Object != "csa" {
		t.Errorf("NewCSA fields: %+v", n)
	}
}
