package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the test reads what the command
// writes to the terminal from master.
func openPTY(t *testing.T) (master, terminal *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return m, tty
}

// TestSendProgressOnARealTerminal runs send with stderr on a
// pseudo-terminal: the bar and the summary are drawn there, unless TERM
// is dumb or --no-progress is given; stdout, a file, gets the echo.
func TestSendProgressOnARealTerminal(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(file, make([]byte, 200<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	s := serve(t, nil)
	host, port := splitAddr(t, s.addr)
	for _, tc := range []struct {
		name string
		term string
		args []string
		bar  bool
	}{
		{"xterm", "xterm", nil, true},
		{"a dumb terminal", "dumb", nil, false},
		{"--no-progress", "xterm", []string{"--no-progress"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			master, tty := openPTY(t)
			args := append(append([]string{"send", "--rate", "4MiB"}, tc.args...), file, host, port)
			cmd := exec.Command(binary(t), args...)
			cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0", "TERM="+tc.term)
			cmd.Stdout = io.Discard
			cmd.Stderr = tty
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			read := make(chan string, 1)
			go func() {
				b, _ := io.ReadAll(master) // EIO once the terminal is closed
				read <- string(b)
			}()
			err := cmd.Wait()
			tty.Close() // the last user of the terminal: its master reads EIO
			out := <-read
			if err != nil {
				t.Fatalf("send: %v; terminal:\n%q", err, out)
			}
			drawn := strings.Contains(out, "100%") && strings.Contains(out, "sent 200.0 KiB in ")
			if drawn != tc.bar || (!tc.bar && out != "") {
				t.Fatalf("the terminal got %q; want a bar: %v", out, tc.bar)
			}
		})
	}
	s.stop(t)
}
