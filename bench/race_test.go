//go:build race

package bench_test

// raceEnabled says the tests run with the race detector, which makes a
// process of the test binary several times larger.
const raceEnabled = true
