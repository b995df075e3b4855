package internet

import (
	"context"
	"fmt"
	"net"

	"github.com/kamaelia-go/kamaelia/axon"
)

// open makes the handler for a new connection, wires it to the adapter
// and starts both.
func (s *ServerCore) open(ctx context.Context, m axon.NewCSA) {
	csa, ok := m.CSA.(*CSA)
	if !ok {
		return
	}
	info := connInfo(csa.Conn(), s.cfg.serveTLS)
	log := s.cfg.logger
	if s.draining {
		s.refuse(csa)
		return
	}
	handler, err := s.factory(info)
	if err == nil && (handler == nil || axon.CoreOf(handler) == nil) {
		err = fmt.Errorf("factory returned no component")
	}
	sc := &serverConn{csa: csa, handler: handler, info: info}
	if err == nil {
		err = s.wire(sc)
	}
	if err != nil {
		log.Error("servercore: cannot serve connection; closing it", "server", s.Name(), "peer", info.Peer(), "err", err)
		s.unwire(sc)
		s.refuse(csa)
		return
	}
	if s.cfg.serveTLS {
		_ = csa.Inbox(boxMakeSSL).Put(ctx, MakeSSL{})
	}
	if err := s.AddChildren(csa, handler); err != nil {
		log.Error("servercore: cannot start connection; closing it", "server", s.Name(), "peer", info.Peer(), "err", err)
		s.unwire(sc)
		s.refuse(csa)
		return
	}
	s.kids += 2
	s.conns[csa] = sc
	sc.lastActive = now()
	log.Debug("servercore: connection opened", "server", s.Name(), "peer", info.Peer(), "tls", info.TLS)
}

// refuse closes a connection the server will not serve. Its adapter is
// still started, so that it ends and the TCPServer forgets it.
func (s *ServerCore) refuse(csa *CSA) {
	csa.Conn().Close()
	if csa.Parent() == nil && s.AddChildren(csa) == nil {
		s.kids++
	}
}

// wire makes the links between a connection's adapter and its handler.
func (s *ServerCore) wire(sc *serverConn) error {
	csa, h := sc.csa, sc.handler
	hc := axon.CoreOf(h)
	links := [][2]axon.BoxRef{
		{axon.Out(csa, boxOutbox), axon.In(h, boxInbox)},
		{axon.Out(h, boxOutbox), axon.In(csa, boxInbox)},
		{axon.Out(h, boxSignal), axon.In(csa, boxControl)},
		{axon.Out(csa, boxPeerFinished), axon.In(h, boxControl)},
		{axon.Out(csa, boxSignal), axon.In(s, boxCSASignal)},
	}
	if hc.Outbox(boxServerSignal) != nil {
		links = append(links, [2]axon.BoxRef{axon.Out(h, boxServerSignal), axon.In(s, boxControl)})
	}
	if hc.Outbox(boxMakeSSL) != nil {
		links = append(links, [2]axon.BoxRef{axon.Out(h, boxMakeSSL), axon.In(csa, boxMakeSSL)})
	}
	if hc.Inbox(boxSSLReadyIn) != nil {
		links = append(links, [2]axon.BoxRef{axon.Out(csa, boxSSLReady), axon.In(h, boxSSLReadyIn)})
	}
	for _, l := range links {
		lk, err := s.Link(l[0], l[1])
		if err != nil {
			return fmt.Errorf("handler %s: %w", hc.Name(), err)
		}
		sc.links = append(sc.links, lk)
	}
	return nil
}

// unwire removes the links the server made for a connection.
func (s *ServerCore) unwire(sc *serverConn) {
	for _, l := range sc.links {
		_ = s.Unlink(l)
	}
	sc.links = nil
}

// closed handles the end of a connection's adapter: the handler hears of
// it on "control" (after everything the adapter read, which was
// delivered first), and the connection is forgotten once the handler has
// ended too.
func (s *ServerCore) closed(ctx context.Context, m axon.ShutdownCSA) {
	csa, ok := m.CSA.(*CSA)
	if !ok {
		return
	}
	sc := s.conns[csa]
	if sc == nil || sc.csaDone {
		return
	}
	sc.csaDone = true
	cause := m.Err
	if sc.cause != nil {
		cause = sc.cause
	}
	s.unwire(sc)
	s.cfg.logger.Debug("servercore: connection closed", "server", s.Name(), "peer", sc.info.Peer(), "cause", cause)
	if hc := axon.CoreOf(sc.handler); !hc.Finished() {
		_ = hc.Inbox(boxControl).Put(ctx, axon.SocketShutdown{
			ProducerFinished: axon.ProducerFinished{Err: cause},
			Conn:             m.Conn,
		})
	}
	s.forgetIfDone(sc)
}

// reap looks for handlers that have ended: a failed one is logged, and
// the connection of any ended handler is closed after what it sent has
// been written.
func (s *ServerCore) reap(ctx context.Context) {
	for _, sc := range s.conns {
		if sc.handlerEnd || !axon.CoreOf(sc.handler).Finished() {
			continue
		}
		sc.handlerEnd = true
		hc := axon.CoreOf(sc.handler)
		var req any = axon.ProducerFinished{Caller: s}
		if err := hc.Err(); err != nil {
			s.cfg.logger.Error("servercore: protocol handler failed; closing its connection", "server", s.Name(), "peer", sc.info.Peer(), "handler", hc.Name(), "err", err)
			if sc.cause == nil {
				sc.cause = fmt.Errorf("%w: %w", ErrHandler, err)
			}
			req = axon.ShutdownMicroprocess{Caller: s}
		}
		if !sc.csaDone {
			_ = sc.csa.Inbox(boxControl).Put(ctx, req)
		}
		s.forgetIfDone(sc)
	}
}

func (s *ServerCore) forgetIfDone(sc *serverConn) {
	if sc.csaDone && (sc.handlerEnd || axon.CoreOf(sc.handler).Finished()) {
		sc.handlerEnd = true
		delete(s.conns, sc.csa)
	}
}

// connInfo reads a connection's addresses.
func connInfo(conn net.Conn, tls bool) ConnInfo {
	info := ConnInfo{TLS: tls}
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		info.PeerHost, info.PeerPort = a.IP.String(), a.Port
	}
	if a, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		info.LocalHost, info.LocalPort = a.IP.String(), a.Port
	}
	return info
}
