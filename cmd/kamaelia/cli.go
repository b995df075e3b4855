package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// cli is the flag set of one subcommand with its usage text.
type cli struct {
	fs       *flag.FlagSet
	synopsis string // "kamaelia send [flags] FILE HOST PORT"
	about    string // what the command does, a paragraph or two
	examples string // example command lines, one a line
}

func newCLI(name, synopsis, about, examples string) *cli {
	fs := flag.NewFlagSet("kamaelia "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and usage are printed by parse
	return &cli{fs: fs, synopsis: synopsis, about: about, examples: examples}
}

// parse parses args, where flags may come before, between or after the
// positional arguments ("--" ends the flags). It wants exactly the
// positional arguments named in names. If parsing fails it prints what
// is needed and returns ok false with the status to exit with: 0 after
// printing the usage on stdout for --help, 2 after a one-line error and
// the usage on stderr for a bad flag or argument.
func (c *cli) parse(e *env, args []string, names ...string) (pos []string, code int, ok bool) {
	pos, err := parseInterspersed(c.fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.printUsage(e.stdout)
		return nil, exitOK, false
	}
	if err != nil {
		return nil, c.bad(e, "%v", err), false
	}
	switch {
	case len(pos) < len(names):
		return nil, c.bad(e, "missing %s", strings.Join(names[len(pos):], " ")), false
	case len(pos) > len(names):
		return nil, c.bad(e, "unexpected argument %q", pos[len(names)]), false
	}
	return pos, exitOK, true
}

// bad prints a one-line error and the usage on stderr and returns the
// usage exit status.
func (c *cli) bad(e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", c.fs.Name(), fmt.Sprintf(format, args...))
	c.printUsage(e.stderr)
	return exitUsage
}

func (c *cli) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.synopsis, strings.TrimSpace(c.about))
	fmt.Fprintln(w, "\nFlags:")
	c.fs.SetOutput(w)
	c.fs.PrintDefaults()
	c.fs.SetOutput(io.Discard)
	if c.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(c.examples, "\n"))
	}
}

// set reports whether the named flag was given on the command line.
func (c *cli) set(name string) bool {
	found := false
	c.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// parseInterspersed parses flags anywhere among the positional
// arguments, which it returns in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil // "--": the rest is positional
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

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

// byteSize is a flag value counting bytes: a number with an optional
// unit, k/M/G (powers of 1000) or KiB/MiB/GiB (powers of 1024), and an
// optional "B": 100000, 100k, 2MiB, 1.5MB.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

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
		return 0, fmt.Errorf("bad byte count %q (want e.g. 100000, 64KiB, 2MB)", s)
	}
	return int64(f * mult), nil
}
