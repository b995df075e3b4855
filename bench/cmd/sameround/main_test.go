package main

import (
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"one", []float64{3}, 3},
		{"odd count, unsorted", []float64{5, 1, 3}, 3},
		{"even count averages the middle two", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.xs); got != tt.want {
				t.Errorf("median = %v, want %v", got, tt.want)
			}
		})
	}
}

// Ratios are taken within a round, so a round where the machine was
// twice as slow for both servers gives the same ratio as a fast one.
func TestSummariseComparesWithinRounds(t *testing.T) {
	const runs = `{"scenario":"pp64","round":1,"server":"raw","result":{"ops_per_s":100,"mode":"pingpong"}}
{"scenario":"pp64","round":1,"server":"mine","result":{"ops_per_s":90}}
{"scenario":"pp64","round":2,"server":"raw","result":{"ops_per_s":50}}
{"scenario":"pp64","round":2,"server":"mine","result":{"ops_per_s":45}}
{"scenario":"pp64","round":3,"server":"raw","result":{"ops_per_s":100}}
{"scenario":"pp64","round":3,"server":"mine","result":null}
`
	got := map[key]map[string]float64{}
	if err := read(strings.NewReader(runs), 0, got); err != nil {
		t.Fatal(err)
	}
	lines := summarise(got, "raw")
	if len(lines) != 1 {
		t.Fatalf("summarise = %q, want one line", lines)
	}
	for _, want := range []string{"pp64", "ops/s", "mine", "0.90", "(2 rounds)"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line %q lacks %q", lines[0], want)
		}
	}
}

func TestReadRejectsGarbage(t *testing.T) {
	err := read(strings.NewReader("{\"scenario\":\"pp1\"}\nnot json\n"), 0, map[key]map[string]float64{})
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("read error = %v, want one naming line 2", err)
	}
}
