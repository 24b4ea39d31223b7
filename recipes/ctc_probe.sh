#!/usr/bin/env bash
# A quick encoder probe: CTC-only training of the reference composition's
# encoder, then its CTC head alone (greedy) scored on the dev set. Compares
# encoder, feature or tokenizer settings in minutes, without the LLM.
#
#   DATA=data/quick THREADS=1 recipes/ctc_probe.sh NAME STEPS [key=value ...]
#
# Writes runs/probe/NAME (checkpoints, metrics.jsonl, dev/eval.txt) and prints
# dev WER and CER. docs/results.md ("Encoder probes") used it with
# DATA=data/quick-mix and, for other tokenizers, a copy of the data folder
# with its own tokenizer.model plus llm.vocab_size / encoder.ctc_vocab overrides.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$(dirname "$here")"
[ $# -ge 2 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
name=$1 steps=$2; shift 2
out=runs/probe/$name
data=${DATA:-data/quick}
config=${CONFIG:-configs/jstip.yaml}
jstip=${JSTIP:-./build/bin/jstip}
threads=${THREADS:-2}
mkdir -p "$out/cfg"
# The configs name data/quick; point a copy at DATA.
sed "s#data/quick/#$data/#g" configs/base.yaml > "$out/cfg/base.yaml"
sed "s#data/quick/#$data/#g" "$config" > "$out/cfg/$(basename "$config")"
start=$(date +%s)
"$jstip" train "$out/cfg/$(basename "$config")" output_dir="$out" threads="$threads" \
  "trainer.stages=[{name: ctc_warmup, steps: $steps, llm_weight: 0, ctc_weight: 1, lr: 3.0e-3}]" \
  trainer.eval_every=100000 trainer.save_every=500 "$@" --quiet
echo "training: $(( $(date +%s) - start )) s"
"$jstip" decode "$out" --data "$data/dev/*.shard" --out "$out/dev" --limit 300 --quiet decode.search=ctc threads="$threads"
"$jstip" eval --hyp "$out/dev/hyp.jsonl" --out "$out/dev" > "$out/dev/eval.txt"
grep -E '^(WER|CER)' "$out/dev/eval.txt"
