#!/usr/bin/env bash
# End-to-end benchmark: the same workloads through three paths, in interleaved rounds:
#   direct       sb-loadgen → mock-upstream
#   nginx        sb-loadgen → nginx proxy_pass (keep-alive upstream, buffering off) → mock-upstream
#   switchboard  sb-loadgen → switchboard (openai provider) → mock-upstream
# Loopback only, bounded in time (every loadgen run has a hard cap), prints a Markdown table.
#
#   bench/e2e/run.sh [--quick] [--rounds N] [--only W,...] [--soak MINUTES] [--no-pin] [--no-logs] [--prio|--rt]
#                    [--build-dir DIR] [--out FILE]
#
#   --quick    one short round (under 2 minutes); default: 5 rounds (about 5 minutes)
#   --only     run only these workloads (slow, latency, throughput, streams, phases), e.g. --only latency,throughput
#              while working on the request path; the report shows — for the others. `phases` (not run unless
#              named) traces the proxy's CPU with perf at concurrency 1 and splits a request's time into phases
#              (bench/e2e/phases.py): root, perf and CPU pinning needed
#   --no-pin   no taskset (default on 2+ cores: load generator on CPU 0, servers on CPU 1)
#   --no-logs  nginx access_log off and switchboard LOG_LEVEL=warning (default: each logs every request)
#   --prio     run every benchmark process at nice -20 (root only): less noise from other work on the box
#   --rt       run every benchmark process SCHED_FIFO 10 (root only; the kernel still keeps 5% for others):
#              on a box busy with other work (e.g. compilers) this is what makes µs-level numbers repeatable
# SB_LD_PRELOAD=/path/lib.so preloads a library into switchboard only (e.g. to try another malloc).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/build/bench"
QUICK=0
ROUNDS=""
SOAK_MIN=0
PIN=1
LOGS=1
PRIO=0
OUT=""
ONLY="slow,latency,throughput,streams"

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --soak) SOAK_MIN="$2"; shift ;;
    --no-pin) PIN=0 ;;
    --no-logs) LOGS=0 ;;
    --prio) PRIO=1 ;;
    --rt) PRIO=2 ;;
    --build-dir) BUILD_DIR="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
for w in ${ONLY//,/ }; do
  [[ $w =~ ^(slow|latency|throughput|streams|phases)$ ]] ||
    { echo "run.sh: --only takes slow, latency, throughput, streams, phases" >&2; exit 2; }
done
wants() { [[ ,$ONLY, == *",$1,"* ]]; }
[[ $SOAK_MIN =~ ^[0-9]+$ ]] && ((SOAK_MIN <= 120)) || { echo "run.sh: --soak takes 0..120 minutes" >&2; exit 2; }

# ---- workload sizes -------------------------------------------------------------------------------------
if ((QUICK)); then
  : "${ROUNDS:=1}"
  LAT_N=500          # requests at concurrency 1
  PHASE_N=1000       # requests at concurrency 1, traced
  RPS_S=2            # seconds at concurrency 64
  STREAMS=200; STREAM_CHUNKS=64; STREAM_MS=20; STREAM_ROUNDS=2
  SLOW=1000; SLOW_CHUNKS=8; SLOW_MS=250
else
  : "${ROUNDS:=5}"
  LAT_N=2000
  PHASE_N=2000
  RPS_S=5
  STREAMS=200; STREAM_CHUNKS=64; STREAM_MS=20; STREAM_ROUNDS=3
  SLOW=1000; SLOW_CHUNKS=20; SLOW_MS=250
fi
[[ $ROUNDS =~ ^[0-9]+$ ]] && ((ROUNDS >= 1 && ROUNDS <= 20)) || { echo "run.sh: --rounds takes 1..20" >&2; exit 2; }
RPS_C=64

LOADGEN="$BUILD_DIR/bench/sb-loadgen"
SWITCHBOARD="$BUILD_DIR/switchboard"
MOCK="$BUILD_DIR/mock-upstream"
for b in "$LOADGEN" "$SWITCHBOARD" "$MOCK"; do
  [[ -x $b ]] || { echo "run.sh: $b is missing; build first: cmake --preset bench && cmake --build --preset bench -j2" >&2; exit 2; }
done
NGINX="$(command -v nginx || true)"
[[ -n $NGINX ]] || NGINX=/usr/sbin/nginx
[[ -x $NGINX ]] || { echo "run.sh: nginx not found (scripts/install-deps.sh installs nginx-light)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run.sh: python3 is needed for the report" >&2; exit 2; }

# 1,000 streams need ~2,000 sockets in the proxy and 1,000 in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 8192)); then ulimit -n 8192 2>/dev/null || true; fi
(($(ulimit -n) >= 4096)) || { echo "run.sh: need ulimit -n >= 4096 (have $(ulimit -n))" >&2; exit 2; }

# ---- CPU placement --------------------------------------------------------------------------------------
# On 2 cores: the load generator gets CPU 0; the system under test (the proxy, and the mock behind it) CPU 1.
# Every server runs one thread / one worker, so nginx and switchboard get exactly the same CPU budget.
NCPU=$(nproc)
NICE=()
PRIO_NOTE=""
if ((PRIO)); then
  (($(id -u) == 0)) || { echo "run.sh: --prio and --rt need root" >&2; exit 2; }
  if ((PRIO == 2)); then
    NICE=(chrt -f 10); PRIO_NOTE="; all benchmark processes SCHED_FIFO 10 (chrt)"
  else
    NICE=(nice -n -20); PRIO_NOTE="; all benchmark processes at nice -20"
  fi
fi
if ((PIN && NCPU >= 2)); then
  GEN_CPU=0; SUT_CPU=1
  GEN=("${NICE[@]}" taskset -c "$GEN_CPU"); SUT=("${NICE[@]}" taskset -c "$SUT_CPU")
  PLACEMENT="sb-loadgen on CPU $GEN_CPU; proxy and mock-upstream on CPU $SUT_CPU (taskset); one thread/worker each$PRIO_NOTE"
else
  GEN=("${NICE[@]}"); SUT=("${NICE[@]}")
  PLACEMENT="no CPU pinning; one thread/worker each$PRIO_NOTE"
fi

if wants phases; then
  [[ -n ${GEN_CPU:-} ]] || { echo "run.sh: phases needs CPU pinning (2+ cores, no --no-pin)" >&2; exit 2; }
  (($(id -u) == 0)) || { echo "run.sh: phases needs root (perf's scheduler and syscall tracepoints)" >&2; exit 2; }
  command -v perf >/dev/null || { echo "run.sh: phases needs perf (apt-get install linux-perf)" >&2; exit 2; }
fi

TMP="$(mktemp -d /tmp/sb-e2e.XXXXXX)"
chmod 0755 "$TMP"  # nginx workers (user nobody when started as root) must reach their temp dirs
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Waits (at most 10 s) for `listening on http://127.0.0.1:PORT` in a file; prints PORT.
wait_port() {
  local file=$1 port
  for _ in $(seq 100); do
    port=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$file" 2>/dev/null | head -1 | sed 's/.*://' || true)
    [[ -n $port ]] && { echo "$port"; return 0; }
    sleep 0.1
  done
  echo "run.sh: no listen line in $file:" >&2; cat "$file" >&2; return 1
}

# A port nobody listens on (bounded tries).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# CPU ticks (utime+stime, all threads) of a process and its children (nginx master + workers).
cpu_ticks() {
  local total=0 p f
  for p in "$@"; do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }   # fields after the command name; utime/stime are fields 14/15 overall = 12/13 here
    set -- $f
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}
rss_kb() {
  local total=0 p v
  for p in "$@"; do
    v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# ---- start the servers ----------------------------------------------------------------------------------
log "workdir $TMP; $PLACEMENT"
"${SUT[@]}" "$MOCK" --host 127.0.0.1 --port 0 --threads 1 >"$TMP/mock.out" 2>"$TMP/mock.err" &
MOCK_PID=$!; PIDS+=("$MOCK_PID")
MOCK_PORT=$(wait_port "$TMP/mock.out")

ACCESS_LOG="access_log $TMP/nginx-access.log;"
((LOGS)) || ACCESS_LOG="access_log off;"
mkdir -p "$TMP/nginx-tmp"
start_nginx() {
  NGINX_PORT=$(free_port)
  cat >"$TMP/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 16384;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 8192; }
http {
  $ACCESS_LOG
  client_body_temp_path $TMP/nginx-tmp/body;
  proxy_temp_path $TMP/nginx-tmp/proxy;
  fastcgi_temp_path $TMP/nginx-tmp/fastcgi;
  uwsgi_temp_path $TMP/nginx-tmp/uwsgi;
  scgi_temp_path $TMP/nginx-tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  upstream mock {
    server 127.0.0.1:$MOCK_PORT;
    keepalive 1024;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
EOF
  "${SUT[@]}" "$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" >"$TMP/nginx.out" 2>&1 &
  NGINX_PID=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null; then PIDS+=("$NGINX_PID"); return 0; fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  return 1
}
started=0
for _ in 1 2 3; do start_nginx && { started=1; break; }; done
((started)) || { echo "run.sh: nginx did not start:" >&2; cat "$TMP/nginx-error.log" "$TMP/nginx.out" >&2; exit 1; }
NGINX_WORKERS=$(cat "/proc/$NGINX_PID/task/$NGINX_PID/children" 2>/dev/null || pgrep -P "$NGINX_PID" | tr '\n' ' ')
NGINX_PROCS=("$NGINX_PID" $NGINX_WORKERS)

SB_LEVEL=info
((LOGS)) || SB_LEVEL=warning
start_switchboard() {
  local port=$1
  # Clean environment and a working directory without .env: only what this benchmark sets.
  (cd "$TMP" && exec env -i PATH="$PATH" HOME="$TMP" OPENAI_API_KEY=sk-bench \
    OPENAI_BASE_URL="http://127.0.0.1:$MOCK_PORT/v1" LOG_LEVEL=$SB_LEVEL ${SB_LD_PRELOAD:+LD_PRELOAD=$SB_LD_PRELOAD} \
    "${SUT[@]}" "$SWITCHBOARD" --host 127.0.0.1 --port "$port" --threads 1 \
    >"$TMP/switchboard.out" 2>"$TMP/switchboard.log") &
  SB_PID=$!
}
if ((LOGS)); then
  start_switchboard 0
  PIDS+=("$SB_PID")
  SB_PORT=$(wait_port "$TMP/switchboard.log")
else
  # The listen line is logged at INFO: pick the port ourselves and wait until it accepts.
  for _ in 1 2 3; do
    SB_PORT=$(free_port)
    start_switchboard "$SB_PORT"
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$SB_PORT") 2>/dev/null && break
      kill -0 "$SB_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SB_PID" 2>/dev/null; then PIDS+=("$SB_PID"); break; fi
    wait "$SB_PID" 2>/dev/null || true
    SB_PID=""
  done
  [[ -n $SB_PID ]] || { echo "run.sh: switchboard did not start:" >&2; cat "$TMP/switchboard.log" >&2; exit 1; }
fi
log "mock-upstream :$MOCK_PORT (pid $MOCK_PID), nginx :$NGINX_PORT (pids ${NGINX_PROCS[*]}), switchboard :$SB_PORT (pid $SB_PID)"

sleep 1
IDLE_NGINX_KB=$(rss_kb "${NGINX_PROCS[@]}")
IDLE_SB_KB=$(rss_kb "$SB_PID")

declare -A PORT=([direct]=$MOCK_PORT [nginx]=$NGINX_PORT [switchboard]=$SB_PORT)
proxy_pids() {
  case $1 in
    nginx) echo "${NGINX_PROCS[*]}" ;;
    switchboard) echo "$SB_PID" ;;
    *) echo "" ;;
  esac
}

# ---- workloads ------------------------------------------------------------------------------------------
MODEL='"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello, can you hear me?"}]'
BODY_JSON="{$MODEL,\"mock\":{\"chunks\":8}}"
BODY_STREAM="{$MODEL,\"stream\":true,\"mock\":{\"chunks\":$STREAM_CHUNKS,\"interval_ms\":$STREAM_MS}}"
BODY_SLOW="{$MODEL,\"stream\":true,\"mock\":{\"chunks\":$SLOW_CHUNKS,\"interval_ms\":$SLOW_MS}}"
RESULTS="$TMP/results.jsonl"
: >"$RESULTS"

# run_load ROUND PATH WORKLOAD [sample-rss] -- loadgen args...
run_load() {
  local round=$1 path=$2 workload=$3 sample=$4; shift 5
  local url="http://127.0.0.1:${PORT[$path]}/v1/chat/completions"
  local pids; pids=$(proxy_pids "$path")
  local cpu0 mcpu0 rss0 out peak=0 sampler=""
  cpu0=$(cpu_ticks $pids); mcpu0=$(cpu_ticks "$MOCK_PID"); rss0=$(rss_kb $pids)
  if [[ $sample == rss && -n $pids ]]; then
    # Peak RSS while the load runs (sampled every 200 ms, at most 10 minutes).
    (max=0; for _ in $(seq 3000); do v=$(rss_kb $pids); ((v > max)) && max=$v && echo "$max" >"$TMP/peak"; sleep 0.2; done) &
    sampler=$!
  fi
  out=$("${GEN[@]}" "$LOADGEN" --url "$url" --json --label "$path/$workload" "$@" || true)
  if [[ -n $sampler ]]; then kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; peak=$(cat "$TMP/peak" 2>/dev/null || echo 0); rm -f "$TMP/peak"; fi
  [[ -n $out ]] || out='{"error":"loadgen produced no output"}'
  local cpu1 mcpu1 rss1
  cpu1=$(cpu_ticks $pids); mcpu1=$(cpu_ticks "$MOCK_PID"); rss1=$(rss_kb $pids)
  printf '{"round":%d,"path":"%s","workload":"%s","proxy_cpu_ticks":%d,"mock_cpu_ticks":%d,"rss_before_kb":%d,"rss_after_kb":%d,"rss_peak_kb":%d,"result":%s}\n' \
    "$round" "$path" "$workload" $((cpu1 - cpu0)) $((mcpu1 - mcpu0)) "$rss0" "$rss1" "$peak" "$out" >>"$RESULTS"
}

# trace_phases ROUND PATH: a concurrency-1 run through the proxy with its CPU traced (perf itself on the load
# generator's CPU); appends the phases' medians to $PHASES.
PHASES="$TMP/phases.jsonl"
: >"$PHASES"
trace_phases() {
  local round=$1 path=$2 comm=switchboard out
  [[ $path == nginx ]] && comm=nginx
  taskset -c "$GEN_CPU" perf record -q -o "$TMP/phases.data" -C "$SUT_CPU" \
    -e sched:sched_switch,raw_syscalls:sys_enter,raw_syscalls:sys_exit -- "${GEN[@]}" "$LOADGEN" \
    --url "http://127.0.0.1:${PORT[$path]}/v1/chat/completions" -c 1 -n "$PHASE_N" --warmup 20 \
    --body "$BODY_JSON" --max-time 120 >/dev/null 2>"$TMP/phases.err" || true
  out=$(perf script --ns -i "$TMP/phases.data" -F comm,tid,time,event,trace 2>/dev/null |
    python3 "$ROOT/bench/e2e/phases.py" "$comm" mock-upstream || echo '{"requests":0}')
  printf '{"round":%d,"path":"%s",%s\n' "$round" "$path" "${out#\{}" >>"$PHASES"
  rm -f "$TMP/phases.data"
}

PATHS=(direct nginx switchboard)
log "warm-up"
for p in "${PATHS[@]}"; do
  run_load 0 "$p" warmup none -- -c 8 -n 800 --body "$BODY_JSON" --max-time 60
done

START=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
  # First, so that round 1 measures 1,000 streams in processes that have only seen the warm-up.
  if wants slow; then
    log "round $r/$ROUNDS: $SLOW slow streams ($SLOW_CHUNKS chunks at ${SLOW_MS} ms)"
    for p in "${PATHS[@]}"; do
      run_load "$r" "$p" slow rss -- -c "$SLOW" -n "$SLOW" --warmup 1 --warmup-body "$BODY_JSON" \
        --body "$BODY_SLOW" --timeout 60 --max-time 180
    done
  fi
  if wants latency; then
    # Two halves in A-B-C-C-B-A order: a drift of the machine's speed during the round (or an effect of coming
    # first or last) weighs on the three paths alike; the report averages each path's two halves.
    half=$((LAT_N / 2))
    log "round $r/$ROUNDS: latency at concurrency 1 (2 × $half requests, paths in A-B-C-C-B-A order)"
    order=("${PATHS[@]}")
    for ((i = ${#PATHS[@]} - 1; i >= 0; i--)); do order+=("${PATHS[i]}"); done
    for ((k = 0; k < ${#order[@]}; k++)); do
      half_name=latency
      ((k < ${#PATHS[@]})) || half_name=latency_b
      run_load "$r" "${order[k]}" "$half_name" none -- -c 1 -n "$half" --warmup 20 --body "$BODY_JSON" \
        --max-time 120
    done
  fi
  if wants throughput; then
    log "round $r/$ROUNDS: throughput at concurrency $RPS_C (${RPS_S}s)"
    for p in "${PATHS[@]}"; do
      run_load "$r" "$p" throughput none -- -c "$RPS_C" -d "$RPS_S" --body "$BODY_JSON" --max-time $((RPS_S + 60))
    done
  fi
  if wants phases; then
    log "round $r/$ROUNDS: phases of $PHASE_N requests at concurrency 1, traced (nginx, switchboard, switchboard, nginx)"
    for p in nginx switchboard switchboard nginx; do trace_phases "$r" "$p"; done
  fi
  if wants streams; then
    log "round $r/$ROUNDS: $STREAMS concurrent streams of $STREAM_CHUNKS chunks at ${STREAM_MS} ms ($STREAM_ROUNDS per connection)"
    for p in "${PATHS[@]}"; do
      # Starts spread over one stream's length, so that every stream starts while ~$STREAMS others are running.
      run_load "$r" "$p" streams none -- -c "$STREAMS" -n $((STREAMS * STREAM_ROUNDS)) --warmup 1 \
        --warmup-body "$BODY_JSON" --ramp "$(awk "BEGIN{print $STREAM_CHUNKS * $STREAM_MS / 1000}")" \
        --body "$BODY_STREAM" --max-time 120
    done
  fi
done
ELAPSED=$((SECONDS - START))

sleep 2
AFTER_NGINX_KB=$(rss_kb "${NGINX_PROCS[@]}")
AFTER_SB_KB=$(rss_kb "$SB_PID")

SOAK_FILE="$TMP/soak.csv"
: >"$SOAK_FILE"
if ((SOAK_MIN > 0)); then
  log "soak: ${SOAK_MIN} min of 50 concurrent streams through switchboard, RSS every 10 s"
  ("${GEN[@]}" "$LOADGEN" --url "http://127.0.0.1:$SB_PORT/v1/chat/completions" --json --label soak \
     -c 50 -d $((SOAK_MIN * 60)) --max-time $((SOAK_MIN * 60 + 120)) \
     --body "{$MODEL,\"stream\":true,\"mock\":{\"chunks\":32,\"interval_ms\":10}}" >"$TMP/soak.json" || true) &
  SOAK_GEN=$!
  for ((i = 0; i <= SOAK_MIN * 6 + 12; i++)); do
    kill -0 "$SOAK_GEN" 2>/dev/null || break
    echo "$((i * 10)),$(rss_kb "$SB_PID")" >>"$SOAK_FILE"
    sleep 10
  done
  wait "$SOAK_GEN" || true
  echo "$(( (i) * 10 )),$(rss_kb "$SB_PID")" >>"$SOAK_FILE"
fi

# ---- report ---------------------------------------------------------------------------------------------
META="$TMP/meta.json"
python3 - "$META" <<EOF
import json, sys
json.dump({
  "quick": $QUICK, "rounds": $ROUNDS, "elapsed_s": $ELAPSED, "placement": """$PLACEMENT""", "logs": $LOGS,
  "idle_rss_kb": {"nginx": $IDLE_NGINX_KB, "switchboard": $IDLE_SB_KB},
  "after_rss_kb": {"nginx": $AFTER_NGINX_KB, "switchboard": $AFTER_SB_KB},
  "nginx_processes": ${#NGINX_PROCS[@]},
  "workloads": {"latency_n": $LAT_N, "rps_c": $RPS_C, "rps_s": $RPS_S, "streams": $STREAMS,
                "stream_rounds": $STREAM_ROUNDS,
                "stream_chunks": $STREAM_CHUNKS, "stream_ms": $STREAM_MS, "slow": $SLOW,
                "slow_chunks": $SLOW_CHUNKS, "slow_ms": $SLOW_MS},
  "clk_tck": $(getconf CLK_TCK), "soak_min": $SOAK_MIN,
}, open(sys.argv[1], "w"))
EOF
REPORT=$(python3 "$ROOT/bench/e2e/report.py" "$RESULTS" "$META" "$SOAK_FILE" "$TMP/soak.json")
if [[ -s $PHASES ]]; then
  REPORT+=$'\n\n'$(python3 "$ROOT/bench/e2e/phases.py" --report <"$PHASES")
fi
echo "$REPORT"
if [[ -n $OUT ]]; then
  echo "$REPORT" >"$OUT"
  cp "$RESULTS" "${OUT%.md}.jsonl"
  [[ -s $SOAK_FILE ]] && cp "$SOAK_FILE" "${OUT%.md}.soak.csv"
  log "report written to $OUT (raw results: ${OUT%.md}.jsonl)"
fi
