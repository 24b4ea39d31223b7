#!/usr/bin/env bash
# Builds jstip with ASan+UBSan into ./build-sanitize and runs the test suite there.
#
#   scripts/test-sanitize.sh [ctest arguments...]   everything (e.g. -R '^Safetensors\.' for a part)
#   scripts/test-sanitize.sh --ci                   CI's subset: only the readers of outside input
#                                                   (fuzz.replay.*: shard, safetensors, YAML, audio)
#
# Benchmarks are left out (timings under ASan mean nothing). -O1 -g1 keeps the build and the
# tests fast enough while reports still name file and line. A report stops the test that hits
# it: UBSan is built with -fno-sanitize-recover, ASan halts on its first error, and LeakSanitizer
# runs at exit (scripts/sanitize/lsan.supp lists the leaks we accept, each with its reason).
set -euo pipefail
cd "$(dirname "$0")/.."
ci=0
if [ "${1:-}" = --ci ]; then ci=1; shift; fi
jobs=${JSTIP_BUILD_JOBS:-$(nproc)}
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJSTIP_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DJSTIP_BUILD_BENCHMARKS=OFF > build-sanitize.configure.log 2>&1 ||
  { cat build-sanitize.configure.log; exit 1; }
start=$(date +%s)
if [ $ci = 1 ]; then
  cmake --build build-sanitize -j "$jobs" --target \
    fuzz_replay_shard_reader fuzz_replay_safetensors fuzz_replay_gguf fuzz_replay_ctranslate2 fuzz_replay_config_loader fuzz_replay_wav_reader
  set -- -R '^fuzz\.replay\.' "$@"
else
  cmake --build build-sanitize -j "$jobs"
fi
echo "sanitized build: done in $(( $(date +%s) - start )) s"
supp=$PWD/scripts/sanitize/lsan.supp
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export JSTIP_SKIP_BLAS_CHECK=${JSTIP_SKIP_BLAS_CHECK:-}
ctest --test-dir build-sanitize --output-on-failure -j 2 "$@"
