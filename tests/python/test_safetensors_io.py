"""Round trip of the numpy-based safetensors reader/writer used by research and bench."""

import json
import struct

import torch

from kiln_research import safetensors_io as st


def test_round_trip_all_dtypes(tmp_path):
    g = torch.Generator().manual_seed(7)
    tensors = {
        "f32": torch.randn(3, 4, generator=g),
        "f64": torch.randn(5, generator=g, dtype=torch.float64),
        "f16": torch.randn(2, 2, generator=g).half(),
        "bf16": torch.randn(2, 3, generator=g).bfloat16(),
        "i64": torch.arange(6).reshape(2, 3),
        "u8": torch.arange(4, dtype=torch.uint8),
        "scalar": torch.tensor(1.5),
        "empty": torch.zeros(0, 3),
        "strided": torch.randn(4, 4, generator=g).t(),
    }
    path = str(tmp_path / "t.safetensors")
    st.save_file(tensors, path, metadata={"config": json.dumps({"a": 1})})
    back = st.load_file(path)
    assert set(back) == set(tensors)
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype and torch.equal(back[name], t), name
    assert json.loads(st.load_metadata(path)["config"]) == {"a": 1}

    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
    assert n % 8 == 0  # header padded so the data section is 8-byte aligned
