#!/usr/bin/env bash
# Builds the seed corpora for the fuzz targets in DIR (one sub-directory per target) from ../shared/fixtures and a
# few hand-written requests. Nothing is copied into the repository: run it into a scratch directory.
#   tests/fuzz/seeds.sh DIR [FIXTURES]
set -euo pipefail
out=${1:?usage: seeds.sh DIR [FIXTURES]}
here=$(cd "$(dirname "$0")" && pwd)
fx=${2:-$here/../../../shared/fixtures}
[[ -d $fx ]] || { echo "seeds.sh: fixtures not found at $fx" >&2; exit 2; }
mkdir -p "$out"/{fuzz_http_server,fuzz_response,fuzz_chat_request,fuzz_sse,fuzz_eventstream,fuzz_sigv4,fuzz_config}

n=0
seed() {  # seed TARGET < bytes
  n=$((n + 1))
  cat > "$out/$1/seed-$n"
}

# Chat request bodies: the recorded requests of the fixtures, plus the shapes the proxy cares about.
python3 - "$fx" "$out" <<'PY'
import json, os, sys, glob
fx, out = sys.argv[1], sys.argv[2]
bodies = []
for meta in glob.glob(os.path.join(fx, "**", "*.meta.json"), recursive=True):
    try:
        req = json.load(open(meta)).get("request") or {}
    except Exception:
        continue
    body = req.get("body")
    if isinstance(body, dict) and "messages" in body:
        bodies.append(json.dumps(body))
bodies += [
    '{"messages":[{"role":"user","content":"hi"}]}',
    '{"model":"mock/m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}',
    '{"provider":"mock","session_id":"s1","messages":[{"role":"system","content":"x"},{"role":"user","content":[{"type":"text","text":"a"}]}]}',
    '{"model":"openai/gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"messages":[{"role":"user","content":null}]}',
]
for i, b in enumerate(bodies):
    open(os.path.join(out, "fuzz_chat_request", f"body-{i}"), "w").write(b)
    # The same bodies as whole HTTP requests, plain and chunked, and two pipelined.
    req = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(b.encode())}\r\n\r\n{b}"
    open(os.path.join(out, "fuzz_http_server", f"req-{i}"), "w").write(req)
    chunked = f"POST /chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{len(b.encode()):x}\r\n{b}\r\n0\r\n\r\n"
    open(os.path.join(out, "fuzz_http_server", f"chunked-{i}"), "w").write(chunked)
gets = ["GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "GET /readyz HTTP/1.0\r\n\r\n",
        "GET /v1/models HTTP/1.1\r\nAuthorization: Bearer k\r\nX-Request-Id: abc\r\n\r\nGET /v1/providers HTTP/1.1\r\n\r\n",
        "POST /v1/chat/completions HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
        "DELETE /nope?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n"]
for i, g in enumerate(gets):
    open(os.path.join(out, "fuzz_http_server", f"get-{i}"), "w").write(g)
PY

# SSE: the recorded OpenAI and Anthropic streams (first byte: how the fuzzer cuts them); the recorded bodies too,
# for the JSON object check of the whole input.
for f in "$fx"/openai/stream/*.sse "$fx"/openai/tools/*.sse "$fx"/anthropic/stream/* "$fx"/openai/nonstream/*.json; do
  [[ -f $f && $f != *.meta.json ]] || continue
  { printf '\x07'; cat "$f"; } | seed fuzz_sse
done

# Upstream responses (first byte: how the fuzzer cuts them): the recorded bodies and streams with the heads an
# upstream sends (length, chunks, the connection's end), and interim answers before them.
for f in "$fx"/openai/nonstream/*.json "$fx"/openai/stream/*.sse; do
  [[ -f $f && $f != *.meta.json ]] || continue
  size=$(wc -c < "$f")
  { printf '\x05HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n' "$size"; cat "$f"; } | seed fuzz_response
  { printf '\x0bHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x;x=y\r\n' "$size"; cat "$f"
    printf '\r\n0\r\nT: v\r\n\r\n'; } | seed fuzz_response
  { printf '\x03HTTP/1.0 200 OK\r\n\r\n'; cat "$f"; } | seed fuzz_response
done

# Event streams: Bedrock recordings and the official vectors.
for f in "$fx"/bedrock/invoke-agent/* "$fx"/bedrock/converse-stream/* "$fx"/eventstream/encoded/*/*; do
  [[ -f $f && $f != *.meta.json && $f != *.json ]] || continue
  seed fuzz_eventstream < "$f"
done

# SigV4: the official suite's requests.
for f in "$fx"/sigv4/v4/*/request.txt; do seed fuzz_sigv4 < "$f"; done

# Config: .env texts (first byte even) and YAML (first byte odd).
printf '\x00%s' $'# c\nexport OPENAI_API_KEY="sk-x"\nPORT=5001\nSWITCHBOARD_API_KEYS=a:k1,k2\nRATE_LIMIT_RPM=60\nLOG_LEVEL=warn\nQ=\'single\'\n' | seed fuzz_config
printf '\x00%s' $'MAX_BODY_BYTES=1024\nMAX_CONNECTIONS=x\nSWITCHBOARD_METRICS_AUTH=maybe\n' | seed fuzz_config
if [[ -f $here/../../.env.example ]]; then { printf '\x00'; cat "$here/../../.env.example"; } | seed fuzz_config; fi
printf '\x01%s' $'default_provider: groq\nproviders:\n  groq:\n    type: openai\n    base_url: https://x/v1\n    api_key: ${FUZZ_VAR}\n    headers: { X-T: a }\n    timeouts: { connect_ms: 5 }\n    retry: { attempts: 3 }\nmodels:\n  - name: voice\n    provider: groq\n    model: m\n    fallbacks: [ { provider: groq, model: n } ]\n' | seed fuzz_config

for d in "$out"/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done
