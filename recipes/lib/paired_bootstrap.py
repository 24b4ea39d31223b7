#!/usr/bin/env python3
"""Paired comparison of the configs of one `jstip compare` folder against a baseline.

    recipes/lib/paired_bootstrap.py OUT BASELINE [--resamples 2000] [--seed 0]

All configs decoded the same utterances, so a difference is estimated on the
same resampled utterances for both sides (a paired bootstrap): far tighter
than two separate intervals. For every config and test set it prints the
difference to BASELINE in WER (points; errors from OUT/eval/*/TEST/alignments.txt,
as `jstip eval` counted them) and in entity accuracy (OUT/decode/*/TEST/hyp.jsonl:
an entity counts when its reference words occur in the hypothesis, which
reproduces `jstip eval`'s totals), with a 95% interval.
"""
import argparse
import json
import os
import random
import re


def word_errors(path):
    """id -> (errors, reference words) from jstip eval's alignments.txt."""
    out = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"id: (\S+)\s+\(C (\d+), S (\d+), D (\d+), I (\d+), N (\d+)\)", line)
        if m:
            c, s, d, i, n = map(int, m.groups()[1:])
            out[m.group(1)] = (s + d + i, n)
    return out


def entity_hits(path):
    """id -> (entities found, entities) from jstip decode's hyp.jsonl."""
    out = {}
    for line in open(path, encoding="utf-8"):
        h = json.loads(line)
        hyp = " " + " ".join(h["hypothesis"].lower().split()) + " "
        terms = [" ".join(h["reference"][e["begin"]:e["end"]].lower().split()) for e in h.get("entities", [])]
        out[h["id"]] = (sum(1 for t in terms if " " + t + " " in hyp), len(terms))
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
            base_w = word_errors(os.path.join(a.out, "eval", a.baseline, test, "alignments.txt"))
            other_w = word_errors(os.path.join(a.out, "eval", config, test, "alignments.txt"))
            ids = sorted(set(base_w) & set(other_w))
            if len(ids) != len(base_w) or len(ids) != len(other_w):
                raise SystemExit(f"paired_bootstrap: {config}/{test} and {a.baseline}/{test} scored different utterances")
            w = paired_interval(base_w, other_w, ids, a.resamples, rng)
            cell = "—"
            base_e = entity_hits(os.path.join(a.out, "decode", a.baseline, test, "hyp.jsonl"))
            if sum(n for _, n in base_e.values()):
                other_e = entity_hits(os.path.join(a.out, "decode", config, test, "hyp.jsonl"))
                e = paired_interval(base_e, other_e, ids, a.resamples, rng)
                cell = f"{e[0]:+.1f} [{e[1]:+.1f}, {e[2]:+.1f}]"
            print(f"| {config} | {test} | {w[0]:+.1f} [{w[1]:+.1f}, {w[2]:+.1f}] | {cell} |")


if __name__ == "__main__":
    main()
