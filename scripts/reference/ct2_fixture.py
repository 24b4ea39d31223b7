#!/usr/bin/env python3
"""Reference values for the SDK's CTranslate2 model.bin reader (sdk/src/ctranslate2.cc).

Writes, under tests/weights/fixtures/:
  ct2_int8_float16.bin, ct2_bfloat16.bin, ct2_int16.bin
      small model.bin files written by CTranslate2's own Python serializer
      (ctranslate2.specs.ModelSpec.optimize + save) from the same float32
      weights, quantized three ways: int8 weights with per-row float32 scales
      and float16 biases; bfloat16; int16 weights with one scale each. A tied
      weight becomes an alias, a bool and an int16 become scalars.
  ct2_expected.json
      for each of those files: version, spec, revision, aliases, and for every
      variable its type, shape and stored values (integers as stored, floats
      as float64), plus the float32 weights before quantization and, for the
      quantized ones, the values CTranslate2's ops::Dequantize gives
      (q * (1 / scale) in float32);
  whisper_tiny_ct2_values.json
      when models/whisper-tiny.en/model.bin is present: its header facts and,
      for a few variables, type, shape, the first 8 values and the float64 sum,
      from a parse of the file with struct and numpy that shares no code with
      the C++ reader.

Run with the project venv:
  .venv/bin/python scripts/reference/ct2_fixture.py [--check] [--model PATH]
--check writes into a temporary folder and compares with the committed files
(exit 1 when they differ).
"""
import argparse
import filecmp
import json
import os
import struct
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "weights", "fixtures")
MODEL = os.path.join(ROOT, "models", "whisper-tiny.en", "model.bin")

# CTranslate2's DataType order (include/ctranslate2/types.h).
DTYPES = [("F32", "<f4"), ("I8", "i1"), ("I16", "<i2"), ("I32", "<i4"), ("F16", "<f2"), ("BF16", "<u2")]

WHISPER_VARIABLES = [
    "encoder/conv1/weight",
    "encoder/conv1/bias",
    "encoder/position_encodings/encodings",
    "encoder/layer_0/self_attention/linear_0/weight",
    "encoder/layer_3/ffn/linear_1/bias",
    "encoder/layer_norm/gamma",
    "decoder/embeddings/weight",
    "decoder/projection/weight",  # an alias of decoder/embeddings/weight
    "encoder/num_heads",
    "decoder/alignment_layer",
]


def parse_model_bin(path):
    """Independent parse: header, variables as numpy arrays (BF16 widened to float32), aliases."""
    data = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    def string():
        nonlocal pos
        (n,) = take("H")
        assert n >= 1 and data[pos + n - 1] == 0, f"string at {pos} does not end in NUL"
        s = data[pos:pos + n - 1].decode("utf-8")
        pos += n
        return s

    (version,) = take("I")
    assert version == 6, f"this parser reads binary version 6, the file has {version}"
    spec = string()
    (revision,) = take("I")
    (count,) = take("I")
    variables = {}
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        shape = take("I" * rank)
        (dtype,) = take("B")
        (nbytes,) = take("I")
        type_name, np_type = DTYPES[dtype]
        array = np.frombuffer(data, dtype=np_type, count=nbytes // np.dtype(np_type).itemsize, offset=pos)
        if type_name == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        variables[name] = (type_name, list(shape), array.reshape(shape))
        pos += nbytes
    (alias_count,) = take("I")
    aliases = [(string(), string()) for _ in range(alias_count)]
    assert pos == len(data), f"{len(data) - pos} bytes after the aliases"
    return version, spec, revision, variables, aliases


def as_json_values(type_name, array):
    flat = array.reshape(-1)
    return [int(v) for v in flat] if type_name in ("I8", "I16", "I32") else [float(v) for v in flat.astype(np.float64)]


def write_small_models(folder):
    """Three small files from CTranslate2's own writer, and what they hold."""
    from ctranslate2.specs import common_spec, model_spec

    class JstipTestSpec(model_spec.ModelSpec):
        def __init__(self):
            super().__init__()
            self.proj = common_spec.LinearSpec()
            self.embeddings = common_spec.EmbeddingsSpec()
            self.out = common_spec.LinearSpec()
            self.conv = common_spec.Conv1DSpec()
            self.num_heads = np.dtype("int16").type(6)
            self.flag = True

        @property
        def name(self):
            return "JstipTestSpec"

        @property
        def revision(self):
            return 2

    rng = np.random.default_rng(0)
    weights = {
        "proj/weight": rng.standard_normal((3, 5)).astype(np.float32),
        "proj/bias": rng.standard_normal(3).astype(np.float32),
        "embeddings/weight": rng.standard_normal((4, 5)).astype(np.float32),
        "conv/weight": rng.standard_normal((2, 3, 3)).astype(np.float32),
        "conv/bias": rng.standard_normal(2).astype(np.float32),
    }
    weights["proj/weight"][1] = 0  # an all-zero row: CTranslate2 gives it scale 127
    expected = {}
    for quantization in ("int8_float16", "bfloat16", "int16"):
        spec = JstipTestSpec()
        spec.proj.weight = weights["proj/weight"].copy()
        spec.proj.bias = weights["proj/bias"].copy()
        spec.embeddings.weight = weights["embeddings/weight"].copy()
        spec.out.weight = weights["embeddings/weight"].copy()  # tied: saved as an alias
        spec.conv.weight = weights["conv/weight"].copy()
        spec.conv.bias = weights["conv/bias"].copy()
        spec.validate()
        spec.optimize(quantization=quantization)
        with tempfile.TemporaryDirectory() as out:
            spec.save(out)
            file_name = f"ct2_{quantization}.bin"
            os.replace(os.path.join(out, "model.bin"), os.path.join(folder, file_name))
        version, spec_name, revision, variables, aliases = parse_model_bin(os.path.join(folder, file_name))
        entry = {"version": version, "spec": spec_name, "revision": revision,
                 "aliases": [list(a) for a in aliases], "variables": {}}
        for name, (type_name, shape, array) in variables.items():
            v = {"type": type_name, "shape": shape, "values": as_json_values(type_name, array)}
            if name in weights:
                v["original"] = [float(x) for x in weights[name].reshape(-1)]
            scale = variables.get(name + "_scale")
            if scale is not None:
                s = scale[2].astype(np.float32).reshape(-1)
                q = array.astype(np.float32).reshape(s.size if type_name == "I8" else 1, -1)
                reciprocal = (np.float32(1) / s).reshape(-1, 1)
                v["dequantized"] = [float(x) for x in (q * reciprocal).reshape(-1)]
            entry["variables"][name] = v
        expected[file_name] = entry
    with open(os.path.join(folder, "ct2_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    return [*expected.keys(), "ct2_expected.json"]


def write_whisper_values(folder, model):
    version, spec, revision, variables, aliases = parse_model_bin(model)
    resolved = dict(aliases)
    types = {}
    for type_name, _, _ in variables.values():
        types[type_name] = types.get(type_name, 0) + 1
    out = {"file": "whisper-tiny.en/model.bin", "version": version, "spec": spec, "revision": revision,
           "variables": len(variables), "types": types, "aliases": [list(a) for a in aliases], "tensors": {}}
    for name in WHISPER_VARIABLES:
        type_name, shape, array = variables[resolved.get(name, name)]
        flat = array.reshape(-1)
        values = as_json_values(type_name, flat[:8])
        out["tensors"][name] = {"type": type_name, "shape": shape, "first": values,
                                "sum": float(flat.astype(np.float64).sum())}
    with open(os.path.join(folder, "whisper_tiny_ct2_values.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    return ["whisper_tiny_ct2_values.json"]


def write_all(folder, model):
    written = write_small_models(folder)
    if os.path.exists(model):
        written += write_whisper_values(folder, model)
    else:
        print(f"{model} absent: whisper_tiny_ct2_values.json not written")
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed fixtures instead of writing")
    parser.add_argument("--model", default=MODEL, help="Whisper tiny.en model.bin (default: %(default)s)")
    args = parser.parse_args()
    if not args.check:
        for name in write_all(FIXTURES, args.model):
            print(f"wrote {os.path.join(FIXTURES, name)}")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        differ = [n for n in write_all(folder, args.model)
                  if not filecmp.cmp(os.path.join(folder, n), os.path.join(FIXTURES, n), shallow=False)]
    for name in differ:
        print(f"{name}: differs from the committed fixture")
    print("fixtures match" if not differ else f"{len(differ)} fixture(s) differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
