#!/usr/bin/env python3
"""Reference outputs of SmolLM2-135M-Instruct (transformers) as small fixtures.

Writes tests/fixtures/smollm2/:
  prompts.jsonl       one JSON string per line (the input of `jstip llm score`):
                      plain texts, then chat-formatted ones (apply_chat_template)
  logits.json         per prompt: kind, token ids, and at every position the
                      top-5 ids and logits, the top1-top2 margin and the logits
                      at 32 fixed vocab ids (probe_ids, numpy default_rng(0))
  generate.jsonl      a versions line, then per chat prompt: the prompt ids and
                      transformers' greedy (32 new tokens) ids, with the smallest
                      top1-top2 margin met on the way (a near tie explains a flip)
  chat_template.json  the GGUF's chat template and what it renders for one user
                      turn (and a few other conversations), text and ids
Each file records the torch and transformers versions that made it.

The model is AutoModelForCausalLM.from_pretrained(models/smollm2,
gguf_file=SmolLM2-135M-Instruct.Q4_1.gguf, dtype=torch.float32); token ids are
the reference tokenizer's (tokenizer_fixtures.py), checked equal to
transformers' own tokenizer and chat template ids on every prompt.

Run with the project venv:  .venv/bin/python scripts/reference/smollm2_fixtures.py [--check]
--check recomputes everything and compares it with the committed fixtures
(logits within 1e-4) instead of writing them.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smollm2_reference as ref  # noqa: E402

PLAIN = [
    "Hello",
    "The capital of France is",
    "The patient was prescribed 500 mg of amoxicillin three times a day for 10 days "
    "to treat a bacterial infection of the middle ear.",
    "In 1969, Apollo 11 landed on the Moon; pi is 3.14159, and 2 + 2 = 4.",
    "Wait... what?! No -- really? (Yes, really.) \"Quoted\" text; colons: #tags & @names!",
    # ~100 tokens
    "Machine learning is a field of study in artificial intelligence concerned with the "
    "development of statistical algorithms that can learn from data and generalize to unseen "
    "data, and thus perform tasks without explicit instructions. Within a subdiscipline of "
    "machine learning, advances in deep learning have allowed neural networks to surpass many "
    "previous approaches in performance. Applications include natural language processing, "
    "computer vision, speech recognition, email filtering, agriculture, and medicine.",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n",
    "Paris, Berlin, Madrid, Rome, Lisbon, Vienna, Prague, Warsaw",
    "Caf\u00e9 in S\u00e3o Paulo \u2014 a na\u00efve r\u00e9sum\u00e9 costs $12.50.",
    "THE QUICK BROWN FOX jumps over the lazy dog. the end",
    "Once upon a time, there was a little robot who wanted to learn how to paint.",
]

SYSTEM = {"role": "system", "content": "You are a concise medical assistant."}
CHAT = [  # (messages, add_generation_prompt)
    ([{"role": "user", "content": "Hi"}], True),
    ([{"role": "user", "content": "What is the capital of Japan?"}], True),
    ([{"role": "user", "content": "What is the capital of Japan?"},
      {"role": "assistant", "content": "The capital of Japan is Tokyo."}], False),
    ([SYSTEM, {"role": "user", "content": "What is a normal resting heart rate for an adult?"}], True),
    ([{"role": "user", "content": "Write a short poem about autumn leaves."}], True),
    ([{"role": "user", "content": "Convert 25 degrees Celsius to Fahrenheit."}], True),
    ([{"role": "user", "content": "Hello!"}, {"role": "assistant", "content": "Hi! How can I help?"},
      {"role": "user", "content": "Tell me a fun fact about octopuses."}], True),
    ([{"role": "user", "content": "Summarize: The meeting moved to Tuesday at 3 pm because the room was booked."}], True),
    ([{"role": "user", "content": "List three symptoms of the flu."}], False),
    ([SYSTEM, {"role": "user", "content": "Is ibuprofen an anti-inflammatory drug?"},
      {"role": "assistant", "content": "Yes. Ibuprofen is a nonsteroidal anti-inflammatory drug (NSAID)."}], False),
]

GENERATE = [
    "What is the capital of France?",
    "Name three primary colors.",
    "Write a haiku about the sea.",
    "What is 7 times 8?",
    "Translate 'good morning' into Spanish.",
    "Give me a synonym for happy.",
    "What does a doctor do?",
    "Explain photosynthesis in one sentence.",
    "List two fruits that are red.",
    "Who wrote Romeo and Juliet?",
]
MAX_NEW = 32

TEMPLATE_CASES = [  # (messages, add_generation_prompt); the first is `generate --chat`'s
    ([{"role": "user", "content": "Hello, how are you?"}], True),
    ([{"role": "user", "content": "Hello, how are you?"}], False),
    ([SYSTEM, {"role": "user", "content": "Hi"}], True),
    ([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}], True),
    # The training sample of prompt.format chat (host/graph/sample_builder.h), the speech left out: the user's
    # content is the prompt text and a newline, then the speech; the transcript is the answer.
    ([{"role": "user", "content": "Transcribe the speech.\n"},
      {"role": "assistant", "content": "The patient was given 200 mg of Aspirin."}], False),
]


def r4(x):
    return round(float(x), 4)


def prompt_texts(hf_tok, backend):
    """[(kind, text, ids)], ids checked equal to transformers' tokenizer / chat template."""
    out = []
    for text in PLAIN:
        ids = ref.encode(backend, text)
        hf = hf_tok(text, add_special_tokens=False)["input_ids"]
        if ids != hf:
            raise SystemExit(f"reference and transformers tokenizers differ on {text!r}: {ids} vs {hf}")
        out.append(("plain", text, ids))
    for messages, gen in CHAT:
        text = ref.chat_text(hf_tok, messages, gen)
        ids = ref.encode(backend, text)
        hf = ref.chat_ids(hf_tok, messages, gen)
        if ids != hf:
            raise SystemExit(f"reference ids differ from apply_chat_template's on {text!r}: {ids} vs {hf}")
        out.append(("chat+generation_prompt" if gen else "chat", text, ids))
    return out


def position_record(lg, probes):
    import numpy as np
    top = np.argsort(-lg, axis=1, kind="stable")[:, :5]
    vals = np.take_along_axis(lg, top, axis=1)
    return {
        "top5_ids": top.tolist(),
        "top5_logits": [[r4(v) for v in row] for row in vals],
        "margin": [r4(row[0] - row[1]) for row in vals],
        "probe_logits": [[r4(v) for v in row] for row in lg[:, probes]],
    }


def make_logits(model, prompts, probes, meta):
    records = []
    for kind, text, ids in prompts:
        rec = {"kind": kind, "ids": ids}
        rec.update(position_record(ref.logits(model, ids), probes))
        records.append(rec)
    # One prompt per line keeps diffs readable.
    head = json.dumps({"versions": meta, "probe_ids": probes, "n_prompts": len(records)})[:-1]
    body = ",\n".join(json.dumps(r, separators=(",", ":")) for r in records)
    return head + ', "prompts": [\n' + body + "\n]}\n"


def make_generate(model, hf_tok, backend, meta):
    import numpy as np
    lines = [json.dumps({"versions": meta, "max_new_tokens": MAX_NEW, "eos_id": ref.EOS_ID})]
    for prompt in GENERATE:
        messages = [{"role": "user", "content": prompt}]
        ids = ref.chat_ids(hf_tok, messages, True)
        if ids != ref.encode(backend, ref.chat_text(hf_tok, messages, True)):
            raise SystemExit(f"chat ids differ between tokenizers for {prompt!r}")
        new = ref.greedy(model, ids, MAX_NEW)
        lg = ref.logits(model, ids + new)[len(ids) - 1:len(ids) - 1 + len(new)]
        top2 = -np.sort(-lg, axis=1)[:, :2]
        if not np.array_equal(lg.argmax(axis=1), np.array(new)):
            print(f"  note: generate's cached steps and one full forward disagree on an argmax for {prompt!r}")
        lines.append(json.dumps({"prompt": prompt, "prompt_ids": ids, "new_ids": new,
                                 "min_margin": r4((top2[:, 0] - top2[:, 1]).min()),
                                 "text": hf_tok.decode(new, skip_special_tokens=True)}, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def make_template(hf_tok, backend, meta):
    cases = []
    for messages, gen in TEMPLATE_CASES:
        text = ref.chat_text(hf_tok, messages, gen)
        cases.append({"messages": messages, "add_generation_prompt": gen, "text": text,
                      "ids": ref.encode(backend, text)})
    return json.dumps({"versions": meta, "chat_template": hf_tok.chat_template, "cases": cases},
                      indent=1, ensure_ascii=False) + "\n"


def compare_logits(committed, fresh):
    """Largest logit difference between two logits.json texts (structure must match)."""
    a, b = json.loads(committed), json.loads(fresh)
    if a["probe_ids"] != b["probe_ids"] or len(a["prompts"]) != len(b["prompts"]):
        return float("inf")
    worst = 0.0
    for x, y in zip(a["prompts"], b["prompts"]):
        if x["ids"] != y["ids"]:
            return float("inf")
        for key in ("top5_logits", "probe_logits"):
            for rx, ry in zip(x[key], y[key]):
                worst = max(worst, max(abs(u - v) for u, v in zip(rx, ry)))
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=ref.FIXTURES)
    ap.add_argument("--check", action="store_true", help="compare with the committed fixtures instead of writing")
    args = ap.parse_args()
    if not os.path.exists(ref.GGUF_PATH):
        raise SystemExit(f"{ref.GGUF_PATH} is missing (scripts/install-venv.sh puts it there)")
    meta = ref.versions()
    model = ref.load_model()
    hf_tok = ref.load_hf_tokenizer()
    backend = ref.reference_backend()
    prompts = prompt_texts(hf_tok, backend)
    probes = ref.probe_ids(model.config.vocab_size)
    files = {
        "prompts.jsonl": "".join(json.dumps(text, ensure_ascii=False) + "\n" for _, text, _ in prompts),
        "logits.json": make_logits(model, prompts, probes, meta),
        "generate.jsonl": make_generate(model, hf_tok, backend, meta),
        "chat_template.json": make_template(hf_tok, backend, meta),
    }
    if args.check:
        bad = 0
        for name, text in files.items():
            with open(os.path.join(args.out, name), encoding="utf-8") as f:
                committed = f.read()
            if name == "logits.json":
                worst = compare_logits(committed, text)
                ok = worst <= 1e-4
                print(f"{name}: max logit difference {worst:.2e}")
            else:
                strip = (lambda s: [l for l in s.splitlines() if '"versions"' not in l])  # noqa: E731
                ok = strip(committed) == strip(text) if name != "chat_template.json" else \
                    json.loads(committed)["cases"] == json.loads(text)["cases"]
                print(f"{name}: {'same' if ok else 'DIFFERENT'}")
            bad += not ok
        return 1 if bad else 0
    for name, text in files.items():
        ref.write_atomic(os.path.join(args.out, name), text)
        print(f"wrote {os.path.join(args.out, name)}: {len(text.encode())} bytes")
    n_pos = sum(len(ids) for _, _, ids in prompts)
    print(f"{len(prompts)} prompts ({len(PLAIN)} plain, {len(CHAT)} chat), {n_pos} positions; "
          f"{len(GENERATE)} generations; versions {meta}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
