package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// An instance is one run of the kamaelia command, as the end-to-end
// tests and the scripts start it: a process of its own or, in the quick
// suite (-short), a call of run, the function main calls, in the test's
// own process.
//
// The quick suite runs commands in process because each process of a
// binary built with -race costs about a tenth of a CPU second to start,
// and the tests start well over a hundred. Run in process, a command
// gets the same arguments, environment, working directory, standard
// streams and signals (the first SIGINT or SIGTERM ends run's context,
// the second closes env.again, as main's interrupts does), so the tests
// check the same behaviour; the race detector and the goroutine-leak
// check see its components too. The full suite runs every instance as
// a process, so main's own part (signal handling, the exit status) is
// checked there, and the tests about signals always use processes.
type instance struct {
	stdout *os.File // the read end of its standard output
	stderr *axontest.Buffer
	done   chan struct{} // closed once it has ended
	code   int           // its exit status, set before done is closed
	err    error         // why it could not be waited for, set before done is closed

	signal func(os.Signal) error // delivers SIGINT or SIGTERM
	kill   func()                // ends it at once
}

// launch is how to start an instance.
type launch struct {
	args    []string
	env     []string  // its environment; nil: the test's
	dir     string    // its working directory; "": the test's
	stdin   io.Reader // nil: empty, unless hold
	hold    bool      // stdin stays open, and empty, until it ends
	process bool      // a process of its own even with -short
}

// start starts the instance.
func (l launch) start() (*instance, error) {
	in := &instance{stderr: &axontest.Buffer{}, done: make(chan struct{})}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	in.stdout = pr
	if l.process || !testing.Short() {
		err = l.startProcess(in, pw)
	} else {
		l.startInProcess(in, pw)
	}
	if err != nil {
		pr.Close()
		return nil, err
	}
	return in, nil
}

// startProcess runs the command as a process with stdout as its
// standard output.
func (l launch) startProcess(in *instance, stdout *os.File) error {
	defer stdout.Close() // the process has its own copy
	path, err := exec.LookPath("kamaelia")
	if err != nil {
		return err
	}
	cmd := exec.Command(path, l.args...)
	cmd.Dir = l.dir
	// A race-enabled binary sleeps a second at exit unless told not to;
	// a race it finds makes it exit 66, which fails the test.
	cmd.Env = append(l.environ(), "GORACE=atexit_sleep_ms=0")
	cmd.Stdout = stdout
	cmd.Stderr = in.stderr
	var stdin io.Closer
	if l.hold {
		if stdin, err = cmd.StdinPipe(); err != nil {
			return err
		}
	} else {
		cmd.Stdin = l.stdin
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	in.signal = cmd.Process.Signal
	in.kill = func() { cmd.Process.Kill() }
	go func() {
		err := cmd.Wait()
		if stdin != nil {
			stdin.Close()
		}
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			in.code = ee.ExitCode()
		default:
			in.err = err
		}
		close(in.done)
	}()
	return nil
}

// startInProcess runs the command through run in a goroutine of the
// test's process, with stdout as its standard output.
func (l launch) startInProcess(in *instance, stdout *os.File) {
	ctx, cancel := context.WithCancel(context.Background())
	again := make(chan struct{})
	stdin, release := l.stdin, func() {}
	switch {
	case l.hold:
		r, w := io.Pipe()
		stdin, release = r, func() { w.Close() }
	case stdin == nil:
		stdin = strings.NewReader("")
	}
	environ := l.environ()
	e := &env{
		stdin:  stdin,
		stdout: stdout,
		stderr: in.stderr,
		getenv: func(key string) string { return lookupEnv(environ, key) },
		dir:    l.dir,
		again:  again,
	}
	var mu sync.Mutex
	signals := 0
	in.signal = func(os.Signal) error {
		mu.Lock()
		defer mu.Unlock()
		switch signals++; signals {
		case 1:
			cancel()
		case 2:
			close(again)
		}
		return nil
	}
	in.kill = func() {
		in.signal(os.Kill)
		in.signal(os.Kill)
	}
	go func() {
		in.code = run(ctx, e, l.args)
		cancel()
		stdout.Close()
		release()
		close(in.done)
	}()
}

// environ is the environment the instance runs with.
func (l launch) environ() []string {
	if l.env == nil {
		return os.Environ()
	}
	return l.env
}

// lookupEnv returns the value of key in environ (the last, if it is
// there more than once), as a process would see it.
func lookupEnv(environ []string, key string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(environ[i], key+"="); ok {
			return v
		}
	}
	return ""
}
