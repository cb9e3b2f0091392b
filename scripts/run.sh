#!/usr/bin/env bash
# Sets everything up, builds (release) and runs the proxy on 127.0.0.1:5000. Reads .env if present;
# with no keys at all it serves the built-in `mock` provider. Extra arguments go to switchboard.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target switchboard switchboard-check
exec ./build/release/switchboard "$@"
