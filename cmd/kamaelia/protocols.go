package main

import (
	"slices"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
)

// protocol is a protocol a server command can speak on each connection.
type protocol struct {
	name    string
	summary string
	// handler makes the protocol handler of one connection.
	handler func() axon.Component
	// passesChunksThrough says the handlers send on only the chunks
	// they were given, and keep none: their connections may reuse a
	// chunk's memory once it is written (internet.RecycleWrittenChunks).
	passesChunksThrough bool
}

// protocols are the protocols known by name, in the order --help lists
// them. A new protocol is one more entry.
var protocols = []protocol{
	{name: "echo", summary: "send every client its own bytes back",
		handler: func() axon.Component { return components.NewEcho() }, passesChunksThrough: true},
}

// lookupProtocol returns the protocol called name.
func lookupProtocol(name string) (protocol, bool) {
	i := slices.IndexFunc(protocols, func(p protocol) bool { return p.name == name })
	if i < 0 {
		return protocol{}, false
	}
	return protocols[i], true
}

// protocolNames lists the names of the protocols.
func protocolNames() []string {
	names := make([]string, len(protocols))
	for i, p := range protocols {
		names[i] = p.name
	}
	return names
}
