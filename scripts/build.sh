#!/usr/bin/env bash
# Configures and builds jstip into ./build (Ninja, ccache when present).
# Usage: scripts/build.sh [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JSTIP_BUILD_JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > build.configure.log 2>&1 ||
  { cat build.configure.log; exit 1; }
start=$(date +%s)
cmake --build build -j "$jobs"
echo "build: done in $(( $(date +%s) - start )) s"
