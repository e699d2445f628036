#!/usr/bin/env python3
"""Writes the seed corpus of safetensors_fuzzer into corpus/safetensors/.

Files are whole safetensors files or, named json_*, the fuzzer's second
reading of an input (header JSON, NUL, data). Valid files follow the layout of the Python safetensors library (header padded
with spaces to 8 bytes); malformed ones each break one rule the reader checks.
Run from anywhere: python3 tests/fuzz/make_safetensors_corpus.py
"""
import json
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "safetensors")


def build(entries, data, metadata=None, pad=True):
    header = dict(entries)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def raw(header, data):
    """A file with header text written verbatim (json.dumps cannot repeat a key)."""
    return struct.pack("<Q", len(header)) + header + data


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def main():
    os.makedirs(OUT, exist_ok=True)
    f32 = struct.pack("<6f", 1, -2, 0.5, 3.25, -0.0, 7)
    files = {
        "valid_f32": build(
            {"img_in.weight": tensor("F32", [2, 2], 0, 16), "img_in.bias": tensor("F32", [2], 16, 24)},
            f32, {"format": "pt"}),
        "valid_mixed": build(
            {"a.f16": tensor("F16", [3], 0, 6), "b.bf16": tensor("BF16", [1, 2], 6, 10),
             "c.i64": tensor("I64", [], 10, 18), "d.u8": tensor("U8", [4], 18, 22),
             "e.empty": tensor("F32", [0, 5], 22, 22), "f.f64": tensor("F64", [1], 22, 30),
             "g.i32": tensor("I32", [1], 30, 34)},
            bytes(range(34))),
        "valid_empty": build({}, b""),
        "valid_unpadded": build({"x": tensor("F32", [1], 0, 4)}, f32[:4], pad=False),
        "bad_duplicate": raw(b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                             b'"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', b"xy"),
        "bad_overlap": build({"a": tensor("F32", [2], 0, 8), "b": tensor("F32", [2], 4, 12)}, f32),
        "bad_size": build({"a": tensor("F32", [2, 3], 0, 8)}, f32),
        "bad_truncated": build({"a": tensor("F32", [6], 0, 24)}, f32)[:-5],
        "bad_json": build({"a": tensor("F32", [1], 0, 4)}, f32[:4])[:30],
    }
    # The fuzzer's second reading: header JSON, a NUL byte, then the data.
    for name in ("valid_f32", "valid_mixed", "bad_duplicate", "bad_overlap"):
        blob = files[name]
        (length,) = struct.unpack("<Q", blob[:8])
        files["json_" + name] = blob[8:8 + length] + b"\0" + blob[8 + length:]
    for name, blob in files.items():
        assert len(blob) < 4096
        with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
