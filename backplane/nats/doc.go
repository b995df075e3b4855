// Package nats is a Backplane shared by many processes through NATS
// (https://nats.io), for when one machine is not enough: chat servers on
// several hosts share one room, each server's clients connected to its
// own backplane.
//
//	bp, err := nats.New("chat", "nats://127.0.0.1:4222")  // instead of backplane.New("chat")
//	if err != nil {
//		return err // one line: the URL and why (unreachable, TLS, credentials)
//	}
//	err = bp.Activate(ctx)
//
// A NATS backplane has the boxes of the in-process one and registers
// under the same service name, so backplane.PublishTo and
// backplane.SubscribeTo find it by name and work unchanged on top of it:
// a program moves to NATS by changing the line that makes its
// backplane. Inside it is an in-process backplane.Backplane, bridged to
// NATS by a PublishTo (what comes from NATS is published here) and a
// SubscribeTo that skips that PublishTo's messages (what is published
// here goes to NATS). Every subscriber in this process sees the
// messages of this process and of the others; each keeps its own bounded
// queue and policy, as with the in-process backplane.
//
// Only []byte and string messages travel over NATS (a string arrives in
// the other processes as a []byte); anything else is delivered in this
// process only, and counted (Stats.Unsent). Messages go on one NATS
// subject, DefaultSubject(name) unless Subject says otherwise, and each
// carries the origin ID of the backplane that published it (the header
// OriginHeader): NATS hands a subscriber its own messages too, and the
// backplane skips those it published, so none is delivered twice. A
// message published on the subject by any other NATS client (say `nats
// pub kamaelia.backplane.chat hello`) is delivered as a message from
// another process.
//
// # What NATS promises, and what happens when NATS goes away
//
// Core NATS delivers each message at most once, in the order each
// publisher sent them, to the subscribers connected at the time: a
// process that connects later does not get what was said before, and
// messages from different processes may interleave differently in
// different processes.
//
// When the NATS server cannot be reached at start, New returns an
// error. When the connection is lost later:
//
//   - delivery in this process goes on, as with the in-process
//     backplane;
//   - nats.go reconnects, trying every ReconnectWait (2 s unless given
//     with NATSOptions), for ever unless NATSOptions sets MaxReconnects;
//   - messages published here meanwhile are kept in nats.go's reconnect
//     buffer (ReconnectBuffer, 8 MiB unless set) and sent once the
//     connection is back; those that do not fit are dropped and counted
//     (Stats.Unsent). Messages written to the connection in the moment
//     before the loss was noticed are lost without a count, as with any
//     NATS client. Messages the other processes published during the
//     outage are not delivered here;
//   - the loss and the recovery are logged (Logger): the recovery once
//     the server has this backplane's subscription again (Stats.Reconnects
//     counts it then), with how long the outage lasted and how many
//     messages were not sent.
//
// If nats.go gives up (only if NATSOptions limited its reconnects), the
// backplane logs it and goes on delivering here only.
//
// # Credentials and TLS
//
// Credentials takes a NATS credentials file; RootCA a CA file that must
// have signed the server's certificate (and makes TLS required). A
// tls:// URL asks for TLS, verified against the system's authorities
// unless RootCA is given. Anything else nats.go supports (user and
// password in the URL or with NATSOptions, NKeys, client certificates)
// goes through NATSOptions. A command-line tool needs only to parse the
// URL and the file names, call New, and activate what it returns.
//
// This is the only package of the module that imports nats.go.
package nats
