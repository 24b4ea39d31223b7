#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in ./build-fuzz and runs
# each for a bounded time, starting from the seed corpus in fuzz/corpus/.
# Prints executions, coverage (libFuzzer's cov:/ft:) and findings; exits 1
# when a target found something (the input is in build-fuzz/findings/<target>/).
#
# Usage: scripts/fuzz.sh [--seconds N] [--no-build] [TARGET...]
#   TARGET: shard_reader safetensors gguf ctranslate2 config_loader wav_reader (default: all)
#   --seconds N  run time per target (default 60)
#   --no-build   use the binaries already in build-fuzz (e.g. a second run in parallel)
# The corpus each run grows is kept in build-fuzz/corpus/<target>/.
# On a shared machine: JSTIP_BUILD_JOBS=2 nice -n 19 scripts/fuzz.sh ...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
build=1
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (--help lists them)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(shard_reader safetensors gguf ctranslate2 config_loader wav_reader)
out=build-fuzz

if [ $build = 1 ]; then
  command -v clang++ > /dev/null || { echo "fuzz.sh: clang++ not found (libFuzzer needs clang)"; exit 1; }
  mkdir -p $out
  if [ ! -f $out/build.ninja ]; then
    CC=clang CXX=clang++ cmake -S . -B $out -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJSTIP_BUILD_FUZZERS=ON \
      -DJSTIP_BUILD_TESTS=OFF -DJSTIP_BUILD_BENCHMARKS=OFF > $out/configure.log 2>&1 ||
      { cat $out/configure.log; exit 1; }
  fi
  cmake --build $out -j "${JSTIP_BUILD_JOBS:-$(nproc)}" --target "${targets[@]/#/fuzz_}"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  rm -rf $out/findings/$t  # a finding from an earlier run belongs in fuzz/corpus/ once fixed
  mkdir -p $out/corpus/$t $out/findings/$t $out/logs
  dict=(); [ -f fuzz/dict/$t.dict ] && dict=(-dict=fuzz/dict/$t.dict)
  log=$out/logs/$t.log
  echo "== $t: ${seconds} s"
  # stdin from /dev/null: a config may name /dev/stdin as its base file.
  "$out/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix=$out/findings/$t/ "${dict[@]}" \
    $out/corpus/$t fuzz/corpus/$t < /dev/null > "$log" 2>&1 || true
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  echo "   last status: ${last:-none}"
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/   /' || true
  found=$(find $out/findings/$t -type f | sort)
  if [ -n "$found" ] || grep -qE 'ERROR: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer)|FUZZ FINDING|runtime error' "$log"; then
    echo "   FINDING (log: $log):"
    grep -E 'FUZZ FINDING|ERROR:|runtime error|SUMMARY' "$log" | head -5 | sed 's/^/     /'
    for f in $found; do echo "     input: $f"; done
    status=1
  else
    echo "   no finding (log: $log)"
  fi
done
exit $status
