#!/usr/bin/python3
"""torchaudio side of bench/data/bench_fbank.cc: times
torchaudio.compliance.kaldi.fbank (one utterance at a time, its only mode) on
the given WAV files with the same settings as jstip's Fbank.
    bench_fbank_torchaudio.py REPEATS WAV...
"""
import sys
import time

import torch
import torchaudio


def main():
    repeats = int(sys.argv[1])
    waves = [torchaudio.load(p)[0] * 32768.0 for p in sys.argv[2:]]
    seconds = sum(w.shape[1] for w in waves) / 16000.0

    def run():
        for w in waves:
            torchaudio.compliance.kaldi.fbank(w, num_mel_bins=80, dither=0.0, window_type="povey",
                                              sample_frequency=16000.0)

    run()
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    per_pass = (time.perf_counter() - start) / repeats
    print(f"torchaudio kaldi.fbank  : {per_pass * 1e3:.2f} ms -> {seconds / per_pass:.0f}x real time "
          f"({torch.get_num_threads()} thread(s), torch {torch.__version__})")


if __name__ == "__main__":
    main()
