#!/usr/bin/env python3
"""Reference fixtures for the whisper_mel features (host/data/whisper_mel.cc).

From openai-whisper's whisper.audio (the reference the C++ must match):
  - log_mel_spectrogram(audio, n_mels) of tests/data/fixtures/speech16k.wav
    (real espeak-ng speech, 57067 samples at 16 kHz), unpadded and padded to
    30 s (log_mel_spectrogram(audio, n_mels, padding=480000) then
    pad_or_trim(..., 3000)), for 80 and 128 mel bins;
  - the mel filters it uses (whisper/assets/mel_filters.npz, which is
    librosa.filters.mel(sr=16000, n_fft=400, n_mels) as float32).
Writes tests/data/fixtures/whisper_mel/:
  speech16k_mel{80,128}[_pad30s].npy  float32 [K, 1 + bins]: column 0 is a frame
      index, the rest that frame's row (K chosen frames: both edges, the
      middle, and for padded ones the end of the audio and the padding)
  mel_filters_{80,128}.npy  float32 [K, 3]: (mel row, FFT bin, weight) of
      every nonzero weight
  speech16k.json  the sample count, every configuration's frame count and
      the tool versions
The audio is read as int16 / 32768 (what libsndfile gives the C++ side).

Run with the project venv from anywhere:
  .venv/bin/python scripts/reference/whisper_mel_fixtures.py [--check]
--check recomputes everything and compares with the committed files (max
abs difference 0) instead of writing them.
"""
import argparse
import json
import os
import sys
import wave

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AUDIO = os.path.join(ROOT, "tests", "data", "fixtures", "speech16k.wav")
OUT = os.path.join(ROOT, "tests", "data", "fixtures", "whisper_mel")
N_SAMPLES, N_FRAMES, HOP = 480000, 3000, 160


def read_wav_16k(path):
    """float32 samples of a 16 kHz mono 16-bit WAV, int16 / 32768."""
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            sys.exit(f"{path}: expected 16 kHz mono 16-bit PCM")
        data = w.readframes(w.getnframes())
    return (np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768.0)).astype(np.float32)


def chosen_frames(audio_frames, padded):
    """Frame indices stored: the first and last few, ~24 evenly spaced, and (padded) the padding."""
    frames = set(range(4)) | set(range(audio_frames - 3, audio_frames))
    frames |= {int(round(x)) for x in np.linspace(0, audio_frames - 1, 24)}
    if padded:
        frames |= set(range(audio_frames, audio_frames + 4)) | {1500, N_FRAMES - 1}
    return sorted(f for f in frames if 0 <= f < (N_FRAMES if padded else audio_frames))


def whisper_mel(audio, n_mels, padded):
    import torch
    import whisper
    mel = whisper.log_mel_spectrogram(torch.from_numpy(audio), n_mels, padding=N_SAMPLES if padded else 0)
    if padded:
        mel = whisper.pad_or_trim(mel, N_FRAMES)
    return mel.numpy().T.astype(np.float32)  # [frames, bins]


def mel_filter_triplets(n_mels):
    import whisper.audio
    filters = whisper.audio.mel_filters("cpu", n_mels).numpy()  # (n_mels, 201) float32 from mel_filters.npz
    try:
        import librosa
        theirs = librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels)
        print(f"mel filters {n_mels}: whisper's npz vs librosa {librosa.__version__}: max abs "
              f"{np.abs(filters - theirs).max():.3g}")
    except ImportError:
        print(f"mel filters {n_mels}: librosa not installed; whisper's npz is librosa.filters.mel's output")
    rows, cols = np.nonzero(filters)
    return np.stack([rows, cols, filters[rows, cols]], axis=1).astype(np.float32)


def build():
    import whisper
    import torch
    audio = read_wav_16k(AUDIO)
    audio_frames = len(audio) // HOP
    files, frames = {}, {}
    for n_mels in (80, 128):
        files[f"mel_filters_{n_mels}.npy"] = mel_filter_triplets(n_mels)
        for padded in (False, True):
            name = f"speech16k_mel{n_mels}" + ("_pad30s" if padded else "")
            mel = whisper_mel(audio, n_mels, padded)
            frames[name] = int(mel.shape[0])
            keep = chosen_frames(audio_frames, padded)
            files[name + ".npy"] = np.concatenate([np.array(keep, np.float32)[:, None], mel[keep]], axis=1)
    info = {"audio": "tests/data/fixtures/speech16k.wav", "samples": int(len(audio)), "frames": frames,
            "openai_whisper": getattr(whisper, "__version__", "?"), "torch": torch.__version__,
            "numpy": np.__version__}
    return files, info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed fixtures instead of writing")
    args = ap.parse_args()
    try:
        import whisper  # noqa: F401
    except ImportError:
        sys.exit("openai-whisper is not installed (scripts/install-venv.sh installs it into .venv)")
    files, info = build()
    if args.check:
        worst = 0.0
        for name, array in files.items():
            committed = np.load(os.path.join(OUT, name))
            if committed.shape != array.shape:
                sys.exit(f"{name}: committed shape {committed.shape}, recomputed {array.shape}")
            worst = max(worst, float(np.abs(committed - array).max()))
            print(f"{name}: {array.shape}, max abs difference {np.abs(committed - array).max():.3g}")
        with open(os.path.join(OUT, "speech16k.json")) as f:
            committed = json.load(f)
        if committed["frames"] != info["frames"] or committed["samples"] != info["samples"]:
            sys.exit(f"speech16k.json: committed {committed}, recomputed {info}")
        sys.exit(0 if worst == 0 else f"the fixtures differ from a recomputation by up to {worst:.3g}")
    os.makedirs(OUT, exist_ok=True)
    for name, array in files.items():
        np.save(os.path.join(OUT, name), array)
        print(f"wrote {os.path.join(OUT, name)}: {array.shape}")
    with open(os.path.join(OUT, "speech16k.json"), "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.join(OUT, 'speech16k.json')}: {info}")


if __name__ == "__main__":
    main()
