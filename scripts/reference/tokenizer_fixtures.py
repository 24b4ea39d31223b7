#!/usr/bin/env python3
"""Reference token ids for SmolLM2's byte-level BPE tokenizer.

Writes tests/fixtures/tokenizer/smollm2_ids.jsonl: one {"text", "ids", "source"}
object per line for the edge cases below and every sentence of the built-in
text corpora that are committed (see corpus_sentences()), with the ids of the
Hugging Face tokenizer of models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf.

The reference is transformers' own conversion of the GGUF
(AutoTokenizer.from_pretrained(folder, gguf_file=...)) with one correction:
transformers 5.23 converts the GGUF's tokenizer.ggml.pre "smollm" to a plain
ByteLevel pre-tokenizer, dropping the Digits(individual_digits=True) step that
SmolLM2's own tokenizer.json and llama.cpp's "smollm" pre-tokenizer both have.
The script puts it back and prints every case where that changes the ids (so
the difference stays visible), then checks the result against llama.cpp
(llama-cpp-python, vocab only) when it is installed.

Run with the project venv:
  .venv/bin/python scripts/reference/tokenizer_fixtures.py [--out FILE]
      [--save-tokenizer-json PATH] [--check]
--save-tokenizer-json writes the reference as a tokenizer.json (2 MB; for
the C++ tokenizer.json loader; not committed). --check recomputes the ids and
compares them with the committed fixture instead of writing it.
"""
import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_DIR = os.path.join(ROOT, "models", "smollm2")
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "tokenizer", "smollm2_ids.jsonl")

# Edge cases (each is one text; several hold newlines, tabs or special tokens).
EDGE_CASES = [
    # digits and numbers
    "12345", "3.14159", "1,000,000", "year 2024", "a1b2c3", "007", " 42", "x 12 y",
    "99999999999999999999", "0.000001", "+1 (555) 123-4567", "x\u00b2 + y\u00b3", "\u00bd cup",
    "\u0663\u0664\u0665", "\u2460\u2461\u2462", "\u216b chapter", "version 1.2.3-rc4",
    # whitespace runs before digits: where transformers' GGUF conversion (no Digits step) differs
    "a  1", "x   42", "total:  100", "  1", "1  2", "a\n 1", "\t 7",
    # punctuation runs
    "Hello, world!", "...", "?!?!", "!!!!!!!!", "a--b", "\u2014 em dash \u2014", "(parenthetical)",
    "\"quoted\"", "#hashtag @user", "https://example.com/a?b=c&d=e", "C++ and C#", "$100.00", "50%",
    "[[aspirin|drug]]", "{drug} {dose}",
    # accents
    "caf\u00e9", "na\u00efve r\u00e9sum\u00e9", "\u00c5ngstr\u00f6m", "S\u00e3o Paulo", "Z\u00fcrich",
    "d\u00e9j\u00e0 vu", "e\u0301 combining", "\ufb01 ligature", "Stra\u00dfe",
    # other scripts, CJK
    "\u4f60\u597d\u4e16\u754c", "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059", "\ud55c\uad6d\uc5b4",
    "\u65e5\u672c\u8a9e\u3068English", "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442", "\u05e2\u05d1\u05e8\u05d9\u05ea",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u0939\u093f\u0928\u094d\u0926\u0940",
    # emoji
    "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "I \u2764\ufe0f NY", "\U0001f1eb\U0001f1f7", "ok \U0001f44c!",
    # repeated characters
    "aaaaaaaaaaaaaaaaaaaa", "hahahahahaha", "================", "z" * 300, "ab" * 100, "\u00e9" * 50,
    # spaces
    "", " ", "   ", " leading", "trailing ", "  two leading", "trailing two  ", "a  b", "a   b", "a    b c",
    # tabs and newlines
    "\tindented", "a\tb", "tab at end\t", "\t\t", "line1\nline2", "para\n\npara", "\n", "ends\n", "\r\n",
    "a \n b", " \n", "\n \n", "x\t \ty", "def f(x):\n    return x**2\n", "if (a && b) { return; }",
    # Unicode whitespace and invisible characters
    "a\u00a0b", "a\u3000b", "a\u2003b", "a\u0085b", "a\u200bb", "a\u2028b", "a\u00a0 b", "\u00a0lead",
    "a\u1680b\u2000c\u200ad\u202fe\u205ff", "a\ufeffb\u180ec", "a\x0bb\x0cc", "a\x1cb\x1fc", "a \u2029 b",
    # bytes without a piece in SmolLM2's vocabulary (control bytes 04 06 13 14 16 1D, lead bytes F1 F2):
    # tokenizers drops them before merging, so these do not round-trip ("decodes_to" in the fixture)
    "a\x04b", "th\x04e", "\x13\x14", "x \U00050000 y",
    # special tokens inside text
    "<|im_start|>user\nHello<|im_end|>\n", "<|im_start|>system\nYou are helpful.<|im_end|>",
    "text<|endoftext|>more", "<|im_start|><|im_end|>", "<repo_name>x<file_sep>y", "<|im_start",
    "< |im_start|>", " <|im_start|> ", "<|im_start|>assistant\n", "a<|im_end|>b<|im_end|>", "<<|im_start|>>",
    # contractions
    "don't", "I'm", "they're", "we've", "she'll", "he'd", "it's", "DON'T", "I'M", "rock 'n' roll", "O'Neil",
    "'s", "can't won't shouldn't",
    # mixed case
    "Hello World", "HELLO world", "iPhone", "McDonald", "camelCaseWord", "snake_case_word", "XMLHttpRequest",
    "The Patient Was Given Aspirin.",
]


def corpus_sentences():
    """(source, sentence) for every committed sentence of the built-in corpora.

    The generated corpora (recipes/make_data.sh: Brown, World English Bible)
    are not in the repository; these are: the benchmark sentences, the medical
    templates (slots left as written) and the capital facts and questions that
    recipes/lib/qa.py makes from capitals.tsv (as qa.py writes them, and cased).
    """
    out = []
    with open(os.path.join(ROOT, "bench", "suite", "sentences.txt"), encoding="utf-8") as f:
        out += [("bench/suite/sentences.txt", line.rstrip("\n")) for line in f if line.strip()]
    with open(os.path.join(ROOT, "recipes", "lib", "medical_templates.txt"), encoding="utf-8") as f:
        out += [("recipes/lib/medical_templates.txt", line.rstrip("\n")) for line in f
                if line.strip() and not line.startswith("#")]
    sys.path.insert(0, os.path.join(ROOT, "recipes", "lib"))
    import qa  # noqa: E402  (the templates qa.py writes facts and questions with)
    with open(os.path.join(ROOT, "recipes", "lib", "capitals.tsv"), encoding="utf-8") as f:
        pairs = [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]
    for country, capital in pairs:
        for template in qa.PHRASES["capital"]:
            out.append(("recipes/lib/capitals.tsv", template.format(x=country, y=capital)))
        out.append(("recipes/lib/capitals.tsv", qa.QUESTION["capital"].format(x=country)))
        cased = template_case(qa.PHRASES["capital"][0].format(x=country.title(), y=capital.title()))
        out.append(("recipes/lib/capitals.tsv (cased)", cased))
    return out


def template_case(sentence):
    return sentence[0].upper() + sentence[1:] + "."


def all_cases():
    return [("edge", t) for t in EDGE_CASES] + corpus_sentences()


def load_converted():
    """transformers' conversion of the GGUF, as shipped (tokenizers backend)."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(MODEL_DIR, gguf_file=GGUF_NAME)


def with_smollm_digits(backend):
    """A copy of a tokenizers.Tokenizer with SmolLM2's own pre-tokenizer."""
    from tokenizers import Tokenizer, pre_tokenizers
    copy = Tokenizer.from_str(backend.to_str())
    copy.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    return copy


def reference_tokenizer():
    """(reference tokenizers.Tokenizer, transformers' converted one)."""
    converted = load_converted()
    return with_smollm_digits(converted.backend_tokenizer), converted


def encode(backend, text):
    return backend.encode(text, add_special_tokens=False).ids


def check_reference(reference, converted, cases):
    """Prints where the reference departs from transformers' conversion and llama.cpp; returns problems."""
    problems = []
    # 1. transformers' tokenizer object and its backend agree (the backend is what is compared).
    for text in ["Hello world", "<|im_start|>user\nhi<|im_end|>", "don't stop 2024"]:
        a = converted(text, add_special_tokens=False)["input_ids"]
        b = encode(converted.backend_tokenizer, text)
        if a != b:
            problems.append(f"transformers and its tokenizers backend differ on {text!r}: {a} vs {b}")
    # 2. The conversion's missing Digits step: report each case it changes.
    differ = [(t, encode(converted.backend_tokenizer, t), encode(reference, t)) for _, t in cases]
    differ = [d for d in differ if d[1] != d[2]]
    print(f"transformers' GGUF conversion (pre_tokenizer {json.loads(converted.backend_tokenizer.to_str())['pre_tokenizer']['type']},"
          f" no Digits) differs from SmolLM2's pre-tokenizer on {len(differ)} of {len(cases)} cases")
    for text, a, b in differ:
        print(f"  {text!r}: converted {a}, smollm {b}")
    # 3. llama.cpp, when installed (vocab only: no weights are read).
    try:
        import llama_cpp
    except ImportError:
        print("llama-cpp-python is not installed: llama.cpp not compared")
        return problems
    llm = llama_cpp.Llama(os.path.join(MODEL_DIR, GGUF_NAME), vocab_only=True, verbose=False)
    disagree = 0
    for _, text in cases:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if ids != encode(reference, text):
            disagree += 1
            print(f"  llama.cpp differs on {text!r}: {ids} vs {encode(reference, text)}")
    print(f"llama.cpp agrees with the reference on {len(cases) - disagree} of {len(cases)} cases")
    return problems


def byte_map():
    """GPT-2's bytes_to_unicode(): byte -> the character that spells it."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def raw_decode(reference, ids):
    """The exact bytes of ids (tokenizers' decode replaces invalid UTF-8 with U+FFFD)."""
    reverse = {c: b for b, c in byte_map().items()}
    specials = {t.content for t in reference.get_added_tokens_decoder().values()}
    out = b""
    for i in ids:
        piece = reference.id_to_token(i)
        out += piece.encode("utf-8") if piece in specials else bytes(reverse[c] for c in piece)
    return out


def fixture_lines(reference, cases):
    from tokenizers.pre_tokenizers import ByteLevel
    assert set(byte_map().values()) == set(ByteLevel.alphabet())
    vocab = reference.get_vocab()
    missing = {b for b, c in byte_map().items() if c not in vocab}
    lines = []
    for source, text in cases:
        ids = encode(reference, text)
        entry = {"text": text, "ids": ids, "source": source}
        decoded = reference.decode(ids, skip_special_tokens=False)
        if decoded != text:
            kept = bytes(b for b in text.encode("utf-8") if b not in missing)
            if not missing.intersection(text.encode("utf-8")) or raw_decode(reference, ids) != kept:
                raise SystemExit(f"reference decode(encode(x)) != x for {text!r}: {decoded!r}")
            entry["decodes_to"] = decoded  # what tokenizers prints; the bytes are the text's without `missing`
        lines.append(json.dumps(entry, ensure_ascii=False))
    return lines


def write_atomic(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(temp, 0o644)
    os.replace(temp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=FIXTURE)
    ap.add_argument("--save-tokenizer-json", help="also write the reference tokenizer.json here")
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(MODEL_DIR, GGUF_NAME)):
        raise SystemExit(f"{os.path.join(MODEL_DIR, GGUF_NAME)} is missing (scripts/install-deps.sh puts it there)")
    reference, converted = reference_tokenizer()
    cases = all_cases()
    problems = check_reference(reference, converted, cases)
    for p in problems:
        print("PROBLEM:", p)
    lines = fixture_lines(reference, cases)
    if args.save_tokenizer_json:
        reference.save(args.save_tokenizer_json)
        print(f"wrote {args.save_tokenizer_json}")
    if args.check:
        with open(args.out, encoding="utf-8") as f:
            committed = f.read().rstrip("\n").split("\n")
        if committed != lines:
            raise SystemExit(f"{args.out} differs from the reference tokenizer's ids: rerun without --check")
        print(f"{args.out}: {len(lines)} lines match")
    else:
        write_atomic(args.out, "\n".join(lines) + "\n")
        print(f"wrote {args.out}: {len(lines)} lines ({len(EDGE_CASES)} edge cases)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
