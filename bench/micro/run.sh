#!/usr/bin/env bash
# Runs the micro benchmarks (sb-micro) with repetitions and prints a Markdown table.
#   bench/micro/run.sh [--build-dir DIR] [--out FILE.json] [extra sb-micro flags, e.g. --benchmark_filter=sse]
# On 2+ cores the benchmark runs on CPU 1 (taskset) at nice -20 when root, to keep other work off it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/build/bench"
OUT=""
EXTRA=()
while (($#)); do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    *) EXTRA+=("$1") ;;
  esac
  shift
done
BIN="$BUILD_DIR/bench/sb-micro"
[[ -x $BIN ]] || { echo "micro/run.sh: $BIN missing; build: cmake --preset bench && cmake --build --preset bench -j2" >&2; exit 2; }
PREFIX=()
(($(nproc) >= 2)) && PREFIX+=(taskset -c 1)
(($(id -u) == 0)) && PREFIX=(nice -n -20 "${PREFIX[@]}")
JSON="${OUT:-$(mktemp /tmp/sb-micro.XXXXXX.json)}"
"${PREFIX[@]}" "$BIN" --benchmark_min_time=0.1 --benchmark_repetitions=5 --benchmark_out="$JSON" \
  --benchmark_out_format=json "${EXTRA[@]}" >&2
python3 "$ROOT/bench/micro/summarize.py" "$JSON"
[[ -n $OUT ]] || rm -f "$JSON"
