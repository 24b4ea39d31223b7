#!/usr/bin/env python3
"""Word-boundary error of aligned shards against reference timings.

    boundary_error.py JSTIP REFERENCE_SHARDS ALIGNED_SHARDS [--json OUT]

Reads both through `jstip data inspect --full` and pairs records by id and
words by position (the aligner keeps the transcript's words). Prints mean
and 90th-percentile absolute error in ms of word starts, word ends and both
together, over all words and over the words whose reference start came from
an espeak-ng word event (not estimated by character share). espeak-ng word
ends are themselves estimates (last 10 ms frame above a silence threshold).
"""
import json
import re
import subprocess
import sys

WORD = re.compile(r"^    +(-?\d+\.\d+) +(-?\d+\.\d+)  (\S+)(  \(estimated\))?$")


def read(jstip, path):
    out = subprocess.run([jstip, "data", "inspect", path, "--full", "--limit", "-1"], check=True,
                         capture_output=True, text=True).stdout
    records, current = {}, None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            current = records.setdefault(line.split()[0], [])
            continue
        m = WORD.match(line)
        if m and current is not None:
            current.append((float(m.group(1)), float(m.group(2)), m.group(3), m.group(4) is None))
    return records


def percentile(values, q):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(values):
    return {"words": len(values), "mean_ms": 1000 * sum(values) / max(1, len(values)),
            "p90_ms": 1000 * percentile(values, 0.9)}


def main():
    args = sys.argv[1:]
    json_out = None
    if "--json" in args:
        i = args.index("--json")
        json_out = args[i + 1]
        del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    jstip, ref_path, ali_path = args
    ref, ali = read(jstip, ref_path), read(jstip, ali_path)
    errors = {k: [] for k in ["start", "end", "start_event", "end_event", "signed_start", "signed_end"]}
    paired = 0
    for uid, words in ali.items():
        truth = ref.get(uid)
        if truth is None:
            sys.exit(f"record '{uid}' of {ali_path} is not in {ref_path}")
        if [w[2] for w in truth] != [w[2] for w in words]:
            sys.exit(f"record '{uid}': aligned words differ from the reference words")
        paired += 1
        for (rs, re_, _, from_event), (s, e, _, _) in zip(truth, words):
            errors["start"].append(abs(s - rs))
            errors["end"].append(abs(e - re_))
            errors["signed_start"].append(s - rs)
            errors["signed_end"].append(e - re_)
            if from_event:
                errors["start_event"].append(abs(s - rs))
                errors["end_event"].append(abs(e - re_))
    result = {
        "records": paired,
        "reference_records": len(ref),
        "start": summary(errors["start"]),
        "end": summary(errors["end"]),
        "both": summary(errors["start"] + errors["end"]),
        "both_event_words": summary(errors["start_event"] + errors["end_event"]),
        "mean_signed_start_ms": 1000 * sum(errors["signed_start"]) / max(1, len(errors["signed_start"])),
        "mean_signed_end_ms": 1000 * sum(errors["signed_end"]) / max(1, len(errors["signed_end"])),
    }
    print(f"records aligned {paired} of {len(ref)}")
    print(f"{'boundary':<22}{'words':>7}{'mean ms':>10}{'p90 ms':>10}")
    for key in ["start", "end", "both", "both_event_words"]:
        r = result[key]
        print(f"{key:<22}{r['words']:>7}{r['mean_ms']:>10.1f}{r['p90_ms']:>10.1f}")
    print(f"mean signed error: start {result['mean_signed_start_ms']:+.1f} ms, end {result['mean_signed_end_ms']:+.1f} ms")
    if json_out:
        with open(json_out + ".tmp", "w") as f:
            json.dump(result, f, indent=2)
        import os
        os.replace(json_out + ".tmp", json_out)


if __name__ == "__main__":
    main()
