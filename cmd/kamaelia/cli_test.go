package main

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		rate string
		ssl  bool
	}{
		{[]string{"f", "h", "1"}, []string{"f", "h", "1"}, "0", false},
		{[]string{"--rate", "5", "f", "h", "1"}, []string{"f", "h", "1"}, "5", false},
		{[]string{"f", "--rate=5", "h", "--ssl", "1"}, []string{"f", "h", "1"}, "5", true},
		{[]string{"f", "h", "1", "-ssl"}, []string{"f", "h", "1"}, "0", true},
		{[]string{"--ssl", "--", "-f", "--rate", "1"}, []string{"-f", "--rate", "1"}, "0", true},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		rate := fs.String("rate", "0", "")
		ssl := fs.Bool("ssl", false, "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil || !slices.Equal(pos, tc.pos) || *rate != tc.rate || *ssl != tc.ssl {
			t.Errorf("%q: pos %q rate %s ssl %v err %v; want %q %s %v", tc.args, pos, *rate, *ssl, err, tc.pos, tc.rate, tc.ssl)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseInterspersed(fs, []string{"a", "--nope"}); err == nil {
		t.Error("an unknown flag after an argument was accepted")
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "100000": 100_000, "100k": 100_000, "100KB": 100_000,
		"64KiB": 64 << 10, "2MiB": 2 << 20, "2mi": 2 << 20, "1.5MB": 1_500_000,
		"1GiB": 1 << 30, "10 B": 10,
	} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fast", "-1", "2XB", "1e30"} {
		if got, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", in, got)
		}
	}
}

func TestParsePort(t *testing.T) {
	for _, tc := range []struct {
		in     string
		zeroOK bool
		want   int
		ok     bool
	}{
		{"1601", false, 1601, true},
		{"65535", false, 65535, true},
		{"0", true, 0, true},
		{"0", false, 0, false},
		{"65536", true, 0, false},
		{"-1", true, 0, false},
		{"http", true, 0, false},
	} {
		got, err := parsePort(tc.in, tc.zeroOK)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parsePort(%q, %v) = %d, %v", tc.in, tc.zeroOK, got, err)
		}
	}
}
