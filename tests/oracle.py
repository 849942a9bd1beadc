"""NumPy is the oracle: compare a lazyarr result with NumPy's, dtype and shape exactly, values bit for bit or
within a few units in the last place (ULP) for transcendental functions."""
from __future__ import annotations

import numpy as np


def _ordered_bits(a: np.ndarray) -> np.ndarray:
    """Map floats to integers whose difference is the distance in ULP (sign-magnitude -> two's complement)."""
    width = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    bits = a.view(width).astype(np.int64)
    top = np.int64(1) << (8 * a.dtype.itemsize - 1)
    return np.where(bits < 0, -(bits & (top - 1)), bits)


def ulp_distance(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Elementwise ULP distance; 0 where both are NaN or equal (inf included)."""
    got, want = np.atleast_1d(got), np.atleast_1d(want)
    if got.dtype.kind == "c":
        return np.maximum(ulp_distance(got.real, want.real), ulp_distance(got.imag, want.imag))
    both_nan = np.isnan(got) & np.isnan(want)
    one_nan = np.isnan(got) != np.isnan(want)
    dist = np.abs(_ordered_bits(got) - _ordered_bits(want))
    dist = np.where(both_nan, 0, dist)
    return np.where(one_nan, np.iinfo(np.int64).max, dist)


# Ops whose result on a tie between +0.0 and -0.0 NumPy leaves unspecified: its own SIMD and scalar loops
# return different zeros for the same inputs, depending on the array's length and dtype.
ZERO_SIGN_UNSPECIFIED = {"fmax", "fmin"}


def assert_same(got, want, ulp: int = 0, what: str = "", zero_sign: bool = True) -> None:
    """`got` equals NumPy's `want`: same type, dtype and shape; values equal (NaN == NaN, and -0.0 != 0.0
    unless `zero_sign` is False)."""
    label = f"{what}: " if what else ""
    assert type(got) is type(want) or (isinstance(got, np.ndarray) and isinstance(want, np.ndarray)), \
        f"{label}type {type(got).__name__} != NumPy's {type(want).__name__}"
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{label}dtype {got.dtype} != NumPy's {want.dtype}"
    assert got.shape == want.shape, f"{label}shape {got.shape} != NumPy's {want.shape}"
    if got.size == 0:
        return
    if got.dtype.kind in "fc":
        dist = ulp_distance(got, want)
        bad = dist > ulp
        if ulp == 0 and got.dtype.kind == "f" and zero_sign:
            bad |= (np.signbit(got) != np.signbit(want)) & ~np.isnan(got)
    else:
        bad = np.atleast_1d(got != want)
    if bad.any():
        idx = np.flatnonzero(bad)[:5]
        raise AssertionError(
            f"{label}{bad.sum()} of {got.size} values differ (allowed {ulp} ULP); "
            f"first at flat indices {idx.tolist()}: got {np.atleast_1d(got).ravel()[idx].tolist()}, "
            f"NumPy {np.atleast_1d(want).ravel()[idx].tolist()}"
        )
