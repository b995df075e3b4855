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
	// handler makes the protocol handler of one connection, for a
	// server run with flags f.
	handler func(f *serveFlags) (axon.Component, error)
	// passesChunksThrough says the handlers send on only the chunks
	// they were given, and keep none: their connections may reuse a
	// chunk's memory once it is written (internet.RecycleWrittenChunks).
	passesChunksThrough bool
	// room, if not empty, is the name of the backplane the handlers
	// talk through: serve runs it beside the server, in the process or
	// shared through NATS (--backplane).
	room string
}

// protocols are the protocols known by name, in the order --help lists
// them. A new protocol is one more entry.
var protocols = []protocol{
	{name: "echo", summary: "send every client its own bytes back",
		handler: func(*serveFlags) (axon.Component, error) { return components.NewEcho(), nil }, passesChunksThrough: true},
	{name: "chat", summary: "one room: every line a client sends goes to every other client",
		handler: func(f *serveFlags) (axon.Component, error) { return newChatClient(chatRoom, f.chat.maxBehind) }, room: chatRoom},
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
