//go:build linux

package internet_test

import (
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// The accept-error test runs in a child process, because it lowers the
// process's file-descriptor limit.
func TestAcceptErrorsBackOffAndServerKeepsServing(t *testing.T) {
	if os.Getenv("KAMAELIA_EMFILE_CHILD") == "1" {
		acceptErrorChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptErrorsBackOffAndServerKeepsServing$", "-test.v")
	cmd.Env = append(os.Environ(), "KAMAELIA_EMFILE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	for _, want := range []string{"accept failed; retrying", "too many open files", "served after the accept errors"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

func acceptErrorChild(t *testing.T) {
	ctx, _ := testCtx(t)
	var logs axontest.Buffer
	srv, _ := startServer(t, ctx, nil, internet.Logger(slog.New(slog.NewTextHandler(&logs, nil))))

	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	// Room for exactly one more descriptor: the client's socket takes it,
	// so the server's accept of that connection fails with EMFILE.
	low := orig
	low.Cur = uint64(len(fds)) // ReadDir's own descriptor is closed again
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTCP("tcp", nil, srv.Addr())
	if err != nil {
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig)
		t.Fatalf("dial with the limit lowered: %v", err)
	}
	defer conn.Close()
	eventually(t, ctx, "an accept error logged", func() bool {
		return strings.Contains(logs.String(), "too many open files")
	})
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	echoOnce(t, conn, "served after the accept errors")
	conn.CloseWrite()
	readAll(t, ctx, conn)
	t.Log(logs.String())
	t.Log("served after the accept errors")
}
