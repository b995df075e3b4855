#!/bin/sh
# Compare the echo server of an earlier commit with the working tree's,
# against the plain Go baseline, in one run of the shared harness:
#
#   bench/compare.sh REF [runbench flags]
#   bench/compare.sh HEAD~3 -scenarios pp64,pp64-4k -rounds 7
#
# REF is any git revision. Both servers are `kamaelia serve --protocol
# echo`, built into bench/bin/ (REF's from a temporary worktree, removed
# afterwards). The servers run interleaved within each round, so a change
# is measured against the same conditions as its baseline: on a machine
# whose speed drifts between runs, this is how to tell whether a change
# helped. Results go to bench/results/compare-<time>/ unless -out is
# given. Set BENCH_HARNESS as for run.sh.
set -eu

if [ $# -lt 1 ]; then
	echo "usage: bench/compare.sh REF [runbench flags]" >&2
	exit 2
fi
ref=$1
shift

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
harness=${BENCH_HARNESS:-$root/../shared/bench/run.sh}
if [ ! -f "$harness" ]; then
	echo "bench/compare.sh: the echo benchmark harness is not at $harness (see bench/run.sh)" >&2
	exit 2
fi

cd "$root"
rev=$(git rev-parse --short "$ref")
mkdir -p bench/bin
tree=$(mktemp -d)
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"' EXIT
git worktree add --detach "$tree" "$rev" >/dev/null
(cd "$tree" && go build -o "$root/bench/bin/kamaelia-$rev" ./cmd/kamaelia)
go build -o bench/bin/kamaelia ./cmd/kamaelia
hbin=$(cd "$(dirname "$harness")" && pwd)/bin

"$harness" -out "bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ)" "$@" \
	raw="$hbin/echo-raw" \
	"$rev=bench/bin/kamaelia-$rev serve --protocol echo --log-level warn" \
	"tree=bench/bin/kamaelia serve --protocol echo --log-level warn"
