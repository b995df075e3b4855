// Package internet turns TCP sockets into components: TCPClient makes
// an outgoing connection, TCPServer accepts incoming ones, and each
// connection is a ConnectedSocketAdapter (CSA) whose boxes carry the
// bytes. ServerCore (and SimpleServer) wire a protocol handler, a
// component of your own, to every connection a TCPServer accepts;
// SingleServer serves one client at a time as its own boxes. It is
// Kamaelia's Kamaelia.Internet rebuilt on Go's net and crypto/tls.
//
// An echo server:
//
//	srv, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() }, 1601)
//	if err != nil { ... }
//	go srv.Run(ctx)
//	...
//	srv.Shutdown(ctx) // graceful: stop listening, serve the clients until they finish, reset what is left when ctx ends
//
// # Kamaelia's boxes and messages, and ours
//
// Every box a Kamaelia documentation page lists as public exists under
// the same name and does what the page says, except where noted. Boxes
// that only served Kamaelia's select() loop (the "selector" service) do
// not exist: Go's runtime netpoller does that job inside the adapter.
//
//	Kamaelia                         kamaelia-go
//	TCPClient(host, port, delay)     NewTCPClient(host, port, Delay(d), ConnectTimeout(d), TLSClient(cfg))
//	  inbox, control, makessl        same; control before connect is honoured
//	  _socketFeedback                same (internal)
//	  outbox, sslready               same; sslready carries SSLReady
//	  signal                         exactly one ProducerFinished, Err = cause
//	  _selectorSignal                none: netpoller
//	  (none)                         peerFinished: the server finished sending
//	TCPServer(listenport, socketOptions)  NewTCPServer(port, Host, Backlog, ReuseAddress, ReusePort, NoDelay, KeepAlive, TLSServer, ServeTLS)
//	  control                        same: serverShutdown stops listening
//	  newconnection                  same: accepted net.Conns (fed by the accept loop)
//	  _feedbackFromCSA               same (internal)
//	  protocolHandlerSignal          same: NewCSA, ShutdownCSA (with Err)
//	  signal ("NOT USED")            ProducerFinished when the server ends
//	  _selectorSignal, _selectorShutdownSignal  none: netpoller
//	ConnectedSocketAdapter(sock, selectorService, crashOnBadDataToSend)
//	                                 NewCSA(conn, CrashOnBadData(), Linger(d), IdleTimeout(d), TLSClient/TLSServer(cfg))
//	  inbox, control, makessl        same (control: see CSA for the close semantics, and Reset)
//	  outbox, sslready               same
//	  CreatorFeedback                same: SocketShutdown, Err = cause
//	  signal                         same: ShutdownCSA at the end; ErrorInformation before
//	  ReadReady, SendReady           none: the adapter waits on the netpoller itself
//	  _selectorSignal                none: netpoller
//	  (none)                         peerFinished: the peer finished sending
//	ServerCore(protocol, port, socketOptions)
//	                                 NewServerCore(factory, port, MaxConnections(n), IdleTimeout(d), ServeTLS(cfg), ...)
//	  control                        serverShutdown/shutdownMicroprocess: graceful shutdown (also Shutdown(ctx));
//	                                 handlers hear of it with a ShutdownBegun
//	  _socketactivity                same (internal)
//	  signal                         ProducerFinished when the server ends
//	  factory(peer, peerport, localip, localport)
//	                                 Factory(ConnInfo{PeerHost, PeerPort, LocalHost, LocalPort, TLS})
//	  handler serversignal           same: a shutdown request stops the server
//	SimpleServer(protocol, port)     NewSimpleServer(func() axon.Component, port)
//	FastRestartServer                ReuseAddress(true), the default
//	SingleServer(port)               NewSingleServer(port): inbox, outbox, signal as Kamaelia's
//	socketShutdown, serverShutdown, newCSA, shutdownCSA
//	                                 axon.SocketShutdown, axon.ServerShutdown, axon.NewCSA, axon.ShutdownCSA
//	(none)                           Reset: abort a connection with a TCP reset (also CSA.Reset)
//	(none)                           ShutdownBegun: a handler's server has begun a graceful shutdown
//
// # What is different from Kamaelia, and why
//
//   - Nothing is lost on close. producerFinished writes everything queued
//     before it, half-closes, and keeps reading until the peer closes;
//     Kamaelia made one non-blocking write attempt and dropped the rest.
//     The close is bounded by Linger, which counts time without progress
//     (a byte read, or a write that moved a byte), so a slow but steady
//     peer gets everything and a stalled one is cut off; LingerCap bounds
//     it in absolute time. A flush cut short is a reset, so the peer can
//     tell.
//   - A half-close is not a close. When the peer finishes sending, every
//     byte it sent has come out of "outbox" before the notice on
//     "peerFinished"; the connection may go on writing.
//   - Memory is bounded, in bytes. A CSA stops reading when the box its
//     "outbox" feeds is full (a ServerCore handler's "inbox" holds at
//     most ReceiveLimit, 32 KiB by default), so TCP slows the peer; its
//     own "inbox" is bounded (SendLimit, 32 KiB) and it writes 32 KiB at
//     a time, so a peer that never reads makes senders wait instead of
//     growing the process, and costs it about 120 KiB.
//   - Errors carry their cause. A TCPClient sends one terminal message,
//     not two or three, and its Err matches syscall.ECONNREFUSED,
//     syscall.ECONNRESET, a timeout, or the TLS failure with errors.Is and
//     errors.As.
//   - TLS works both ways. makessl upgrades a live connection as client or
//     server (STARTTLS style) with crypto/tls, verifying certificates by
//     default; the handshake runs in the connection's own goroutine, never
//     blocking anything else, and sslready is sent only when it is done.
//   - A wrong message type on "inbox" is reported on "signal" and skipped;
//     Kamaelia retried it for ever and wedged the connection.
//   - A server shuts down gracefully, the way http.Server does:
//     Shutdown(ctx) (or a shutdown request on "control", bounded by
//     ShutdownTimeout) closes the listener first, so a new process can
//     bind the port at once; tells every handler with a ShutdownBegun;
//     serves every connection, both ways, until its client finishes;
//     closes connections with nothing queued and no progress for a
//     second; and when ctx ends resets what is still open (the client
//     sees ECONNRESET, never a clean end of a truncated stream), logging
//     and returning how many. Kamaelia's ServerCore dropped every
//     connection at once. SingleServer and a bare TCPServer drain the
//     same way.
//   - A handler that ends closes its connection (after writing what it
//     sent); one that panics closes only its own. Kamaelia left the
//     connection of a handler that returned open for ever.
//   - Limits: MaxConnections refuses connections past a count (logged at
//     most once a second, with how many); IdleTimeout resets connections
//     that make no progress for that long, pending output or not, so
//     clients that stop reading free their slots (Kamaelia's TimeOutCSA);
//     on a TCPClient it is a stall timeout. HandshakeTimeout (10 s)
//     bounds a TLS handshake. A panic in a ServerCore Factory closes
//     that connection only.
//   - TCPServer's host, backlog, socket options and port 0 are options, and
//     the bound address is reported; Kamaelia bound every interface with a
//     backlog of 5 and a random port it did not report.
//   - Accepting never waits for set-up: a burst of clients is taken off
//     the kernel's listen queue as fast as accept allows (up to
//     AcceptAhead waiting), so clients are not left to the kernel's
//     one-second SYN retry while earlier connections are being wired.
package internet
