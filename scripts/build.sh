#!/usr/bin/env bash
# Configures and builds jstip into ./build (Ninja, ccache when present).
# Usage: scripts/build.sh [--main] [extra cmake -D options...]
#   --main   only what the main job needs: the jstip command and the plugins
#            (target jstip_main), not the tests and benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JSTIP_BUILD_JOBS:-$(nproc)}
target=()
if [ "${1:-}" = "--main" ]; then
  target=(--target jstip_main)
  shift
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > build.configure.log 2>&1 ||
  { cat build.configure.log; exit 1; }
start=$(date +%s)
cmake --build build -j "$jobs" "${target[@]}"
echo "build${target:+ (main job)}: done in $(( $(date +%s) - start )) s"
