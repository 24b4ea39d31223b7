#!/usr/bin/env python3
"""What padding to 30 s costs and gains for Whisper tiny.en, on the built-in dev sets.

For every utterance of the given shard folders (exported as 16 kHz WAV by
`jstip data inspect --export`), both ways, unpadded (N // 160 log-mel frames)
and padded to 30 s (3000 frames):
- quality: Whisper tiny.en's own decoder (CTranslate2, greedy, no timestamps) on
  CTranslate2's encoder output -> WER against the reference, both sides
  lowercased with punctuation removed;
- time: the encoder alone per utterance, CTranslate2's (float32, the peer,
  in process) and jstip's (the time `jstip encode` reports for its encoder
  call), the ratio on the first --jstip-limit utterances of each set;
- distance: max abs between the padded and the unpadded encoder outputs on
  the frames that cover the audio.
Writes a markdown table to --out (and prints it). Run with the project venv:
  .venv/bin/python recipes/whisper_padding.py --data data/quick/dev --out runs/whisper-padding.md
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import wave

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models", "whisper-tiny.en")


def words(text):
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def edit_distance(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def read_wav(path, np):
    with wave.open(path) as w:
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", nargs="+", required=True, help="shard folders (e.g. data/quick/dev)")
    ap.add_argument("--jstip", default=os.path.join(ROOT, "build", "bin", "jstip"))
    ap.add_argument("--limit", type=int, default=0, help="utterances per folder (0 = all)")
    ap.add_argument("--jstip-limit", type=int, default=20, help="utterances timed through `jstip encode` per folder")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import ctranslate2
    import numpy as np
    import whisper
    from faster_whisper.tokenizer import Tokenizer
    import tokenizers

    model = ctranslate2.models.Whisper(MODEL, device="cpu", compute_type="float32", intra_threads=args.threads)
    tokenizer = Tokenizer(tokenizers.Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json")), False)
    prompt = [tokenizer.sot, tokenizer.no_timestamps]  # English-only model: no language or task tokens
    env = dict(os.environ, JSTIP_SKIP_BLAS_CHECK="1", OMP_NUM_THREADS=str(args.threads))
    rows = []
    for folder in args.data:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [args.jstip, "data", "inspect", folder, "--export", tmp, "--limit", str(args.limit or 1000000)]
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            records = [json.loads(line) for line in open(os.path.join(tmp, "records.jsonl"))]
            stats = {k: 0.0 for k in ("errors_padded", "errors_unpadded", "words", "ct2_padded", "ct2_unpadded",
                                      "ct2_timed_padded", "ct2_timed_unpadded", "jstip_padded", "jstip_unpadded",
                                      "seconds", "gap")}
            timed = 0
            for n, rec in enumerate(records):
                wav = rec["wav"]
                if not os.path.isfile(wav):
                    continue
                audio = read_wav(wav, np)
                ref = words(rec["reference"])
                out = {}
                for name, padding in (("padded", whisper.audio.N_SAMPLES), ("unpadded", 0)):
                    mel = whisper.log_mel_spectrogram(audio, 80, padding=padding)
                    if padding:
                        mel = whisper.pad_or_trim(mel, whisper.audio.N_FRAMES)
                    features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel.numpy()[None]))
                    start = time.perf_counter()
                    encoded = model.encode(features, to_cpu=False)
                    seconds = time.perf_counter() - start
                    stats["ct2_" + name] += seconds
                    if timed < args.jstip_limit:  # the utterances jstip is timed on below
                        stats["ct2_timed_" + name] += seconds
                    result = model.generate(encoded, [prompt], beam_size=1, max_length=200, suppress_blank=True)
                    hyp = words(tokenizer.decode(result[0].sequences_ids[0]))
                    stats["errors_" + name] += edit_distance(ref, hyp)
                    out[name] = np.array(model.encode(features, to_cpu=True))[0]
                covered = out["unpadded"].shape[0]
                stats["gap"] = max(stats["gap"], float(np.abs(out["padded"][:covered] - out["unpadded"]).max()))
                stats["words"] += len(ref)
                stats["seconds"] += len(audio) / 16000
                if timed < args.jstip_limit:
                    timed += 1
                    for name, flag in (("padded", ["--pad-30s"]), ("unpadded", [])):
                        p = subprocess.run([args.jstip, "encode", MODEL, wav, "--out", os.path.join(tmp, "e.npy")] + flag,
                                           check=True, capture_output=True, text=True, env=env)
                        found = re.search(r"encoder ([0-9.]+) ms", p.stdout)
                        if not found:
                            sys.exit(f"jstip encode printed no encoder time: {p.stdout}")
                        stats["jstip_" + name] += float(found.group(1)) / 1000
            utterances = len(records)
            rows.append((folder, utterances, timed, stats))
            print(folder, utterances, {k: round(v, 3) for k, v in stats.items()}, flush=True)

    lines = ["| dev set | utterances | audio s | WER padded | WER unpadded | CT2 encoder ms/utt padded | unpadded "
             "| jstip / CT2 encoder time, padded | unpadded | max abs padded vs unpadded |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for folder, utterances, timed, s in rows:
        lines.append(f"| {os.path.relpath(folder, ROOT)} | {utterances} | {s['seconds']:.0f} "
                     f"| {100 * s['errors_padded'] / s['words']:.1f}% | {100 * s['errors_unpadded'] / s['words']:.1f}% "
                     f"| {1000 * s['ct2_padded'] / utterances:.0f} | {1000 * s['ct2_unpadded'] / utterances:.0f} "
                     f"| {s['jstip_padded'] / s['ct2_timed_padded']:.2f} | {s['jstip_unpadded'] / s['ct2_timed_unpadded']:.2f} "
                     f"| {s['gap']:.2f} |")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        f.write(text)
    os.replace(args.out + ".tmp", args.out)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
