#!/usr/bin/env bash
# Issue 8, experiments 1 and 4: the five training strategies from one shared
# CTC warm-up, so they start from the same encoder and the same text-pretrained
# LLM and get the same compute after it.
#
#   DATA=data/quick-mix LLM=runs/quick-mix/llm-pretrain/llm recipes/strategies.sh [MAIN ASR]
#
#   1. CTC-only warm-up, 3,000 steps (OUT/warmup), once for all strategies
#   2. its step-3000 checkpoint seeded into OUT/runs/<strategy>, then
#      `jstip compare --reuse` resumes each strategy into its own stage (MAIN
#      steps, default 500) and ASR fine-tuning (ASR steps, default 1250), and
#      scores general / medical / held-out voices (first LIMIT=300 utterances,
#      the configs' joint CTC/LLM decoding): OUT/results.md and plots
#   3. zero-shot spoken QA of each model, the questions as speech and as text,
#      and of the text-only LLM (the warm-up's checkpoint) on the text
#   4. paired differences to asr-only (recipes/lib/paired_bootstrap.py): OUT/paired.md
#
# Every step resumes: a run cut anywhere continues where it stopped.
# OUT defaults to runs/strategies; THREADS (default 1) per process; JOBS
# (default 2) strategies train, decode and answer questions at the same time.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$(dirname "$here")"
main=${1:-500} asr=${2:-1250}
data=${DATA:-data/quick-mix}
llm=${LLM:-runs/quick-mix/llm-pretrain/llm}
out=${OUT:-runs/strategies}
limit=${LIMIT:-300}
threads=${THREADS:-1}
jobs=${JOBS:-2}
jstip=${JSTIP:-./build/bin/jstip}
strategies=(asr-only joint jstip-word jstip-segment jstip)
[ -f "$llm/config.json" ] || { echo "strategies: no text-pretrained LLM at $llm (recipes/reference.sh makes one)" >&2; exit 1; }

source "$here/lib/copy_configs.sh"
source "$here/lib/warmup.sh"
copy_configs "$out/configs" "$data"

warm=$out/warmup/checkpoints/$warmup_checkpoint
if [ ! -f "$warm/model.safetensors" ]; then
  resume=(); [ -f "$out/warmup/checkpoints/latest" ] && resume=(--resume "$out/warmup")
  "$jstip" train "$out/configs/asr-only.yaml" output_dir="$out/warmup" llm.pretrained="$llm" threads="$threads" \
    "trainer.stages=[$warmup_stage]" --quiet "${resume[@]}"
fi

configs=()
for s in "${strategies[@]}"; do
  ck=$out/runs/$s/checkpoints
  if [ ! -e "$ck/latest" ]; then mkdir -p "$ck" && cp -r "$warm" "$ck/" && echo "$warmup_checkpoint" > "$ck/latest"; fi
  configs+=("$out/configs/$s.yaml")
done
"$jstip" compare "${configs[@]}" --out "$out" --reuse --limit "$limit" --quiet --jobs "$jobs" \
  --test general="$data/test_general/*.shard" --test medical="$data/test_medical/*.shard" \
  --test heldout_voices="$data/test_heldout/*.shard" threads="$threads" llm.pretrained="$llm" \
  "trainer.stages=[$warmup_stage, {name: main, steps: $main}, {name: asr, steps: $asr, sources: {asr_pairs: 1.0}}]"

answer_questions() {  # strategy input [run folder]
  local qa=$out/qa/$1/$2
  [ -f "$qa/eval.txt" ] && return 0
  "$jstip" decode "${3:-$out/runs/$1}" --data "$data/qa/*.shard" --out "$qa" --task qa --input "$2" \
    --limit "$limit" --quiet threads="$threads"
  "$jstip" eval --hyp "$qa/hyp.jsonl" --task qa --out "$qa" > "$qa/eval.txt"
}
for s in "${strategies[@]}"; do
  for input in speech text; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    answer_questions "$s" "$input" &
  done
done
# The text-only LLM on the same questions as text: the warm-up trained the
# encoder alone, so its checkpoint holds the text-pretrained LLM unchanged.
while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
answer_questions text-only-llm text "$out/warmup" &
wait
[ -f "$out/qa/text-only-llm/text/eval.txt" ] || { echo "strategies: the text-only LLM's QA failed" >&2; exit 1; }
for s in "${strategies[@]}"; do
  for input in speech text; do
    [ -f "$out/qa/$s/$input/eval.txt" ] || { echo "strategies: spoken QA of $s ($input input) failed" >&2; exit 1; }
  done
done
sed -n '/^## /,$p' "$out/results.md" | sed -n '1,40p'
# Each strategy against asr-only on the same utterances (paired bootstrap).
python3 "$here/lib/paired_bootstrap.py" "$out" asr-only | tee "$out/paired.md"
# Medical entity accuracy on seen vs unseen terms (the sentence list labels each utterance).
python3 "$here/lib/entity_groups.py" "$out" medical "$data/medical/test.txt" | tee "$out/entity_groups.md"
for s in "${strategies[@]}"; do
  for input in speech text; do
    printf '%-14s QA as %-6s: %s\n' "$s" "$input" "$(grep -E '^answer containment' "$out/qa/$s/$input/eval.txt" | tr -s ' ')"
  done
done
