#!/usr/bin/env bash
# The main job: install dependencies, build, make the quick built-in data,
# pretrain the LLM on text, train the JSTIP reference composition, decode the
# test sets and print WER, entity accuracy and spoken-QA accuracy.
#   scripts/quickstart.sh           the quick version (minutes on 2 cores)
#   scripts/quickstart.sh --full    the larger version used for docs/results.md
set -euo pipefail
cd "$(dirname "$0")/.."
size=quick
[ "${1:-}" = "--full" ] && size=full
bash scripts/install-deps.sh
bash scripts/build.sh
bash recipes/reference.sh --size "$size"
