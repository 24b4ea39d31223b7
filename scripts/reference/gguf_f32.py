#!/usr/bin/env python3
"""Writes an all-F32 copy of a GGUF file: same metadata and tokenizer keys,
every tensor dequantized with gguf.quants.dequantize (llama.cpp's Q/K row
permutation stays as in the file). general.file_type becomes ALL_F32.

The references compare on it: llama.cpp on F32 weights with an F32 KV cache
computes in float32 throughout, unlike on the Q4_1 file, where it quantizes
activations to 8 bits inside its products.

  .venv/bin/python scripts/reference/gguf_f32.py SRC.gguf DST.gguf
"""
import os
import sys


def write_f32_gguf(src, dst):
    import gguf
    import numpy as np
    reader = gguf.GGUFReader(src)
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    temp = dst + ".tmp"
    writer = gguf.GGUFWriter(temp, arch=arch)
    if gguf.Keys.General.ALIGNMENT in reader.fields:
        writer.data_alignment = int(reader.fields[gguf.Keys.General.ALIGNMENT].contents())
    for field in reader.fields.values():
        # The architecture and the GGUF.* header fields are written by GGUFWriter itself.
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        value = field.contents()
        if field.name == gguf.Keys.General.FILE_TYPE:
            value = int(gguf.LlamaFileType.ALL_F32)
        writer.add_key_value(field.name, value, vtype, sub_type=sub_type)
    for t in reader.tensors:
        data = np.ascontiguousarray(gguf.quants.dequantize(t.data, t.tensor_type), dtype=np.float32)
        expect = tuple(int(d) for d in reversed(t.shape.tolist()))
        if data.shape != expect:
            data = data.reshape(expect)
        writer.add_tensor(t.name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(temp, dst)
    return len(reader.tensors)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    n = write_f32_gguf(sys.argv[1], sys.argv[2])
    print(f"wrote {sys.argv[2]}: {n} tensors, F32")
