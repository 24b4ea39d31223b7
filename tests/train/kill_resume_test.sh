#!/usr/bin/env bash
# SIGKILL a real `jstip train` process mid-run, resume it, and check that no
# checkpoint is corrupted and that every step's loss equals an uninterrupted run's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common/script_prelude.sh"

source "$source_dir/tests/train/tiny_corpus.sh"

write_config() {  # $1 = output dir
  cat > "$1.yaml" <<YAML
base: $source_dir/configs/tiny.yaml
seed: 4
output_dir: $work/$1
tokenizer: {model: $work/tok.model}
interleaver: {type: jstip}
llm: {vocab_size: 320}
data:
  max_frames_per_batch: 1500
  max_utterances_per_batch: 3
  sources: [{name: pairs, shards: [$work/shards/*.shard]}]
trainer:
  lr: 3.0e-3
  log_every: 1
  save_every: 2
  keep_last: 2
  stages: [{name: main, steps: 60}]
YAML
}
write_config full
write_config killed

# The plans this run will train on, as `interleave show` prints them.
"$jstip" interleave show full.yaml --shard shards/synth-00000.shard --samples 4 > plans.txt
grep -q '^  \(word\|segment\|asr\): <s> ' plans.txt || { cat plans.txt; echo "no plans printed"; exit 1; }
grep -q '\[speech w' plans.txt || { cat plans.txt; echo "no speech spans in the plans"; exit 1; }

"$jstip" train full.yaml --quiet --threads 1

# Start the same run, kill it hard once a few checkpoints exist.
"$jstip" train killed.yaml --quiet --threads 1 &
pid=$!
for _ in $(seq 1 600); do
  if [ -f killed/checkpoints/latest ] && [ "$(cut -c6- killed/checkpoints/latest | sed 's/^0*//')" -ge 10 ] 2>/dev/null; then break; fi
  sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2> /dev/null || true
killed_at=$(cat killed/checkpoints/latest)
echo "killed after $killed_at"
ls killed/checkpoints

"$jstip" train --resume killed --quiet --threads 1

if ls killed/checkpoints | grep -q tmp; then echo "half-written checkpoint folders left behind"; exit 1; fi
"$jstip" train --resume killed --quiet --threads 1 trainer.stages='[{name: main, steps: 60}]' > /dev/null  # a finished run stays finished

# Last logged loss of every step (a resumed run re-logs the steps after its checkpoint).
losses() { grep -o '"loss":[^,}]*,.*"step":[0-9]*' "$1" | sed 's/"loss":\([^,]*\),.*"step":\([0-9]*\)/\2 \1/' |
           awk '{last[$1] = $2} END {for (s in last) print s, last[s]}' | sort -n; }
losses full/metrics.jsonl > full.losses
losses killed/metrics.jsonl > killed.losses
test "$(wc -l < full.losses)" -eq 60 || { echo "full run logged $(wc -l < full.losses) steps"; exit 1; }
if ! diff full.losses killed.losses; then echo "resumed run differs from the uninterrupted one"; exit 1; fi
echo "kill + resume: all 60 step losses identical"

# A full disk while `jstip train` saves (a second stage continues the finished run): file size capped at 256 KiB with SIGXFSZ ignored, so
# writes fail with EFBIG as they would with ENOSPC. The run must stop with a clear error, keep
# `latest` on the last whole checkpoint, leave no half-written folder, and resume from it.
before=$(cat killed/checkpoints/latest)
set +e
(trap '' XFSZ; ulimit -f 256; exec "$jstip" train --resume killed --quiet --threads 1 \
   trainer.stages='[{name: main, steps: 60}, {name: more, steps: 10}]') 2> full_disk.err
rc=$?
set -e
[ $rc -ne 0 ] || { echo "training on a full disk exited 0"; exit 1; }
grep -q "failed; earlier checkpoints are intact" full_disk.err || { cat full_disk.err; echo "no clear error for the full disk"; exit 1; }
[ "$(cat killed/checkpoints/latest)" = "$before" ] || { echo "latest moved to $(cat killed/checkpoints/latest)"; exit 1; }
if ls killed/checkpoints | grep -q tmp; then echo "the failed save left a half-written folder"; exit 1; fi
"$jstip" train --resume killed --quiet --threads 1 trainer.stages='[{name: main, steps: 60}, {name: more, steps: 2}]'
[ "$(cat killed/checkpoints/latest)" = step-00000062 ] || { echo "no resume after the full disk"; exit 1; }
echo "full disk: exit $rc, $(grep -o 'saving checkpoint [^ ]*' full_disk.err | head -1) failed, $before kept and resumed"
