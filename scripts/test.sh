#!/usr/bin/env bash
# The test command: install dependencies, build, run the GoogleTest suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export JSTIP_SKIP_BLAS_CHECK=${JSTIP_SKIP_BLAS_CHECK:-}
ctest --test-dir build --output-on-failure -j 2 "$@"
