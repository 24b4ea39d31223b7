#!/usr/bin/env bash
# Checkpoints that carry what decoding needs (docs/training.md, "Checkpoints"):
# two tiny runs trained with relative paths (tokenizer.model: tok.model,
# llm.pretrained: base/llm, a text-pretrained LLM of other sizes than the
# config's llm options):
#   frozen  the LLM frozen with LoRA adapters: its base weights stay in base/llm
#   full    everything trains: the checkpoint holds the whole LLM
# Then the data, the tokenizer, the pretrained LLM and the runs are moved, and
# decoding runs from another folder: `full` gives the same hypotheses without
# the pretrained LLM (composed with no file, from the sizes its config.yaml
# recorded); `frozen` names the missing file, accepts it at its new place
# (llm.pretrained=NEWPATH, hash-checked; a changed copy is refused), and after
# `jstip export` decodes with the original gone, same hypotheses again; a
# tokenizer swapped into a checkpoint's own copy is refused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common/script_prelude.sh"
fail() { echo "FAIL: $*"; exit 1; }

source "$source_dir/tests/train/tiny_corpus.sh"

# The text-pretrained LLM: 1 layer of width 48 (the runs' config says 2 of 64).
cat > base.yaml <<YAML
base: $source_dir/configs/tiny.yaml
seed: 2
output_dir: base/run
tokenizer: {model: tok.model}
interleaver: {type: text_lm}
llm: {vocab_size: 320, hidden_size: 48, intermediate_size: 96, num_layers: 1, num_heads: 4, rope_theta: 50000.0}
data:
  max_utterances_per_batch: 4
  sources: [{name: text, shards: [shards/*.shard]}]
trainer: {lr: 3.0e-3, log_every: 1, save_every: 100, export_llm: base/llm, stages: [{name: text, steps: 2}]}
YAML
"$jstip" train base.yaml --quiet --threads 1 > /dev/null 2> base.err || { cat base.err; fail "train the base LLM"; }
[ -f base/llm/config.json ] || fail "no exported base LLM"

write_run() {  # NAME STAGE
  cat > "$1.yaml" <<YAML
base: $source_dir/configs/tiny.yaml
seed: 1
output_dir: $1
tokenizer: {model: tok.model}
interleaver: {type: asr}
llm: {vocab_size: 320, pretrained: base/llm}
data:
  max_frames_per_batch: 1500
  max_utterances_per_batch: 3
  sources: [{name: pairs, shards: [shards/*.shard]}]
trainer: {lr: 3.0e-3, log_every: 1, save_every: 3, stages: [$2]}
YAML
}
write_run frozen "{name: main, steps: 3, freeze: {llm: true}, lora: {llm: {target: 'self_attn\\.(q|v)_proj\$', rank: 2, alpha: 4}}}"
write_run full "{name: main, steps: 3}"
for run in frozen full; do
  "$jstip" train $run.yaml --quiet --threads 1 > /dev/null 2> $run.err || { cat $run.err; fail "train $run"; }
done

decode() {  # RUN OUT [key=value ...]: greedy on 4 records of the shards wherever they are now
  local run=$1 out=$2
  shift 2
  "$jstip" decode "$run" --data "$shards/*.shard" --out "$out" --limit 4 --batch 2 decode.max_tokens_cap=6 "$@" \
    > "$out.log" 2>&1
}
shards=$work/shards
decode frozen before_frozen || { cat before_frozen.log; fail "decode frozen"; }
decode full before_full || { cat before_full.log; fail "decode full"; }

# What the checkpoints hold: frozen leaves the base LLM out, full keeps it and its sizes.
python3 - frozen/checkpoints/step-00000003 full/checkpoints/step-00000003 "$work/base/llm" <<'PY' || fail "checkpoint contents"
import json, os, struct, sys
frozen, full, base = sys.argv[1:]
def names(folder):
    with open(folder + "/model.safetensors", "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return set(header)
frozen_names, full_names = names(frozen), names(full)
base_llm = {n for n in full_names if n.startswith("llm.") and "lora_" not in n}
assert base_llm and not (base_llm & frozen_names), "frozen checkpoint still holds base LLM weights"
assert any("lora_B" in n for n in frozen_names), "frozen checkpoint lacks its LoRA adapters"
s = json.load(open(frozen + "/sources.json"))["slots"]["llm"]
assert s["weights"] == "outside" and s["architecture"] == "config", s
assert s["pretrained"]["path"] == base and set(s["omitted"]) == base_llm, s["pretrained"]
s = json.load(open(full + "/sources.json"))["slots"]["llm"]
assert s["weights"] == "inside" and not s["omitted"], s
for folder in (frozen, full):
    t = json.load(open(folder + "/sources.json"))["tokenizer"]
    assert t["file"] == "tok.model" and os.path.isfile(folder + "/tokenizer/tok.model"), t
    # hard-linked to the run's copy, not copied per checkpoint
    assert os.stat(folder + "/tokenizer/tok.model").st_nlink >= 2, "tokenizer not hard-linked"
config = open(full + "/config.yaml").read()
assert "hidden_size: 48" in config and "num_layers: 1" in config and "rope_theta: 50000" in config, config
sizes = [os.path.getsize(f + "/model.safetensors") for f in (frozen, full)]
print(f"model.safetensors: frozen {sizes[0]} bytes, full {sizes[1]} bytes")
assert sizes[0] < sizes[1]
PY

# Move everything the runs came from, and the runs, and decode from elsewhere.
mkdir -p moved elsewhere
mv shards tok.model base frozen full moved/
shards=$work/moved/shards
cd elsewhere
decode ../moved/full after_full || { cat after_full.log; fail "full: decode after the move"; }
if decode ../moved/frozen x; then fail "frozen decoded without its base LLM"; fi
grep -q "needs the frozen base 'llm.pretrained' = $work/base/llm/config.json (size [0-9]*, crc32c [0-9a-f]*): file not found" x.log ||
  fail "missing base not named: $(cat x.log)"
grep -q "llm.pretrained=NEWPATH" x.log && grep -q "jstip export" x.log || fail "no hint in: $(cat x.log)"
decode ../moved/frozen after_frozen llm.pretrained="$work/moved/base/llm" ||
  { cat after_frozen.log; fail "frozen: decode with llm.pretrained at its new place"; }

# A base that is not the one trained from (one byte of its weights changed) is refused.
cp -r "$work/moved/base/llm" changed_llm
python3 - changed_llm/model.safetensors <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-3, 2)
    b = f.read(1)
    f.seek(-3, 2)
    f.write(bytes([b[0] ^ 0x40]))
PY
if decode ../moved/frozen x llm.pretrained="$PWD/changed_llm"; then fail "a changed base was accepted"; fi
grep -q "the given llm.pretrained=$PWD/changed_llm: model.safetensors: changed (crc32c now [0-9a-f]*)" x.log ||
  fail "changed base not named: $(cat x.log)"

# Export: every weight inside, nothing outside needed.
"$jstip" export ../moved/frozen --out exported_frozen llm.pretrained="$work/moved/base/llm" > export.log 2>&1 ||
  { cat export.log; fail "export frozen"; }
"$jstip" export ../moved/full --out exported_full > export_full.log 2>&1 || { cat export_full.log; fail "export full"; }
if "$jstip" export ../moved/full --out exported_full 2> x.log; then fail "export over an existing folder"; fi
grep -q "exists (give --force" x.log || fail "existing folder not named: $(cat x.log)"
# --force over it, named with a trailing slash: the temp folder is a sibling, the old export replaced.
"$jstip" export ../moved/full --out exported_full/ --force > export_force.log 2>&1 ||
  { cat export_force.log; fail "export --force over exported_full/"; }
[ -f exported_full/model.safetensors ] && [ -f exported_full/config.yaml ] || fail "export --force to DIR/ lost the folder"
ls exported_frozen.tmp-* > /dev/null 2>&1 && fail "export left a temp folder"
rm -rf "$work/moved/base" changed_llm
python3 - exported_frozen <<'PY' || fail "exported folder"
import json, sys
folder = sys.argv[1]
config = open(folder + "/config.yaml").read()
assert "pretrained: \"\"" in config and "model: tokenizer/tok.model" in config, config
assert json.load(open(folder + "/sources.json"))["slots"] == {}, "exported folder still depends on a file"
PY
decode exported_frozen exported_frozen_hyp || { cat exported_frozen_hyp.log; fail "decode the exported frozen run"; }
decode exported_full exported_full_hyp || { cat exported_full_hyp.log; fail "decode the exported full run"; }

# Same hypotheses (token ids) before the move, after it, and from the exports.
python3 - "$work" <<'PY' || fail "hypotheses differ"
import json, sys
w = sys.argv[1]
def hyps(path):
    return [(h["id"], h["tokens"]) for h in map(json.loads, open(path))]
for name, others in (("frozen", ["elsewhere/after_frozen", "elsewhere/exported_frozen_hyp"]),
                     ("full", ["elsewhere/after_full", "elsewhere/exported_full_hyp"])):
    before = hyps(f"{w}/before_{name}/hyp.jsonl")
    assert len(before) == 4, before
    for other in others:
        assert hyps(f"{w}/{other}/hyp.jsonl") == before, (name, other)
    print(f"{name}: 4 hypotheses equal before and after the move and after export: {before[0]}")
PY
# The checkpoint's own tokenizer copy is checked too: another tokenizer of the same size in its place is refused.
printf 'zebra quartz jumps\nvivid oxygen kayak\n' > other.txt
cat "$work/text.txt" other.txt other.txt > other_corpus.txt
"$jstip" tokenizer train other_corpus.txt --out other_tok --vocab-size 300 --symbols '<speech>,</speech>' --force > /dev/null 2>&1
cp other_tok.model exported_full/tokenizer/tok.model
if decode exported_full x; then fail "a replaced tokenizer copy was accepted"; fi
grep -q "exported_full/tokenizer/tok.model: the checkpoint's tokenizer copy changed since it was written" x.log ||
  fail "replaced tokenizer copy not named: $(cat x.log)"
echo "CHECKPOINT-MOVE-OK"
