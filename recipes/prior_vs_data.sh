#!/usr/bin/env bash
# Issue 8, experiment 2: does the text-pretrained LLM's benefit shrink as the
# ASR data grows? At two amounts of aligned pairs, the same ASR training once
# from the text-pretrained LLM and once from a randomly initialized one, at
# two learning rates (the dev loss picks one per LLM and size).
#
#   DATA=data/quick-mix LLM=runs/quick-mix/llm-pretrain/llm recipes/prior_vs_data.sh [ASR]
#
# For each size (1,000 pairs: one general shard; 4,000 pairs: all four shards):
#   1. a CTC-only encoder warm-up of 3,000 steps on that size's pairs
#      (OUT/size-N/warmup). It does not run the LLM, so one warm-up serves both
#      LLMs. The 4,000-pair warm-up is the strategies recipe's, copied when
#      STRATEGIES (default runs/strategies) has it: same config, data and seed.
#   2. its encoder weights -> OUT/size-N/encoder.safetensors (the encoder
#      plugin's `pretrained` file; the projector starts fresh, as the warm-up
#      never trains it)
#   3. for each learning rate in LRS (default "1.0e-3 3.0e-4"), `jstip compare`
#      of random.yaml and pretrained.yaml in OUT/size-N/lr-LR: ASR steps
#      (default 1,250) of ASR-only training with CTC weight 0.5, then general /
#      medical / held-out voices scored (first LIMIT=300 utterances, joint
#      CTC/LLM beam 8), and pretrained minus random on the same utterances
#      (paired bootstrap): paired.md
#   4. OUT/summary.md (recipes/lib/prior_table.py): the tables of every run,
#      the pairs at the learning rate the dev loss chose for each LLM, and how
#      much each LLM reads the speech (mismatched-speech dev loss)
#   5. at 4,000 pairs, the same two LLMs under JSTIP training instead
#      (OUT/size-4000/jstip): 4/5 of ASR steps of configs/jstip.yaml's mixture,
#      then 1/5 of ASR fine-tuning
# The two sizes run side by side, one process each (THREADS per process,
# default 1). Every step resumes: a run cut anywhere continues where it stopped.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$(dirname "$here")"
asr=${1:-1250}
data=${DATA:-data/quick-mix}
llm=${LLM:-runs/quick-mix/llm-pretrain/llm}
out=${OUT:-runs/prior}
limit=${LIMIT:-300}
threads=${THREADS:-1}
strategies=${STRATEGIES:-runs/strategies}
read -r -a lrs <<< "${LRS:-1.0e-3 3.0e-4}"
jstip=${JSTIP:-./build/bin/jstip}
[ -f "$llm/config.json" ] || { echo "prior_vs_data: no text-pretrained LLM at $llm (recipes/reference.sh makes one)" >&2; exit 1; }

source "$here/lib/copy_configs.sh"
source "$here/lib/warmup.sh"
copy_configs "$out/configs" "$data"

# size name, shard glob under $data/train
run_size() {
  local size=$1 glob=$2 dir=$out/size-$1
  local cfg=$out/configs/size-$size warm=$dir/warmup/checkpoints/$warmup_checkpoint
  mkdir -p "$cfg" "$dir"
  cat > "$cfg/warmup.yaml" <<YAML
# $size aligned pairs: $data/train/$glob
base: ../asr-only.yaml
data:
  sources:
    - {name: pairs, shards: [$data/train/$glob], weight: 1.0}
    - {name: asr_pairs, shards: [$data/train/$glob], weight: 0, interleaver: {type: asr}}
YAML
  printf 'base: warmup.yaml\nencoder: {pretrained: %s}\n' "$dir/encoder.safetensors" > "$cfg/random.yaml"
  printf 'base: random.yaml\nllm: {pretrained: %s}\n' "$llm" > "$cfg/pretrained.yaml"

  if [ ! -f "$warm/model.safetensors" ] && [ "$glob" = "*.shard" ] &&
     [ -f "$strategies/warmup/checkpoints/$warmup_checkpoint/model.safetensors" ]; then
    echo "prior_vs_data: size $size: the warm-up is $strategies/warmup's (same config, data and seed)"
    mkdir -p "$dir/warmup/checkpoints" && cp -r "$strategies/warmup/checkpoints/$warmup_checkpoint" "$dir/warmup/checkpoints/"
  fi
  if [ ! -f "$warm/model.safetensors" ]; then
    local resume=(); [ -f "$dir/warmup/checkpoints/latest" ] && resume=(--resume "$dir/warmup")
    "$jstip" train "$cfg/warmup.yaml" output_dir="$dir/warmup" threads="$threads" \
      "trainer.stages=[$warmup_stage]" --quiet "${resume[@]}"
  fi
  python3 "$here/lib/slot_weights.py" "$warm/model.safetensors" encoder "$dir/encoder.safetensors"

  for lr in "${lrs[@]}"; do
    "$jstip" compare "$cfg/random.yaml" "$cfg/pretrained.yaml" --out "$dir/lr-$lr" --reuse --limit "$limit" --quiet \
      --test general="$data/test_general/*.shard" --test medical="$data/test_medical/*.shard" \
      --test heldout_voices="$data/test_heldout/*.shard" threads="$threads" trainer.lr="$lr" \
      "trainer.stages=[{name: asr, steps: $asr, sources: {asr_pairs: 1.0}}]"
    python3 "$here/lib/paired_bootstrap.py" "$dir/lr-$lr" random > "$dir/lr-$lr/paired.md"
  done
}

run_size 1000 'train-general-00000.shard' >> "$out/size-1000.log" 2>&1 &
small=$!
run_size 4000 '*.shard' >> "$out/size-4000.log" 2>&1 &
large=$!
status=0
wait "$small" || { echo "prior_vs_data: size 1000 failed (see $out/size-1000.log)" >&2; status=1; }
wait "$large" || { echo "prior_vs_data: size 4000 failed (see $out/size-4000.log)" >&2; status=1; }
[ "$status" = 0 ] || exit 1

# 5. The same two LLMs under JSTIP training (configs/jstip.yaml: word, segment
#    and ASR sequences of the pairs plus general and medical text), 4,000 pairs,
#    lr 1e-3 (the dev loss's choice for both above): does interleaving make the
#    pretrained LLM read the speech, and its prior pay off?
cfg=$out/configs/size-4000
printf 'base: ../jstip.yaml
encoder: {pretrained: %s}
' "$out/size-4000/encoder.safetensors" > "$cfg/jstip-random.yaml"
printf 'base: jstip-random.yaml
llm: {pretrained: %s}
' "$llm" > "$cfg/jstip-pretrained.yaml"
"$jstip" compare "$cfg/jstip-random.yaml" "$cfg/jstip-pretrained.yaml" --out "$out/size-4000/jstip" --reuse \
  --limit "$limit" --quiet --jobs 2 --test general="$data/test_general/*.shard" \
  --test medical="$data/test_medical/*.shard" --test heldout_voices="$data/test_heldout/*.shard" \
  threads="$threads" trainer.lr=1.0e-3 \
  "trainer.stages=[{name: main, steps: $(( asr * 4 / 5 ))}, {name: asr, steps: $(( asr / 5 )), sources: {asr_pairs: 1.0}}]" \
  >> "$out/size-4000.log" 2>&1
python3 "$here/lib/paired_bootstrap.py" "$out/size-4000/jstip" jstip-random > "$out/size-4000/jstip/paired.md"
python3 "$here/lib/prior_table.py" "$out" | tee "$out/summary.md"
