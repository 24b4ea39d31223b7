"""`jstip features --type whisper_mel` against openai-whisper's log_mel_spectrogram.

Real speech (espeak-ng, resampled to 16 kHz 16-bit by sox, of about 1, 5,
15 and 35 s, plus tests/data/fixtures/speech16k.wav), 80 and 128 bins,
unpadded (log_mel_spectrogram(audio, n_mels): N // 160 frames) and padded to
30 s (log_mel_spectrogram(audio, n_mels, padding=480000), then
pad_or_trim(..., 3000)). Passes when every configuration has whisper's frame
count, `covered_frames` is min(N // 160, 3000) padded and N // 160 unpadded,
and the largest absolute difference is below 1e-4. Also prints the agreement
with transformers' WhisperFeatureExtractor and faster-whisper's
FeatureExtractor, and how far jstip and whisper each are from the same
formula in float64 (informational: the differences are float32 rounding of
the weakest bins, of the same size in both). SKIPPED (77) without openai-whisper, espeak-ng or sox.
"""
import json
import os
import shutil
import subprocess
import sys
import wave

import reference_check as rc

TOLERANCE = 1e-4
N_SAMPLES, N_FRAMES, HOP = 480000, 3000, 160
SENTENCE = ("the patient was given two hundred milligrams of ibuprofen and a glass of water, "
            "then asked to rest for an hour before the next examination of the left knee")
TEXTS = {
    "short": "good morning doctor",
    "medium": "the patient was prescribed metformin twice daily",
    "long": SENTENCE + ". " + SENTENCE,                      # ~15 s
    "over30s": ". ".join([SENTENCE] * 5),                    # ~37 s: padded, the first 30 s are kept
}


def make_wavs(folder):
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        rc.skip("espeak-ng or sox is not installed (scripts/install-deps.sh installs both)")
    wavs = {}
    for name, text in TEXTS.items():
        raw, out = os.path.join(folder, name + ".raw.wav"), os.path.join(folder, name + ".wav")
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", raw, text], check=True)
        subprocess.run(["sox", raw, "-r", "16000", "-b", "16", "-c", "1", out], check=True)
        wavs[name] = out
    wavs["speech16k"] = os.path.join(rc.ROOT, "tests", "data", "fixtures", "speech16k.wav")
    return wavs


def read_wav_16k(path):
    import numpy as np
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            rc.fail(f"{path}: expected 16 kHz mono 16-bit PCM")
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768.0)


def openai_whisper(audio, n_mels, padded):
    import torch
    import whisper
    mel = whisper.log_mel_spectrogram(torch.from_numpy(audio), n_mels, padding=N_SAMPLES if padded else 0)
    if padded:
        mel = whisper.pad_or_trim(mel, N_FRAMES)
    return mel.numpy().T


def float64_mel(audio, n_mels, padded):
    """The same formula in float64: how far each float32 implementation is from exact."""
    import torch
    import whisper
    x = torch.from_numpy(audio.astype("float64"))
    if padded:
        x = torch.nn.functional.pad(x, (0, N_SAMPLES))
    stft = torch.stft(x, 400, HOP, window=torch.hann_window(400, dtype=torch.float64), return_complex=True)
    mel = whisper.audio.mel_filters("cpu", n_mels).double() @ stft[..., :-1].abs() ** 2
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    return (log_spec[:, :N_FRAMES] if padded else log_spec).numpy().T


def other_references(n_mels):
    """{name: fn(audio, padded) -> [frames, bins]} for the peers that are installed."""
    import numpy as np
    peers = {}
    try:
        from transformers import WhisperFeatureExtractor
        hf = WhisperFeatureExtractor(feature_size=n_mels)

        def transformers_mel(audio, padded):
            if padded:  # its default: pad (or cut) the audio to 30 s, then 3000 frames
                return hf(audio, sampling_rate=16000, return_tensors="np").input_features[0].T
            return hf._np_extract_fbank_features(audio[None].astype(np.float32), "cpu")[0].T
        peers["transformers"] = transformers_mel
    except ImportError:
        pass
    try:
        from faster_whisper.feature_extractor import FeatureExtractor
        fw = FeatureExtractor(feature_size=n_mels)

        def faster_whisper_mel(audio, padded):
            mel = fw(audio, padding=N_SAMPLES if padded else 0)
            return (mel[:, :N_FRAMES] if padded else mel).T
        peers["faster-whisper"] = faster_whisper_mel
    except ImportError:
        pass
    return peers


def main():
    args = rc.parse_args(__doc__)
    try:
        import numpy as np
        import whisper  # noqa: F401
    except ImportError as e:
        rc.skip(f"openai-whisper is not installed in the venv ({e}; scripts/install-venv.sh installs it)")
    failures = []
    with rc.temp_dir(args.work, "whisper-mel-") as tmp:
        wavs = make_wavs(tmp)
        for n_mels in (80, 128):
            peers = other_references(n_mels)
            for padded in (False, True):
                for name, wav in wavs.items():
                    audio = read_wav_16k(wav)
                    out = os.path.join(tmp, f"{name}-{n_mels}-{int(padded)}.npy")
                    # --pad-30s last: the option parser would take a next word as its value.
                    cmd = ["features", wav, "--type", "whisper_mel", "--bins", str(n_mels), "--out", out, "--json"]
                    info = json.loads(rc.run_jstip(args.jstip, cmd + (["--pad-30s"] if padded else [])).splitlines()[-1])
                    ours = np.load(out)
                    theirs = openai_whisper(audio, n_mels, padded)
                    label = f"{name:9s} {len(audio) / 16000:5.1f} s {n_mels:3d} bins {'padded' if padded else 'unpadded':8s}"
                    covered = min(len(audio) // HOP, N_FRAMES) if padded else len(audio) // HOP
                    if ours.dtype != np.float32 or ours.shape != theirs.shape:
                        failures.append(f"{label}: jstip {ours.dtype} {list(ours.shape)}, whisper {list(theirs.shape)}")
                        continue
                    if info["covered_frames"] != covered or info["frames"] != ours.shape[0]:
                        failures.append(f"{label}: jstip reports {info['frames']} frames, {info['covered_frames']} "
                                        f"covered; expected {ours.shape[0]} and {covered}")
                    diff = float(np.abs(ours.astype(np.float64) - theirs).max())
                    exact = float64_mel(audio, n_mels, padded)
                    line = (f"{label}: {ours.shape[0]:4d} frames, max abs vs openai-whisper {diff:.2e} (vs float64: "
                            f"jstip {np.abs(ours - exact).max():.1e}, whisper {np.abs(theirs - exact).max():.1e})")
                    for peer, fn in peers.items():
                        ref = fn(audio, padded)
                        line += (f", {peer} {float(np.abs(ours - ref).max()):.2e}" if ref.shape == ours.shape
                                 else f", {peer} shape {list(ref.shape)}")
                    print(line, flush=True)
                    if diff >= TOLERANCE:
                        failures.append(f"{label}: max abs difference {diff:.3g} >= {TOLERANCE}")
    if failures:
        rc.fail("\n".join(failures))
    print(f"PASS: jstip whisper_mel equals openai-whisper within {TOLERANCE} on {len(TEXTS) + 1} utterances, "
          f"80/128 bins, unpadded and padded to 30 s")


if __name__ == "__main__":
    sys.exit(main())
