//go:build !race

package leakcheck_test

const raceEnabled = false
