#!/usr/bin/env bash
# The main job: install dependencies, build, and run jstip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/bin/jstip plugins list
