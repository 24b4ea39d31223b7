#!/usr/bin/env bash
# One rank of a 2-process run dies (SIGKILL) in the middle of training:
#   1. under the `--nproc 2` launcher, the launcher stops the other rank and
#      exits non-zero, saying which rank died;
#   2. with ranks started by hand (RANK/WORLD_SIZE/MASTER_*), the survivor
#      exits non-zero with "another rank probably died or hung" instead of
#      waiting forever in a collective;
#   3. a rank that hangs (SIGSTOP) instead: the other gives up after
#      trainer.dist_timeout_s with the same message;
#   4. not a rank but a data worker fails (a record's audio file is missing):
#      `jstip train` exits non-zero naming the file instead of waiting for a batch.
# Each must happen within a bound (the test fails, rather than hangs, past it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common/script_prelude.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

source "$source_dir/tests/train/tiny_corpus.sh"
config() {  # OUTPUT_DIR [SHARDS]
  cat <<YAML
base: $source_dir/configs/tiny.yaml
seed: 2
output_dir: $1
tokenizer: {model: $work/tok.model}
llm: {vocab_size: 320}
interleaver: {type: jstip}
data:
  max_frames_per_batch: 1500
  max_utterances_per_batch: 2
  sources: [{name: pairs, shards: [${2:-$work/shards/*.shard}]}]
trainer:
  lr: 3.0e-3
  log_every: 1
  save_every: 100000
  eval_every: 0
  dist_timeout_s: 20
  stages: [{name: main, steps: 100000}]
YAML
}
# Waits (at most 120 s) until the run at $1 has logged a training step.
wait_for_steps() {
  for _ in $(seq 240); do
    [ -s "$1/metrics.jsonl" ] && return 0
    sleep 0.5
  done
  fail "no training step logged in $1 within 120 s"
}
# Waits for background pid $1 (at most $2 s); sets $status to its exit status.
wait_bounded() {
  local pid=$1 limit=$2
  for _ in $(seq $((limit * 2))); do
    if ! kill -0 "$pid" 2> /dev/null; then
      status=0
      wait "$pid" || status=$?
      return
    fi
    sleep 0.5
  done
  kill -9 "$pid" 2> /dev/null || true
  fail "pid $pid still running $limit s after the other rank died"
}

# 1. The launcher.
config "$work/launched" > launched.yaml
"$jstip" train launched.yaml --nproc 2 --threads 1 --quiet 2> launched.log &
launcher=$!
wait_for_steps launched
ranks=($(pgrep -P "$launcher" | sort -n))
[ ${#ranks[@]} -eq 2 ] || fail "expected 2 rank processes under the launcher, found ${#ranks[@]}"
kill -9 "${ranks[1]}"
wait_bounded "$launcher" 60
[ "$status" -ne 0 ] || fail "the launcher exited 0 after a rank was killed"
grep -q "pid ${ranks[1]}) exited with status 137; stopping the others" launched.log ||
  fail "the launcher did not name the dead rank: $(tail -5 launched.log)"
! kill -0 "${ranks[0]}" 2> /dev/null || fail "rank 0 (pid ${ranks[0]}) outlived the launcher"

# 2. Ranks started by hand: the survivor notices on its own.
config "$work/by_hand" > by_hand.yaml
port=$(( 20000 + RANDOM % 20000 ))
start_rank() {
  RANK=$1 LOCAL_RANK=$1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port OMP_NUM_THREADS=1 \
    "$jstip" train by_hand.yaml --threads 1 --quiet 2> "rank$1.log" &
}
start_rank 0
rank0=$!
start_rank 1
rank1=$!
wait_for_steps by_hand
kill -9 "$rank1"
wait_bounded "$rank0" 90
[ "$status" -ne 0 ] || fail "the surviving rank exited 0"
grep -q "another rank probably died or hung" rank0.log || fail "survivor's message: $(tail -5 rank0.log)"

# 3. A rank that hangs (SIGSTOP: its connections stay open): the survivor gives up after dist_timeout_s.
config "$work/hung" | sed 's/dist_timeout_s: 20/dist_timeout_s: 8/; s#by_hand#hung#' > by_hand.yaml
port=$(( 20000 + RANDOM % 20000 ))
start_rank 0
rank0=$!
start_rank 1
rank1=$!
wait_for_steps hung
kill -STOP "$rank1"
stopped_at=$SECONDS
wait_bounded "$rank0" 90
waited=$(( SECONDS - stopped_at ))
kill -9 "$rank1" 2> /dev/null || true
[ "$status" -ne 0 ] || fail "the rank beside a hung one exited 0"
grep -q "another rank probably died or hung" rank0.log || fail "message beside a hung rank: $(tail -5 rank0.log)"
[ "$waited" -ge 5 ] || fail "gave up after $waited s, before dist_timeout_s (8 s): not the timeout that stopped it"

# 4. A data worker that throws. The segment gives the record's length, so the
# loader's index does not open the file and the first read is in a worker.
mkdir -p gone_kaldi
echo "rec $work/gone.wav" > gone_kaldi/wav.scp
echo "g1 rec 0.0 1.0" > gone_kaldi/segments
echo "g1 the cat sat on the mat" > gone_kaldi/text
"$jstip" data import --kaldi gone_kaldi --out gone_shards --no-progress > /dev/null
config "$work/worker" "$work/gone_shards/*.shard" > worker.yaml
status=0
timeout 60 "$jstip" train worker.yaml --threads 1 --quiet 2> worker.log || status=$?
[ "$status" -ne 124 ] || fail "jstip train still waiting 60 s after its data worker failed"
[ "$status" -ne 0 ] || fail "jstip train exited 0 although a record's audio file is missing"
grep -q "$work/gone.wav" worker.log || fail "the worker's error does not name the missing file: $(tail -5 worker.log)"
echo "rank death: launcher and hand-started ranks stop with a clear message; a failing data worker stops the run"
