#!/usr/bin/env python3
"""Paired comparison of the configs of one `jstip compare` folder against a baseline.

    recipes/lib/paired_bootstrap.py OUT BASELINE [--resamples 2000] [--seed 0]

All configs decoded the same utterances, so a difference is estimated on the
same resampled utterances for both sides (a paired bootstrap): far tighter
than two separate intervals. For every config and test set it prints the
difference to BASELINE in WER and in entity accuracy (points), with a 95%
interval, from the per-utterance counts `jstip eval` wrote into
OUT/eval/*/TEST/alignments.txt: word errors and, where the utterance has
entities, "entities F of T" as eval judged them.
"""
import argparse
import os
import random
import re


def utterance_counts(path):
    """id -> ((errors, reference words), (entities found, entities)) from jstip eval's alignments.txt."""
    out = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"id: (\S+)\s+\(C (\d+), S (\d+), D (\d+), I (\d+), N (\d+)\)(?:\s+entities (\d+) of (\d+))?",
                     line)
        if m:
            c, s, d, i, n = map(int, m.groups()[1:6])
            found, total = (int(m.group(7)), int(m.group(8))) if m.group(7) else (0, 0)
            out[m.group(1)] = ((s + d + i, n), (found, total))
    if not out:
        raise SystemExit(f"paired_bootstrap: {path} has no 'id: ... (C .., S .., D .., I .., N ..)' lines")
    return out


def paired_interval(base, other, ids, resamples, rng):
    """Difference other - base of sum(x) / sum(n), in points, with a 95% bootstrap interval."""
    def rate(table, sample):
        n = sum(table[i][1] for i in sample)
        return 100.0 * sum(table[i][0] for i in sample) / n if n else 0.0
    point = rate(other, ids) - rate(base, ids)
    diffs = []
    for _ in range(resamples):
        sample = [ids[rng.randrange(len(ids))] for _ in ids]
        diffs.append(rate(other, sample) - rate(base, sample))
    diffs.sort()
    return point, diffs[int(0.025 * resamples)], diffs[int(0.975 * resamples) - 1]


def paired_differences(base_path, other_path, resamples, rng, entities=True):
    """other - base on the utterances two alignments.txt files scored: (WER interval, entity
    accuracy interval, or None when there are no entities or entities=False), in points."""
    base, other = utterance_counts(base_path), utterance_counts(other_path)
    ids = sorted(set(base) & set(other))
    if len(ids) != len(base) or len(ids) != len(other):
        raise SystemExit(f"paired_bootstrap: {other_path} and {base_path} scored different utterances")
    words = paired_interval({i: base[i][0] for i in ids}, {i: other[i][0] for i in ids}, ids, resamples, rng)
    if not entities or not sum(base[i][1][1] for i in ids):
        return words, None
    return words, paired_interval({i: base[i][1] for i in ids}, {i: other[i][1] for i in ids}, ids, resamples, rng)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("baseline")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    configs = sorted(os.listdir(os.path.join(a.out, "eval")))
    if a.baseline not in configs:
        raise SystemExit(f"paired_bootstrap: no config '{a.baseline}' in {a.out}/eval (have {', '.join(configs)})")
    tests = sorted(os.listdir(os.path.join(a.out, "eval", a.baseline)))
    rng = random.Random(a.seed)
    print(f"Differences to {a.baseline} (other - {a.baseline}), points, paired bootstrap "
          f"({a.resamples} resamples of the utterances), 95% interval\n")
    print("| config | test set | WER difference | entity accuracy difference |")
    print("|---|---|---:|---:|")
    for config in configs:
        if config == a.baseline:
            continue
        for test in tests:
            words, e = paired_differences(os.path.join(a.out, "eval", a.baseline, test, "alignments.txt"),
                                          os.path.join(a.out, "eval", config, test, "alignments.txt"),
                                          a.resamples, rng)
            cell = f"{e[0]:+.1f} [{e[1]:+.1f}, {e[2]:+.1f}]" if e else "—"
            print(f"| {config} | {test} | {words[0]:+.1f} [{words[1]:+.1f}, {words[2]:+.1f}] | {cell} |")


if __name__ == "__main__":
    main()
