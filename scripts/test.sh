#!/usr/bin/env bash
# Sets everything up, builds and runs the whole test suite (unit, integration, end-to-end).
#   scripts/test.sh            release build
#   PRESET=asan scripts/test.sh   the same suite under ASan+UBSan, clang (also: tsan, debug)
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${PRESET:-release}
JOBS=${JOBS:-$(nproc)}

./scripts/install-deps.sh
[[ -d ../shared/fixtures ]] || { echo "test.sh: ../shared/fixtures is missing (the recorded wire formats)" >&2; exit 1; }

cmake --preset "$PRESET" -DSWITCHBOARD_TESTS=ON >/dev/null
cmake --build --preset "$PRESET" -j "$JOBS"
ctest --preset "$PRESET" -j "${TEST_JOBS:-2}" --timeout 600
