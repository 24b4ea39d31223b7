"""SmolLM2-135M-Instruct as the references run it: transformers and its tokenizer.

Shared by scripts/reference/smollm2_fixtures.py (writes the committed fixtures)
and the live checks in tests/reference/. Needs the project venv (.venv).

The model is transformers' own GGUF loader (it dequantizes every tensor to
float32 and un-permutes llama.cpp's Q/K rows). Token ids come from the
reference tokenizer of tokenizer_fixtures.py: transformers' GGUF conversion
with SmolLM2's Digits step put back (the conversion drops it; see there).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODEL_DIR = os.path.join(ROOT, "models", "smollm2")
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_PATH = os.path.join(MODEL_DIR, GGUF_NAME)
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "smollm2")
EOS_ID = 2  # <|im_end|>
N_PROBES = 32

sys.path.insert(0, HERE)
import tokenizer_fixtures  # noqa: E402  (the reference tokenizer)


def versions():
    import tokenizers
    import torch
    import transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__, "model": f"models/smollm2/{GGUF_NAME}"}


def load_model():
    """transformers' LlamaForCausalLM from the GGUF, float32, eval mode."""
    import torch
    from transformers import AutoModelForCausalLM
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(MODEL_DIR, gguf_file=GGUF_NAME, dtype=torch.float32)
    model.eval()
    return model


def load_hf_tokenizer():
    """transformers' tokenizer converted from the GGUF (it has the chat template)."""
    return tokenizer_fixtures.load_converted()


def reference_backend():
    """The reference tokenizers.Tokenizer (SmolLM2's pre-tokenizer, special tokens matched)."""
    return tokenizer_fixtures.with_smollm_digits(load_hf_tokenizer().backend_tokenizer)


def encode(backend, text):
    return tokenizer_fixtures.encode(backend, text)


def probe_ids(vocab_size):
    """32 fixed vocab ids, the same for every prompt (logits compared there too)."""
    import numpy as np
    return sorted(int(i) for i in np.random.default_rng(0).choice(vocab_size, N_PROBES, replace=False))


def logits(model, ids):
    """float32 numpy [T, vocab]: the raw logits at every position."""
    import torch
    with torch.inference_mode():
        out = model(torch.tensor([ids], dtype=torch.long)).logits[0]
    return out.float().numpy()


def greedy(model, ids, max_new):
    """transformers' greedy generate: the new ids (ends with EOS_ID when it stopped there)."""
    import torch
    with torch.inference_mode():
        out = model.generate(torch.tensor([ids], dtype=torch.long), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             do_sample=False, max_new_tokens=max_new, pad_token_id=EOS_ID, eos_token_id=EOS_ID)
    return out[0, len(ids):].tolist()


def chat_text(hf_tokenizer, messages, add_generation_prompt):
    return hf_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)


def chat_ids(hf_tokenizer, messages, add_generation_prompt):
    out = hf_tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt)
    if isinstance(out, dict) or hasattr(out, "keys"):  # transformers 5 returns a BatchEncoding
        out = out["input_ids"]
    return list(out)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_atomic(path, text):
    tokenizer_fixtures.write_atomic(path, text)
