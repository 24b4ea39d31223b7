#!/usr/bin/env python3
"""`jstip llm generate --chat` (greedy) equals transformers' greedy generate (live).

For each of the 10 chat prompts of tests/fixtures/smollm2/generate.jsonl:
`jstip llm generate GGUF --prompt P --chat --ids --max-new 32` against
transformers' generate(do_sample=False, max_new_tokens=32) on
apply_chat_template([user P], add_generation_prompt=True), token for token.
A trailing <|im_end|> (the stop token) is left out on both sides, since
whether a tool prints it is not the point; where one side stops the other must too.
"""
import os
import sys

import reference_check as rc


def strip_eos(ids, eos):
    return ids[:-1] if ids and ids[-1] == eos else ids


def main():
    args = rc.parse_args(__doc__)
    ref = rc.reference()
    rows = ref.read_jsonl(os.path.join(ref.FIXTURES, "generate.jsonl"))
    meta, cases = rows[0], rows[1:]
    max_new = meta["max_new_tokens"]
    model = ref.load_model()
    hf_tok = ref.load_hf_tokenizer()
    equal, tokens, drift, problems = 0, 0, 0, []
    for case in cases:
        prompt = case["prompt"]
        ids = ref.chat_ids(hf_tok, [{"role": "user", "content": prompt}], True)
        theirs = strip_eos(ref.greedy(model, ids, max_new), ref.EOS_ID)
        drift += theirs != strip_eos(case["new_ids"], ref.EOS_ID)
        out = rc.run_jstip(args.jstip, ["llm", "generate", ref.GGUF_PATH, "--prompt", prompt, "--chat", "--ids",
                                        "--max-new", str(max_new)])
        try:
            ours = strip_eos([int(x) for x in out.split()], ref.EOS_ID)
        except ValueError:
            rc.fail(f"jstip llm generate --ids printed something other than ids for {prompt!r}: {out!r}")
        tokens += len(theirs)
        if ours == theirs:
            equal += 1
        else:
            at = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
            problems.append(f"{prompt!r}: first difference at new token {at}: jstip {ours}, transformers {theirs} "
                            f"(smallest top1-top2 margin on transformers' path {case['min_margin']})")
    for p in problems:
        print(p)
    if drift:
        print(f"note: transformers' live output differs from the committed fixture on {drift} prompts "
              f"(rerun scripts/reference/smollm2_fixtures.py)")
    ok = equal == len(cases)
    print(f"check_llm_generate: {'PASS' if ok else 'FAIL'}: {equal}/{len(cases)} prompts equal token for token "
          f"({tokens} transformers tokens, up to {max_new} new each)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
