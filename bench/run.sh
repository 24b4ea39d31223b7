#!/usr/bin/env bash
# The performance suite, one command (docs/performance.md):
#   bash bench/run.sh [--smoke] [--threads N] [--build DIR] [--out WORK_DIR] [--docs DIR]
# Makes its own test audio with the toolkit's synthesizer, then measures in
# one run: the matmul peak, the reference composition's training step and
# decoding (C++, Google Benchmark), the same in Python PyTorch
# (bench/python/, when python3-torch is installed), pocketsphinx's real-time
# factor (when installed), whole-process training (data wait, 2-process data
# parallel vs 1 process x 2 threads) and decoding (batch 1 vs 16 with the
# model FLOPs those runs needed, the first utterance vs the steady state).
# Writes performance.md and performance.json to --docs (default: docs/ for a
# full run, the work folder for --smoke).
# --smoke: a tiny version of every part (the ctest bench.suite_smoke).
# --threads: intra-op threads of the model figures (default: 2, or 1 on a
# one-core machine); on a busy machine 1 gives steadier figures, since a
# 2-thread OpenMP region waits for whichever thread was descheduled.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
smoke=0
build=build
work=""
docs=""
threads=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --build) build=$2; shift ;;
    --out) work=$2; shift ;;
    --docs) docs=$2; shift ;;
    --threads) threads=$2; shift ;;
    *) echo "bench/run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
work=${work:-$build/bench-suite}
[ "$smoke" = 1 ] && docs=${docs:-$work} || docs=${docs:-docs}
jstip=$build/bin/jstip
suite=$build/bin/jstip_bench_suite
for exe in "$jstip" "$suite"; do
  [ -x "$exe" ] || { echo "bench/run.sh: $exe missing; build it first: cmake --build $build --target jstip jstip_bench_suite" >&2; exit 1; }
done
if [ -z "$threads" ] && [ "$smoke" = 1 ]; then
  threads=1   # the smoke run checks that every part works, quickly, on a busy CI machine too
elif [ -z "$threads" ]; then
  threads=$(nproc)
  [ "$threads" -gt 2 ] && threads=2   # the suite's figures are for 1 and 2 threads
fi
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
log() { echo "[bench $(date +%H:%M:%S)] $*"; }
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. Test audio and a tokenizer, made here so the suite runs on a fresh machine.
if [ "$smoke" = 1 ]; then head -n 6 bench/suite/sentences.txt > "$work/sentences.txt"; steps=2; else
  cp bench/suite/sentences.txt "$work/sentences.txt"; steps=12; fi
log "synthesizing $(wc -l < "$work/sentences.txt") utterances (espeak-ng)"
"$jstip" data synth "$work/sentences.txt" --out "$work/shards" --no-progress > /dev/null
"$jstip" tokenizer train "$work/sentences.txt" --out "$work/tok" --vocab-size 400 --symbols '<speech>,</speech>' \
  --force > /dev/null
repeats=$([ "$smoke" = 1 ] && echo 3 || echo 8)
for _ in $(seq "$repeats"); do echo "the nurse checked his pulse and temperature every four hours"; done > "$work/repeat.txt"
"$jstip" data synth "$work/repeat.txt" --out "$work/repeat" --config bench/suite/repeat_voice.yaml --no-progress > /dev/null

# 2. C++: Google Benchmark cases (matmul peak, training step, decoding, fbank).
log "C++ suite ($threads threads)"
"$suite" --shards "$work/shards/*.shard" --tokenizer "$work/tok.model" --work "$work" --threads "$threads" \
  $([ "$smoke" = 1 ] && echo --smoke) --benchmark_out="$work/cpp.json" --benchmark_out_format=json \
  > "$work/cpp.log"

# 3. The Python peer on the same batch, shapes and audio.
if /usr/bin/python3 -c 'import torch, torchaudio' 2> /dev/null; then
  log "Python peer"
  (cd bench/python && /usr/bin/python3 peer.py --trace "$work/trace" --wav "$work/wav" --out "$work/python.json" \
    --threads "$threads" $([ "$smoke" = 1 ] && echo --smoke))
else
  log "Python peer skipped: python3-torch/python3-torchaudio not installed"
  echo '{"skipped": "python3-torch or python3-torchaudio not installed (apt-get install python3-torch python3-torchaudio)"}' \
    > "$work/python.json"
fi

# 4. pocketsphinx on the same audio, as one long file (its model loads once).
if command -v pocketsphinx_continuous > /dev/null && command -v sox > /dev/null; then
  log "pocketsphinx"
  sox "$work"/wav/*.wav "$work/all.wav"
  audio=$(soxi -D "$work/all.wav")
  t0=$(date +%s.%N)
  pocketsphinx_continuous -infile "$work/all.wav" -logfn /dev/null > "$work/pocketsphinx.txt"
  t1=$(date +%s.%N)
  echo "{\"audio_seconds\": $audio, \"wall_seconds\": $(awk "BEGIN {print $t1 - $t0}")}" > "$work/pocketsphinx.json"
else
  echo '{"skipped": "pocketsphinx not installed (apt-get install pocketsphinx pocketsphinx-en-us)"}' > "$work/pocketsphinx.json"
fi

# 5. Whole processes: `jstip train` on the reference composition (data wait,
#    step time), 2 ranks x 1 thread vs 1 process x 2 threads on the same
#    global batch, then `jstip decode` at batch 1 and 16.
train_config() {  # NAME UTTERANCES_PER_BATCH
  cat > "$work/$1.yaml" <<YAML
base: $repo/configs/jstip.yaml
output_dir: $work/$1
tokenizer: {model: $work/tok.model}
data:
  max_utterances_per_batch: $2
  sources:
    - {name: pairs, shards: [$work/shards/*.shard], weight: 0.6}
    - {name: text, shards: [$work/shards/*.shard], weight: 0.4, interleaver: {type: text_lm}}
  dev: {shards: [$work/shards/*.shard]}
trainer: {log_every: 1, save_every: 100000, eval_every: 0, max_dev_batches: 1, stages: [{name: main, steps: $steps}]}
decode: {beam: 1, ctc_weight: 0}   # the greedy LLM search the Python peer also runs (base.yaml decodes jointly)
YAML
}
log "jstip train: reference ($steps steps)"
train_config train_reference 16
"$jstip" train "$work/train_reference.yaml" --quiet --threads "$threads" 2> "$work/train_reference.log"
if [ "$(nproc)" -ge 2 ]; then
  log "jstip train: 1 process x 2 threads vs 2 processes x 1 thread"
  per_rank=$([ "$smoke" = 1 ] && echo 2 || echo 8)  # each rank needs batches of its own
  train_config train_one "$per_rank"
  "$jstip" train "$work/train_one.yaml" --quiet --threads 2 trainer.accumulate=2 2> "$work/train_one.log"
  train_config train_ddp "$per_rank"
  "$jstip" train "$work/train_ddp.yaml" --quiet --threads 1 --nproc 2 2> "$work/train_ddp.log"
fi
log "jstip decode: batch 1, batch 16, first utterance"
# A test set of 4 x the sentences (each copy gets other voices and prosody), so
# batch 16 runs 9 batches and the figure is throughput rather than warm-up.
copies=$([ "$smoke" = 1 ] && echo 1 || echo 4)
for k in $(seq "$copies"); do awk -v k="$k" '{print "test" k "-" NR "\t" $0}' "$work/sentences.txt"; done > "$work/test.txt"
"$jstip" data synth "$work/test.txt" --out "$work/test" --no-progress > /dev/null
# Twice each, interleaved, and the report takes each batch size's faster run:
# batch 1 is memory-bound and its time moved by up to 2x on a shared VM.
rounds=$([ "$smoke" = 1 ] && echo 1 || echo 2)
for round in $(seq "$rounds"); do
  for b in 1 16; do
    "$jstip" decode "$work/train_reference" --data "$work/test/*.shard" --out "$work/decode_b$b/run$round" --batch $b \
      $([ "$smoke" = 1 ] && echo --limit 4) --threads "$threads" > /dev/null 2>&1
  done
done
# The model FLOPs those runs had to compute (no padding), for the batching ceiling.
"$suite" --decode-flops "batch1=$work/decode_b1/run1/hyp.jsonl" --decode-flops "batch16=$work/decode_b16/run1/hyp.jsonl" \
  --config "$work/train_reference.yaml" --work "$work" > /dev/null
"$jstip" decode "$work/train_reference" --data "$work/repeat/*.shard" --out "$work/decode_repeat" --batch 1 \
  --threads "$threads" > /dev/null 2>&1

# 6. The report.
elapsed=$(( $(date +%s) - start ))
command="bash bench/run.sh --threads $threads"
if [ "$smoke" = 1 ]; then command="bash bench/run.sh --smoke --threads $threads"; fi
echo "{\"start\": \"$load_start\", \"end\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" > "$work/load.json"
/usr/bin/python3 bench/report.py --work "$work" --docs "$docs" --command "$command" --seconds "$elapsed"
log "done in ${elapsed} s: $docs/performance.md"
