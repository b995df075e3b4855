package internet_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/kamaelia-go/kamaelia/internet"
)

// openssl returns the path of the openssl command. Without it the test
// is skipped, unless KAMAELIA_REQUIRE_OPENSSL is set (CI sets it), which
// makes a missing openssl a failure.
func openssl(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("KAMAELIA_REQUIRE_OPENSSL") != "" {
			t.Fatal("openssl is required but not installed")
		}
		t.Skip("openssl not installed")
	}
	return path
}

// tlsEchoServer is a crypto/tls server that echoes each connection.
func tlsEchoServer(t testing.TB, cfg *tls.Config) int {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.Copy(c, c)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// recvUntil collects the client's "outbox" until it holds want.
func recvUntil(t testing.TB, ctx context.Context, h *axon.Handle, want string) {
	t.Helper()
	var got bytes.Buffer
	for !strings.Contains(got.String(), want) {
		m, err := h.Get(ctx, "outbox")
		if err != nil {
			t.Fatalf("waiting for %q, got %q: %v", want, got.String(), err)
		}
		got.Write(m.([]byte))
	}
}

func TestClientMakeSSLAgainstGoServer(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	p := testpki.New(t)
	port := tlsEchoServer(t, p.ServerConfig())
	c := internet.NewTCPClient("localhost", port, internet.TLSClient(p.ClientConfig()))
	h := axontest.Handle(t, c)
	// makessl first, then data at once: the data must wait for TLS (the
	// server only speaks TLS, so plaintext would break its handshake).
	if err := h.Put(ctx, "makessl", internet.MakeSSL{}); err != nil {
		t.Fatal(err)
	}
	if err := h.Put(ctx, "inbox", "over tls"); err != nil {
		t.Fatal(err)
	}
	activate(t, ctx, c)
	ready, err := h.Get(ctx, "sslready")
	if err != nil {
		t.Fatal(err)
	}
	if st := ready.(internet.SSLReady).State; !st.HandshakeComplete || st.Version < tls.VersionTLS12 {
		t.Fatalf("sslready state %+v", st)
	}
	recvUntil(t, ctx, h, "over tls")
	if err := h.Put(ctx, "control", axon.ProducerFinished{}); err != nil {
		t.Fatal(err)
	}
	if pf := terminal(t, ctx, h); pf.Err != nil {
		t.Fatalf("terminal Err = %v", pf.Err)
	}
}

func TestClientMakeSSLWrongCA(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	good, wrong := testpki.New(t), testpki.New(t)
	port := tlsEchoServer(t, good.ServerConfig())
	c := internet.NewTCPClient("127.0.0.1", port, internet.TLSClient(wrong.ClientConfig()))
	h := axontest.Handle(t, c)
	h.Put(ctx, "makessl", internet.MakeSSL{})
	activate(t, ctx, c)
	pf := terminal(t, ctx, h)
	var unknown x509.UnknownAuthorityError
	var verr *tls.CertificateVerificationError
	if !errors.As(pf.Err, &verr) || !errors.As(pf.Err, &unknown) {
		t.Fatalf("terminal Err = %v, want a certificate verification error", pf.Err)
	}
	if _, ok := h.TryGet("sslready"); ok {
		t.Fatal("sslready sent although the handshake failed")
	}
}

func TestClientMakeSSLAgainstOpenSSLServer(t *testing.T) {
	t.Parallel()
	bin := openssl(t)
	ctx, _ := testCtx(t)
	p := testpki.New(t)
	srv := exec.CommandContext(ctx, bin, "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
		"-cert", p.CertFile, "-key", p.KeyFile, "-rev")
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	port := 0
	lines := bufio.NewScanner(out)
	for port == 0 && lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "ACCEPT "); ok {
			_, ps, _ := net.SplitHostPort(addr)
			port, _ = strconv.Atoi(ps)
		}
	}
	if port == 0 {
		t.Fatal("openssl s_server did not say where it listens")
	}
	go io.Copy(io.Discard, out)

	c := internet.NewTCPClient("127.0.0.1", port, internet.TLSClient(p.ClientConfig()))
	h := axontest.Handle(t, c)
	h.Put(ctx, "makessl", internet.MakeSSL{})
	h.Put(ctx, "inbox", "kamaelia\n")
	activate(t, ctx, c)
	if _, err := h.Get(ctx, "sslready"); err != nil {
		t.Fatal(err)
	}
	recvUntil(t, ctx, h, "aileamak") // s_server -rev reverses each line
	h.Put(ctx, "control", axon.ShutdownMicroprocess{})
	terminal(t, ctx, h)
}

// startTLSHandler is a protocol handler for server-side STARTTLS tests.
// Plain mode understands "STARTTLS" (and, with smtp, a greeting and
// EHLO); after the switch it echoes. Bytes after the STARTTLS line in the
// same read are discarded, as RFC 3207 asks. Its "go ahead" reply
// travels inside MakeSSL.Plaintext, the way MakeSSL's documentation
// asks: sent on "outbox" first, the client's handshake could be read as
// plaintext.
func startTLSHandler(smtp bool, upgraded *atomic.Int32) func() axon.Component {
	return func() axon.Component {
		var buf []byte
		greeted, secure := false, false
		return axon.NewReactive("starttls", func(ctx context.Context, c *axon.Core) error {
			if smtp && !greeted {
				greeted = true
				if err := c.Send(ctx, "outbox", "220 kamaelia-go test\r\n"); err != nil {
					return err
				}
			}
			for {
				box, msg, ok := c.Next()
				if !ok {
					return nil
				}
				switch box {
				case "sslready":
					upgraded.Add(1)
				case "control":
					if axon.IsShutdownRequest(msg) {
						c.Send(ctx, "signal", axon.ProducerFinished{})
						return axon.ErrStop
					}
				case "inbox":
					if secure {
						if err := c.Send(ctx, "outbox", msg); err != nil {
							return err
						}
						continue
					}
					buf = append(buf, msg.([]byte)...)
					for {
						i := bytes.IndexByte(buf, '\n')
						if i < 0 {
							break
						}
						line := strings.TrimRight(string(buf[:i]), "\r")
						buf = buf[i+1:]
						var reply string
						switch {
						case strings.HasPrefix(line, "EHLO"):
							reply = "250-hello\r\n250 STARTTLS\r\n"
						case line == "STARTTLS":
							reply = "220 go ahead\r\n"
							if !smtp {
								reply = "OK\r\n"
							}
							secure, buf = true, nil
						default:
							reply = "500 what?\r\n"
						}
						if secure {
							if err := c.Send(ctx, "makessl", internet.MakeSSL{Plaintext: []byte(reply)}); err != nil {
								return err
							}
							break
						}
						if err := c.Send(ctx, "outbox", reply); err != nil {
							return err
						}
					}
				}
			}
		}, axon.AddInbox(axon.Box("sslready", "")), axon.AddOutbox(axon.Box("makessl", "")))
	}
}

// askStartTLS asks a startTLSHandler (not smtp) on conn to switch to
// TLS, and returns the configuration of a client that trusts p, for
// the handshake that follows.
func askStartTLS(t testing.TB, conn net.Conn, p *testpki.PKI) *tls.Config {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "STARTTLS\r\n"); err != nil {
		t.Fatal(err)
	}
	ok := make([]byte, 4)
	if _, err := io.ReadFull(conn, ok); err != nil || string(ok) != "OK\r\n" {
		t.Fatalf("STARTTLS answer %q, %v", ok, err)
	}
	conn.SetReadDeadline(time.Time{})
	cfg := p.ClientConfig()
	cfg.ServerName = "localhost"
	return cfg
}

func TestServerStartTLSWithGoClient(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	p := testpki.New(t)
	var upgraded atomic.Int32
	srv, _ := startServer(t, ctx, startTLSHandler(false, &upgraded), internet.TLSServer(p.ServerConfig()))
	conn := dialCore(t, srv)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	conn.Write([]byte("HELP\r\n")) // a plaintext exchange before the switch
	resp := make([]byte, len("500 what?\r\n"))
	if _, err := io.ReadFull(conn, resp); err != nil || string(resp) != "500 what?\r\n" {
		t.Fatalf("plaintext answer %q, %v", resp, err)
	}
	tc := tls.Client(conn, askStartTLS(t, conn, p))
	if err := tc.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	echoOnce(t, tc, "secret after STARTTLS")
	if upgraded.Load() != 1 {
		t.Fatalf("handler saw sslready %d times", upgraded.Load())
	}
	tc.CloseWrite()
	conn.CloseWrite()
	readAll(t, ctx, tc)
}

func TestServerStartTLSWithOpenSSLClient(t *testing.T) {
	t.Parallel()
	bin := openssl(t)
	ctx, _ := testCtx(t)
	p := testpki.New(t)
	var upgraded atomic.Int32
	srv, _ := startServer(t, ctx, startTLSHandler(true, &upgraded), internet.TLSServer(p.ServerConfig()))
	cl := exec.CommandContext(ctx, bin, "s_client", "-connect", srv.Addr().String(), "-starttls", "smtp",
		"-CAfile", p.CAFile, "-verify_return_error", "-verify_hostname", "localhost", "-quiet", "-no_ign_eof")
	stdin, _ := cl.StdinPipe()
	stdout, _ := cl.StdoutPipe()
	var stderr bytes.Buffer
	cl.Stderr = &stderr
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, "hello from s_client\n"); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	found := false
	for !found && sc.Scan() {
		found = strings.Contains(sc.Text(), "hello from s_client")
	}
	stdin.Close()
	io.Copy(io.Discard, stdout)
	if err := cl.Wait(); err != nil || !found {
		t.Fatalf("s_client: echo found %v, exit %v\n%s", found, err, stderr.String())
	}
	if upgraded.Load() != 1 {
		t.Fatalf("handler saw sslready %d times", upgraded.Load())
	}
}

func TestServerHandshakeFailureClosesCleanly(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	p := testpki.New(t)
	var upgraded atomic.Int32
	srv, w := startServer(t, ctx, startTLSHandler(false, &upgraded), internet.TLSServer(p.ServerConfig()),
		internet.HandshakeTimeout(5*time.Second))
	conn := dialCore(t, srv)
	conn.Write([]byte("STARTTLS\r\n"))
	ok := make([]byte, 4)
	io.ReadFull(conn, ok)
	conn.Write([]byte("this is not a TLS client hello\r\n"))
	readAll(t, ctx, conn) // the server closes; it does not hang
	select {
	case <-w.gone:
	case <-ctx.Done():
		t.Fatal("no ShutdownCSA")
	}
	w.mu.Lock()
	cause := w.ended[0].Err
	w.mu.Unlock()
	var rec tls.RecordHeaderError
	if !errors.As(cause, &rec) && !strings.Contains(cause.Error(), "TLS server handshake") {
		t.Fatalf("ShutdownCSA Err = %v, want the TLS handshake failure", cause)
	}
	if upgraded.Load() != 0 {
		t.Fatal("sslready after a failed handshake")
	}
}

func TestMakeSSLWithoutConfigIsReported(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	peer, ours := tcpPair(t)
	csa := echoCSA(t, ours)
	h := axontest.Handle(t, csa)
	activate(t, ctx, csa)
	h.Put(ctx, "makessl", internet.MakeSSL{})
	m, err := h.Get(ctx, "signal")
	if ei, ok := m.(axon.ErrorInformation); err != nil || !ok || !errors.Is(ei.Err, internet.ErrNoTLSConfig) {
		t.Fatalf("signal = %#v, %v", m, err)
	}
	echoOnce(t, peer, "still plain")
	peer.CloseWrite()
	readAll(t, ctx, peer)
	waitDone(t, ctx, csa)
}

// drainSignal returns what a component ended up sending on "signal".
func drainSignal(t testing.TB, ctx context.Context, h *axon.Handle) []any {
	t.Helper()
	select {
	case <-h.Done():
	case <-ctx.Done():
		t.Fatal("the component did not end")
	}
	var msgs []any
	for {
		m, ok := h.TryGet("signal")
		if !ok {
			return msgs
		}
		msgs = append(msgs, m)
	}
}

// TestFailedHandshakeSendsOnlyTheTerminalMessage: a TLS handshake that
// fails ends the connection, so the only message on "signal" is the
// terminal one, carrying the TLS error; an ErrorInformation is for
// problems that do not end the connection.
func TestFailedHandshakeSendsOnlyTheTerminalMessage(t *testing.T) {
	t.Parallel()
	good, wrong := testpki.New(t), testpki.New(t)
	t.Run("TCPClient", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		c := internet.NewTCPClient("127.0.0.1", tlsEchoServer(t, good.ServerConfig()), internet.TLSClient(wrong.ClientConfig()))
		h := axontest.Handle(t, c)
		h.Put(ctx, "makessl", internet.MakeSSL{})
		activate(t, ctx, c)
		msgs := drainSignal(t, ctx, h)
		var verr *tls.CertificateVerificationError
		if pf, ok := msgs[0].(axon.ProducerFinished); len(msgs) != 1 || !ok || !errors.As(pf.Err, &verr) {
			t.Fatalf("signal = %#v; want only a ProducerFinished with the verification error", msgs)
		}
	})
	t.Run("CSA", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(tlsEchoServer(t, good.ServerConfig())))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		cfg := wrong.ClientConfig()
		cfg.ServerName = "localhost"
		csa := internet.NewCSA(conn, internet.TLSClient(cfg))
		h := axontest.Handle(t, csa)
		h.Put(ctx, "makessl", internet.MakeSSL{})
		activate(t, ctx, csa)
		msgs := drainSignal(t, ctx, h)
		var verr *tls.CertificateVerificationError
		if sc, ok := msgs[0].(internet.ShutdownCSA); len(msgs) != 1 || !ok || !errors.As(sc.Err, &verr) {
			t.Fatalf("signal = %#v; want only a ShutdownCSA with the verification error", msgs)
		}
	})
}

// makesslHandler is a ServerCore handler that sends makessl when the
// client says "STARTTLS" and reports the first answer it gets back: on
// its "sslready" (if withReady) or its "control".
func makesslHandler(withReady bool, answer chan<- any) func(internet.ConnInfo) (axon.Component, error) {
	return func(internet.ConnInfo) (axon.Component, error) {
		opts := []axon.Option{axon.AddOutbox(axon.Box("makessl", ""))}
		if withReady {
			opts = append(opts, axon.AddInbox(axon.Box("sslready", "")))
		}
		return axon.NewReactive("starttls", func(ctx context.Context, c *axon.Core) error {
			for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
				switch box {
				case "inbox":
					if err := c.Send(ctx, "makessl", internet.MakeSSL{}); err != nil {
						return err
					}
				case "sslready", "control":
					switch msg.(type) {
					case internet.ShutdownBegun, internet.SSLReady: // a ServeTLS connection's first handshake
						continue
					}
					answer <- msg
					return axon.ErrStop
				}
			}
			return nil
		}, opts...), nil
	}
}

// TestHandlerHearsWhyMakeSSLWasRefused: a ServerCore handler whose
// makessl cannot be carried out (no TLS configuration, or the
// connection already speaks TLS) gets an ErrorInformation saying why:
// on "sslready", where it waits for the answer, or on "control" if it
// has no "sslready".
func TestHandlerHearsWhyMakeSSLWasRefused(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	tests := []struct {
		name      string
		withReady bool
		opts      []internet.ServerCoreOption
		want      error
	}{
		{"no TLS configuration, on sslready", true, nil, internet.ErrNoTLSConfig},
		{"no TLS configuration, on control", false, nil, internet.ErrNoTLSConfig},
		{"already TLS", true, []internet.ServerCoreOption{internet.ServeTLS(p.ServerConfig())}, internet.ErrAlreadyTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			answer := make(chan any, 1)
			srv := startServerCore(t, ctx, makesslHandler(tt.withReady, answer), tt.opts...)
			var conn net.Conn = dialCore(t, srv)
			if len(tt.opts) > 0 {
				cfg := p.ClientConfig()
				cfg.ServerName = "localhost"
				conn = tls.Client(conn, cfg)
			}
			if _, err := conn.Write([]byte("STARTTLS\r\n")); err != nil {
				t.Fatal(err)
			}
			select {
			case m := <-answer:
				if ei, ok := m.(axon.ErrorInformation); !ok || !errors.Is(ei.Err, tt.want) {
					t.Fatalf("the handler got %#v; want an ErrorInformation matching %v", m, tt.want)
				}
			case <-ctx.Done():
				t.Fatal("the handler heard nothing back")
			}
		})
	}
}
