#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), seeded from ../shared/fixtures (tests/fuzz/seeds.sh).
# Builds the `fuzz` preset's targets first (clang 14, libFuzzer, ASan+UBSan). Exit 1 when a target finds a
# crash, a leak or a hang; its reproducer is left in $FUZZ_OUT/<target>/ (default /tmp/switchboard-fuzz).
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_http_server fuzz_response fuzz_chat_request fuzz_sse fuzz_eventstream fuzz_sigv4 fuzz_config)
build=${FUZZ_BUILD:-build/fuzz}
out=${FUZZ_OUT:-/tmp/switchboard-fuzz}
jobs=${JOBS:-2}

if [[ ! -f $build/build.ninja ]]; then cmake --preset fuzz -B "$build" -DSWITCHBOARD_TESTS=OFF >/dev/null; fi
cmake --build "$build" --target "${targets[@]}" -j"$jobs"

rm -rf "$out/seeds"
tests/fuzz/seeds.sh "$out/seeds" >/dev/null
status=0
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/corpus"
  echo "== $t: ${secs}s"
  # -rss_limit_mb bounds memory; -timeout flags a single input running over 15 s as a hang.
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$build/tests/fuzz/$t" "$out/$t/corpus" "$out/seeds/$t" -max_total_time="$secs" -timeout=15 -rss_limit_mb=2048 \
      -max_len=65536 -artifact_prefix="$out/$t/" -print_final_stats=1 >"$out/$t/log" 2>&1; then
    echo "!! $t found a problem: $(ls "$out/$t"/crash-* "$out/$t"/leak-* "$out/$t"/timeout-* 2>/dev/null | head -3 | tr '\n' ' ')"
    tail -40 "$out/$t/log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$out/$t/log" | tail -2 | sed 's/^/   /'
  fi
done
exit $status
