#!/usr/bin/python3
"""Makes the fbank test fixtures: real espeak-ng speech at 16 kHz and its
Kaldi fbank from torchaudio.compliance.kaldi.fbank (the reference that
host/data/fbank.cc must match; see tests/data/fbank_test.cc).

Run from the repository root with Debian's python3 (python3-torchaudio):
    /usr/bin/python3 scripts/make_fbank_reference.py
Writes tests/data/fixtures/speech16k.wav and speech16k.fbank:
    8 bytes "JSTFBNK1" | int64 rows | int64 cols | float32 rows*cols (little-endian)
"""
import os
import struct
import subprocess
import tempfile

import torch
import torchaudio

TEXT = "the patient was given aspirin and ibuprofen for the headache"
OUT = os.path.join("tests", "data", "fixtures")


def main():
    os.makedirs(OUT, exist_ok=True)
    wav = os.path.join(OUT, "speech16k.wav")
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.wav")
        subprocess.run(["espeak-ng", "-v", "en-us+f3", "-s", "170", "-w", raw, TEXT], check=True)
        subprocess.run(["sox", raw, "-r", "16000", "-b", "16", "-c", "1", wav], check=True)
    waveform, rate = torchaudio.load(wav)  # float in [-1, 1]
    assert rate == 16000, rate
    feats = torchaudio.compliance.kaldi.fbank(
        waveform * 32768.0, num_mel_bins=80, frame_length=25.0, frame_shift=10.0,
        dither=0.0, window_type="povey", sample_frequency=16000.0)
    feats = feats.contiguous().to(torch.float32)
    with open(os.path.join(OUT, "speech16k.fbank"), "wb") as f:
        f.write(b"JSTFBNK1")
        f.write(struct.pack("<qq", feats.shape[0], feats.shape[1]))
        f.write(feats.numpy().astype("<f4").tobytes())
    print(f"{wav}: {waveform.shape[1]} samples, fbank {tuple(feats.shape)}")


if __name__ == "__main__":
    main()
