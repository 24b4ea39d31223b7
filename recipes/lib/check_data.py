#!/usr/bin/env python3
"""Checks a data folder made by recipes/make_data.sh (ctest jstip_recipe_data):
the lexicon split holds (unseen test entities, never in ASR train/dev, present
in the domain text), text is deduplicated and free of evaluation sentences,
QA answers are taught by the text corpus, shards match the lists, held-out
voices are not training voices. Usage: check_data.py DATA JSTIP"""
import collections
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from textutil import norm_key  # noqa: E402

failures = []


def check(condition, message):
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        failures.append(message)


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def entities(text):
    return re.findall(r"\[\[([^|\]]+)\|([^\]]+)\]\]", text)


def jstip_out(jstip, *args):
    return subprocess.run([jstip, *args], check=True, capture_output=True, text=True).stdout


def main():
    data, jstip = sys.argv[1], sys.argv[2]
    p = lambda *parts: os.path.join(data, *parts)  # noqa: E731

    # Lexicon and its split.
    lexicon = lines(p("medical", "lexicon.tsv"))[1:]
    split_of = {row[0]: row[2] for row in lexicon}
    types = collections.defaultdict(collections.Counter)
    for term, type_name, split, _ in lexicon:
        types[type_name][split] += 1
    check(set(types) == {"drug", "disease", "symptom", "anatomy", "procedure"}, f"lexicon types {sorted(types)}")
    check(all(c["train"] > 0 and c["unseen"] > 0 for c in types.values()), "every type has train and unseen terms")
    check(all(re.fullmatch(r"[a-z]+( [a-z]+){0,2}", t) for t in split_of), "terms are alphabetic, 1-3 words")
    unseen = {t for t, s in split_of.items() if s == "unseen"}

    # Unseen terms never in ASR train/dev lists, as entities or as words.
    train_lists = [p("general", "asr_train.txt"), p("general", "asr_dev.txt"), p("medical", "asr_train.txt"),
                   p("medical", "asr_dev.txt")]
    train_keys = [" " + norm_key(row[1]) + " " for path in train_lists for row in lines(path)]
    leaked = sorted(t for t in unseen if any(" " + t + " " in k for k in train_keys))
    check(not leaked, f"no unseen term in ASR train/dev transcripts (leaked: {leaked[:5]})")
    marked_train = {e for path in train_lists[2:] for row in lines(path) for e, _ in entities(row[1])}
    check(marked_train and marked_train <= {t for t, s in split_of.items() if s == "train"},
          "train/dev medical entities are train-split terms")

    # Test sentences: unseen and seen halves; unseen ones are taught by the domain text.
    test = lines(p("medical", "test.txt"))
    unseen_test = [row for row in test if row[2] == "entities=unseen"]
    check(0 < len(unseen_test) < len(test), f"test_medical: {len(unseen_test)} of {len(test)} with unseen entities")
    check(all(split_of[e] == "unseen" for row in unseen_test for e, _ in entities(row[1])),
          "entities=unseen sentences use only unseen terms")
    domain_terms = {e for row in lines(p("medical", "text.txt")) for e, _ in entities(row[1])}
    check(unseen <= domain_terms, "every unseen term occurs in medical/text.txt")

    # Dedup and no evaluation sentences in the text corpus / train lists.
    text_keys = [norm_key(row[1]) for row in lines(p("general", "text.txt"))]
    check(len(text_keys) == len(set(text_keys)), f"general/text.txt deduplicated ({len(text_keys)} lines)")
    evaluation = {norm_key(row[1]) for name in ("asr_test.txt", "asr_dev.txt", "asr_heldout.txt")
                  for row in lines(p("general", name))}
    evaluation |= {norm_key(row[1]) for name in ("test.txt", "heldout.txt", "asr_dev.txt")
                   for row in lines(p("medical", name))}
    check(not evaluation & set(text_keys), "no dev/test sentence in general/text.txt")
    med_text = {norm_key(row[1]) for row in lines(p("medical", "text.txt"))}
    check(not evaluation & med_text, "no dev/test sentence in medical/text.txt")
    all_train = {k.strip() for k in train_keys}
    test_keys = {norm_key(row[1]) for row in lines(p("general", "asr_test.txt")) + test}
    check(not test_keys & all_train, "no test sentence in ASR train/dev")

    # QA: each question's subject and answer occur together in the text corpus.
    facts = [" " + norm_key(row[1]) + " " for row in lines(p("qa", "facts.txt"))]
    questions = lines(p("qa", "questions.tsv"))
    taught = 0
    for _, question, meta in questions:
        fields = dict(kv.split("=", 1) for kv in meta.split(";"))
        answers = [a for a in fields["answers"].split("|")]
        subject = norm_key(question).replace("what is the capital of ", "").replace("what is ", "")
        subject = subject[:-len(" a kind of")] if subject.endswith(" a kind of") else subject
        taught += any(" " + subject + " " in f and any(" " + norm_key(a) + " " in f for a in answers) for f in facts)
    check(questions and taught == len(questions), f"QA: {taught} of {len(questions)} answers taught by the facts")

    # Shards: counts match the lists; metadata and voices as made.
    def count(folder):
        return int(re.search(r"^utterances\s+(\d+)", jstip_out(jstip, "data", "stats", p(folder)), re.M).group(1))

    expect = {
        "train": len(lines(p("general", "asr_train.txt"))) + len(lines(p("medical", "asr_train.txt"))),
        "dev": len(lines(p("general", "asr_dev.txt"))) + len(lines(p("medical", "asr_dev.txt"))),
        "test_general": len(lines(p("general", "asr_test.txt"))),
        "test_medical": len(test),
        "test_heldout": len(lines(p("general", "asr_heldout.txt"))) + len(lines(p("medical", "heldout.txt"))),
        "qa": len(questions),
        "text": len(text_keys) + len(facts),
        "medical_text": len(lines(p("medical", "text.txt"))),
    }
    for folder, n in expect.items():
        got = count(folder)
        check(got == n, f"{folder}/: {got} records, {n} expected")
    qa = jstip_out(jstip, "data", "inspect", "--full", "--limit", "100000", p("qa"))
    check(qa.count("  answers=") == len(questions) and "domain=qa" in qa, "qa records carry answers metadata")
    heldout = jstip_out(jstip, "data", "inspect", "--limit", "100000", p("test_heldout"))
    train = jstip_out(jstip, "data", "inspect", "--limit", "100000", p("train"))
    voices = lambda out: set(re.findall(r"speaker=(\S+)", out))  # noqa: E731
    check(voices(heldout) and not voices(heldout) & voices(train),
          f"held-out voices {sorted(voices(heldout))[:4]}... not in train")
    check(os.path.getsize(p("tokenizer.model")) > 0, "tokenizer.model")
    print(f"{len(failures) == 0 and 'all checks passed' or str(len(failures)) + ' checks failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
