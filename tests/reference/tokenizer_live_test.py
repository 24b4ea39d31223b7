#!/usr/bin/env python3
"""Live check of `jstip tokenize` against the Hugging Face tokenizer of SmolLM2.

Run by ctest (tests/reference/CMakeLists.txt) with the project venv's python:
  tokenizer_live_test.py --jstip BUILD/host/jstip --scratch DIR
Exits 77 (ctest: skipped) with a message when transformers or the model is
missing. Checks, on the edge cases and corpus sentences of
scripts/reference/tokenizer_fixtures.py:
  1. the committed fixture still equals the reference's ids;
  2. `jstip tokenize MODEL.gguf` equals the reference (--file for one-line
     texts, TEXT for the others);
  3. `jstip tokenize` on the reference saved as tokenizer.json (the C++ JSON loader);
  4. the tokenizer.json jstip writes from the GGUF (--write-tokenizer-json),
     loaded by tokenizers and by transformers, gives the same ids.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "reference"))
SKIP = 77


def run_file(jstip, model, texts, path):
    with open(path, "wb") as f:
        for t in texts:
            f.write(t.encode("utf-8") + b"\n")
    out = subprocess.run([jstip, "tokenize", model, "--file", path, "--json", "--log-level", "warn"],
                         check=True, capture_output=True).stdout.decode("utf-8").splitlines()
    if len(out) != len(texts):
        raise SystemExit(f"jstip tokenize --file gave {len(out)} lines for {len(texts)}")
    return [json.loads(line) for line in out]


def jstip_ids(jstip, model, texts, scratch, name):
    """ids of every text: one --file run for one-line texts, one run each for the rest."""
    single = [t for t in texts if "\n" not in t]
    by_text = dict(zip(single, run_file(jstip, model, single, os.path.join(scratch, name + ".txt"))))
    for t in texts:
        if t not in by_text:
            out = subprocess.run([jstip, "tokenize", model, t, "--json", "--log-level", "warn"],
                                 check=True, capture_output=True).stdout.decode("utf-8")
            by_text[t] = json.loads(out)
    return [by_text[t] for t in texts]


def compare(name, texts, got, want):
    bad = [(t, g, w) for t, g, w in zip(texts, got, want) if g != w]
    for t, g, w in bad[:20]:
        print(f"  {name}: {t!r}: got {g}, reference {w}")
    print(f"{name}: {len(texts) - len(bad)} of {len(texts)} equal")
    return len(bad)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jstip", required=True)
    ap.add_argument("--scratch", required=True)
    args = ap.parse_args()
    try:
        import tokenizers  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        print(f"skipped: the venv lacks {e.name} (scripts/install-deps.sh installs it)")
        return SKIP
    import tokenizer_fixtures as tf
    gguf = os.path.join(tf.MODEL_DIR, tf.GGUF_NAME)
    if not os.path.exists(gguf):
        print(f"skipped: {gguf} is absent (scripts/install-deps.sh installs it)")
        return SKIP
    os.makedirs(args.scratch, exist_ok=True)

    reference, converted = tf.reference_tokenizer()
    cases = tf.all_cases()
    texts = [t for _, t in cases]
    want = [tf.encode(reference, t) for t in texts]
    failures = 0
    if tf.check_reference(reference, converted, cases):
        failures += 1
    with open(tf.FIXTURE, encoding="utf-8") as f:
        if f.read().rstrip("\n").split("\n") != tf.fixture_lines(reference, cases):
            print(f"{tf.FIXTURE} is stale: rerun scripts/reference/tokenizer_fixtures.py")
            failures += 1

    failures += compare("jstip tokenize GGUF", texts, jstip_ids(args.jstip, gguf, texts, args.scratch, "gguf"), want)

    saved = os.path.join(args.scratch, "reference", "tokenizer.json")
    os.makedirs(os.path.dirname(saved), exist_ok=True)
    reference.save(saved)
    failures += compare("jstip tokenize reference tokenizer.json", texts,
                        jstip_ids(args.jstip, saved, texts, args.scratch, "json"), want)

    written = os.path.join(args.scratch, "written", "tokenizer.json")
    os.makedirs(os.path.dirname(written), exist_ok=True)
    subprocess.run([args.jstip, "tokenize", gguf, "--write-tokenizer-json", written, "--log-level", "warn"],
                   check=True)
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast
    mine = Tokenizer.from_file(written)
    failures += compare("tokenizers on jstip's tokenizer.json", texts, [tf.encode(mine, t) for t in texts], want)
    fast = PreTrainedTokenizerFast(tokenizer_file=written)
    failures += compare("transformers on jstip's tokenizer.json", texts,
                        [fast(t, add_special_tokens=False)["input_ids"] for t in texts], want)
    print("FAILED" if failures else "all equal")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
