#!/usr/bin/env python3
"""Entity accuracy per group of utterances, for every config of a `jstip compare` folder.

    recipes/lib/entity_groups.py OUT TEST SENTENCES

SENTENCES is the data's sentence list for that test set (ID TAB text TAB
label, e.g. data/quick-mix/medical/test.txt, whose label entities=seen or
entities=unseen says whether the utterance's terms occur in the speech
training data). Counts come from OUT/eval/*/TEST/alignments.txt, as `jstip
eval` judged the entities; nothing is judged again here.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paired_bootstrap import utterance_counts  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("test")
    ap.add_argument("sentences")
    a = ap.parse_args()
    labels = {}
    for number, line in enumerate(open(a.sentences, encoding="utf-8"), 1):
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 2:
            raise SystemExit(f"entity_groups: {a.sentences}:{number}: expected ID TAB text [TAB label]")
        labels[fields[0]] = fields[2] if len(fields) > 2 else "(no label)"
    groups = None
    rows = []
    for config in sorted(os.listdir(os.path.join(a.out, "eval"))):
        path = os.path.join(a.out, "eval", config, a.test, "alignments.txt")
        totals = {}
        for utterance, (_, (found, total)) in utterance_counts(path).items():
            if utterance not in labels:
                raise SystemExit(f"entity_groups: {path}: utterance '{utterance}' is not in {a.sentences}")
            group = totals.setdefault(labels[utterance], [0, 0])
            group[0] += found
            group[1] += total
        groups = groups or sorted(totals)
        rows.append((config, totals))
    print("| config | " + " | ".join(groups) + " |")
    print("|---|" + "---:|" * len(groups))
    for config, totals in rows:
        cells = [f"{100.0 * f / t:.1f} ({f}/{t})" if t else "—" for f, t in (totals.get(g, (0, 0)) for g in groups)]
        print(f"| {config} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
