// Package leakcheck is the TestMain of this module's test binaries: it
// runs the tests, fails if any left a goroutine behind, and exits at
// once.
package leakcheck

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// Main runs m's tests, fails if a goroutine outlived them, and exits
// with the status; it does not return. A package uses it as its
// TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// It is goleak.VerifyTestMain, less a second: it ends the process
// without os.Exit's race-detector finalizer, which in a binary built
// with -race sleeps a second before exiting (GORACE's atexit_sleep_ms).
// Nothing is lost by that: the testing package has already failed any
// test during which a race was found, and m.Run fails for a race found
// outside one.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	syscall.Exit(code)
}

// MainParallel is Main for a package whose tests mostly wait (on
// timers, on peers) rather than compute: with -short, and unless
// -parallel is given, it runs up to n tests marked t.Parallel at once,
// not -parallel's default of GOMAXPROCS. The full suite keeps the
// default: its load tests run at full size, and more of them at once
// would starve the tests that measure time.
func MainParallel(m *testing.M, n int) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if testing.Short() && !given {
		flag.Set("test.parallel", strconv.Itoa(n))
	}
	Main(m)
}
