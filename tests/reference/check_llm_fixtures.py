#!/usr/bin/env python3
"""jstip's SmolLM2 against the committed transformers fixtures (no transformers run).

tests/fixtures/smollm2/ (scripts/reference/smollm2_fixtures.py writes it):
`jstip llm score` on prompts.jsonl gives the fixture's ids, its logits at the
fixture's top-5 and probe ids are within 1e-3 (the fixture rounds to 1e-4),
its argmax is the fixture's top-1 wherever the fixture's margin exceeds 1e-2;
`jstip llm generate --chat --ids --max-new 32` gives generate.jsonl's ids
(trailing <|im_end|> left out on both sides). The fast twin of the live checks.
"""
import json
import os
import sys

import reference_check as rc

MAX_ABS = 1e-3


def main():
    args = rc.parse_args(__doc__)
    ref = rc.reference()
    import numpy as np
    with open(os.path.join(ref.FIXTURES, "logits.json"), encoding="utf-8") as f:
        fixture = json.load(f)
    probes = fixture["probe_ids"]
    with rc.temp_dir(args.work, "llm-fixtures-") as tmp:
        ours = rc.score(args.jstip, ref.GGUF_PATH, os.path.join(ref.FIXTURES, "prompts.jsonl"), tmp)
    if len(ours) != len(fixture["prompts"]):
        rc.fail(f"jstip llm score printed {len(ours)} lines for {len(fixture['prompts'])} prompts")
    problems, worst, agree, clear, positions = [], 0.0, 0, 0, 0
    for i, (want, (ids, _, lg)) in enumerate(zip(fixture["prompts"], ours)):
        if ids != want["ids"]:
            rc.fail(f"prompt {i}: jstip ids {ids} != fixture ids {want['ids']}")
        top = np.array(want["top5_ids"])
        d = max(float(np.abs(np.take_along_axis(lg, top, 1) - np.array(want["top5_logits"])).max()),
                float(np.abs(lg[:, probes] - np.array(want["probe_logits"])).max()))
        sure = np.array(want["margin"]) > 1e-2
        same = lg.argmax(1) == top[:, 0]
        agree, clear = agree + int(same[sure].sum()), clear + int(sure.sum())
        worst, positions = max(worst, d), positions + len(ids)
        if d > MAX_ABS or not same[sure].all():
            problems.append(f"prompt {i} ({want['kind']}): max abs {d:.2e}, argmax {int(same[sure].sum())}/{int(sure.sum())}")
    rows = ref.read_jsonl(os.path.join(ref.FIXTURES, "generate.jsonl"))
    meta, cases = rows[0], rows[1:]
    strip = lambda ids: ids[:-1] if ids and ids[-1] == ref.EOS_ID else ids  # noqa: E731
    gen_equal = 0
    for case in cases:
        out = rc.run_jstip(args.jstip, ["llm", "generate", ref.GGUF_PATH, "--prompt", case["prompt"], "--chat", "--ids",
                                        "--max-new", str(meta["max_new_tokens"])])
        got = strip([int(x) for x in out.split()])
        if got == strip(case["new_ids"]):
            gen_equal += 1
        else:
            problems.append(f"generate {case['prompt']!r}: jstip {got}, fixture {case['new_ids']}")
    for p in problems:
        print(p)
    ok = not problems
    print(f"check_llm_fixtures: {'PASS' if ok else 'FAIL'}: {len(ours)} prompts, {positions} positions: max abs {worst:.2e} "
          f"at top-5 and {len(probes)} probe ids (limit {MAX_ABS:g}); argmax equal at {agree}/{clear} positions with "
          f"margin > 1e-2; generate equal on {gen_equal}/{len(cases)} prompts (fixture: transformers "
          f"{fixture['versions']['transformers']}, torch {fixture['versions']['torch']})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
