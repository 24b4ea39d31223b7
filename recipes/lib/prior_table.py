#!/usr/bin/env python3
"""Summary of recipes/prior_vs_data.sh: the text-pretrained LLM against a
random one at each amount of ASR data.

    recipes/lib/prior_table.py OUT [--resamples 2000] [--seed 0]

OUT holds size-N/lr-LR/ `jstip compare` folders, each with the configs
`random` and `pretrained`. Prints (Markdown) every run's dev loss (of the
decoded checkpoint, which compare chose by dev loss), WER and medical entity
accuracy; then, per size, each LLM at the learning rate with its lower dev loss, and the WER difference pretrained - random on the
same utterances with a paired-bootstrap 95% interval; how much each LLM
reads the speech (the mismatched-speech dev loss minus the dev loss); and,
where OUT/size-N/jstip holds the same two LLMs under JSTIP training
(configs jstip-random and jstip-pretrained), their table. Writes
OUT/prior_vs_data.png (gnuplot): WER against pairs for both LLMs.
"""
import argparse
import json
import os
import random
import re
import subprocess

from paired_bootstrap import paired_differences

TESTS = ["general", "medical", "heldout_voices"]
LLMS = ["random", "pretrained"]


def checkpoint_dev_loss(run_dir, checkpoint):
    """The dev loss at the step of the decoded checkpoint (".../step-00001000")."""
    step = int(re.search(r"step-(\d+)$", checkpoint).group(1))
    for line in open(os.path.join(run_dir, "metrics.jsonl")):
        record = json.loads(line)
        if record.get("step") == step and "dev_loss" in record:
            return record["dev_loss"]
    raise SystemExit(f"prior_table: {run_dir}/metrics.jsonl has no dev loss at step {step}")


def speech_gap(run_dir):
    """(dev loss, mismatched-speech dev loss) of the run's last dev evaluation."""
    last = None
    for line in open(os.path.join(run_dir, "metrics.jsonl")):
        record = json.loads(line)
        if "dev_loss_mismatched_speech" in record:
            last = record
    if last is None:
        raise SystemExit(f"prior_table: {run_dir}/metrics.jsonl has no mismatched-speech dev loss")
    return last["dev_loss"], last["dev_loss_mismatched_speech"]


def load_compare(folder):
    """config name -> {dev, gap, wer: {test: (est, lo, hi)}, entity: (est, lo, hi), eval: folder} of one compare."""
    results = os.path.join(folder, "results.json")
    if not os.path.exists(results):
        raise SystemExit(f"prior_table: {folder} has no results.json (its compare did not finish)")
    runs = {}
    for config in json.load(open(results))["configs"]:
        scores = config["scores"]
        pct = lambda s: tuple(100 * s[k] for k in ("estimate", "lower", "upper"))
        runs[config["name"]] = {
            "dev": checkpoint_dev_loss(config["run_dir"], config["checkpoint"]),
            "gap": speech_gap(config["run_dir"]),
            "wer": {t: pct(scores[t]["wer"]) for t in TESTS},
            "entity": pct(scores["medical"]["entity_accuracy"]),
            "eval": os.path.join(folder, "eval", config["name"]),
        }
    return runs


def load_runs(out):
    """(size, lr, llm) -> {dev, wer: {test: (est, lo, hi)}, entity: (est, lo, hi), eval: folder}."""
    runs = {}
    for size_dir in os.listdir(out):
        m = re.fullmatch(r"size-(\d+)", size_dir)
        if not m:
            continue
        for lr_dir in os.listdir(os.path.join(out, size_dir)):
            if not lr_dir.startswith("lr-"):
                continue
            for name, run in load_compare(os.path.join(out, size_dir, lr_dir)).items():
                runs[(int(m.group(1)), lr_dir[3:], name)] = run
    if not runs:
        raise SystemExit(f"prior_table: no size-N/lr-LR/results.json under {out}")
    return runs


def paired_wer(base_eval, other_eval, test, resamples, rng):
    return paired_differences(os.path.join(base_eval, test, "alignments.txt"),
                              os.path.join(other_eval, test, "alignments.txt"), resamples, rng, entities=False)[0]


def plot(out, sizes, chosen, runs):
    data = os.path.join(out, "prior_vs_data.dat")
    with open(data, "w") as f:
        f.write("# pairs, then WER est lo hi per llm (random, pretrained) for general and held-out voices\n")
        for size in sizes:
            cells = []
            for test in ("general", "heldout_voices"):
                for llm in LLMS:
                    cells += ["%.2f %.2f %.2f" % runs[(size, chosen[(size, llm)], llm)]["wer"][test]]
            f.write(f"{size} {' '.join(cells)}\n")
    script = f"""set terminal pngcairo size 720,440
set output '{os.path.join(out, "prior_vs_data.png")}'
set title 'ASR from a random vs a text-pretrained LLM (learning rate by dev loss)'
set xlabel 'aligned speech-text pairs'
set ylabel 'WER %'
set logscale x
set xtics ({', '.join(str(s) for s in sizes)})
set xrange [{sizes[0] * 0.7}:{sizes[-1] * 1.4}]
set key top right
plot '{data}' using 1:2:3:4 with yerrorlines title 'random LLM, general', \\
     '' using 1:5:6:7 with yerrorlines title 'pretrained LLM, general', \\
     '' using 1:8:9:10 with yerrorlines dt 2 title 'random LLM, held-out voices', \\
     '' using 1:11:12:13 with yerrorlines dt 2 title 'pretrained LLM, held-out voices'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    runs = load_runs(a.out)
    sizes = sorted({k[0] for k in runs})
    lrs = sorted({k[1] for k in runs}, key=float)

    print("## Every run (WER and entity accuracy %, 95% intervals)\n")
    print("| pairs | LLM | lr | dev loss | general | medical | held-out voices | medical entities |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        for llm in LLMS:
            for lr in lrs:
                r = runs.get((size, lr, llm))
                if r:
                    cells = " | ".join("%.1f [%.1f, %.1f]" % r["wer"][t] for t in TESTS)
                    print(f"| {size:,} | {llm} | {lr} | {r['dev']:.3f} | {cells} | {'%.1f [%.1f, %.1f]' % r['entity']} |")

    chosen = {}
    for size in sizes:
        for llm in LLMS:
            options = [lr for lr in lrs if (size, lr, llm) in runs]
            if not options:
                raise SystemExit(f"prior_table: no {llm} run at {size} pairs")
            chosen[(size, llm)] = min(options, key=lambda lr: runs[(size, lr, llm)]["dev"])
    rng = random.Random(a.seed)
    print("\n## Pretrained minus random, each at the learning rate of its lower dev loss\n")
    print("WER difference in points, paired bootstrap over the same utterances "
          f"({a.resamples} resamples), 95% interval; negative = the text prior helps.\n")
    print("| pairs | lr random / pretrained | general | medical | held-out voices |")
    print("|---:|---|---:|---:|---:|")
    for size in sizes:
        base = runs[(size, chosen[(size, "random")], "random")]
        other = runs[(size, chosen[(size, "pretrained")], "pretrained")]
        cells = []
        for test in TESTS:
            d = paired_wer(base["eval"], other["eval"], test, a.resamples, rng)
            cells.append(f"{d[0]:+.1f} [{d[1]:+.1f}, {d[2]:+.1f}]")
        print(f"| {size:,} | {chosen[(size, 'random')]} / {chosen[(size, 'pretrained')]} | {' | '.join(cells)} |")

    print("\n## How much each LLM reads the speech\n")
    print("Last dev evaluation: dev loss / the same transcripts against another utterance's speech (gap).\n")
    print("| pairs | lr | random LLM | pretrained LLM |")
    print("|---:|---:|---|---|")
    for size in sizes:
        for lr in lrs:
            cells = []
            for llm in LLMS:
                dev, mismatched = runs[(size, lr, llm)]["gap"]
                cells.append(f"{dev:.2f} / {mismatched:.2f} ({mismatched - dev:.2f})")
            print(f"| {size:,} | {lr} | {' | '.join(cells)} |")

    for size in sizes:
        folder = os.path.join(a.out, f"size-{size}", "jstip")
        if not os.path.exists(os.path.join(folder, "results.json")):
            continue
        jstip = load_compare(folder)
        print(f"\n## Under JSTIP training, {size:,} pairs\n")
        print("| LLM | dev loss | speech gap | general | medical | held-out voices | medical entities |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name in ("jstip-random", "jstip-pretrained"):
            r = jstip[name]
            cells = " | ".join("%.1f [%.1f, %.1f]" % r["wer"][t] for t in TESTS)
            print(f"| {name} | {r['dev']:.3f} | {r['gap'][1] - r['gap'][0]:.2f} | {cells} | "
                  f"{'%.1f [%.1f, %.1f]' % r['entity']} |")
        cells = []
        for test in TESTS:
            d = paired_wer(jstip["jstip-random"]["eval"], jstip["jstip-pretrained"]["eval"], test, a.resamples, rng)
            cells.append(f"{d[0]:+.1f} [{d[1]:+.1f}, {d[2]:+.1f}]")
        print(f"\nPretrained minus random, WER points (paired): {', '.join(f'{t} {c}' for t, c in zip(TESTS, cells))}")
    plot(a.out, sizes, chosen, runs)
    print(f"\nPlot: {os.path.join(a.out, 'prior_vs_data.png')}")


if __name__ == "__main__":
    main()
