#!/usr/bin/env bash
# Runs one fuzz target once over its seed corpus (made from the fixtures by seeds.sh) and over the reproducers of
# earlier findings in regressions/<target>/. Fails when any input crashes, leaks or trips a sanitizer.
#   tests/fuzz/replay.sh TARGET_BINARY FIXTURES SEEDS_DIR
set -euo pipefail
bin=$1 fixtures=$2 seeds=$3
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$bin")
# Several targets' tests may run at once: each builds the seeds in a directory of its own.
dir="$seeds/$name.$$"
rm -rf "$dir"
"$here/seeds.sh" "$dir" "$fixtures" >/dev/null
inputs=("$dir/$name")
[[ -d $here/regressions/$name ]] && inputs+=("$here/regressions/$name")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"$bin" -runs=0 -timeout=30 -rss_limit_mb=2048 "${inputs[@]}" 2>&1 | tail -5 || status=$?
rm -rf "$dir"
exit $status
