// Command sameround summarises runs of the shared echo harness by
// same-round ratios: for each scenario, metric and server, the median
// over rounds of (server's figure / reference's figure in that round).
//
//	go run ./bench/cmd/sameround bench/results/<run>/runs.jsonl [more runs.jsonl]
//
// The harness's own summary divides the median of a server's rounds by
// the median of the reference's. On a machine whose speed drifts
// between rounds (this project's moves by up to 2x within a run), that
// can compare one server's fast rounds with another's slow ones. The
// servers of one round run back to back, so the median of same-round
// ratios compares them under the same conditions. Several files are
// pooled; the reference is "raw" unless -ref says otherwise.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
)

// metrics are the figures reported per scenario, with their labels.
var metrics = []struct{ key, label string }{
	{"ops_per_s", "ops/s"},
	{"mb_per_s", "MB/s"},
	{"srv_cpu_us_per_op", "server CPU µs/op"},
	{"bytes_per_conn", "server bytes/conn"},
}

// run is one line of runs.jsonl.
type run struct {
	Scenario string         `json:"scenario"`
	Round    int            `json:"round"`
	Server   string         `json:"server"`
	Result   map[string]any `json:"result"`
}

type key struct {
	file     int
	scenario string
	round    int
	server   string
}

func main() {
	ref := flag.String("ref", "raw", "the reference server")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: sameround [-ref server] runs.jsonl ...")
		os.Exit(2)
	}
	runs := map[key]map[string]float64{}
	for i, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sameround:", err)
			os.Exit(1)
		}
		err = read(f, i, runs)
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "sameround: %s: %v\n", path, err)
			os.Exit(1)
		}
	}
	for _, line := range summarise(runs, *ref) {
		fmt.Println(line)
	}
}

// read adds the runs in r (one JSON object per line) to runs.
func read(r io.Reader, file int, runs map[key]map[string]float64) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var rn run
		if err := json.Unmarshal(sc.Bytes(), &rn); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if rn.Result == nil { // a FAILED run has none
			continue
		}
		figures := map[string]float64{}
		for k, v := range rn.Result {
			if f, ok := v.(float64); ok {
				figures[k] = f
			}
		}
		runs[key{file, rn.Scenario, rn.Round, rn.Server}] = figures
	}
	return sc.Err()
}

// summarise returns one line per scenario, metric and server: the median
// same-round ratio to ref and how many rounds it is over.
func summarise(runs map[key]map[string]float64, ref string) []string {
	ratios := map[[3]string][]float64{} // scenario, metric label, server
	for k, res := range runs {
		if k.server == ref {
			continue
		}
		base, ok := runs[key{k.file, k.scenario, k.round, ref}]
		if !ok {
			continue
		}
		for _, m := range metrics {
			v, ok1 := res[m.key]
			b, ok2 := base[m.key]
			if ok1 && ok2 && b != 0 {
				id := [3]string{k.scenario, m.label, k.server}
				ratios[id] = append(ratios[id], v/b)
			}
		}
	}
	ids := make([][3]string, 0, len(ratios))
	for id := range ratios {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		return slices.Compare(ids[i][:], ids[j][:]) < 0
	})
	lines := make([]string, 0, len(ids))
	for _, id := range ids {
		rs := ratios[id]
		lines = append(lines, fmt.Sprintf("%-10s %-18s %-10s %.2f  (%d rounds)", id[0], id[1], id[2], median(rs), len(rs)))
	}
	return lines
}

// median returns the median of xs, which must not be empty. It sorts xs.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
