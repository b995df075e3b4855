// Package bench holds the echo server that ../shared/bench drives
// (cmd/echo-kamaelia), Go benchmarks of the echo path over loopback
// sockets beside a plain goroutine-per-connection baseline, and the
// stalled-peer memory check. RESULTS.md records the measurements;
// run.sh reproduces the harness comparison, compare.sh measures an
// earlier commit against the working tree in one run, and
// cmd/sameround summarises runs by same-round ratios.
package bench
