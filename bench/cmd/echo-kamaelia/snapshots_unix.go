//go:build unix

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

// snapshots writes, on each SIGUSR1, the goroutine count and memory
// figures to stderr and (with -memprofile) a heap profile of what is in
// use to <memprofile>.heap: the way to see what held connections cost.
func snapshots(memProfile string) {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	for range usr1 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "goroutines %d  heap-inuse %d  stack-inuse %d  sys %d\n",
			runtime.NumGoroutine(), ms.HeapInuse, ms.StackInuse, ms.Sys)
		if memProfile == "" {
			continue
		}
		if f, err := os.Create(memProfile + ".heap"); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
}
