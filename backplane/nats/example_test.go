package nats_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/backplane/nats"
)

// Two processes (here two registries in one program) share the
// backplane "news" through one NATS server: what is published in one
// reaches the subscribers of the other. The NATS server runs in the
// program here; in use it is a nats-server of its own.
func Example() {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		panic("no NATS server")
	}

	// "Process" one listens...
	here := axon.NewContext(context.Background(), axon.NewRegistry())
	bp1, err := nats.New("news", ns.ClientURL())
	if err != nil {
		panic(err)
	}
	bp1.Activate(here)
	listener := backplane.NewSubscribeTo("news")
	heard, _ := axon.NewHandle(listener)
	listener.Activate(here)

	// ...and "process" two speaks.
	there := axon.NewContext(context.Background(), axon.NewRegistry())
	bp2, err := nats.New("news", ns.ClientURL())
	if err != nil {
		panic(err)
	}
	bp2.Activate(there)
	speaker := backplane.NewPublishTo("news")
	say, _ := axon.NewHandle(speaker)
	speaker.Activate(there)

	say.Put(there, "inbox", []byte("hello from there"))
	msg, _ := heard.Get(here, "outbox")
	fmt.Printf("%s\n", msg)

	for _, c := range []axon.Component{speaker, bp2, listener, bp1} {
		axon.CoreOf(c).Stop()
		<-axon.CoreOf(c).Done()
	}
	// Output: hello from there
}
