#!/usr/bin/env bash
# The JSTIP reference composition end to end on the built-in data:
#
#   recipes/reference.sh [--size tiny|quick|full] [--llm-steps N] [--steps N] [--limit N]
#                        [--jstip PATH] [--out DIR] [--data DIR] [--config FILE]
#
#   1. make the data (recipes/make_data.sh --size SIZE -> data/SIZE)
#   2. pretrain the LLM on text (configs/llm-pretrain.yaml -> OUT/llm-pretrain/llm, HF layout)
#   3. train the reference composition (configs/jstip.yaml, llm.pretrained = step 2)
#      and score it on the general, medical and held-out-voice test sets
#      (jstip compare: OUT/results.md, OUT/*.png)
#   4. zero-shot spoken QA: the same questions as speech and as text (the modality gap)
#   5. the encoder's CTC head alone on the test sets (decode.search=ctc): what the LLM adds
#
# OUT defaults to runs/SIZE, DATA to data/SIZE. Finished steps are reused (a re-run only prints the results).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"

size=quick llm_steps="" steps="" limit="" beam="" threads="" jstip=${JSTIP:-./build/bin/jstip} out="" data="" config=configs/jstip.yaml
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --llm-steps) llm_steps=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --jstip) jstip=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "reference: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $size in
  tiny) : "${llm_steps:=20}" "${steps:=20}" "${limit:=20}"
        beam=2 threads=1 ;;  # CI: an untrained model's hypotheses run to the length limit, so keep the beam
                             # small; one thread per process, since ctest runs two tests at once on 2 cores
  quick) : "${llm_steps:=600}" "${steps:=6500}" "${limit:=300}" ;;
  full) : "${llm_steps:=4000}" "${steps:=12000}" "${limit:=1000}" ;;
  *) echo "reference: --size must be tiny, quick or full" >&2; exit 2 ;;
esac
out=${out:-runs/$size}
data=${data:-data/$size}
[ -x "$jstip" ] || { echo "reference: $jstip not found; build first (scripts/build.sh)" >&2; exit 1; }
start=$(date +%s)
stamp() { echo "[reference $(( $(date +%s) - start )) s] $*"; }

# The configs name data/quick; other sizes get a copy that names data/SIZE.
configs=configs
if [ "$data" != data/quick ]; then
  configs=$out/configs
  source "$here/lib/copy_configs.sh"
  copy_configs "$configs" "$data"
fi

stamp "1/4 data ($data)"
bash recipes/make_data.sh --size "$size" --out "$data" --jstip "$jstip"

llm=$out/llm-pretrain/llm
if [ -f "$llm/config.json" ]; then
  stamp "2/4 text-pretrained LLM: reusing $llm"
else
  stamp "2/4 pretraining the LLM on text ($llm_steps steps)"
  "$jstip" train "$configs/llm-pretrain.yaml" output_dir="$out/llm-pretrain" trainer.export_llm="$llm" \
    "trainer.stages=[{name: text, steps: $llm_steps, freeze: {encoder: true, projector: true}}]" ${threads:+threads=$threads}
fi

stamp "3/4 training $config ($steps steps) and scoring the test sets"
name=$(basename "$config" .yaml)
"$jstip" compare "$configs/$(basename "$config")" --out "$out" --reuse --steps "$steps" --limit "$limit" \
  --test general="$data/test_general/*.shard" --test medical="$data/test_medical/*.shard" \
  --test heldout_voices="$data/test_heldout/*.shard" ${beam:+--beam "$beam"} ${threads:+threads=$threads} llm.pretrained="$llm"

stamp "4/4 zero-shot spoken QA (speech vs the same questions as text)"
run=$out/runs/$name
for input in speech text; do
  qa=$out/qa/$input
  if [ ! -f "$qa/summary.json" ]; then
    "$jstip" decode "$run" --data "$data/qa/*.shard" --out "$qa" --task qa --input "$input" --limit "$limit" --quiet
    "$jstip" eval --hyp "$qa/hyp.jsonl" --task qa --out "$qa" > "$qa/eval.txt"
  fi
done

# The encoder's CTC head alone on the same test sets: what the LLM adds.
if grep -q 'ctc_vocab' "$run/config.yaml"; then
  for set in general medical heldout; do
    ctc=$out/ctc/$set
    if [ ! -f "$ctc/eval.txt" ]; then
      "$jstip" decode "$run" --data "$data/test_$set/*.shard" --out "$ctc" --limit "$limit" --quiet decode.search=ctc
      "$jstip" eval --hyp "$ctc/hyp.jsonl" --out "$ctc" > "$ctc/eval.txt"
    fi
  done
fi

echo
echo "== $name on $data: $(( $(date +%s) - start )) s =="
sed -n '/^## /,$p' "$out/results.md" | sed -n '1,40p'
for input in speech text; do
  printf 'spoken QA, questions as %-6s: %s\n' "$input" \
    "$(grep -E '^answer containment' "$out/qa/$input/eval.txt" | tr -s ' ')"
done
for set in general medical heldout; do
  if [ -f "$out/ctc/$set/eval.txt" ]; then
    printf 'CTC head alone, %-8s: %s\n' "$set" "$(grep -E '^WER' "$out/ctc/$set/eval.txt" | tr -s ' ')"
  fi
done
echo "tables and plots: $out/results.md, $out/*.png"
