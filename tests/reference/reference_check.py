"""What the live reference checks share: arguments, skipping, running jstip.

A check exits 0 when it passes, 1 when it fails and 77 (ctest's
SKIP_RETURN_CODE) when something it needs is absent, printing why.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "reference"))
SKIP = 77


def skip(why):
    print(f"SKIPPED: {why}", flush=True)
    sys.exit(SKIP)


def fail(why):
    print(f"FAIL: {why}", flush=True)
    sys.exit(1)


def parse_args(doc):
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--jstip", default=os.path.join(ROOT, "build", "bin", "jstip"), help="the jstip binary")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "reference"),
                    help="folder for temporary outputs and caches")
    args = ap.parse_args()
    if not os.access(args.jstip, os.X_OK):
        fail(f"{args.jstip} is not an executable (build the jstip target)")
    os.makedirs(args.work, exist_ok=True)
    return args


def reference():
    """The reference module, once the model is known to be there (else SKIPPED)."""
    import smollm2_reference as ref
    if not os.path.isfile(ref.GGUF_PATH):
        skip(f"{ref.GGUF_PATH} is absent (scripts/install-venv.sh installs it)")
    return ref


def temp_dir(work, prefix):
    return tempfile.TemporaryDirectory(dir=work, prefix=prefix)


def run_jstip(jstip, args, timeout=600):
    """stdout of `jstip ARGS`; fails the check with its stderr when it exits non-zero."""
    env = dict(os.environ, JSTIP_SKIP_BLAS_CHECK="1")
    try:
        p = subprocess.run([jstip] + list(args), capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        fail(f"jstip {' '.join(args)} ran past {timeout} s")
    if p.returncode != 0:
        fail(f"jstip {' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p.stdout


def score(jstip, model, text_file, logits_dir):
    """`jstip llm score MODEL --text FILE --logits-out DIR`: [(ids, logprobs, logits [T, vocab])]."""
    import numpy as np
    out = run_jstip(jstip, ["llm", "score", model, "--text", text_file, "--logits-out", logits_dir])
    rows = [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]
    result = []
    for i, row in enumerate(rows):
        path = os.path.join(logits_dir, f"{i}.npy")
        if not os.path.isfile(path):
            fail(f"jstip llm score wrote no {path}")
        lg = np.load(path)
        if lg.dtype != np.float32 or lg.ndim != 2 or lg.shape[0] != len(row["ids"]):
            fail(f"{path}: expected float32 [{len(row['ids'])}, vocab], got {lg.dtype} {list(lg.shape)}")
        if len(row["logprobs"]) != len(row["ids"]) or row["logprobs"][0] is not None:
            fail(f"jstip llm score line {i}: logprobs must be [null, ...] as long as ids")
        result.append((row["ids"], row["logprobs"], lg))
    return result


def log_softmax(x):
    import numpy as np
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def margins(lg):
    """top1 - top2 logit at every position."""
    import numpy as np
    top2 = -np.partition(-lg, 1, axis=-1)[..., :2]
    return top2[..., 0] - top2[..., 1]


def compare_logits(ours, theirs, margin_limit=1e-2):
    """(max abs diff, argmax agreements where theirs' margin > margin_limit, such positions,
    agreements at all positions)."""
    import numpy as np
    diff = float(np.abs(ours.astype(np.float64) - theirs).max())
    same = ours.argmax(-1) == theirs.argmax(-1)
    clear = margins(theirs) > margin_limit
    return diff, int(same[clear].sum()), int(clear.sum()), int(same.sum())


def logprob_diff(ids, logprobs, logits):
    """Largest |logprob - log_softmax(logits)[t-1][ids[t]]| (the score output against its own logits)."""
    lsm = log_softmax(logits)
    return max((abs(logprobs[t] - lsm[t - 1, ids[t]]) for t in range(1, len(ids))), default=0.0)


def prompts(ref):
    return ref.read_jsonl(os.path.join(ref.FIXTURES, "prompts.jsonl"))
