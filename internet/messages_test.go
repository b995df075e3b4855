package internet_test

import (
	"errors"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// The socket messages belong to axon's families, by value and by
// pointer, and axon.Cause reads what they carry.
func TestSocketMessagesKeepTheirFamilies(t *testing.T) {
	cause := errors.New("reset")
	finished := axontest.Families{ProducerFinished: true}
	shutdown := axontest.Families{ShutdownMicroprocess: true}
	notify := axontest.Families{Notify: true}
	tests := []struct {
		name     string
		msg      any
		families axontest.Families
		cause    error
	}{
		{"SocketShutdown", internet.SocketShutdown{ProducerFinished: axon.ProducerFinished{Err: cause}}, finished, cause},
		{"*SocketShutdown", &internet.SocketShutdown{ProducerFinished: axon.ProducerFinished{Err: cause}}, finished, cause},
		{"ServerShutdown", internet.ServerShutdown{}, shutdown, nil},
		{"*ServerShutdown", &internet.ServerShutdown{}, shutdown, nil},
		{"NewCSANotice", internet.NewCSANotice{}, notify, nil},
		{"ShutdownCSA", internet.ShutdownCSA{Err: cause}, notify, cause},
		{"*ShutdownCSA", &internet.ShutdownCSA{Err: cause}, notify, cause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			axontest.CheckFamilies(t, tt.msg, tt.families)
			if got := axon.Cause(tt.msg); got != tt.cause {
				t.Errorf("Cause = %v, want %v", got, tt.cause)
			}
		})
	}
}
