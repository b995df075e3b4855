//go:build !unix

package main

// snapshots does nothing where there is no SIGUSR1 to ask for one.
func snapshots(memProfile string) {}
