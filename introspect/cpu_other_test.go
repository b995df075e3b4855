//go:build !unix

package introspect_test

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
