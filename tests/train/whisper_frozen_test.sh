#!/usr/bin/env bash
# The real pretrained encoder in a composition: Whisper tiny.en read from its
# CTranslate2 files (models/whisper-tiny.en), frozen, with Whisper's own
# log-mel features padded to 30 s, under a projector and a small llama trained
# from nothing, on the tiny espeak-ng corpus:
#  1. `jstip config check` takes the composition; a feature bin count the
#     encoder does not read is refused naming both keys.
#  2. Training: the first epoch computes the encoder outputs once and writes
#     them beside the shards; every later epoch reads them (no encoder call).
#  3. The checkpoint leaves the frozen encoder in its file: sources.json names
#     model.bin with its size; model.safetensors holds no encoder weight.
#  4. `jstip decode` from another folder, with the corpus moved, runs on the
#     checkpoint's features (3000-frame windows) and writes every hypothesis;
#     `jstip encode` of the checkpoint equals `jstip encode` of the model folder.
# Exit 77 (skipped) when the weights are not installed (scripts/install-venv.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common/script_prelude.sh"
fail() { echo "FAIL: $*"; exit 1; }

whisper=$source_dir/models/whisper-tiny.en
[ -f "$whisper/model.bin" ] || { echo "SKIP: $whisper/model.bin missing (run scripts/install-deps.sh)"; exit 77; }
source "$source_dir/tests/train/tiny_corpus.sh"

cat > run.yaml <<YAML
base: $source_dir/configs/tiny.yaml
seed: 4
output_dir: $work/run
tokenizer: {model: $work/tok.model}
encoder: {type: whisper, pretrained: $whisper, freeze: true}
features: {type: whisper_mel, num_bins: 80, pad_30s: true}
interleaver: {type: asr}
llm: {vocab_size: 320}
data:
  max_frames_per_batch: 12000
  max_utterances_per_batch: 4
  sources: [{name: pairs, shards: [$work/shards/*.shard]}]
trainer: {lr: 3.0e-3, log_every: 1, save_every: 6, keep_last: 1, stages: [{name: main, steps: 6}]}
YAML
"$jstip" config check run.yaml > check.log 2>&1 || { cat check.log; fail "config check"; }
if "$jstip" config check run.yaml features.num_bins=128 > bad.log 2>&1; then fail "128 bins accepted for an 80-bin encoder"; fi
grep -q "features.num_bins" bad.log && grep -q "input_dim" bad.log || { cat bad.log; fail "the bins error names neither key"; }

"$jstip" train run.yaml --threads 2 > /dev/null 2> train.err || { cat train.err; fail "train"; }
# 8 records, 4 per batch: 2 batches an epoch, 3 epochs in 6 steps.
grep "encoder cache: source 'pairs' epoch" train.err > cache.log || { cat train.err; fail "no encoder cache log"; }
cat cache.log
grep -q "epoch 0: 0 hits, 8 misses" cache.log || fail "the first epoch did not encode every record once"
grep -q "epoch 1: 8 hits, 0 misses, 0 encoder calls" cache.log || fail "the second epoch ran the encoder"
ls shards/encoder-cache/*/manifest.json > /dev/null || fail "no cache beside the shards"

ckpt=run/checkpoints/step-00000006
"$source_dir/.venv/bin/python" - "$ckpt" "$whisper/model.bin" <<'PY' || fail "checkpoint contents"
import json, os, sys
folder, model_bin = sys.argv[1], sys.argv[2]
from safetensors import safe_open
with safe_open(folder + "/model.safetensors", "np") as f:
    stored = list(f.keys())
assert not [k for k in stored if k.startswith("encoder.")], "frozen encoder weights were stored"
slot = json.load(open(folder + "/sources.json"))["slots"]["encoder"]
assert slot["weights"] == "outside", slot
files = {f["name"]: f["size"] for f in slot["pretrained"]["files"]}
assert files.get("model.bin") == os.path.getsize(model_bin), files
print(f"checkpoint: {len(stored)} tensors stored, the frozen encoder left to {model_bin}")
PY

# Decode from elsewhere, with the corpus moved away.
mkdir -p moved elsewhere
mv shards moved/
(cd elsewhere && "$jstip" decode "$work/run" --data "$work/moved/shards/*.shard" --out hyp --batch 4 \
   decode.max_tokens_cap=8 > decode.log 2>&1) || { cat elsewhere/decode.log; fail "decode from another folder"; }
[ "$(wc -l < elsewhere/hyp/hyp.jsonl)" -eq 8 ] || fail "decode wrote $(wc -l < elsewhere/hyp/hyp.jsonl) hypotheses"
grep -q '"pad_30s": *true' elsewhere/hyp/decode_summary.json || fail "decoding did not use the checkpoint's features"

"$jstip" data inspect moved/shards/synth-00000.shard --limit 1 --export wav > /dev/null
wav=$(ls wav/*.wav | head -1)
"$jstip" encode "$work/run" "$wav" --pad-30s --frames covered --out from_ckpt.npy > /dev/null 2>&1 || fail "encode with the checkpoint"
"$jstip" encode "$whisper" "$wav" --pad-30s --frames covered --out from_model.npy > /dev/null 2>&1 || fail "encode with the model folder"
cmp -s from_ckpt.npy from_model.npy || fail "the checkpoint's encoder is not the model folder's"
echo "WHISPER-FROZEN-OK"
