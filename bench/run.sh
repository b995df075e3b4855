#!/bin/sh
# Reproduce the echo benchmark comparison (see bench/RESULTS.md).
#
#   bench/run.sh [runbench flags]
#
# Builds cmd/kamaelia and bench/cmd/echo-kamaelia into bench/bin/ and runs
# the shared harness (../shared/bench/run.sh, next to this repository)
# with the plain Go baseline (raw) as the reference, gnet, and our server
# in two forms: "kamaelia" (`kamaelia serve --protocol echo`: TCPServer,
# adapters and the Echo handler, wired by ServerCore) and "direct" (the
# adapter echoing to itself, to show what the adapter alone costs).
# Arguments are runbench flags (e.g. -scenarios pp64 -rounds 3); they go
# before the servers. Harness settings also come from the environment:
#
#   BENCH_ROUNDS=3 BENCH_SCENARIOS=pp64,stream8 bench/run.sh
#
# Set BENCH_HARNESS to the harness's run.sh if it lives elsewhere.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
harness=${BENCH_HARNESS:-$root/../shared/bench/run.sh}

if [ ! -f "$harness" ]; then
	cat >&2 <<MSG
bench/run.sh: the echo benchmark harness is not at $harness.
It is the benchharness module (loadgen, runbench, echo-raw, echo-gnet)
that sits in ../shared/bench beside this repository. Put it there, or
set BENCH_HARNESS=/path/to/bench/run.sh. The server alone can still be
built and run: go build -o bench/bin/echo-kamaelia ./bench/cmd/echo-kamaelia
MSG
	exit 2
fi
if ! command -v go >/dev/null 2>&1; then
	echo "bench/run.sh: go not found on PATH" >&2
	exit 1
fi

cd "$root"
mkdir -p bench/bin
go build -o bench/bin/echo-kamaelia ./bench/cmd/echo-kamaelia
go build -o bench/bin/kamaelia ./cmd/kamaelia
hbin=$(cd "$(dirname "$harness")" && pwd)/bin

# The harness builds its own servers into $hbin before it runs.
exec "$harness" -out "${BENCH_OUT:-bench/results/$(date -u +%Y%m%dT%H%M%SZ)}" "$@" \
	raw="$hbin/echo-raw" gnet="$hbin/echo-gnet" \
	kamaelia='bench/bin/kamaelia serve --protocol echo --log-level warn' \
	direct='bench/bin/echo-kamaelia -server=direct --port $PORT'
