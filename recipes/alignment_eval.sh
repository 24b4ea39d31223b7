#!/usr/bin/env bash
# Forced-alignment accuracy on synthesized speech whose true word timings are
# known (docs/alignment.md): train a CTC-only aligner on the training voices,
# align the held-out-voice test set, compare word boundaries with espeak-ng's.
#
#   recipes/alignment_eval.sh [--data DIR] [--out DIR] [--steps N] [--units pieces|chars]
#                             [--threads N] [--jstip PATH]
#
# --data: a recipes/make_data.sh output (train/ with the training voices,
# test_heldout/ with other voices, tokenizer.model); made with --size quick
# when missing (default data/quick). Writes under --out (default
# runs/alignment-UNITS): ctc/ (the model), aligned/ (shards, align_summary.json),
# boundary_error.json, and prints the errors.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
data=$root/data/quick out="" steps=1500 units=pieces threads=1 jstip=${JSTIP:-$root/build/bin/jstip}
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --units) units=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --jstip) jstip=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "alignment_eval: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
out=${out:-$root/runs/alignment-$units}
[ -x "$jstip" ] || { echo "alignment_eval: no jstip binary at $jstip (build it, or pass --jstip)" >&2; exit 1; }
case $units in
  pieces) ctc_vocab=1001 ;;  # the quick tokenizer's 1000 pieces + blank
  chars) ctc_vocab=28 ;;     # a-z and the apostrophe + blank
  *) echo "alignment_eval: --units must be pieces or chars" >&2; exit 2 ;;
esac
if [ ! -e "$data/test_heldout" ] || [ ! -e "$data/tokenizer.model" ]; then
  "$here/make_data.sh" --size quick --out "$data" --jstip "$jstip"
fi
mkdir -p "$out"

# A small transformer encoder with a CTC head, trained on the CTC loss alone
# (trainer.llm_weight 0: the LLM slot is composed but never run).
cat > "$out/ctc.yaml" <<YAML
base: $root/configs/base.yaml
output_dir: $out/ctc
threads: $threads
tokenizer: {model: $data/tokenizer.model}
encoder: {ctc_vocab: $ctc_vocab, subsampling_channels: 32}   # a narrow front end: several times cheaper
llm: {hidden_size: 64, intermediate_size: 128, num_layers: 1, num_heads: 2, num_key_value_heads: 1}
data:
  max_frames_per_batch: 8000
  max_utterances_per_batch: 16
  sources: [{name: pairs, shards: [$data/train/*.shard], weight: 1.0}]
  dev: {shards: [$data/dev/*.shard]}
trainer:
  lr: 2.0e-3
  warmup_steps: 200
  ctc_weight: 1.0
  llm_weight: 0
  ctc_units: $units
  log_every: 50
  save_every: 500
  max_dev_batches: 10
  stages: [{name: ctc, steps: $steps}]
YAML
if [ ! -e "$out/ctc/checkpoints/latest" ] || ! grep -q "\"step\": *$steps\b" "$out/ctc/checkpoints/$(cat "$out/ctc/checkpoints/latest")/trainer_state.json" 2>/dev/null; then
  resume=()
  [ -e "$out/ctc/checkpoints/latest" ] && resume=(--resume "$out/ctc")
  "$jstip" train "$out/ctc.yaml" --threads "$threads" "${resume[@]}"
fi

# Align the held-out voices (their timings are overwritten in the copies) and score.
"$jstip" align "$out/ctc" --data "$data/test_heldout" --out "$out/aligned" --threads "$threads"
python3 "$here/lib/boundary_error.py" "$jstip" "$data/test_heldout" "$out/aligned" --json "$out/boundary_error.json"
