package internet_test

import (
	"context"
	"crypto/tls"
	"errors"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/kamaelia-go/kamaelia/internet"
)

// tlsEcho dials addr over TLS, checks that what it writes comes back,
// and half-closes. Against a server that speaks plaintext the handshake
// fails.
func tlsEcho(t *testing.T, ctx context.Context, p *testpki.PKI, addr *net.TCPAddr, msg string) {
	t.Helper()
	cfg := p.ClientConfig()
	cfg.ServerName = "localhost"
	d := tls.Dialer{Config: cfg, NetDialer: &net.Dialer{Timeout: 10 * time.Second}}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := d.DialContext(hctx, "tcp", addr.String())
	if err != nil {
		t.Fatalf("TLS handshake with the server: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo over TLS = %q, %v; want %q", buf, err, msg)
	}
}

// TestServeTLSOnEveryServer checks that ServeTLS means TLS from the
// first byte on every server it compiles for, never plaintext.
func TestServeTLSOnEveryServer(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	t.Run("TCPServer", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		srv, _ := startServer(t, ctx, nil, internet.ServeTLS(p.ServerConfig()))
		tlsEcho(t, ctx, p, srv.Addr(), "over TLS from a bare TCPServer")
	})
	t.Run("ServerCore", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		srv := startServerCore(t, ctx, echoFactory, internet.ServeTLS(p.ServerConfig()))
		tlsEcho(t, ctx, p, srv.Addr(), "over TLS from a ServerCore")
	})
	t.Run("SingleServer", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		srv, err := internet.NewSingleServer(0, internet.Host("127.0.0.1"), internet.ServeTLS(p.ServerConfig()))
		if err != nil {
			t.Fatal(err)
		}
		h := axontest.Handle(t, srv)
		// What the client sends comes out of "outbox"; echo it back
		// through "inbox".
		go func() {
			for {
				m, err := h.Get(ctx, "outbox")
				if err != nil {
					return
				}
				if h.Put(ctx, "inbox", m) != nil {
					return
				}
			}
		}()
		activate(t, ctx, srv)
		t.Cleanup(func() { srv.Stop(); <-srv.Done() })
		tlsEcho(t, ctx, p, srv.Addr(), "over TLS from a SingleServer")
	})
}

// exportData returns the export data files of the internet package and
// its dependencies, by import path, as the go command builds them.
func exportData(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}",
		"github.com/kamaelia-go/kamaelia/internet").Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exports := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, file, _ := strings.Cut(line, "=")
		exports[path] = file
	}
	return exports
}

// TestMisappliedOptionsDoNotCompile type-checks calls of each
// constructor with options that apply to it, which must compile, and
// with options that do not, which must not: an option that means
// nothing to a constructor is a compile error, never silently ignored.
func TestMisappliedOptionsDoNotCompile(t *testing.T) {
	t.Parallel()
	exports := exportData(t)
	tests := []struct {
		name     string
		call     string
		compiles bool
	}{
		{"ServeTLS on a ServerCore", `internet.NewServerCore(nil, 0, internet.ServeTLS(cfg), internet.MaxConnections(2), internet.ReceiveLimit(axon.Limit{}))`, true},
		{"ServeTLS on a TCPServer", `internet.NewTCPServer(0, internet.ServeTLS(cfg), internet.MaxConnections(2))`, true},
		{"ServeTLS on a SingleServer", `internet.NewSingleServer(0, internet.ServeTLS(cfg), internet.Host("::1"))`, true},
		{"connection options everywhere", `internet.NewCSA(nil, internet.Linger(1), internet.IdleTimeout(1), internet.LingerCap(1), internet.SendLimit(axon.Limit{}), internet.HandshakeTimeout(1), internet.CrashOnBadData(), internet.RecycleWrittenChunks(), internet.TLSClient(cfg), internet.TLSServer(cfg))`, true},
		{"a client's options", `internet.NewTCPClient("h", 1, internet.Delay(1), internet.ConnectTimeout(1), internet.AllowHalfClose(), internet.TLSClient(cfg), internet.IdleTimeout(1))`, true},
		{"listener options", `internet.ListenTCP(0, internet.Host("h"), internet.Backlog(1), internet.ReuseAddress(true), internet.ReusePort(true), internet.KeepAlive(1))`, true},
		{"a slice of one constructor's options", `internet.NewServerCore(nil, 0, []internet.ServerCoreOption{internet.Host("h"), internet.Logger(nil), internet.Linger(1), internet.TLSServer(cfg)}...)`, true},

		{"MaxConnections on a SingleServer", `internet.NewSingleServer(0, internet.MaxConnections(2))`, false},
		{"ReceiveLimit on a TCPServer", `internet.NewTCPServer(0, internet.ReceiveLimit(axon.Limit{}))`, false},
		{"ServeTLS on a TCPClient", `internet.NewTCPClient("h", 1, internet.ServeTLS(cfg))`, false},
		{"ServeTLS on a CSA", `internet.NewCSA(nil, internet.ServeTLS(cfg))`, false},
		{"TLSServer on a TCPClient", `internet.NewTCPClient("h", 1, internet.TLSServer(cfg))`, false},
		{"TLSClient on a ServerCore", `internet.NewServerCore(nil, 0, internet.TLSClient(cfg))`, false},
		{"ConnectTimeout on a TCPServer", `internet.NewTCPServer(0, internet.ConnectTimeout(1))`, false},
		{"Delay on a ServerCore", `internet.NewServerCore(nil, 0, internet.Delay(1))`, false},
		{"Host on a TCPClient", `internet.NewTCPClient("h", 1, internet.Host("h"))`, false},
		{"Logger on a TCPClient", `internet.NewTCPClient("h", 1, internet.Logger(nil))`, false},
		{"NoDelay on a CSA", `internet.NewCSA(nil, internet.NoDelay(true))`, false},
		{"ShutdownTimeout on a CSA", `internet.NewCSA(nil, internet.ShutdownTimeout(1))`, false},
		{"a connection option on ListenTCP", `internet.ListenTCP(0, internet.Linger(1))`, false},
		{"ServeTLS on ListenTCP", `internet.ListenTCP(0, internet.ServeTLS(cfg))`, false},
		{"ServeOn on every server", `internet.NewTCPServer(0, internet.ServeOn(nil)); internet.NewServerCore(nil, 0, internet.ServeOn(nil)); internet.NewSingleServer(0, internet.ServeOn(nil))`, true},
		{"OnConnState on every server", `internet.NewTCPServer(0, internet.OnConnState(nil)); internet.NewServerCore(nil, 0, internet.OnConnState(nil)); internet.NewSingleServer(0, internet.OnConnState(nil))`, true},
		{"OnConnState on a TCPClient", `internet.NewTCPClient("h", 1, internet.OnConnState(nil))`, false},
		{"ServeOn on ListenTCP", `internet.ListenTCP(0, internet.ServeOn(nil))`, false},
		{"ServeOn on a TCPClient", `internet.NewTCPClientAddr("h:1", internet.ServeOn(nil))`, false},
	}
	// One importer for every case: it reads each package's export data
	// once, not once a case.
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "package p\n" +
				"import (\n\t\"crypto/tls\"\n\t\"github.com/kamaelia-go/kamaelia/axon\"\n\t\"github.com/kamaelia-go/kamaelia/internet\"\n)\n" +
				"var _ = axon.Limit{}\n" +
				"func f(cfg *tls.Config) { " + tt.call + " }\n"
			f, err := parser.ParseFile(fset, "p.go", src, 0)
			if err != nil {
				t.Fatal(err)
			}
			conf := types.Config{Importer: imp}
			_, err = conf.Check("p", fset, []*ast.File{f}, nil)
			switch {
			case tt.compiles && err != nil:
				t.Fatalf("%s does not compile: %v", tt.call, err)
			case !tt.compiles && err == nil:
				t.Fatalf("%s compiles; want a type error", tt.call)
			case !tt.compiles && !strings.Contains(err.Error(), "does not implement"):
				t.Fatalf("%s: %v; want an option type that does not implement the constructor's", tt.call, err)
			}
		})
	}
}

// TestServerTLSWithoutCertificateIsAnError: a server never falls back to
// plaintext, nor starts with a TLS configuration it cannot serve with.
func TestServerTLSWithoutCertificateIsAnError(t *testing.T) {
	t.Parallel()
	noCert := &tls.Config{}
	for _, opt := range []struct {
		name string
		opt  interface {
			internet.TCPServerOption
			internet.ServerCoreOption
			internet.SingleServerOption
		}
	}{
		{"ServeTLS(nil)", internet.ServeTLS(nil)},
		{"ServeTLS without a certificate", internet.ServeTLS(noCert)},
		{"TLSServer(nil)", internet.TLSServer(nil)},
		{"TLSServer without a certificate", internet.TLSServer(noCert)},
	} {
		t.Run(opt.name, func(t *testing.T) {
			host := internet.Host("127.0.0.1")
			if _, err := internet.NewTCPServer(0, host, opt.opt); !errors.Is(err, internet.ErrNoTLSConfig) {
				t.Errorf("NewTCPServer = %v; want ErrNoTLSConfig", err)
			}
			if _, err := internet.NewServerCore(echoFactory, 0, host, opt.opt); !errors.Is(err, internet.ErrNoTLSConfig) {
				t.Errorf("NewServerCore = %v; want ErrNoTLSConfig", err)
			}
			if _, err := internet.NewSingleServer(0, host, opt.opt); !errors.Is(err, internet.ErrNoTLSConfig) {
				t.Errorf("NewSingleServer = %v; want ErrNoTLSConfig", err)
			}
		})
	}
}

// TestLibraryIsSilentWithoutALogger: a program that gives no Logger
// hears nothing from the package, not even through slog's default
// logger, however much a server has to say. (Not parallel: it replaces
// slog's default logger for its duration.)
func TestLibraryIsSilentWithoutALogger(t *testing.T) {
	var logs axontest.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })

	ctx, _ := testCtx(t)
	calls := 0
	srv, err := internet.NewServerCore(func(internet.ConnInfo) (axon.Component, error) {
		if calls++; calls == 1 {
			panic("a factory that fails is logged, when there is a logger")
		}
		return stubborn(internet.ConnInfo{})
	}, 0, internet.Host("127.0.0.1"), internet.MaxConnections(1))
	if err != nil {
		t.Fatal(err)
	}
	activate(t, ctx, srv)
	expectClosed(t, dialCore(t, srv), "the connection whose factory panicked")
	eventually(t, ctx, "the first connection forgotten", func() bool { return srv.Connections() == 0 })
	held := dialCore(t, srv)
	held.Write([]byte("x"))
	eventually(t, ctx, "the second connection is served", func() bool { return srv.Connections() == 1 })
	expectClosed(t, dialCore(t, srv), "a connection past the limit")
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(sctx); !errors.Is(err, internet.ErrConnectionsCut) {
		t.Fatalf("Shutdown = %v; want a connection cut off", err)
	}
	if logs.String() != "" {
		t.Fatalf("the package logged through slog's default logger:\n%s", logs.String())
	}
}
