#!/usr/bin/env python3
"""jstip's SmolLM2 logits equal llama.cpp's (llama-cpp-python, live).

F32: an all-F32 GGUF written from the shipped file (scripts/reference/gguf_f32.py,
cached under --work keyed by the source's size and mtime); llama.cpp reads it
with an F32 KV cache, jstip reads the same file: max abs <= 1e-3 over every
position and the full vocabulary.
Q4_1: both read the shipped file; llama.cpp quantizes activations to 8 bits
inside its products, so only the argmax agreement is asked (>= 97%; reported,
not tuned). SKIPPED when llama_cpp is not importable (JSTIP_SKIP_LLAMA_CPP=1).
"""
import glob
import os
import sys

import reference_check as rc

MAX_ABS = 1e-3
MIN_AGREEMENT = 0.97


def f32_gguf(src, work):
    """The cached F32 copy of src, written when src changed (other copies removed)."""
    import gguf_f32
    st = os.stat(src)
    path = os.path.join(work, f"smollm2-f32-{st.st_size}-{st.st_mtime_ns}.gguf")
    if not os.path.isfile(path):
        for old in glob.glob(os.path.join(work, "smollm2-f32-*.gguf")):
            os.remove(old)
        gguf_f32.write_f32_gguf(src, path)
        print(f"wrote {path}")
    return path


def llama_logits(llm, ids):
    import numpy as np
    llm.reset()
    llm.eval(ids)
    return np.array(llm.scores[:len(ids)], dtype=np.float32)


def main():
    args = rc.parse_args(__doc__)
    ref = rc.reference()
    try:
        import llama_cpp
    except ImportError as e:
        rc.skip(f"llama_cpp is not importable in the venv ({e}); scripts/install-venv.sh without JSTIP_SKIP_LLAMA_CPP=1 installs it")
    prompts_file = os.path.join(ref.FIXTURES, "prompts.jsonl")
    f32 = f32_gguf(ref.GGUF_PATH, args.work)
    with rc.temp_dir(args.work, "llm-llamacpp-") as tmp:
        os.makedirs(os.path.join(tmp, "f32"))
        os.makedirs(os.path.join(tmp, "q41"))
        ours_f32 = rc.score(args.jstip, f32, prompts_file, os.path.join(tmp, "f32"))
        ours_q41 = rc.score(args.jstip, ref.GGUF_PATH, prompts_file, os.path.join(tmp, "q41"))
    opts = dict(logits_all=True, type_k=0, type_v=0, n_ctx=512, flash_attn=False, verbose=False)
    llama_f32 = llama_cpp.Llama(f32, **opts)
    llama_q41 = llama_cpp.Llama(ref.GGUF_PATH, **opts)
    worst, agree_clear, clear, worst_q, agree_q, positions = 0.0, 0, 0, 0.0, 0, 0
    texts = rc.prompts(ref)
    if len(ours_f32) != len(texts) or len(ours_q41) != len(texts):
        rc.fail(f"jstip llm score printed {len(ours_f32)} and {len(ours_q41)} lines for {len(texts)} prompts")
    for text, (ids, _, lg32), (ids_q, _, lgq) in zip(texts, ours_f32, ours_q41):
        theirs = llama_f32.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if ids != ids_q or ids != theirs:
            rc.fail(f"{text!r}: jstip ids {ids} (F32 file), {ids_q} (Q4_1 file), llama.cpp's {theirs}")
        d, a, c, _ = rc.compare_logits(lg32, llama_logits(llama_f32, ids))
        worst, agree_clear, clear = max(worst, d), agree_clear + a, clear + c
        dq, _, _, aq = rc.compare_logits(lgq, llama_logits(llama_q41, ids))
        worst_q, agree_q, positions = max(worst_q, dq), agree_q + aq, positions + len(ids)
    share = agree_q / positions
    ok = worst <= MAX_ABS and share >= MIN_AGREEMENT
    print(f"check_llm_llamacpp: {'PASS' if ok else 'FAIL'}: {len(ours_f32)} prompts, {positions} positions: "
          f"F32 GGUF max abs {worst:.2e} (limit {MAX_ABS:g}), argmax equal at {agree_clear}/{clear} with margin > 1e-2; "
          f"Q4_1 argmax agreement {agree_q}/{positions} = {100 * share:.1f}% (limit {100 * MIN_AGREEMENT:g}%), "
          f"max abs {worst_q:.2f}; llama-cpp-python {llama_cpp.__version__}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
