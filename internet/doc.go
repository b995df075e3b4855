// Package internet turns TCP sockets into components: TCPClient makes
// an outgoing connection, TCPServer accepts incoming ones, and each
// connection is a ConnectedSocketAdapter (CSA) whose boxes carry the
// bytes. ServerCore (and SimpleServer) wire a protocol handler, a
// component of your own, to every connection a TCPServer accepts;
// SingleServer serves one client at a time as its own boxes. It is
// Kamaelia's Kamaelia.Internet rebuilt on Go's net and crypto/tls.
//
// An echo server (ExampleNewSimpleServer runs one):
//
//	srv, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() }, 1601)
//	if err != nil { ... }
//	if err := srv.Activate(ctx); err != nil { ... } // serves in the background
//	...
//	err = srv.Shutdown(ctx) // graceful: stop listening, serve the clients until they finish, reset what is left when ctx ends
//
// # Kamaelia's boxes and messages, and ours
//
// Every box a Kamaelia documentation page lists as public exists under
// the same name and does what the page says, except where noted. Boxes
// that only served Kamaelia's select() loop (the "selector" service) do
// not exist: Go's runtime netpoller does that job inside the adapter.
//
//	Kamaelia                         kamaelia-go
//	TCPClient(host, port, delay)     NewTCPClient(host, port, Delay(d), ConnectTimeout(d), TLSClient(cfg)),
//	                                 or NewTCPClientAddr("host:port", ...)
//	  inbox, control, makessl        same; control before connect is honoured
//	  _socketFeedback                same (internal)
//	  (none)                         _peerFinished: the adapter's peerFinished (internal)
//	  outbox, sslready               same; sslready carries SSLReady
//	  signal                         exactly one ProducerFinished, Err = cause
//	  _selectorSignal                none: netpoller
//	  (none)                         peerFinished: the server finished sending
//	TCPServer(listenport, socketOptions)  NewTCPServer(port, Host, Backlog, ReuseAddress, ReusePort, NoDelay, KeepAlive, TLSServer, ServeTLS)
//	  control                        same: serverShutdown stops listening
//	  newconnection                  same: accepted net.Conns (fed by the accept loop)
//	  _feedbackFromCSA               same (internal)
//	  protocolHandlerSignal          same: NewCSANotice, ShutdownCSA (with Err)
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
//	  (none)                         _csasignal: what the adapters report (internal)
//	  signal                         ProducerFinished when the server ends
//	  factory(peer, peerport, localip, localport)
//	                                 Factory(ConnInfo{PeerHost, PeerPort, LocalHost, LocalPort, TLS})
//	  handler serversignal           same: a shutdown request stops the server
//	SimpleServer(protocol, port)     NewSimpleServer(func() axon.Component, port)
//	FastRestartServer                ReuseAddress(true), the default
//	SingleServer(port)               NewSingleServer(port, ...)
//	  inbox                          same; waits for the next client while none is connected
//	  outbox, signal                 same; signal also ends with ProducerFinished when the server ends
//	  (none)                         control: graceful shutdown (also Shutdown(ctx))
//	  (none)                         _socketactivity, _peerFinished (internal)
//	socketShutdown, serverShutdown, newCSA, shutdownCSA
//	                                 SocketShutdown, ServerShutdown, NewCSANotice (NewCSA is the
//	                                 constructor), ShutdownCSA: here, not in axon, which knows
//	                                 nothing of sockets; axon's family tests match them
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
//     errors.As. Every notice of a connection's end says why it ended.
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
//     backlog of 5 and a random port it did not report. A server can also
//     serve on a listener the program made (ServeOn): a socket inherited
//     from systemd, one a test opened, a wrapping listener.
//   - A server tells a program of each connection it serves, accepted
//     and closed, with the cause (OnConnState), the way http.Server's
//     ConnState does; Kamaelia had no such hook.
//   - Accepting never waits for set-up: a burst of clients is taken off
//     the kernel's listen queue as fast as accept allows (up to
//     AcceptAhead waiting), so clients are not left to the kernel's
//     one-second SYN retry while earlier connections are being wired.
//   - Options are typed per constructor (see TCPClientOption and the
//     others), so an option that means nothing to a component does not
//     compile; Kamaelia ignored unknown socket options. The package logs
//     nothing unless given a Logger.
//
// # Options
//
// Each constructor takes options of its own type: NewCSA takes
// CSAOption, NewTCPClient TCPClientOption, NewTCPServer
// TCPServerOption, NewServerCore and NewSimpleServer ServerCoreOption,
// NewSingleServer SingleServerOption, and ListenTCP ListenTCPOption.
// Each option function returns a value that is all the option types it
// applies to, so an option that means nothing to a constructor (a
// connect timeout on a server, a connection limit on a SingleServer,
// ServeTLS on a client) does not compile there, rather than being
// ignored:
//
//	Function                                   Applies to
//	Linger, LingerCap, IdleTimeout,            every component that has connections:
//	CrashOnBadData, HandshakeTimeout,          CSA, TCPClient, TCPServer, ServerCore
//	SendLimit, RecycleWrittenChunks            (and SimpleServer), SingleServer (ConnOption)
//	TLSClient                                  CSA, TCPClient (TLSClientOption)
//	TLSServer                                  CSA and the servers (TLSServerOption)
//	Delay, ConnectTimeout, AllowHalfClose      TCPClient (TCPClientOption)
//	Host, Backlog, ReuseAddress, ReusePort,    ListenTCP and the servers (ListenerOption)
//	KeepAlive
//	NoDelay, ShutdownTimeout, ServeTLS,        the servers: TCPServer, ServerCore, SingleServer (ServingOption)
//	Logger, ServeOn, OnConnState
//	MaxConnections                             TCPServer, ServerCore (MaxConnectionsOption)
//	ReceiveLimit                               ServerCore (ServerCoreOption)
//
// A list of options for one constructor is a slice of its type:
//
//	opts := []internet.ServerCoreOption{internet.Host("127.0.0.1"), internet.MaxConnections(100)}
//	srv, err := internet.NewServerCore(factory, 0, opts...)
//
// Code that hands the same options to several constructors takes an
// interface that embeds their types, such as
// interface{ TCPServerOption; ServerCoreOption }, which the options that
// apply to both satisfy. Options are values, safe to share and to use from several goroutines.
// A nil option is skipped.
//
// # Boxes
//
// Each component's boxes, as it declares them (InboxNames, OutboxNames);
// names that start with "_" are internal. The doc comment of each type
// says what every box carries.
//
//	Component     Inboxes                                                  Outboxes
//	CSA           inbox, control, makessl                                  outbox, peerFinished, signal, CreatorFeedback, sslready
//	TCPClient     inbox, control, makessl, _socketFeedback, _peerFinished  outbox, signal, sslready, peerFinished
//	TCPServer     control, newconnection, _feedbackFromCSA                 protocolHandlerSignal, signal
//	ServerCore    control, _socketactivity, _csasignal                     signal
//	SingleServer  inbox, control, _socketactivity, _peerFinished           outbox, signal
//
// # Counters
//
// Every server counts its connections for monitoring: Stats returns a
// ServerStats with how many it has accepted; refused (past
// MaxConnections, while shutting down, or unserved because no handler
// could be made); cut off by a shutdown's grace or a stop; and reset
// by IdleTimeout; its TLS handshakes completed and failed; and the
// bytes its connections have read and written. Connections says how
// many are open now. A ServerCore or SingleServer reports the counters
// of the TCPServer it runs. The counters only go up, are safe to read
// from any goroutine, and cost the data path nothing: a connection
// counts its bytes anyway, and Stats adds up the open ones' only when
// called. The introspect package serves them as Prometheus metrics.
//
// # Stopping, and the Err a component ends with
//
// Every component of this package ends with exactly one terminal
// message on "signal" (a CSA's ShutdownCSA, the others'
// axon.ProducerFinished), and the Err that message carries is the
// component's own Err (what Run returns). It is sent however the
// component ends, a Stop included: unlike a chassis, whose stop is
// silent, a component here tells whoever wired its "signal" that its
// connections are over. Each way it can end, and its Err:
//
//	CSA
//	  producerFinished, then the peer finishes     nil
//	  shutdownMicroprocess                         nil
//	  Reset                                        ErrReset, or the Reset's own Err (CSA.Reset's cause)
//	  Stop                                         the context's cause (context.Canceled for Stop)
//	  the connection fails                         the cause: syscall.ECONNRESET, ErrIdleTimeout,
//	                                               ErrLinger, ErrBadMessage (CrashOnBadData), a TLS error
//	TCPClient
//	  shutdownMicroprocess before connecting       ErrShutdown
//	  Reset before connecting                      ErrShutdown, joined with the Reset's own Err
//	  Stop before connecting                       the context's cause
//	  the connect fails                            the dial's error: syscall.ECONNREFUSED, a timeout
//	  producerFinished, then the server finishes   nil
//	  shutdownMicroprocess                         nil
//	  Reset                                        ErrReset, or the Reset's own Err
//	  Stop                                         the context's cause
//	  the server finishes                          nil (unless AllowHalfClose: then producerFinished ends it)
//	  the connection fails                         the cause, as for a CSA
//	TCPServer, ServerCore, SingleServer
//	  Shutdown, and the clients finish             nil
//	  Shutdown, and the grace runs out             ErrConnectionsCut, naming how many (Shutdown's
//	                                               error matches its context's error too)
//	  a shutdown request on control, and the clients finish
//	                                               nil; ErrConnectionsCut if ShutdownTimeout runs out
//	TCPServer
//	  Stop                                         the context's cause; the connections go on, since
//	                                               they belong to whoever wired them
//	ServerCore, SingleServer
//	  Stop                                         the context's cause, joined with ErrConnectionsCut
//	                                               if connections were open: they are reset
//
// Each row is backed by the subtest of TestStopTable named
// "Component/way", such as "TCPClient/Stop before connecting".
//
// # Guarantees
//
// What a program may rely on, each backed by the tests named:
//
//   - Order. Bytes are written in the order they were sent to "inbox",
//     and come out of "outbox" in the order they were read; messages on
//     "inbox", "control" and "makessl" take effect in the order they
//     arrived, a TCPClient's too while it connects.
//     FuzzCSAPairDeliversEveryByteInOrder, FuzzCSAMessages,
//     TestTransferBothWaysAndClose, TestClientSendsDataQueuedBeforeConnect,
//     TestStreamForwarderManyConnections (components),
//     TestPassthroughKeepsOrderWhileLinksAreMade (axon).
//   - Every byte before the end. Everything the peer sent comes out of
//     "outbox" before the notice on "peerFinished".
//     TestPeerHalfCloseThenWeKeepWriting, FuzzCSAPairDeliversEveryByteInOrder.
//   - One terminal message, however a component ends (see the table
//     above), and an ErrorInformation only for a problem that did not
//     end it. TestStopTable, FuzzCSAMessages,
//     TestFailedHandshakeSendsOnlyTheTerminalMessage.
//   - Causes. Every notice of a connection's end (peerFinished,
//     CreatorFeedback, ShutdownCSA, a handler's SocketShutdown, the
//     terminal message) says why it ended; nil means an orderly end.
//     TestEveryNoticeCarriesTheCause, TestHandlerHearsWhyTheAdapterClosed,
//     TestStopWhileDeliveringCarriesTheCause. Each error names its
//     operation once. TestErrorsAreWrappedOnce.
//   - What a stop returns: the table above. TestStopTable.
//   - Nothing lost on close. producerFinished and shutdownMicroprocess
//     write everything queued before them; a close that cannot (the
//     linger runs out, a shutdown's grace ends) resets the connection,
//     so the peer never mistakes a truncated stream for a whole one. A
//     SingleServer keeps what arrives for a client that is not there
//     yet, a TCPClient what arrives before it is connected.
//     TestShutdownMicroprocessFlushesThenCloses, TestClientSendsDataQueuedBeforeConnect,
//     TestLingerMeansNoProgress, TestServerCoreShutdownLetsTransfersFinish,
//     TestServerCoreShutdownResetsWhatIsStillOpen,
//     TestSingleServerKeepsWhatWaitsForAClient.
//   - Bounded memory. Every box on a connection's path is bounded in
//     bytes, and a full one makes its sender wait (TCP slows the peer).
//     TestPeerThatNeverReadsHoldsMemoryBounded,
//     TestServerCoreBoundsTheHandlersInbox,
//     TestSingleServerKeepsWhatWaitsForAClient,
//     TestClientBoundsWhatWaitsToConnect.
//   - Our delay is not the peer's idleness. On Linux, a connection whose
//     peer sent bytes the adapter has yet to read, or whose adapter has
//     bytes to write and room in the socket, is not ended by
//     IdleTimeout or Linger because this process fell behind (starved
//     of CPU, or stopped and resumed). TestClocksCountThePeersProgress,
//     TestServeIdleTimeoutSurvivesAPause (cmd/kamaelia).
//   - Waiting costs nothing: a component waiting for a connection, a
//     peer or a delay uses no CPU, and a close waits for the peer only as
//     long as asked. TestClientWaitsWithoutSpinning,
//     TestShutdownMicroprocessAfterProducerFinishedClosesAtOnce.
//   - Misuse is answered. An option that does not apply does not
//     compile; ServeTLS never serves plaintext; what a handler sends
//     that its connection cannot carry out comes back to it.
//     TestMisappliedOptionsDoNotCompile, TestServeTLSOnEveryServer,
//     TestServerTLSWithoutCertificateIsAnError,
//     TestHandlerHearsWhyMakeSSLWasRefused, TestHandlerHearsOfBadDataItSent.
//   - Silence. Nothing is logged unless a Logger is given.
//     TestLibraryIsSilentWithoutALogger.
//   - Every connection accounted for. An OnConnState hook hears of each
//     connection a server serves once when it is accepted and once when
//     it has ended, with the cause, however it ends; a hook that panics
//     is contained as a Factory that panics is. TestOnConnState,
//     TestOnConnStateUnderLoad, TestOnConnStatePanics.
//   - One reset. A handler aborts its connection with a Reset on its
//     "signal": the peer sees ECONNRESET, the queued data is dropped,
//     and the connection ends with the Reset's Err. It is the reset a
//     shutdown whose grace runs out uses (CSA.Reset).
//     TestHandlerResetsItsConnection, TestOnConnState.
//   - Safe for concurrent use, as each type says: Reset, Shutdown and
//     the boxes may be used from any goroutine. TestResetRacesWithTraffic,
//     TestShutdownCalledConcurrently.
//   - Counters that add up. A server's Stats never go down while read
//     under load, and once its connections have ended, the byte counts
//     are exactly what its clients sent and got back.
//     TestServerStatsAreSafeForConcurrentUse, TestServerCountsBytesExactly.
package internet
