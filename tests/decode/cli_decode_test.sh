#!/usr/bin/env bash
# `jstip train` for 3 steps on a tiny espeak-ng corpus, then `jstip decode` on
# it (greedy, beam with text input, spoken QA with bias terms, the CTC head), then
# `jstip eval --hyp` on each output: the files exist, parse and line up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common/script_prelude.sh"
fail() { echo "FAIL: $*"; exit 1; }
# Each plugin a command used is logged once, with its version and the file it came from.
plugin_logged() {  # LOG KIND NAME
  local count
  count=$(grep -Ec "plugin $2 '$3' [^ ]+ from /[^ ]+/jstip_plugin_$3\.so$" "$1" || true)
  [ "$count" -eq 1 ] || fail "$1: expected one log line for the $2 plugin '$3', got $count: $(cat "$1")"
}

source "$source_dir/tests/train/tiny_corpus.sh"
# Spoken questions: id<TAB>question<TAB>metadata (answers separated by |).
printf 'q1\twhat is the capital of france\tanswers=paris|paris france;domain=qa\n' > qa.txt
printf 'q2\twhat colour is the sky\tanswers=blue;domain=qa\n' >> qa.txt
"$jstip" data synth qa.txt --out qa --no-progress > /dev/null 2> synth.err || { cat synth.err; fail "data synth"; }
plugin_logged synth.err synthesizer espeak-ng
printf 'aspirin\nwarfarin\n' > terms.txt

cat > run.yaml <<YAML
base: $source_dir/configs/tiny.yaml
seed: 1
output_dir: $work/run
tokenizer: {model: $work/tok.model}
interleaver: {type: asr}
llm: {vocab_size: 320}
encoder: {ctc_vocab: 301}   # a CTC head (300 pieces + blank) for decode.search=ctc
data:
  max_frames_per_batch: 1500
  max_utterances_per_batch: 3
  sources: [{name: pairs, shards: [$work/shards/*.shard]}]
  dev: {shards: [$work/shards/*.shard]}
trainer: {lr: 3.0e-3, log_every: 1, save_every: 3, eval_every: 3, max_dev_batches: 1, stages: [{name: main, steps: 3}]}
YAML
"$jstip" train run.yaml --quiet --threads 1 > /dev/null 2> train.err || { cat train.err; fail "train"; }
for slot in "encoder transformer" "projector stack_linear" "llm llama" "interleaver asr"; do
  plugin_logged train.err $slot
done

# Greedy, batches of 3 over 5 records of different lengths.
"$jstip" decode run --data shards/*.shard --out greedy --batch 3 --limit 5 decode.max_tokens_cap=12 2>&1 | tee greedy.log
for slot in "encoder transformer" "projector stack_linear" "llm llama" "interleaver asr"; do
  plugin_logged greedy.log $slot
done
grep -q '^decoded 5 utterances' greedy.log || fail "no summary line"
for f in hyp.jsonl ref.trn hyp.trn decode_summary.json; do [ -s "greedy/$f" ] || fail "greedy/$f missing or empty"; done
[ "$(wc -l < greedy/hyp.jsonl)" -eq 5 ] || fail "hyp.jsonl has $(wc -l < greedy/hyp.jsonl) lines, expected 5"
[ "$(wc -l < greedy/hyp.trn)" -eq 5 ] && [ "$(wc -l < greedy/ref.trn)" -eq 5 ] || fail "trn files do not have 5 lines"
python3 - greedy <<'PY'
import json, sys
folder = sys.argv[1]
lines = [json.loads(l) for l in open(folder + "/hyp.jsonl")]
summary = json.load(open(folder + "/decode_summary.json"))
for key in ["utterances", "audio_seconds", "wall_seconds", "real_time_factor", "output_tokens", "tokens_per_second",
            "peak_rss_bytes"]:
    assert key in summary, "decode_summary.json lacks " + key
assert summary["utterances"] == 5 and summary["audio_seconds"] > 0 and summary["peak_rss_bytes"] > 0, summary
assert summary["output_tokens"] == sum(len(l["tokens"]) for l in lines)
ref_ids = [l.rsplit("(", 1)[1].rstrip(")\n") for l in open(folder + "/ref.trn")]
for line, tag in zip(lines, ref_ids):
    assert tag.endswith(line["id"]), (tag, line["id"])
    assert 1 <= len(line["tokens"]) + (line["stopped"] == "eos") and len(line["tokens"]) <= 12, line
    assert line["reference"] and "timings" in line and line["timings"]["audio_seconds"] > 0, line
assert [l["id"] for l in lines] == sorted(l["id"] for l in lines), "records out of order"
PY
"$jstip" eval --hyp greedy/hyp.jsonl --out greedy/eval | tee greedy_eval.log
grep -q '^WER ' greedy_eval.log || fail "eval printed no WER"
[ -s greedy/eval/summary.json ] || fail "eval wrote no summary"

# Beam 3 with the transcript given as text (modality-gap input), checkpoints folder.
"$jstip" decode run/checkpoints --data 'shards/*.shard' --out beam --beam 3 --batch 2 --input text \
  decode.max_tokens_cap=8 decode.length_penalty=0.6 > beam.log
grep -q '"beam":3' <(tr -d ' \n' < beam/decode_summary.json) || fail "beam size not in the summary"
[ "$(wc -l < beam/hyp.jsonl)" -eq 8 ] || fail "beam hyp.jsonl does not have 8 lines"
"$jstip" eval --hyp beam/hyp.jsonl > /dev/null

# Spoken QA with bias terms in the prompt; scored by eval --task qa.
"$jstip" decode run --data qa/*.shard --out qa_out --task qa --beam 2 --bias-terms terms.txt \
  decode.max_tokens_cap=6 > qa.log
grep -q '"prompt": *"answer the question terms: aspirin, warfarin"' qa_out/decode_summary.json ||
  fail "QA prompt with bias terms not in the summary: $(cat qa_out/decode_summary.json)"
grep -q '"answers":\["paris","paris france"\]' qa_out/hyp.jsonl || fail "answers not written: $(cat qa_out/hyp.jsonl)"
"$jstip" eval --hyp qa_out/hyp.jsonl --task qa | tee qa_eval.log
grep -q '^questions *2' qa_eval.log || fail "eval --task qa did not score 2 questions"

# The encoder's CTC head alone (decode.search=ctc): one greedy path per record, scored by eval.
"$jstip" decode run --data shards/*.shard --out ctc --batch 2 --limit 5 decode.search=ctc > ctc.log
grep -q '"search":"ctc"' <(tr -d ' \n' < ctc/decode_summary.json) || fail "search not in the summary"
[ "$(wc -l < ctc/hyp.jsonl)" -eq 5 ] || fail "ctc hyp.jsonl does not have 5 lines"
"$jstip" eval --hyp ctc/hyp.jsonl > /dev/null
if "$jstip" decode run --data shards/*.shard --out x --input text decode.search=ctc 2> err.log; then
  fail "ctc search with text input accepted"; fi
grep -q "needs speech" err.log || fail "error does not say the CTC head needs speech: $(cat err.log)"
if "$jstip" decode run --data shards/*.shard --out x decode.search=lm 2> err.log; then fail "decode.search=lm accepted"; fi
grep -q "decode.search must be llm or ctc" err.log || fail "bad decode.search not named: $(cat err.log)"

# Joint CTC/LLM beam search (decode.ctc_weight): weight in the summary; QA decodes with the LLM alone.
"$jstip" decode run --data shards/*.shard --out joint --beam 2 --batch 3 --limit 5 decode.ctc_weight=0.5 \
  decode.ctc_pre_beam=10 decode.max_tokens_cap=8 > joint.log 2>&1
grep -q '"ctc_weight":0.5' <(tr -d ' \n' < joint/decode_summary.json) || fail "ctc_weight not in the summary"
[ "$(wc -l < joint/hyp.jsonl)" -eq 5 ] || fail "joint hyp.jsonl does not have 5 lines"
"$jstip" eval --hyp joint/hyp.jsonl > /dev/null
"$jstip" decode run --data qa/*.shard --out qa_joint --task qa decode.ctc_weight=0.5 decode.max_tokens_cap=4 > qa_joint.log 2>&1
grep -q "decodes with the LLM alone" qa_joint.log || fail "QA with ctc_weight did not fall back: $(cat qa_joint.log)"
# Both read the CTC head's units as token ids: a character head is refused by key, for each.
for option in decode.search=ctc decode.ctc_weight=0.5; do
  if "$jstip" decode run --data shards/*.shard --out x "$option" trainer.ctc_units=chars 2> err.log; then
    fail "$option with a character CTC head accepted"; fi
  grep -q "trainer.ctc_units.*reads the CTC head's units as the tokenizer's pieces, which needs trainer.ctc_units: pieces" err.log ||
    fail "$option: character CTC head not refused by key: $(cat err.log)"
done
if "$jstip" decode run --data shards/*.shard --out x --input text decode.ctc_weight=0.5 decode.max_tokens_cap=4 --limit 2 > text_joint.log 2>&1; then :; else
  fail "text input with ctc_weight did not fall back to the LLM alone: $(cat text_joint.log)"; fi
if "$jstip" decode run --data shards/*.shard --out x decode.ctc_weight=2 2> err.log; then fail "ctc_weight 2 accepted"; fi
grep -q "decode.ctc_weight must be in \[0, 1\]" err.log || fail "bad ctc_weight not named: $(cat err.log)"

# A tokenizer other than the one the checkpoint was trained with (same size, other pieces) is refused.
printf 'zebra quartz jumps\nvivid oxygen kayak\n' > other.txt
cat text.txt other.txt other.txt > other_corpus.txt
"$jstip" tokenizer train other_corpus.txt --out other_tok --vocab-size 300 --symbols '<speech>,</speech>' --force > /dev/null
if "$jstip" decode run --data shards/*.shard --out x --limit 1 tokenizer.model="$work/other_tok.model" 2> err.log; then
  fail "decoding with another tokenizer was accepted"; fi
grep -q "was trained with the tokenizer $work/tok.model (300 pieces, crc32c [0-9a-f]*), but the tokenizer given is $work/other_tok.model" err.log ||
  fail "tokenizer mismatch not named: $(cat err.log)"
if "$jstip" train --resume run tokenizer.model="$work/other_tok.model" --quiet 2> err.log; then
  fail "resuming with another tokenizer was accepted"; fi
grep -q "was trained with the tokenizer" err.log || fail "resume: tokenizer mismatch not named: $(cat err.log)"
grep -q '"crc32c"' run/checkpoints/step-00000003/trainer_state.json || fail "no tokenizer fingerprint in the checkpoint"

# Errors name what is wrong.
if "$jstip" decode nowhere --data shards/*.shard --out x 2> err.log; then fail "a missing checkpoint was accepted"; fi
grep -q "nowhere" err.log || fail "error does not name the checkpoint: $(cat err.log)"
if "$jstip" decode run --data shards/*.shard --out x --task qa 2> err.log; then fail "qa without answers accepted"; fi
grep -q "answers" err.log || fail "error does not say answers are missing: $(cat err.log)"
echo "train -> decode -> eval: ok"
