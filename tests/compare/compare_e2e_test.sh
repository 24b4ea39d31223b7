#!/usr/bin/env bash
# `jstip compare` end to end: two tiny configs (ASR-only vs JSTIP interleaving)
# trained on a tiny espeak-ng corpus, decoded and scored on two test sets (one
# with entities); checks results.md/results.json and that the PNGs are PNGs.
# Then --reuse (no retraining) and a failing child (a test glob with no shards).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common/script_prelude.sh"

if ! "$jstip" decode --help > /dev/null 2>&1; then
  echo "this jstip has no decode command; compare needs it: skipped"
  exit 77
fi

source "$source_dir/tests/train/tiny_corpus.sh"
cat > medical.txt <<'TEXT'
a doctor gave her [[aspirin|drug]]
the nurse gave him [[aspirin|drug]] and [[warfarin|drug]]
TEXT
"$jstip" data synth medical.txt --out medical --no-progress > /dev/null

cat > base.yaml <<YAML
base: $source_dir/configs/tiny.yaml
seed: 3
tokenizer: {model: $work/tok.model}
llm: {vocab_size: 320}
data:
  max_frames_per_batch: 1500
  max_utterances_per_batch: 4
  sources: [{name: pairs, shards: [$work/shards/*.shard]}]
  dev: {shards: [$work/medical/*.shard]}
trainer:
  lr: 3.0e-3
  warmup_steps: 2
  log_every: 2
  save_every: 1000
  eval_every: 4
  stages: [{name: main, steps: 500}]
YAML
printf 'base: base.yaml\ninterleaver: {type: asr}\n' > asr.yaml
printf 'base: base.yaml\ninterleaver: {type: jstip}\n' > jstip.yaml

fail() { echo "FAIL: $*"; exit 1; }
is_png() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

# --steps 8 replaces the 500 configured steps; --jobs 2 runs both configs at once.
"$jstip" compare asr.yaml jstip.yaml --test clean="$work/shards/*.shard" --test medical="$work/medical/*.shard" \
  --out out --steps 8 --limit 4 --threads 1 --quiet --jobs 2 | tee compare.log

for f in results.md results.json; do [ -s "out/$f" ] || fail "out/$f missing"; done
for png in loss wer entity_accuracy; do is_png "out/$png.png" || fail "out/$png.png is not a PNG"; done
grep -q '^| asr | ' out/results.md || fail "no asr row in results.md"
grep -q '^| jstip | ' out/results.md || fail "no jstip row in results.md"
grep -q 'medical (3 entities)' out/results.md || fail "no entity column for medical"
grep -q '^| jstip | 8 | ' out/results.md || fail "jstip did not train 8 steps"
# Per-utterance entity counts in alignments.txt add up to summary.json's totals.
counts=$(sed -n 's/^id: .*  entities \([0-9]*\) of \([0-9]*\)$/\1 \2/p' out/eval/jstip/medical/alignments.txt |
  awk '{f += $1; t += $2} END {print f, t}')
summary=$(python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["entity_accuracy"]; print(e["found"], e["total"])' \
  out/eval/jstip/medical/summary.json)
[ "$counts" = "$summary" ] && [ "${counts#* }" -gt 0 ] ||
  fail "alignments.txt entity counts ($counts) differ from summary.json ($summary)"
grep -q '^\[train asr\] ' compare.log || fail "train output not prefixed"
grep -q '^\[decode jstip/medical\] ' compare.log || fail "decode output not prefixed"
# Side by side: jstip started training before asr's training ended, and the rows keep the configs' order.
first_jstip=$(grep -n '^\[train jstip\] ' compare.log | head -1 | cut -d: -f1)
last_asr=$(grep -n '^\[train asr\] ' compare.log | tail -1 | cut -d: -f1)
[ "$first_jstip" -lt "$last_asr" ] || fail "--jobs 2 did not train the two configs at the same time"
[ "$(grep -n -m1 '^| asr | ' out/results.md | cut -d: -f1)" -lt "$(grep -n -m1 '^| jstip | ' out/results.md | cut -d: -f1)" ] ||
  fail "results.md rows are not in the configs' order"
cat out/results.md

# --reuse: the finished runs are kept, nothing is retrained.
"$jstip" compare asr.yaml jstip.yaml --test clean="$work/shards/*.shard" --out out --steps 8 --limit 2 \
  --threads 1 --reuse > reuse.log 2>&1 || { cat reuse.log; fail "compare --reuse failed"; }
[ "$(grep -c 'reusing the finished run' reuse.log)" -eq 2 ] || { cat reuse.log; fail "--reuse retrained"; }
if grep -q '^\[train ' reuse.log; then cat reuse.log; fail "--reuse ran jstip train"; fi
grep -q '(reused)' out/results.md || fail "results.md does not say the runs were reused"
[ -e out/entity_accuracy.png ] && fail "the entity plot of the earlier comparison was left in out/"

# A failing child stops compare with its exit status and names the config / test set.
set +e
"$jstip" compare asr.yaml --test none="$work/no-such-dir/*.shard" --out out --steps 8 --threads 1 --reuse \
  > failing.log 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || { cat failing.log; fail "compare succeeded on a test set without shards"; }
grep -q "decode asr/none failed with exit status $rc" failing.log || { cat failing.log; fail "failure not reported"; }

# The same failure with two configs side by side: compare still exits with the child's status.
set +e
"$jstip" compare asr.yaml jstip.yaml --test none="$work/no-such-dir/*.shard" --out out --steps 8 --threads 1 \
  --reuse --jobs 2 > failing_jobs.log 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || { cat failing_jobs.log; fail "compare --jobs 2 succeeded on a test set without shards"; }
grep -q "decode .*/none failed with exit status $rc" failing_jobs.log || { cat failing_jobs.log; fail "--jobs failure not reported"; }
echo "compare end to end: ok"
