#!/usr/bin/env python3
"""Spoken-QA set for jstip's built-in corpora: facts the text corpus teaches,
and questions about them.

Facts (each in several phrasings, all written to OUT/facts.txt, which the
recipe adds to the text-only corpus):
  capital    "the capital of france is paris"  (capitals.tsv, in the repo)
  type       "[[aspirin|drug]] is a drug"        (the medical lexicon)
  hypernym   "[[aspirin|drug]] is a kind of salicylate"  (WordNet hypernym)
Questions (OUT/questions.tsv, "id<TAB>question<TAB>answers=a|b;kind=...",
synthesized as speech by `jstip data synth`, domain "qa"):
  "what is the capital of france" -> "paris"
  "what is aspirin" -> "a drug|drug"
  "what is aspirin a kind of" -> "salicylate"
"""
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from textutil import write_atomic  # noqa: E402

TYPE_WORD = {"drug": "drug", "procedure": "procedure", "symptom": "symptom", "disease": "disease",
             "anatomy": "body part"}
PHRASES = {
    "capital": ["the capital of {x} is {y}", "{y} is the capital of {x}", "the capital city of {x} is {y}"],
    "type": ["{x} is a {y}", "in medicine {x} is a {y}", "the word {x} names a {y}"],
    "hypernym": ["{x} is a kind of {y}", "{x} is a type of {y}"],
}
QUESTION = {"capital": "what is the capital of {x}", "type": "what is {x}", "hypernym": "what is {x} a kind of"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lexicon", required=True, help="medical/lexicon.tsv")
    ap.add_argument("--capitals", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "capitals.tsv"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--questions", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=2, help="times each phrasing appears in facts.txt")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    facts = []  # (kind, subject (marked), subject (plain), answer, answers, split)
    with open(args.capitals, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                country, capital = line.rstrip("\n").split("\t")
                facts.append(("capital", country, country, capital, capital, "-"))
    with open(args.lexicon, encoding="utf-8") as f:
        next(f)
        for line in f:
            term, type_name, split, hypernym = line.rstrip("\n").split("\t")
            marked = f"[[{term}|{type_name}]]"
            word = TYPE_WORD[type_name]
            facts.append(("type", marked, term, word, f"a {word}|{word}", split))
            if hypernym and hypernym != word:
                facts.append(("hypernym", marked, term, hypernym, hypernym, split))

    rng = random.Random(args.seed)
    lines = []
    for kind, marked, _, answer, _, _ in facts:
        for phrase in PHRASES[kind]:
            lines += [phrase.format(x=marked, y=answer)] * args.repeat
    rng.shuffle(lines)

    # Questions: the kinds in turn, each kind's facts in a seeded order.
    by_kind = {k: [f for f in facts if f[0] == k] for k in QUESTION}
    for k in by_kind:
        rng.shuffle(by_kind[k])
    chosen = []
    while len(chosen) < args.questions and any(by_kind.values()):
        for k in QUESTION:
            if by_kind[k] and len(chosen) < args.questions:
                chosen.append(by_kind[k].pop())
    questions = []
    for n, (kind, marked, _, _, answers, split) in enumerate(chosen):
        meta = f"answers={answers};kind={kind}" + (f";lexicon_split={split}" if split != "-" else "")
        questions.append(f"qa-{n:05d}\t{QUESTION[kind].format(x=marked)}\t{meta}\n")

    write_atomic(os.path.join(args.out, "facts.txt"),
                 "".join(f"qa-fact-{n:06d}\t{line}\n" for n, line in enumerate(lines)))
    write_atomic(os.path.join(args.out, "questions.tsv"), "".join(questions))
    print(f"qa: {len(facts)} facts ({len(lines)} text lines), {len(questions)} questions")


if __name__ == "__main__":
    main()
