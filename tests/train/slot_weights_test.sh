#!/usr/bin/env bash
# recipes/lib/slot_weights.py on a real checkpoint: the encoder it copies out,
# given to a fresh run as encoder.pretrained, scores the same CTC dev loss as
# the run it came from (and a fresh encoder does not).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common/script_prelude.sh"

source "$source_dir/tests/train/tiny_corpus.sh"
cat > ctc.yaml <<YAML
base: $source_dir/configs/tiny.yaml
seed: 3
tokenizer: {model: $work/tok.model}
interleaver: {type: asr}
encoder: {ctc_vocab: 301}
llm: {vocab_size: 320}
data:
  max_frames_per_batch: 1500
  max_utterances_per_batch: 3
  sources: [{name: pairs, shards: [$work/shards/*.shard]}]
  dev: {shards: [$work/shards/*.shard]}
trainer: {lr: 3.0e-3, log_every: 1, save_every: 100, eval_every: 100}
YAML
dev_loss() { grep -o '"dev_loss":[0-9.e+-]*' "$1/metrics.jsonl" | tail -n 1 | cut -d: -f2; }

# A CTC-only run, so the dev loss depends on the encoder alone.
"$jstip" train ctc.yaml output_dir="$work/source" --quiet --threads 1 \
  "trainer.stages=[{name: ctc, steps: 12, llm_weight: 0, ctc_weight: 1}]"
trained=$(dev_loss source)

python3 "$source_dir/recipes/lib/slot_weights.py" source/checkpoints/step-00000012/model.safetensors encoder enc.safetensors
# One step at a negligible learning rate, evaluated at once: the weights it starts from.
one_step="trainer.stages=[{name: ctc, steps: 1, llm_weight: 0, ctc_weight: 1, lr: 1.0e-12}]"
"$jstip" train ctc.yaml output_dir="$work/loaded" encoder.pretrained="$work/enc.safetensors" trainer.warmup_steps=0 \
  trainer.eval_every=1 --quiet --threads 1 "$one_step"
"$jstip" train ctc.yaml output_dir="$work/fresh" trainer.warmup_steps=0 trainer.eval_every=1 --quiet --threads 1 "$one_step"
loaded=$(dev_loss loaded) fresh=$(dev_loss fresh)
echo "dev loss: trained $trained, its encoder loaded $loaded, fresh encoder $fresh"
python3 - "$trained" "$loaded" "$fresh" <<'PY'
import sys
trained, loaded, fresh = map(float, sys.argv[1:])
assert abs(loaded - trained) < 1e-4 * max(1.0, trained), f"loaded encoder scores {loaded}, its run {trained}"
assert fresh > trained + 0.5, f"a fresh encoder scores {fresh}, no worse than the trained {trained}"
PY

# A slot the checkpoint does not have: a clear error, no file.
if python3 "$source_dir/recipes/lib/slot_weights.py" source/checkpoints/step-00000012/model.safetensors decoder x.safetensors 2> err.txt; then
  echo "a missing slot was accepted"; exit 1
fi
grep -q "no tensor starting with 'decoder.'" err.txt || { cat err.txt; exit 1; }
[ ! -e x.safetensors ] && [ ! -e x.safetensors.tmp ] || { echo "a file was left for a missing slot"; exit 1; }
echo SLOT-WEIGHTS-OK
