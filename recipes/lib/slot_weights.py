#!/usr/bin/env python3
"""Copy one slot's tensors out of a jstip checkpoint into a file that slot's
`pretrained` option reads.

    recipes/lib/slot_weights.py CHECKPOINT/model.safetensors SLOT OUT.safetensors

A checkpoint names its tensors by slot ("encoder.embed.conv1.weight"); a
plugin's `pretrained` file names them without it ("embed.conv1.weight").
Standard library only: safetensors is an 8-byte little-endian header length,
a JSON header of {name: {dtype, shape, data_offsets}}, then the raw bytes.
The output is written next to OUT and renamed over it, so a cut run leaves
no half file.
"""
import json
import os
import struct
import sys


def read_safetensors(path):
    with open(path, "rb") as f:
        (header_length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_length))
        data = f.read()
    header.pop("__metadata__", None)
    return header, data


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__.strip().splitlines()[3].strip())
    source, slot, out = sys.argv[1:]
    header, data = read_safetensors(source)
    prefix = slot + "."
    names = sorted(name for name in header if name.startswith(prefix))
    if not names:
        raise SystemExit(f"slot_weights: {source} has no tensor starting with '{prefix}'")
    new_header, chunks, offset = {}, [], 0
    for name in names:
        begin, end = header[name]["data_offsets"]
        chunks.append(data[begin:end])
        new_header[name[len(prefix):]] = {"dtype": header[name]["dtype"], "shape": header[name]["shape"],
                                          "data_offsets": [offset, offset + end - begin]}
        offset += end - begin
    encoded = json.dumps(new_header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded)
        for chunk in chunks:
            f.write(chunk)
    os.replace(tmp, out)
    print(f"slot_weights: {len(names)} tensors of '{slot}' -> {out}")


if __name__ == "__main__":
    main()
