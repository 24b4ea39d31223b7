#!/usr/bin/python3
"""The Python PyTorch peer of the performance suite (bench/run.sh): the same
reference training step as the C++ suite (replayed from its trace), greedy
decoding written as the usual `generate` loop with `past_key_values`, and
torchaudio's Kaldi fbank on the same WAVs. Writes one JSON file.
    peer.py --trace DIR --wav DIR --out FILE [--threads N] [--smoke]
"""
import argparse
import glob
import json
import os
import resource
import time

import torch

from replay import ReplayedBatch, TrainStep


def timed(fn, iterations):
    """One untimed warm-up call, then the mean seconds of `iterations` calls."""
    fn()
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations


def loaded_blas():
    """The BLAS shared object this process loaded (as the C++ start-up check finds it)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    return os.path.realpath(sorted(paths)[0]) if paths else "unknown"


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@torch.no_grad()
def generate(llm, input_ids, max_new_tokens):
    """Greedy decoding the usual way: prefix pass, then one token at a time with past_key_values."""
    batch, prefix = input_ids.shape
    attention_mask = torch.ones(batch, prefix, dtype=torch.bool)
    positions = torch.arange(prefix).unsqueeze(0).expand(batch, prefix)
    logits, past = llm(llm.embed_tokens(input_ids), attention_mask, positions)
    generated = []
    for step in range(max_new_tokens):
        next_tokens = logits[:, -1, :].argmax(-1, keepdim=True)
        generated.append(next_tokens)
        if step + 1 == max_new_tokens:
            break
        attention_mask = torch.cat([attention_mask, torch.ones(batch, 1, dtype=torch.bool)], 1)
        positions = torch.full((batch, 1), prefix + step)
        logits, past = llm(llm.embed_tokens(next_tokens), attention_mask, positions, past)
    return torch.cat(generated, 1)


def fbank_seconds(paths, iterations):
    import torchaudio
    waves = [torchaudio.load(p)[0] * 32768.0 for p in paths]
    audio = sum(w.shape[1] for w in waves) / 16000.0

    def run():
        for w in waves:
            torchaudio.compliance.kaldi.fbank(w, num_mel_bins=80, dither=0.0, window_type="povey",
                                              sample_frequency=16000.0)

    return timed(run, iterations), audio


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trace", required=True)
    ap.add_argument("--wav", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cases = {}

    batch = ReplayedBatch(args.trace)
    step = TrainStep(batch)
    weights = os.path.join(args.trace, "model.safetensors")
    if os.path.exists(weights):
        # Same weights and batch, no dropout: the objective must be the C++ one, or the peer is not the same model.
        step.load_weights(weights)
        step.model.eval()
        with torch.no_grad():
            objective, targets = step.objective()
        ours, theirs = float(objective) / max(1, targets), batch.layout["eval_objective"]
        cases["equivalence"] = {"python_objective": ours, "cpp_objective": theirs,
                                "relative_difference": abs(ours - theirs) / abs(theirs)}
        if abs(ours - theirs) > 1e-3 * abs(theirs):
            raise SystemExit(f"peer: the Python model's objective {ours} differs from the C++ one {theirs}")
        step.model.train()
    loss = step()
    if loss != loss:
        raise SystemExit("peer: the replayed training step gave a NaN loss")
    seconds = timed(step, 1 if args.smoke else 5)
    cases["train_step/reference"] = {"seconds": seconds, "loss": loss, "peak_rss_bytes": peak_rss_bytes()}

    llm = step.model.llm.eval()
    prefix = 100
    tokens = 4 if args.smoke else 32
    shapes = [(1, tokens), (16, tokens)] + ([] if args.smoke else [(1, 8), (1, 128)])
    torch.manual_seed(3)
    for batch_size, new in shapes:
        ids = torch.randint(batch.dims["vocab"], (batch_size, prefix))
        out = generate(llm, ids, new)
        assert out.shape == (batch_size, new), out.shape
        cases[f"decode/greedy/batch:{batch_size}/new:{new}"] = {
            "seconds": timed(lambda: generate(llm, ids, new), 1 if args.smoke else 5)}

    torch.set_num_threads(1)  # like the C++ side: fbank on one thread
    wavs = sorted(glob.glob(args.wav + "/*.wav"))
    seconds, audio = fbank_seconds(wavs, 1 if args.smoke else 5)
    cases["fbank/torchaudio"] = {"seconds": seconds, "audio_seconds": audio}

    facts = {"torch_version": torch.__version__, "threads": args.threads, "peak_rss_bytes": peak_rss_bytes(),
             "blas_library": loaded_blas()}
    with open(args.out, "w") as f:
        json.dump({"facts": facts, "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
