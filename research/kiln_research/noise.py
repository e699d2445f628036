"""Bit-exact numpy port of src/kiln/pipeline/noise.{h,cc}: seeded Gaussian noise.

Philox4x32-10 keyed by the 64-bit seed (key = (seed lo, seed hi)), counter = (pair index lo,
pair index hi, stream, 0); words (w0, w1) and (w2, w3) give two 53-bit uniforms in (0, 1);
Box-Muller sqrt(-2 ln u1) * (cos, sin)(2 pi u2) with the C++ file's own ln / sin / cos
polynomials, evaluated here with the same float64 operations in the same order (numpy's
elementwise +, -, *, /, sqrt and frexp are IEEE and correctly rounded, no FMA), then rounded
to float32. So gaussian_noise(n, seed) equals kiln::GaussianNoise bit for bit.
"""

from __future__ import annotations

import numpy as np

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK32 = np.uint64(0xFFFFFFFF)
_PI = 3.14159265358979323846
_LN2 = 0.693147180559945309417


def philox4x32(counter, key):
    """Philox4x32-10 over arrays: counter = 4 uint32 arrays (or ints), key = 2 ints.
    Returns 4 uint32 arrays."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) & _MASK32 for c in counter)
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & _MASK32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & _MASK32)
        k0 = (k0 + _W0) & 0xFFFFFFFF
        k1 = (k1 + _W1) & 0xFFFFFFFF
    return tuple(c.astype(np.uint32) for c in (c0, c1, c2, c3))


def _log(x: np.ndarray) -> np.ndarray:
    m, e = np.frexp(x)  # exact: m in [0.5, 1)
    small = m < 0.70710678118654752440
    m = np.where(small, m * 2, m)
    e = np.where(small, e - 1, e)
    s = (m - 1) / (m + 1)
    s2 = s * s
    term = s
    total = np.zeros_like(s)
    for k in range(1, 32, 2):
        total = total + term / float(k)
        term = term * s2
    return 2 * total + e.astype(np.float64) * _LN2


def _sincos_quarter(phi: np.ndarray):
    p2 = phi * phi
    sin_term, cos_term = phi, np.ones_like(phi)
    sin_sum, cos_sum = np.zeros_like(phi), np.zeros_like(phi)
    for k in range(12):
        sin_sum = sin_sum + sin_term
        cos_sum = cos_sum + cos_term
        sin_term = sin_term * (-p2 / float((2 * k + 2) * (2 * k + 3)))
        cos_term = cos_term * (-p2 / float((2 * k + 1) * (2 * k + 2)))
    return sin_sum, cos_sum


def _sincos_turns(f: np.ndarray):
    quarters = f * 4
    q = quarters.astype(np.int64)  # truncation, f >= 0
    qs, qc = _sincos_quarter((quarters - q.astype(np.float64)) * (_PI / 2))
    r = q & 3
    s = np.select([r == 0, r == 1, r == 2], [qs, qc, -qs], -qc)
    c = np.select([r == 0, r == 1, r == 2], [qc, -qs, -qc], qs)
    return s, c


def _uniform(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    bits = ((hi.astype(np.uint64) << np.uint64(32)) | lo.astype(np.uint64)) >> np.uint64(11)
    return (bits.astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def gaussian_noise(count: int, seed: int, stream: int = 0) -> np.ndarray:
    """float32 [count] ~ N(0, 1), bit-identical to kiln::GaussianNoise(out, count, seed, stream)."""
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    npairs = (count + 1) // 2
    pair = np.arange(npairs, dtype=np.uint64)
    w0, w1, w2, w3 = philox4x32(
        (pair & _MASK32, pair >> np.uint64(32), np.full(npairs, stream, np.uint64),
         np.zeros(npairs, np.uint64)),
        (seed & 0xFFFFFFFF, seed >> 32))
    radius = np.sqrt(-2 * _log(_uniform(w0, w1)))
    s, c = _sincos_turns(_uniform(w2, w3))
    out = np.empty(2 * npairs, dtype=np.float32)
    out[0::2] = (radius * c).astype(np.float32)
    out[1::2] = (radius * s).astype(np.float32)
    return out[:count]
