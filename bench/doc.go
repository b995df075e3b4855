// Package bench holds the echo server that ../shared/bench drives
// (cmd/echo-kamaelia), Go benchmarks of the echo path over loopback
// sockets beside a plain goroutine-per-connection baseline, and the
// stalled-peer memory check. RESULTS.md records the measurements and
// run.sh reproduces the harness comparison.
package bench
