"""kiln_research.noise: bit-exact with src/kiln/pipeline/noise.cc (see tests/unit/pipeline/noise_test.cc)."""

import math

import numpy as np

from kiln_research.noise import gaussian_noise, philox4x32


def _philox(c, k):
    return [int(w[()]) if np.ndim(w) == 0 else int(w) for w in philox4x32(c, k)]


def test_philox_known_answers():  # Random123 kat_vectors
    assert _philox((0, 0, 0, 0), (0, 0)) == [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    f = 0xFFFFFFFF
    assert _philox((f, f, f, f), (f, f)) == [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    assert _philox((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0)) \
        == [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]


def test_seed0_bits():
    x = gaussian_noise(4, 0)
    assert x.view(np.uint32).tolist() == [3187203691, 3215773151, 3181882794, 3194228184]


def test_prefix_and_odd_count():
    a = gaussian_noise(17, 5)
    b = gaussian_noise(100, 5)
    assert a.tobytes() == b[:17].tobytes()
    assert gaussian_noise(100, 6).tobytes() != b.tobytes()


def test_box_muller_against_libm():
    w = philox4x32((0, 0, 0, 0), (99, 0))
    u1 = ((int(w[0]) << 32 | int(w[1])) >> 11) + 0.5
    u2 = ((int(w[2]) << 32 | int(w[3])) >> 11) + 0.5
    u1 /= 2.0 ** 53
    u2 /= 2.0 ** 53
    r = math.sqrt(-2 * math.log(u1))
    x = gaussian_noise(2, 99)
    assert abs(x[0] - r * math.cos(2 * math.pi * u2)) < 1e-6
    assert abs(x[1] - r * math.sin(2 * math.pi * u2)) < 1e-6


def test_moments():
    x = gaussian_noise(200_000, 7).astype(np.float64)
    assert abs(x.mean()) < 0.01 and abs(x.var() - 1) < 0.01
