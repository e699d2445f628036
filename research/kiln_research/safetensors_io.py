"""Minimal safetensors reader/writer on numpy + torch.

Why not the `safetensors` package: Debian 12 does not ship python3-safetensors, and the
research code must run on the system /usr/bin/python3 with nothing but Debian packages.

Format (https://github.com/huggingface/safetensors): u64 little-endian header length N,
N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
then the raw little-endian, C-contiguous tensor bytes; offsets are relative to the data start.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
import torch

# safetensors dtype tag -> (numpy storage dtype, torch dtype). BF16 has no numpy dtype, so it
# is carried as int16 bits and reinterpreted by torch.
_DTYPES = {
    "F64": (np.dtype("<f8"), torch.float64),
    "F32": (np.dtype("<f4"), torch.float32),
    "F16": (np.dtype("<f2"), torch.float16),
    "BF16": (np.dtype("<i2"), torch.bfloat16),
    "I64": (np.dtype("<i8"), torch.int64),
    "I32": (np.dtype("<i4"), torch.int32),
    "I16": (np.dtype("<i2"), torch.int16),
    "I8": (np.dtype("i1"), torch.int8),
    "U8": (np.dtype("u1"), torch.uint8),
    "BOOL": (np.dtype("?"), torch.bool),
}
_TORCH_TO_TAG = {torch_dtype: tag for tag, (_, torch_dtype) in _DTYPES.items()}

# Sanity bound on the JSON header so a corrupt file fails clearly instead of allocating GBs.
_MAX_HEADER_BYTES = 100 * 1024 * 1024


def read_header(path: str) -> Tuple[dict, Dict[str, str], int]:
    """Returns (tensor entries, metadata, byte offset of the data section)."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: too short for a safetensors header")
        (n,) = struct.unpack("<Q", raw)
        if n > _MAX_HEADER_BYTES:
            raise ValueError(f"{path}: header length {n} is implausible")
        header = json.loads(f.read(n).decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    return header, metadata, 8 + n


def load_metadata(path: str) -> Dict[str, str]:
    return read_header(path)[1]


def load_file(path: str, device: str = "cpu") -> Dict[str, torch.Tensor]:
    """Loads every tensor of a safetensors file (copied, writable)."""
    header, _, data_start = read_header(path)
    file_size = os.path.getsize(path)
    out: Dict[str, torch.Tensor] = {}
    with open(path, "rb") as f:
        for name, entry in header.items():
            tag = entry["dtype"]
            if tag not in _DTYPES:
                raise ValueError(f"{path}: tensor {name}: unsupported dtype {tag}")
            np_dtype, torch_dtype = _DTYPES[tag]
            shape = [int(s) for s in entry["shape"]]
            begin, end = (int(x) for x in entry["data_offsets"])
            count = int(np.prod(shape, dtype=np.int64))
            if end - begin != count * np_dtype.itemsize or data_start + end > file_size:
                raise ValueError(f"{path}: tensor {name}: data_offsets {begin}..{end} do not "
                                 f"match shape {shape} of {tag}")
            f.seek(data_start + begin)
            array = np.frombuffer(f.read(end - begin), dtype=np_dtype, count=count)
            tensor = torch.from_numpy(array.astype(np_dtype.newbyteorder("="), copy=True))
            if tag == "BF16":
                tensor = tensor.view(torch.bfloat16)
            out[name] = tensor.reshape(shape).to(device)
    return out


def save_file(tensors: Mapping[str, torch.Tensor], path: str,
              metadata: Optional[Mapping[str, str]] = None) -> None:
    """Writes tensors in name order, header padded to 8 bytes as the reference writer does."""
    entries = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        if t.dtype not in _TORCH_TO_TAG:
            raise ValueError(f"tensor {name}: unsupported dtype {t.dtype}")
        tag = _TORCH_TO_TAG[t.dtype]
        if tag == "BF16":
            t = t.view(torch.int16)
        np_dtype = _DTYPES[tag][0]
        blob = t.numpy().astype(np_dtype, copy=False).tobytes()
        entries[name] = {"dtype": tag, "shape": list(t.shape),
                         "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    header.update(entries)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)
