#!/usr/bin/env python3
"""jstip's SmolLM2 logits from the GGUF equal transformers' (live).

Runs `jstip llm score models/smollm2/...Q4_1.gguf --text prompts.jsonl --logits-out`
on the prompts of tests/fixtures/smollm2/ (plain and chat-formatted) and
compares with transformers' GGUF-loaded model on the same ids, over every
position and the full vocabulary: max abs <= 1e-3, and the same argmax
wherever transformers' top-1/top-2 margin exceeds 1e-2. Also: jstip's ids
equal the reference tokenizer's, and its logprobs are its logits' log-softmax.
"""
import os
import sys

import reference_check as rc

MAX_ABS = 1e-3


def main():
    args = rc.parse_args(__doc__)
    ref = rc.reference()
    texts = rc.prompts(ref)
    prompts_file = os.path.join(ref.FIXTURES, "prompts.jsonl")
    with rc.temp_dir(args.work, "llm-logits-") as tmp:
        ours = rc.score(args.jstip, ref.GGUF_PATH, prompts_file, tmp)
    if len(ours) != len(texts):
        rc.fail(f"jstip llm score printed {len(ours)} lines for {len(texts)} prompts")
    model = ref.load_model()
    backend = ref.reference_backend()
    worst, agree, clear, agree_all, positions, lp_self, lp_ref = 0.0, 0, 0, 0, 0, 0.0, 0.0
    problems = []
    for i, (text, (ids, logprobs, lg)) in enumerate(zip(texts, ours)):
        want = ref.encode(backend, text)
        if ids != want:
            rc.fail(f"prompt {i} {text!r}: jstip ids {ids} != reference tokenizer's {want}")
        theirs = ref.logits(model, ids)
        diff, a, c, aa = rc.compare_logits(lg, theirs)
        if diff > MAX_ABS or a != c:
            problems.append(f"prompt {i}: max abs {diff:.2e}, argmax agrees at {a}/{c} clear positions")
        worst, agree, clear, agree_all, positions = max(worst, diff), agree + a, clear + c, agree_all + aa, positions + len(ids)
        lp_self = max(lp_self, rc.logprob_diff(ids, logprobs, lg))
        lp_ref = max(lp_ref, rc.logprob_diff(ids, logprobs, theirs))
    for p in problems:
        print(p)
    ok = not problems and lp_self <= 2e-4 and lp_ref <= MAX_ABS  # 2e-4: float32 log-softmax over 49152
    print(f"check_llm_logits: {'PASS' if ok else 'FAIL'}: {len(texts)} prompts, {positions} positions x "
          f"{lg.shape[1]} vocab: max abs {worst:.2e} (limit {MAX_ABS:g}); argmax equal at {agree}/{clear} positions "
          f"with margin > 1e-2 ({agree_all}/{positions} at all); logprobs vs transformers max abs {lp_ref:.2e}, "
          f"vs own logits {lp_self:.2e}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
