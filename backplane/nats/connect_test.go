package nats_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/kamaelia-go/kamaelia/backplane/nats"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/natstest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
)

// closedPort returns the address of a port on 127.0.0.1 that nothing
// listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// writeFile writes a file in the test's temporary folder and returns its
// path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// New fails, with one line that names the URL and the cause, for each
// thing that can be wrong at start; and leaves nothing running.
func TestNewErrors(t *testing.T) {
	plain := natstest.Start(t)
	token := natstest.Start(t, func(o *server.Options) { o.Authorization = "sekrit" })
	pki, other := testpki.New(t), testpki.New(t)
	secure := natstest.Start(t, func(o *server.Options) { o.TLS, o.TLSConfig = true, pki.ServerConfig() })
	denied := natstest.Start(t, func(o *server.Options) {
		o.Users = []*server.User{{Username: "u", Password: "p", Permissions: &server.Permissions{
			Subscribe: &server.SubjectPermission{Deny: []string{">"}}}}}
	})
	op := natstest.NewOperator(t)
	withCreds := natstest.Start(t, op.Serve)
	stranger := natstest.NewOperator(t) // a user no server trusts
	down := closedPort(t)
	garbage := writeFile(t, "garbage", []byte("not a credentials file\n"))
	secureURL := "tls://" + secure.Addr()

	for _, tc := range []struct {
		name string
		url  string
		opts []nats.Option
		want string
	}{
		{"no URL", "", nil, "no NATS URL given"},
		{"not a NATS scheme", "http://127.0.0.1:4222", nil, `scheme "http" is not nats, tls, ws or wss`},
		{"bad port", "nats://127.0.0.1:port", nil, `invalid port ":port"`},
		{"no host", "nats://:4222", nil, "no host"},
		{"password hidden", "nats://user:hunter2@:4222", nil, "nats://user:xxxxx@:4222: no host"},
		{"unreachable", "nats://" + down, nil, "nats: no servers available for connection (dial tcp " + down + ": connect: connection refused)"},
		{"unreachable in a list", "nats://" + down + ", " + down, nil, "connection refused"},
		{"name not a subject", plain.URL(), nil, ""}, // see below: the name has a space
		{"wildcard subject", plain.URL(), []nats.Option{nats.Subject("chat.*")}, `subject "chat.*" is not a NATS subject`},
		{"empty subject token", plain.URL(), []nats.Option{nats.Subject("chat..room")}, `subject "chat..room" is not a NATS subject`},
		{"credentials missing", plain.URL(), []nats.Option{nats.Credentials(filepath.Join(t.TempDir(), "none.creds"))}, "credentials: open "},
		{"credentials malformed", plain.URL(), []nats.Option{nats.Credentials(garbage)}, "credentials " + garbage + ": nkeys: "},
		{"credentials not trusted", withCreds.URL(), []nats.Option{nats.Credentials(writeFile(t, "stranger.creds", stranger.Creds))}, "Authorization Violation"},
		{"no credentials where needed", withCreds.URL(), nil, "Authorization Violation"},
		{"token missing", token.URL(), nil, "nats: Authorization Violation"},
		{"CA file missing", plain.URL(), []nats.Option{nats.RootCA(filepath.Join(t.TempDir(), "none.pem"))}, "error loading or parsing rootCA file"},
		{"CA file not PEM", plain.URL(), []nats.Option{nats.RootCA(garbage)}, "failed to parse root certificate"},
		{"TLS asked, not offered", "tls://" + plain.Addr(), nil, "asks for TLS"},
		{"CA required, TLS not offered", plain.URL(), []nats.Option{nats.RootCA(pki.CAFile)}, "TLS"},
		{"server's certificate not trusted", secureURL, []nats.Option{nats.RootCA(other.CAFile)}, "certificate signed by unknown authority"},
		{"system roots do not know a test CA", secureURL, nil, "certificate signed by unknown authority"},
		{"subscription not allowed", "nats://u:p@" + denied.Addr(), nil, `Permissions Violation for Subscription to "kamaelia.backplane.chat"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "chat"
			if tc.name == "name not a subject" {
				name, tc.want = "chat room", `subject "kamaelia.backplane.chat room" is not a NATS subject`
			}
			bp, err := nats.New(name, tc.url, tc.opts...)
			if err == nil {
				bp.Close()
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `backplane "`+name+`": `) || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q, want one line naming the backplane, with %q", msg, tc.want)
			}
			if strings.Contains(msg, "hunter2") {
				t.Fatalf("error %q shows the password", msg)
			}
		})
	}
}

// With TLS (a tls:// URL and the CA that signed the server's
// certificate) and with a credentials file, backplanes connect and share
// messages.
func TestTLSAndCredentials(t *testing.T) {
	pki := testpki.New(t)
	op := natstest.NewOperator(t)
	for _, tc := range []struct {
		name string
		srv  *natstest.Server
		url  func(*natstest.Server) string
		opts []nats.Option
	}{
		{"tls URL and CA", natstest.Start(t, func(o *server.Options) { o.TLS, o.TLSConfig = true, pki.ServerConfig() }),
			func(s *natstest.Server) string { return "tls://" + s.Addr() }, []nats.Option{nats.RootCA(pki.CAFile)}},
		{"nats URL and CA", natstest.Start(t, func(o *server.Options) { o.TLS, o.TLSConfig = true, pki.ServerConfig() }),
			func(s *natstest.Server) string { return "nats://" + s.Addr() }, []nats.Option{nats.RootCA(pki.CAFile)}},
		{"credentials", natstest.Start(t, op.Serve),
			(*natstest.Server).URL, []nats.Option{nats.Credentials(writeFile(t, "user.creds", op.Creds))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := startProc(t, tc.url(tc.srv), tc.opts...), startProc(t, tc.url(tc.srv), tc.opts...)
			_, h := b.subscribe(t)
			axontest.Put(t, a.ctx, axontest.Handle(t, a.bp), "inbox", []byte("secret"))
			if m := getString(t, b.ctx, h); m != "secret" {
				t.Fatalf("got %q", m)
			}
		})
	}
}
