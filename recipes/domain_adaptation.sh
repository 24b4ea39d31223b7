#!/usr/bin/env bash
# Issue 8, experiment 3: domain adaptation from medical *text* (JSTIP reads it
# as text) vs from the same sentences as TTS-synthesized speech (ASR pairs).
#
#   recipes/domain_adaptation.sh [MAIN ASR]        (after recipes/strategies.sh)
#
#   1. medical_tts/: DATA/medical/text.txt (the sentences behind DATA/medical_text/)
#      synthesized with the training voices (DATA/synth-train.yaml), two halves
#      in parallel
#   2. two runs from the strategies' CTC warm-up (WARM, step 3000), the same
#      JSTIP composition (configs/jstip.yaml) and budget; only the medical
#      source differs, at the same weight (0.2):
#        domain-text  DATA/medical_text/ as text (text_lm), as in configs/jstip.yaml
#        domain-tts   OUT/medical_tts/ as speech-text pairs (asr)
#      stages: the warm-up (seeded), main MAIN (default 1500) steps, ASR
#      fine-tuning ASR (default 250) steps on the general pairs only
#   3. `jstip compare` scores the medical and general test sets (first LIMIT=300),
#      then the paired difference of the two runs (recipes/lib/paired_bootstrap.py)
#
# OUT defaults to runs/domain; THREADS (default 1) per process, JOBS (default 2)
# runs at a time. Every step resumes: a run cut anywhere continues.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$(dirname "$here")"
source "$here/lib/copy_configs.sh"
source "$here/lib/warmup.sh"
main=${1:-1500} asr=${2:-250}
data=${DATA:-data/quick-mix}
llm=${LLM:-runs/quick-mix/llm-pretrain/llm}
warm=${WARM:-runs/strategies/warmup/checkpoints/$warmup_checkpoint}
out=${OUT:-runs/domain}
limit=${LIMIT:-300}
threads=${THREADS:-1}
jobs=${JOBS:-2}
jstip=${JSTIP:-./build/bin/jstip}
[ -f "$warm/model.safetensors" ] || { echo "domain_adaptation: no warm-up checkpoint at $warm (recipes/strategies.sh makes it)" >&2; exit 1; }
[ -f "$llm/config.json" ] || { echo "domain_adaptation: no text-pretrained LLM at $llm" >&2; exit 1; }

# 1. The medical sentences as speech, with the voices of the training set.
sentences=$data/medical/text.txt
if [ ! -e "$out/medical_tts/.done" ]; then
  rm -rf "$out/medical_tts" "$out/.tts" && mkdir -p "$out/.tts" "$out/medical_tts"
  half=$(( ($(wc -l < "$sentences") + 1) / 2 ))
  split -l "$half" -d "$sentences" "$out/.tts/part-"
  for part in "$out"/.tts/part-0[01]; do
    n=${part##*-}
    OMP_NUM_THREADS=1 "$jstip" data synth "$part" --out "$out/.tts/shards-$n" --prefix "medical-tts-$n" \
      --config "$data/synth-train.yaml" "synthesis.seed=$((1000 + 10#$n))" --domain medical --split train \
      --no-progress --threads 1 > "$out/.tts/synth-$n.log" 2>&1 &
  done
  wait
  mv "$out"/.tts/shards-*/*.shard "$out/medical_tts/"
  rm -rf "$out/.tts"
  touch "$out/medical_tts/.done"
fi

# 2. Two configs that differ only in the form of the medical sentences.
copy_configs "$out/configs" "$data"
mv "$out/configs/jstip.yaml" "$out/configs/domain-text.yaml"
text_source="{name: medical_text, shards: [$data/medical_text/*.shard], weight: 0.2, interleaver: {type: text_lm}}"
tts_source="{name: medical_tts, shards: [$out/medical_tts/*.shard], weight: 0.2, interleaver: {type: asr}}"
text_config=$(cat "$out/configs/domain-text.yaml")
[[ "$text_config" == *"$text_source"* ]] ||
  { echo "domain_adaptation: configs/jstip.yaml has no source '$text_source'" >&2; exit 1; }
printf '%s\n' "${text_config/"$text_source"/$tts_source}" > "$out/configs/domain-tts.yaml"

configs=()
for name in domain-text domain-tts; do
  ck=$out/runs/$name/checkpoints
  if [ ! -e "$ck/latest" ]; then mkdir -p "$ck" && cp -r "$warm" "$ck/" && basename "$warm" > "$ck/latest"; fi
  configs+=("$out/configs/$name.yaml")
done
"$jstip" compare "${configs[@]}" --out "$out" --reuse --limit "$limit" --quiet --jobs "$jobs" \
  --test medical="$data/test_medical/*.shard" --test general="$data/test_general/*.shard" \
  threads="$threads" llm.pretrained="$llm" \
  "trainer.stages=[$warmup_stage, {name: main, steps: $main}, {name: asr, steps: $asr, sources: {asr_pairs: 1.0}}]"
sed -n '/^## /,$p' "$out/results.md" | sed -n '1,30p'
python3 "$here/lib/paired_bootstrap.py" "$out" domain-text | tee "$out/paired.md"
# Medical entity accuracy on seen vs unseen terms (the sentence list labels each utterance).
python3 "$here/lib/entity_groups.py" "$out" medical "$data/medical/test.txt" | tee "$out/entity_groups.md"
