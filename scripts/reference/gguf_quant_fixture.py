#!/usr/bin/env python3
"""Reference values for the SDK's GGUF reader (sdk/src/gguf.cc), from the
gguf Python package (llama.cpp's own: gguf.quants, GGUFWriter, GGUFReader).

Writes, under tests/weights/fixtures/:
  quant.gguf           small tensors of every type jstip reads (Q4_0, Q4_1,
                       Q8_0, F16, BF16, F32; 1 to 3 dimensions), quantized
                       with gguf.quants.quantize and written by GGUFWriter;
  quant_expected.gguf  the same names as F32: what gguf.quants.dequantize
                       gives for each tensor of quant.gguf as GGUFReader reads it;
  smollm2_values.json  when models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf is
                       present: for a few tensors of it, type, shape, the first
                       8 dequantized values and the float64 sum of some rows,
                       and the float64 sum of the whole tensor.

Run with the project venv:
  .venv/bin/python scripts/reference/gguf_quant_fixture.py [--check]
--check writes into a temporary folder and compares with the committed files
(exit 1 when they differ).
"""
import argparse
import filecmp
import json
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "weights", "fixtures")
MODEL = os.path.join(ROOT, "models", "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")

# name, ggml type name, shape in PyTorch order (last dimension = ne0)
TENSORS = [
    ("q4_0.matrix", "Q4_0", (3, 64)),
    ("q4_0.cube", "Q4_0", (2, 2, 32)),
    ("q4_1.matrix", "Q4_1", (4, 96)),
    ("q4_1.row", "Q4_1", (1, 32)),
    ("q8_0.matrix", "Q8_0", (5, 64)),
    ("q8_0.cube", "Q8_0", (2, 3, 32)),
    ("f16.matrix", "F16", (3, 5)),
    ("bf16.matrix", "BF16", (2, 7)),
    ("f32.vector", "F32", (4,)),
    ("f32.cube", "F32", (2, 3, 4)),
]

# Real-model tensors and the rows whose values the test compares.
MODEL_ROWS = {
    "token_embd.weight": [0, 1, 2, 100, 49151],
    "blk.0.attn_q.weight": [0, 1, 575],
    "blk.29.ffn_down.weight": [0, 575],
    "blk.0.attn_norm.weight": [None],  # 1-D: the vector itself
    "output_norm.weight": [None],
}


def values_for(shape, seed):
    """Random normal values with edge blocks: all zero, constant, wide range, tiny."""
    rng = np.random.default_rng(seed)
    data = rng.normal(0, 1, size=shape).astype(np.float32)
    flat = data.reshape(-1)
    if flat.size >= 128:
        flat[0:32] = 0.0                                         # d = 0 block
        flat[32:64] = 0.75                                       # constant block (Q4_1: d = 0)
        flat[64:96] *= 1000.0                                    # large magnitudes
        flat[96:128] *= 1e-4                                     # small magnitudes (f16 d subnormal)
    elif flat.size >= 4:
        flat[0] = -0.0
        flat[1] = 65504.0 if flat.size > 8 else 3.0
        flat[2] = 1e-6
    return data


def write_quant(path_quant, path_expected):
    import gguf
    from gguf import GGMLQuantizationType as Q

    writer = gguf.GGUFWriter(path_quant, arch="jstip-fixture")
    for i, (name, type_name, shape) in enumerate(TENSORS):
        data = values_for(shape, seed=100 + i)
        qtype = Q[type_name]
        if qtype == Q.F32:
            writer.add_tensor(name, data)
        elif qtype == Q.F16:
            writer.add_tensor(name, data.astype(np.float16))
        else:
            raw = gguf.quants.quantize(data, qtype)
            writer.add_tensor(name, raw, raw_shape=raw.shape, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    # The expectation is what the reference reader and dequantizer make of the file.
    reader = gguf.GGUFReader(path_quant)
    expected = gguf.GGUFWriter(path_expected, arch="jstip-fixture-expected")
    by_name = {name: shape for name, _, shape in TENSORS}
    for t in reader.tensors:
        values = np.ascontiguousarray(gguf.quants.dequantize(t.data, t.tensor_type), dtype=np.float32)
        values = values.reshape(by_name[t.name])
        expected.add_tensor(t.name, values)
    expected.write_header_to_file()
    expected.write_kv_data_to_file()
    expected.write_tensors_to_file()
    expected.close()
    return len(reader.tensors)


def model_values(model_path):
    import gguf

    reader = gguf.GGUFReader(model_path)
    by_name = {t.name: t for t in reader.tensors}
    out = {"file": os.path.basename(model_path), "tensors": {}}
    for name, rows in MODEL_ROWS.items():
        t = by_name[name]
        values = np.asarray(gguf.quants.dequantize(t.data, t.tensor_type), dtype=np.float32)
        shape = [int(d) for d in reversed(t.shape.tolist())]
        values = values.reshape(shape)
        entry = {"type": t.tensor_type.name, "shape": shape, "rows": [],
                 "sum": float(values.astype(np.float64).sum())}
        for row in rows:
            v = values if row is None else values[row]
            entry["rows"].append({"row": -1 if row is None else row,
                                  "first": [float(x) for x in v[:8]],  # float32 values, exact as float64
                                  "sum": float(v.astype(np.float64).sum())})
        out["tensors"][name] = entry
    return out


def write_all(folder):
    os.makedirs(folder, exist_ok=True)
    n = write_quant(os.path.join(folder, "quant.gguf"), os.path.join(folder, "quant_expected.gguf"))
    written = ["quant.gguf", "quant_expected.gguf"]
    print(f"{folder}: quant.gguf and quant_expected.gguf, {n} tensors")
    if os.path.exists(MODEL):
        with open(os.path.join(folder, "smollm2_values.json"), "w") as f:
            json.dump(model_values(MODEL), f, indent=1)
            f.write("\n")
        written.append("smollm2_values.json")
        print(f"{folder}: smollm2_values.json from {MODEL}")
    else:
        print(f"{MODEL} absent: smollm2_values.json not written")
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed fixtures instead")
    args = parser.parse_args()
    if not args.check:
        write_all(FIXTURES)
        return 0
    with tempfile.TemporaryDirectory() as temp:
        differ = [f for f in write_all(temp) if not filecmp.cmp(os.path.join(temp, f), os.path.join(FIXTURES, f),
                                                                 shallow=False)]
    for f in differ:
        print(f"differs from the committed fixture: {f}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
