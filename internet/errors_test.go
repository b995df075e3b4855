package internet_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// wrappedOnce fails the test if text repeats the package's prefix (an
// error wrapped twice by the package) or prints a nil cause.
func wrappedOnce(t *testing.T, what, text string) {
	t.Helper()
	if n := strings.Count(text, "internet:"); n > 1 {
		t.Errorf("%s says \"internet:\" %d times: %s", what, n, text)
	}
	if strings.Contains(text, "<nil>") {
		t.Errorf("%s prints a nil: %s", what, text)
	}
}

// TestErrorsAreWrappedOnce: every error the package returns or reports
// names its operation once, with the package's prefix once, and no log
// line prints a nil cause.
func TestErrorsAreWrappedOnce(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	taken := listenLoopback(t)
	t.Cleanup(func() { taken.Close() })
	port := taken.Addr().(*net.TCPAddr).Port

	_, err := internet.NewServerCore(echoFactory, port, internet.Host("127.0.0.1"), internet.ReusePort(false), internet.ReuseAddress(false))
	if err == nil {
		t.Fatal("NewServerCore on a port in use succeeded")
	}
	wrappedOnce(t, "NewServerCore on a port in use", err.Error())
	_, err = internet.NewSingleServer(port, internet.Host("127.0.0.1"), internet.ReuseAddress(false))
	wrappedOnce(t, "NewSingleServer on a port in use", err.Error())
	_, err = internet.ListenTCP(port, internet.Host("127.0.0.1"), internet.ReuseAddress(false))
	wrappedOnce(t, "ListenTCP on a port in use", err.Error())
	_, err = internet.NewServerCore(echoFactory, 0, internet.ServeTLS(nil))
	wrappedOnce(t, "ServeTLS(nil)", err.Error())

	refused := listenLoopback(t)
	refused.Close()
	c := internet.NewTCPClient("127.0.0.1", refused.Addr().(*net.TCPAddr).Port)
	wrappedOnce(t, "a refused connect", c.Run(ctx).Error())
	c = internet.NewTCPClient("127.0.0.1", port, internet.Delay(1<<62))
	h := axontest.Handle(t, c)
	activate(t, ctx, c)
	axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
	waitDone(t, ctx, c)
	wrappedOnce(t, "a shutdown before connecting", c.Err().Error())

	_, ours := tcpPair(t)
	csa := internet.NewCSA(ours)
	ch := axontest.Handle(t, csa)
	activate(t, ctx, csa)
	axontest.Put(t, ctx, ch, "inbox", 42)
	axontest.Put(t, ctx, ch, "makessl", internet.MakeSSL{})
	axontest.Put(t, ctx, ch, "control", axon.ShutdownMicroprocess{})
	axontest.Put(t, ctx, ch, "inbox", "after the end")
	for range 2 {
		m := axontest.Get(t, ctx, ch, "signal")
		wrappedOnce(t, "the adapter's report", axon.Cause(m).Error())
	}

	var logs axontest.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := startServerCore(t, ctx, echoFactory, internet.Logger(logger))
	conn := dialCore(t, srv)
	echoOnce(t, conn, "a clean connection")
	conn.CloseWrite()
	readAll(t, ctx, conn)
	eventually(t, ctx, "the connection closed", func() bool { return srv.Connections() == 0 })
	sctx, cancel := context.WithCancel(ctx)
	cancel()
	srv.Shutdown(sctx)
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		wrappedOnce(t, "a log line", line)
	}
}
