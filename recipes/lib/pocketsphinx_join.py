#!/usr/bin/env python3
"""Joins pocketsphinx_batch output (`words (ID score)` per line) with the
records `jstip data inspect --export` wrote: a `jstip eval --hyp` file.
A record pocketsphinx gave no line for gets an empty hypothesis (counted as
deletions), so the scores cover every record.

    pocketsphinx_join.py RECORDS.jsonl OUT.hyp HYP.jsonl
"""
import json
import os
import re
import sys


def main(records_path, ps_path, out_path):
    hyps = {}
    with open(ps_path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = re.match(r"^(.*?)\s*\((\S+)(?:\s+-?\d+)?\)\s*$", line)
            if not m:
                sys.exit(f"{ps_path}:{number}: expected 'words (ID score)', got {line.strip()!r}")
            hyps[m.group(2)] = m.group(1)
    missing = 0
    tmp = out_path + ".tmp"
    with open(records_path, encoding="utf-8") as f, open(tmp, "w", encoding="utf-8") as out:
        for number, line in enumerate(f, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{records_path}:{number}: {e}")
            if record["id"] not in hyps:
                missing += 1
            # pocketsphinx marks noise and silence fillers in brackets: not words.
            text = re.sub(r"\[[^\]]*\]|<[^>]*>", " ", hyps.get(record["id"], ""))
            record["hypothesis"] = " ".join(text.split())
            out.write(json.dumps(record) + "\n")
    os.replace(tmp, out_path)
    if missing:
        print(f"pocketsphinx_join: {missing} records had no pocketsphinx output (empty hypotheses)", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
