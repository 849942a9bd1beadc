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


# --- the C library as the reference of exact values -------------------------------------------------------------
# Where a transcendental function must give one exact value (special values, the blocked loop's fix-up pass),
# the reference is the C library's function: lazyarr's exact pass calls it, and NumPy's own scalar loop does.
# NumPy itself is not that reference on every machine: with AVX-512 (its `X86_V4` dispatch) it runs SVML-style
# vector loops for sinh, cosh, cbrt, power, ... that are within NumPy's documented ULP bound but not equal to
# libm. So tests check exact values against `libm(...)` and the rest against NumPy within a ULP budget.
_LIBM_NAMES = {"power": "pow", "arctan2": "atan2", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
               "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh"}
_libm_functions: dict = {}


def _libm_function(name: str, dtype: np.dtype, arity: int):
    import ctypes
    import ctypes.util

    key = (name, dtype.char, arity)
    if key not in _libm_functions:
        library = ctypes.CDLL(ctypes.util.find_library("m"))
        c_type = ctypes.c_float if dtype == np.float32 else ctypes.c_double
        fn = getattr(library, _LIBM_NAMES.get(name, name) + ("f" if dtype == np.float32 else ""))
        fn.restype, fn.argtypes = c_type, [c_type] * arity
        _libm_functions[key] = fn
    return _libm_functions[key]


def libm(name: str, *args) -> np.ndarray:
    """The C library's `name` (NumPy's spelling: power, arctan2, ...) elementwise over float32 or float64 arrays
    (broadcast), as NumPy's scalar loop computes it: float32 through the `f` variant."""
    arrays = np.broadcast_arrays(*[np.asarray(a) for a in args])
    dtype = np.result_type(*arrays)
    fn = _libm_function(name, dtype, len(arrays))
    flat = [a.astype(dtype).ravel() for a in arrays]
    out = np.array([fn(*(float(v[i]) for v in flat)) for i in range(flat[0].size)], dtype=dtype)
    return out.reshape(arrays[0].shape)


# --- NumPy's answer is not always the closer one ---------------------------------------------------------------
# Which loop NumPy runs for a transcendental function depends on the machine: with AVX-512 (`X86_V4`) its own
# vector loops (log10, cbrt, ... within 1 ULP), without it the C library's scalar ones. glibc's log10 and cbrt are
# up to 2-3 ULP from the exact value (seen on a Zen 3, AVX2: cbrt 2.97 ULP, where lazyarr's vector cbrt is 0.2),
# so a fixed ULP budget against NumPy's bits fails there without lazyarr being any less accurate. Where lazyarr and
# NumPy differ by more than the budget, lazyarr must be at least as close to the exact value (long double) as
# NumPy is.
LONG_DOUBLE_EXACT = np.finfo(np.longdouble).nmant >= 63


def ulps_from_exact(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - exact| in ULPs of got (exact: long double), as a float: fractions of an ULP count here."""
    spacing = np.spacing(np.abs(got)).astype(np.longdouble)
    return np.abs((got.astype(np.longdouble) - exact) / spacing).astype(np.float64)


def farther_than_numpy(got: np.ndarray, want: np.ndarray, name: str, x: np.ndarray, budget: int) -> np.ndarray:
    """The elements where lazyarr's `got` is more than `budget` ULP from NumPy's `want` (`np.<name>(x)`) and,
    where a long double can tell, also farther from the exact value than NumPy's (empty when all is well)."""
    with np.errstate(all="ignore"):
        apart = np.flatnonzero(ulp_distance(got, want) > budget)
        if apart.size == 0 or not LONG_DOUBLE_EXACT:
            return apart
        exact = getattr(np, name)(x.ravel()[apart].astype(np.longdouble))
        ours = ulps_from_exact(got.ravel()[apart], exact)
        numpys = ulps_from_exact(want.ravel()[apart], exact)
    return apart[~(ours <= numpys)]
