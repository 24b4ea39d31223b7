#!/usr/bin/env bash
# The main job: install dependencies, build what it needs (the jstip command
# and its plugins; tests and benchmarks belong to scripts/test.sh), make the
# quick built-in data, pretrain the LLM on text, train the JSTIP reference
# composition, decode the test sets and print WER, entity accuracy and
# spoken-QA accuracy, then each step's wall time.
#   scripts/quickstart.sh           the quick version (minutes on 2 cores)
#   scripts/quickstart.sh --full    the larger version used for docs/results.md
set -euo pipefail
cd "$(dirname "$0")/.."
size=quick
[ "${1:-}" = "--full" ] && size=full

times=()
step() {  # step NAME COMMAND...: run it, keep its wall time
  local name=$1 start=$SECONDS
  shift
  "$@"
  times+=("$(printf '%-10s %5d s' "$name" $((SECONDS - start)))")
}
step install bash scripts/install-deps.sh
step build bash scripts/build.sh --main
step reference bash recipes/reference.sh --size "$size"
echo
echo "quickstart wall times (the reference recipe's own steps are stamped above):"
printf '  %s\n' "${times[@]}"
echo "  total      $(printf '%5d' "$SECONDS") s"
