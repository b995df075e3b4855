// Command echo-kamaelia is the echo server that ../shared/bench drives.
//
// By default it is what `kamaelia serve --protocol echo` runs: a
// SimpleServer (ServerCore) whose handler for each connection is a
// components.Echo. With -server=direct it is a bare TCPServer whose
// adapters each feed their "outbox" straight back to their own "inbox",
// handing the chunks over (CSA.ReuseWritten), which shows what the
// adapter itself costs.
//
// It listens on 127.0.0.1 at --port (default $PORT, else a free port),
// prints "LISTENING host:port" on stdout once it accepts, and exits 0 on
// SIGTERM or SIGINT. -cpuprofile and -memprofile write pprof profiles
// when it exits, for finding the costs of the echo path.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/kamaelia-go/kamaelia/bench"
)

func main() {
	port := flag.Int("port", envPort(), "port to listen on (0: a free port)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile to this file on exit")
	mode := flag.String("server", "simple", "simple: SimpleServer with components.Echo; direct: TCPServer, each adapter echoing to itself")
	memRate := flag.Int("memprofilerate", 0, "runtime.MemProfileRate when -memprofile is set (0: Go's default)")
	flag.Parse()

	if *memProfile != "" && *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	addr, done, err := bench.StartEcho(ctx, *mode, *port)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("LISTENING", addr)
	go snapshots(*memProfile)

	<-ctx.Done()
	<-done

	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
}

func envPort() int {
	p, _ := strconv.Atoi(os.Getenv("PORT"))
	return p
}
