#!/usr/bin/env python3
"""`jstip convert SmolLM2.gguf --out DIR` gives a folder transformers loads, with equal logits.

Loads DIR in transformers' LlamaForCausalLM and AutoTokenizer (live) and compares
with transformers' GGUF-loaded model: logits within 1e-4 over every position and
the full vocabulary on the fixture prompts; the converted tokenizer's ids equal
the reference tokenizer's on the prompts and on every text of
tests/fixtures/tokenizer/smollm2_ids.jsonl; its chat template renders the
conversations of tests/fixtures/smollm2/chat_template.json the same.
"""
import json
import os
import sys

import reference_check as rc

MAX_ABS = 1e-4
FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"]


def main():
    args = rc.parse_args(__doc__)
    ref = rc.reference()
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM
    texts = rc.prompts(ref)
    edge = ref.read_jsonl(os.path.join(ref.ROOT, "tests", "fixtures", "tokenizer", "smollm2_ids.jsonl"))
    with open(os.path.join(ref.FIXTURES, "chat_template.json"), encoding="utf-8") as f:
        template_cases = json.load(f)["cases"]
    with rc.temp_dir(args.work, "convert-") as tmp:
        out = os.path.join(tmp, "smollm2-hf")
        rc.run_jstip(args.jstip, ["convert", ref.GGUF_PATH, "--out", out])
        missing = [n for n in FILES if not os.path.isfile(os.path.join(out, n))]
        if missing:
            rc.fail(f"jstip convert wrote no {', '.join(missing)} in {out}")
        converted = LlamaForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
        tok = AutoTokenizer.from_pretrained(out)
        with open(os.path.join(out, "generation_config.json"), encoding="utf-8") as f:
            gen = json.load(f)
    model = ref.load_model()
    backend = ref.reference_backend()
    import numpy as np
    problems, worst, positions, prompt_bad = [], 0.0, 0, 0
    eos = gen.get("eos_token_id")
    if eos != ref.EOS_ID and not (isinstance(eos, list) and ref.EOS_ID in eos):
        problems.append(f"generation_config.json eos_token_id {eos!r}, expected {ref.EOS_ID}")
    if tok.chat_template is None:
        problems.append("tokenizer_config.json has no chat_template")
    for text in texts:
        ids = ref.encode(backend, text)
        got = tok(text)["input_ids"]
        if got != ids:
            prompt_bad += 1
            problems.append(f"converted tokenizer: {text!r} -> {got}, reference {ids}")
        d = float(np.abs(ref.logits(converted, ids).astype(np.float64) - ref.logits(model, ids)).max())
        worst, positions = max(worst, d), positions + len(ids)
    if worst > MAX_ABS:
        problems.append(f"logits differ by {worst:.2e} (limit {MAX_ABS:g})")
    edge_bad = 0
    for row in edge:
        got = tok(row["text"], add_special_tokens=False)["input_ids"]
        if got != row["ids"]:
            edge_bad += 1
            if edge_bad <= 10:
                problems.append(f"converted tokenizer: {row['text']!r} -> {got}, fixture {row['ids']}")
    template_bad = 0
    for case in template_cases:
        text = tok.apply_chat_template(case["messages"], tokenize=False,
                                       add_generation_prompt=case["add_generation_prompt"])
        if text != case["text"]:
            template_bad += 1
            problems.append(f"converted chat template renders {text!r}, expected {case['text']!r}")
    for p in problems:
        print(p)
    ok = not problems
    print(f"check_convert: {'PASS' if ok else 'FAIL'}: LlamaForCausalLM from the converted folder vs the GGUF-loaded model: "
          f"max abs {worst:.2e} (limit {MAX_ABS:g}) over {len(texts)} prompts, {positions} positions; tokenizer ids equal on "
          f"{len(texts) - prompt_bad}/{len(texts)} prompts and {len(edge) - edge_bad}/{len(edge)} tokenizer fixture texts; "
          f"chat template equal on {len(template_cases) - template_bad}/{len(template_cases)} conversations")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
