#!/usr/bin/env python3
"""Whisper tiny.en's encoder read from its CTranslate2 files equals CTranslate2's own encoder.

Six utterances (espeak-ng with mbrola voices and festival, 16 kHz, 1-13 s):
- padded to 30 s: `jstip encode models/whisper-tiny.en WAV --pad-30s` (1500 frames)
  against `ctranslate2.models.Whisper(dir, compute_type="float32").encode` of
  openai-whisper's log-mel padded to 3000 frames: within 1e-3 max abs;
- unpadded: `jstip encode` without padding against CTranslate2 on the unpadded
  log-mel (N // 160 frames): within 1e-3; and how far the padded and unpadded
  outputs are apart on the frames that cover the audio (a measured fact, printed);
- `jstip convert models/whisper-tiny.en --out DIR` loads in transformers'
  WhisperModel, whose encoder output equals CTranslate2's within 1e-3 (padded).
SKIPPED (77) without the venv's ctranslate2/whisper/transformers or the model.
"""
import os
import subprocess
import wave

import reference_check as rc

MAX_ABS = 1e-3
MODEL = os.path.join(rc.ROOT, "models", "whisper-tiny.en")
UTTERANCES = [
    ("espeak", "mb-us1", "The patient was given two hundred milligrams of ibuprofen."),
    ("espeak", "mb-us2", "Metformin lowers blood glucose in type two diabetes."),
    ("espeak", "mb-us3", "Hello there."),
    ("espeak", "mb-en1", "The quick brown fox jumps over the lazy dog, and then it runs back home "
                         "across the wide green field before the sun goes down behind the hills. "
                         "Later that evening the farmer counts his sheep twice and finds that one is missing."),
    ("festival", None, "Please schedule a follow up appointment for next Tuesday."),
    ("espeak", "mb-us3", "Amoxicillin is an antibiotic used to treat bacterial infections."),
]


def synthesize(engine, voice, text, path):
    if engine == "espeak":
        subprocess.run(["espeak-ng", "-v", voice, "-w", path, text], check=True)
    else:
        subprocess.run(["text2wave", "-o", path, "-F", "16000"], input=text, text=True, check=True,
                       capture_output=True)


def read_wav(path, np):
    with wave.open(path) as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            rc.fail(f"{path}: expected mono 16-bit")
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    audio = np.frombuffer(frames, dtype=np.int16).astype(np.float32) / 32768.0
    return rate, audio


def main():
    args = rc.parse_args(__doc__)
    if not os.path.isfile(os.path.join(MODEL, "model.bin")):
        rc.skip(f"{MODEL}/model.bin is absent (scripts/install-venv.sh links it)")
    try:
        import ctranslate2
        import numpy as np
        import torch
        import whisper
        from transformers import WhisperModel
    except ImportError as e:
        rc.skip(f"the venv lacks a reference tool ({e}); scripts/install-venv.sh installs them")
    ct2 = ctranslate2.models.Whisper(MODEL, device="cpu", compute_type="float32")

    def ct2_encode(mel):
        out = ct2.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None])), to_cpu=True)
        return np.array(out)[0]

    problems, worst_padded, worst_unpadded, worst_hf, gaps = [], 0.0, 0.0, 0.0, []
    with rc.temp_dir(args.work, "whisper-encoder-") as tmp:
        hf_dir = os.path.join(tmp, "whisper-hf")
        rc.run_jstip(args.jstip, ["convert", MODEL, "--out", hf_dir])
        hf = WhisperModel.from_pretrained(hf_dir, dtype=torch.float32).eval()
        for i, (engine, voice, text) in enumerate(UTTERANCES):
            wav = os.path.join(tmp, f"u{i}.wav")
            synthesize(engine, voice, text, wav)
            rate, audio = read_wav(wav, np)
            if rate != 16000:
                rc.fail(f"{wav}: {rate} Hz, expected 16000")
            padded_mel = whisper.pad_or_trim(whisper.log_mel_spectrogram(audio, 80, padding=whisper.audio.N_SAMPLES),
                                             whisper.audio.N_FRAMES).numpy()
            unpadded_mel = whisper.log_mel_spectrogram(audio, 80).numpy()
            ref_padded, ref_unpadded = ct2_encode(padded_mel), ct2_encode(unpadded_mel)

            out_padded = os.path.join(tmp, f"u{i}.padded.npy")
            out_unpadded = os.path.join(tmp, f"u{i}.npy")
            rc.run_jstip(args.jstip, ["encode", MODEL, wav, "--pad-30s", "--out", out_padded])
            rc.run_jstip(args.jstip, ["encode", MODEL, wav, "--out", out_unpadded])
            ours_padded, ours_unpadded = np.load(out_padded), np.load(out_unpadded)
            seconds = len(audio) / 16000
            for name, ours, ref in (("padded", ours_padded, ref_padded), ("unpadded", ours_unpadded, ref_unpadded)):
                if ours.shape != ref.shape:
                    problems.append(f"u{i} {name}: jstip shape {ours.shape}, CTranslate2 {ref.shape}")
                    continue
                diff = float(np.abs(ours - ref).max())
                if name == "padded":
                    worst_padded = max(worst_padded, diff)
                else:
                    worst_unpadded = max(worst_unpadded, diff)
                if diff > MAX_ABS:
                    problems.append(f"u{i} {name}: max abs {diff:.3g} > {MAX_ABS}")
            covered = ref_unpadded.shape[0]
            gaps.append(float(np.abs(ref_padded[:covered] - ref_unpadded).max()))
            with torch.no_grad():
                hf_out = hf.encoder(torch.from_numpy(padded_mel[None])).last_hidden_state[0].numpy()
            diff = float(np.abs(hf_out - ref_padded).max())
            worst_hf = max(worst_hf, diff)
            if diff > MAX_ABS:
                problems.append(f"u{i}: converted folder in transformers: max abs {diff:.3g} > {MAX_ABS}")
            print(f"u{i}: {seconds:.1f} s, {unpadded_mel.shape[1]} mel frames, {covered} encoder frames cover it; "
                  f"padded vs unpadded CTranslate2 on those frames: max abs {gaps[-1]:.3g}", flush=True)
    print(f"jstip vs CTranslate2 (float32) max abs: padded {worst_padded:.3g}, unpadded {worst_unpadded:.3g}; "
          f"jstip convert -> transformers WhisperModel vs CTranslate2: {worst_hf:.3g}; "
          f"padding moves the covering frames by up to {max(gaps):.3g}")
    if problems:
        rc.fail("; ".join(problems))
    print("PASS")


if __name__ == "__main__":
    main()
