package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// parsePort parses a TCP port number (1-65535, or 0 if zeroOK).
func parsePort(s string, zeroOK bool) (int, error) {
	lowest := 1
	if zeroOK {
		lowest = 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lowest || n > 65535 {
		return 0, fmt.Errorf("bad port %q: want a number from %d to 65535", s, lowest)
	}
	return n, nil
}

// hostPort checks the HOST and PORT arguments of a client command; a
// bad port is a usage error.
func hostPort(cmd *cobra.Command, host, port string) (addr string, p int, err error) {
	p, err = parsePort(port, false)
	if err != nil {
		return "", 0, usagef(cmd, "", "%v", err)
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), p, nil
}

// byteSize is a flag value counting bytes: a number with an optional
// unit, k/M/G (powers of 1000) or KiB/MiB/GiB (powers of 1024), and an
// optional "B": 100000, 100k, 2MiB, 1.5MB.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }
func (b *byteSize) Type() string   { return "bytes" }

func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"ki", 1 << 10}, {"mi", 1 << 20}, {"gi", 1 << 30},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9},
	{"k", 1e3}, {"m", 1e6}, {"g", 1e9},
	{"b", 1},
}

// parseBytes parses a byte count such as "100000", "64KiB" or "2M".
func parseBytes(s string) (int64, error) {
	num, mult := strings.ToLower(strings.TrimSpace(s)), 1.0
	for _, u := range byteUnits {
		if t, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(t), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("want a byte count such as 100000, 64KiB or 2MB")
	}
	return int64(f * mult), nil
}
