#!/usr/bin/env bash
# Instructions executed by switchboard per proxied request and per relayed stream event, counted by callgrind
# (valgrind): unlike wall-clock and CPU-time figures this does not move with the machine's load, so it shows
# what an optimisation changed on a noisy VM. Each workload runs twice (N and 3N requests) and the difference is
# divided by 2N, which removes start-up and shutdown.
#   bench/e2e/instructions.sh [--build-dir DIR] [--preload LIB.so] [--requests N] [--streams N]
# Needs valgrind (apt: valgrind). Loopback only; each run is bounded by sb-loadgen's --max-time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/build/release"
PRELOAD=""
REQ_N=1000
STREAM_N=200
while (($#)); do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift ;;
    --preload) PRELOAD="$2"; shift ;;
    --requests) REQ_N="$2"; shift ;;
    --streams) STREAM_N="$2"; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "instructions.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
SB="$BUILD_DIR/switchboard"; MOCK="$BUILD_DIR/mock-upstream"; GEN="$BUILD_DIR/bench/sb-loadgen"
for b in "$SB" "$MOCK" "$GEN"; do [[ -x $b ]] || { echo "instructions.sh: $b is missing (build with -DSWITCHBOARD_BENCH=ON)" >&2; exit 2; }; done
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

# Waits (at most 60 s: valgrind starts slowly) for `listening on http://127.0.0.1:PORT` in a file; prints PORT.
wait_port() {
  local file=$1 port=""
  for _ in $(seq 300); do
    port=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$file" 2>/dev/null | head -1 | sed 's/.*://' || true)
    [[ -n $port ]] && { echo "$port"; return 0; }
    sleep 0.2
  done
  echo "instructions.sh: no 'listening on' line in $file" >&2
  cat "$file" >&2
  return 1
}
"$MOCK" --host 127.0.0.1 --port 0 --threads 1 >"$TMP/mock.out" 2>&1 &
PIDS+=($!)
MOCK_PORT=$(wait_port "$TMP/mock.out")

# run BODY CONCURRENCY N → total instructions of a switchboard that served N requests of BODY
run() {
  local body=$1 c=$2 n=$3 port
  rm -f "$TMP/sb.err"
  (cd "$TMP" && exec env -i PATH="$PATH" HOME="$TMP" OPENAI_API_KEY=sk-bench \
    OPENAI_BASE_URL="http://127.0.0.1:$MOCK_PORT/v1" LOG_LEVEL=info ${PRELOAD:+LD_PRELOAD=$PRELOAD} \
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" "$SB" --host 127.0.0.1 --port 0 --threads 1 \
    >"$TMP/sb.out" 2>"$TMP/sb.err") &
  local pid=$!
  port=$(wait_port "$TMP/sb.err")
  "$GEN" --url "http://127.0.0.1:$port/v1/chat/completions" --body "$body" -c "$c" -n "$n" --timeout 120 \
    --max-time 600 >"$TMP/gen.out"
  grep -q "ok=$n " "$TMP/gen.out" || { echo "instructions.sh: not every request succeeded:" >&2; cat "$TMP/gen.out" >&2; exit 1; }
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  awk '/^summary:/{print $2}' "$TMP/cg.out"
}

MODEL='"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello, can you hear me?"}]'
REQ_BODY="{$MODEL,\"mock\":{\"chunks\":8}}"
STREAM_BODY="{$MODEL,\"stream\":true,\"mock\":{\"chunks\":64,\"interval_ms\":5}}"

a=$(run "$REQ_BODY" 8 "$REQ_N"); b=$(run "$REQ_BODY" 8 $((3 * REQ_N)))
per_req=$(( (b - a) / (2 * REQ_N) ))
a=$(run "$STREAM_BODY" 50 "$STREAM_N"); b=$(run "$STREAM_BODY" 50 $((3 * STREAM_N)))
per_stream=$(( (b - a) / (2 * STREAM_N) ))
events=$(grep -oE 'events=[0-9]+' "$TMP/gen.out" | head -1 | cut -d= -f2)
per_event_stream=$(( events / (3 * STREAM_N) ))
echo "switchboard instructions (callgrind Ir)${PRELOAD:+, LD_PRELOAD=$PRELOAD}:"
echo "  per non-stream request (8 connections, mock reply of 8 chunks): $per_req"
echo "  per stream of $per_event_stream events (50 concurrent): $per_stream = $(( per_stream / per_event_stream )) per relayed event"
