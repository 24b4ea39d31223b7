#!/usr/bin/env bash
# Two real ranks over c10d/Gloo on loopback (`jstip train --nproc 2`):
# training runs, both ranks end with identical parameters, rank 0 alone
# writes the checkpoint, and a resumed 2-rank run continues from it.
set -euo pipefail
jstip=$1
source_dir=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work"
export JSTIP_SKIP_BLAS_CHECK=1

source "$source_dir/tests/train/tiny_corpus.sh"
cat > ddp.yaml <<YAML
base: $source_dir/configs/tiny.yaml
seed: 2
output_dir: $work/run
tokenizer: {model: $work/tok.model}
llm: {vocab_size: 320}
interleaver: {type: jstip}
data:
  max_frames_per_batch: 1500
  max_utterances_per_batch: 2
  sources: [{name: pairs, shards: [$work/shards/*.shard]}]
trainer:
  lr: 3.0e-3
  log_every: 1
  save_every: 4
  dist_timeout_s: 60
  stages: [{name: main, steps: 8}]
YAML

"$jstip" train ddp.yaml --nproc 2 --quiet --stop-after 4 2> first.log || { cat first.log; exit 1; }
test "$(grep -c 'parameters identical on all 2 ranks' first.log)" -eq 2 || { cat first.log; echo "ranks did not agree"; exit 1; }
test -f run/checkpoints/step-00000004/model.safetensors || { echo "rank 0 wrote no checkpoint"; exit 1; }
test "$(grep -c '"loss"' run/metrics.jsonl)" -eq 4 || { echo "metrics were not written once per step"; exit 1; }

"$jstip" train --resume run --nproc 2 --quiet 2> second.log || { cat second.log; exit 1; }
grep -q "resumed from" second.log
test "$(grep -c 'parameters identical on all 2 ranks' second.log)" -eq 2 || { cat second.log; exit 1; }
test -f run/checkpoints/step-00000008/model.safetensors

# The same global batch in one process (2 accumulated micro-batches) gives the
# same losses as 2 ranks x 1 micro-batch.
sed -e "s|output_dir: $work/run|output_dir: $work/single|" -e 's|max_utterances_per_batch: 2|max_utterances_per_batch: 1|' ddp.yaml > single.yaml
sed -e "s|output_dir: $work/run|output_dir: $work/pair|" -e 's|max_utterances_per_batch: 2|max_utterances_per_batch: 1|' ddp.yaml > pair.yaml
"$jstip" train single.yaml --quiet --threads 1 --stop-after 3 trainer.accumulate=2 2> single.log || { cat single.log; exit 1; }
"$jstip" train pair.yaml --quiet --nproc 2 --stop-after 3 2> pair.log || { cat pair.log; exit 1; }
losses() { grep -o '"loss":[^,}]*' "$1" | cut -d: -f2; }
paste <(losses single/metrics.jsonl) <(losses pair/metrics.jsonl) | tee compare.txt |
  awk '{d = $1 - $2; if (d < 0) d = -d; if (d > 1e-4 * $1) bad = 1} END {exit bad}' ||
  { echo "2 ranks and 1 process with the same global batch disagree:"; cat compare.txt; exit 1; }
test "$(wc -l < compare.txt)" -eq 3
echo "2-rank gloo training: ok; losses equal a single process on the same global batch:"
cat compare.txt
