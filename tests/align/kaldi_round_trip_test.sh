#!/usr/bin/env bash
# Real data without timings made usable by JSTIP: a Kaldi data dir (WAVs +
# text, no timings) is imported, a tiny CTC-only model is trained on speech
# with timings, `jstip align` writes timings into new shards (a transcript
# too long for its audio is dropped and counted), and one JSTIP training
# step runs on the aligned shards, which it refused before alignment.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common/script_prelude.sh"
fail() { echo "FAIL: $*"; exit 1; }

source "$source_dir/tests/train/tiny_corpus.sh"
# The "real" corpus: WAV files and transcripts, as a Kaldi data dir.
printf 'k1\tthe nurse checked his pulse\nk2\topen the window please\nk3\tit rained all night long\n' > real.txt
"$jstip" data synth real.txt --out real_synth --no-progress synthesis.seed=5 > /dev/null
mkdir -p kaldi
for id in k1 k2 k3; do "$jstip" data inspect real_synth --id $id --wav "$work/$id.wav" > /dev/null; done
printf 'k1 %s/k1.wav\nk2 %s/k2.wav\nk3 %s/k3.wav\n' "$work" "$work" "$work" > kaldi/wav.scp
{
  echo "k1 The nurse checked his pulse."   # as written: align keeps the written forms
  echo "k2 open the window please"
  # Far more words than about two seconds of audio can hold at 40 ms frames.
  printf 'k3'; for i in $(seq 60); do printf ' it rained all night long'; done; echo
} > kaldi/text
"$jstip" data import --kaldi kaldi --out imported --no-progress > /dev/null
"$jstip" data stats imported | grep -q "timed records 0 of 3 with audio" || fail "imported records have timings"

# A CTC aligner: CTC loss alone (trainer.llm_weight 0) on sentencepiece units.
cat > ctc.yaml <<YAML
base: $source_dir/configs/tiny.yaml
seed: 1
output_dir: $work/ctc
tokenizer: {model: $work/tok.model}
interleaver: {type: asr}
encoder: {ctc_vocab: 301}
llm: {vocab_size: 320}
data:
  max_frames_per_batch: 1500
  max_utterances_per_batch: 4
  sources: [{name: pairs, shards: [$work/shards/*.shard]}]
trainer: {lr: 3.0e-3, log_every: 1, save_every: 4, ctc_weight: 1.0, llm_weight: 0, stages: [{name: main, steps: 4}]}
YAML
"$jstip" train ctc.yaml --quiet --threads 1 > /dev/null
python3 - ctc/metrics.jsonl <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
assert len(rows) == 4, rows
for r in rows:
    assert r["loss"] is not None and math.isfinite(r["loss"]) and abs(r["ctc_loss"] - r["loss"]) <= 1e-9 * r["loss"], r
    assert list(r["strategy_loss"]) == ["ctc"], r
PY

# Before alignment the timing strategies refuse the data, naming the fix.
cat > jstip.yaml <<YAML
base: $source_dir/configs/tiny.yaml
seed: 1
output_dir: $work/jstip_run
tokenizer: {model: $work/tok.model}
interleaver: {type: STRATEGY}
llm: {vocab_size: 320}
data:
  max_frames_per_batch: 3000
  max_utterances_per_batch: 4
  sources: [{name: pairs, shards: [$work/SHARDS/*.shard]}]
trainer: {lr: 1.0e-3, log_every: 1, save_every: 1, stages: [{name: main, steps: 1}]}
YAML
sed 's/SHARDS/imported/; s/STRATEGY/word/' jstip.yaml > jstip_unaligned.yaml
if "$jstip" train jstip_unaligned.yaml --quiet --threads 1 > unaligned.log 2>&1; then fail "JSTIP trained on unaligned data"; fi
grep -q "jstip align" unaligned.log || fail "the refusal does not point to jstip align: $(cat unaligned.log)"

# Align. The 4-step model is poor, so the score threshold is set low here.
"$jstip" align ctc --data imported --out aligned align.min_score=-50 --batch 2 --threads 1 > align.log 2> align.err
cat align.log
grep -q "aligned 2 of 3 records (0 poor, 1 failed, 0 text-only; poor and failed dropped); wrote 2" align.log ||
  fail "unexpected counts: $(cat align.log)"
grep -q "record 'k3': transcript of .* units needs at least .* encoder frames, the audio gives" align.err ||
  fail "the too-long transcript is not reported clearly: $(cat align.err)"
grep -Eq "plugin encoder '[^']+' [^ ]+ from /[^ ]+/jstip_plugin_[^ /]+\.so$" align.err ||
  fail "align does not log the encoder plugin it loaded, with its path: $(cat align.err)"
"$jstip" data stats aligned | grep -q "timed records 2 of 2 with audio" || fail "aligned shards lack timings"
"$jstip" data inspect aligned --id k1 --full > k1.txt
grep -q 'written: "The nurse checked his pulse."' k1.txt && grep -Eq '^ +[0-9.]+ +[0-9.]+ +the +The( |$)' k1.txt &&
  grep -Eq ' pulse +pulse\.( |$)' k1.txt || fail "align lost the written forms: $(cat k1.txt)"
python3 - aligned/align_summary.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert (s["records"], s["aligned"], s["failed"], s["written"]) == (3, 2, 1, 2), s
assert s["units"] == "pieces" and abs(s["frame_seconds"] - 0.04) < 1e-9, s
PY
"$jstip" data inspect aligned --id k1 > k1.log
grep -q "align_score=" k1.log || fail "no align_score in the record: $(cat k1.log)"

# Flagging instead of dropping keeps every record, marked.
"$jstip" align ctc --data imported --out flagged align.min_score=0 align.poor=flag --threads 1 > flag.log 2>/dev/null
grep -q "aligned 0 of 3 records (2 poor, 1 failed, 0 text-only; flagged); wrote 3" flag.log ||
  fail "unexpected flag counts: $(cat flag.log)"
"$jstip" data inspect flagged --id k2 | grep -q "align_poor=1" || fail "poor record not flagged"

# A config typo is named.
if "$jstip" align ctc --data imported --out x align.min_scor=-1 > /dev/null 2> typo.err; then fail "typo accepted"; fi
grep -q "did you mean 'min_score'" typo.err || fail "typo not explained: $(cat typo.err)"

# One JSTIP step on the aligned real data, with word and segment interleaving
# only (untimed records would silently become asr samples).
sed 's/SHARDS/aligned/; s/STRATEGY/jstip, word_weight: 1, segment_weight: 1, asr_weight: 0/' jstip.yaml > jstip_aligned.yaml
"$jstip" train jstip_aligned.yaml --quiet --threads 1 > /dev/null
python3 - jstip_run/metrics.jsonl <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
assert len(rows) == 1 and rows[0]["loss"] is not None and math.isfinite(rows[0]["loss"]), rows
assert rows[0]["strategy_loss"] and set(rows[0]["strategy_loss"]) <= {"word", "segment"}, rows
PY
echo "kaldi import -> align -> JSTIP step: ok"
