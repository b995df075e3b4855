package leakcheck_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

// modeVar tells this test binary, run again by the tests below, what to
// do wrong.
const modeVar = "LEAKCHECK_TEST_MODE"

func TestMain(m *testing.M) {
	if os.Getenv(modeVar) == "leak" {
		go func() { select {} }() // outlives every test
	}
	leakcheck.Main(m)
}

// TestChild is what the binary runs when a test below runs it again:
// with the mode "race", a data race.
func TestChild(t *testing.T) {
	if os.Getenv(modeVar) != "race" {
		return
	}
	x := 0
	done := make(chan struct{})
	go func() { x = 1; close(done) }()
	x = 2
	<-done
	_ = x
}

// TestMainExitStatus: Main exits 0 when the tests pass and leave nothing
// behind, 1 when a goroutine outlives them, and fails a run in which a
// race was found (when built with -race) although it skips the race
// detector's exit.
func TestMainExitStatus(t *testing.T) {
	t.Parallel()
	type exitCase struct {
		name   string
		mode   string
		want   int
		output string // what the output must say, if anything
	}
	tests := []exitCase{
		{"clean", "clean", 0, ""},
		{"a goroutine left behind", "leak", 1, "goleak"},
	}
	if raceEnabled {
		tests = append(tests, exitCase{"a data race", "race", 1, "race detected"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), modeVar+"="+tt.mode)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.WaitDelay = time.Minute
			err := cmd.Run()
			code := 0
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.want {
				t.Fatalf("exit status %d, want %d; output:\n%s", code, tt.want, &out)
			}
			if !strings.Contains(out.String(), tt.output) {
				t.Fatalf("the output does not say %q:\n%s", tt.output, &out)
			}
		})
	}
}
