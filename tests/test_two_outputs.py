"""NumPy's ufuncs of two outputs on LazyArrays (session 14, api/numpy_api.TWO_OUTPUTS): ``np.divmod`` as
floor_divide and remainder, ``np.modf`` as trunc and the exact difference, fused lazily and under ``@la.fuse``,
with NumPy's dtypes and bits (signed zeros, infinities, NaN); and ``np.where(condition)``, NumPy's nonzero.
"""
import warnings

import numpy as np
import pytest

import lazyarr as la

rng = np.random.default_rng(1414)
SPECIAL = np.array([0.0, -0.0, 1.5, -1.5, -2.0, 2.0, np.inf, -np.inf, np.nan, 1e300, -1e-310, 2.0 ** 53 + 2,
                    0.49999999999999994, 7.0, -7.25, 1e-320])


def values(dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        with np.errstate(over="ignore"):
            return np.concatenate([SPECIAL, rng.standard_normal(40) * 10]).astype(dtype)
    low = 0 if dtype.kind in "ub" else -50
    return rng.integers(low, 2 if dtype.kind == "b" else 50, 56).astype(dtype)


def same_bits(got, want):
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))  # -0.0 and the sign of NaN too


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int16, np.int32, np.int64, np.uint32])
def test_modf_is_numpys_lazily_and_fused(dtype):
    x = values(dtype)
    want = np.modf(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fused: no NumPy fallback
        got = np.modf(la.array(x))
        assert all(isinstance(t, la.LazyArray) for t in got)
        for g, w in zip(got, want):
            same_bits(g, w)
        fused = la.fuse(lambda a: np.modf(a * 1))(x)
    for g, w in zip(fused, np.modf(x * 1)):
        same_bits(g, w)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int8, np.int64, np.uint16, np.bool_])
def test_divmod_is_numpys_floor_divide_and_remainder(dtype):
    x = values(dtype)
    y = np.roll(x, 3)
    y[::7] = 0  # zero divisors: NumPy's (0, 0) for integers, (nan/inf, nan) for floats
    with np.errstate(all="ignore"):
        want = np.divmod(x, y)
        got = np.divmod(la.array(x), la.array(y))
        for g, w in zip(got, want):
            same_bits(g, w)
        fused = la.fuse(lambda a, b: divmod(a, b))  # Python's divmod calls the operator: a // b, a % b
        for g, w in zip(fused(x, y), want):
            same_bits(g, w)
        scalar = np.divmod(la.array(x), 3)
        for g, w in zip(scalar, np.divmod(x, 3)):
            same_bits(g, w)


def test_modf_of_a_float16_loop_and_of_complex_is_numpys():
    x = np.array([-3, 0, 5], np.int8)  # NumPy's loop for int8 is float16, which lazyarr does not compile
    with pytest.warns(la.NumPyFallbackWarning if hasattr(la, "NumPyFallbackWarning") else UserWarning):
        got = np.modf(la.array(x))
    for g, w in zip(got, np.modf(x)):
        same_bits(g.compute() if isinstance(g, la.LazyArray) else g, w)
    with pytest.raises(TypeError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.modf(la.array(np.array([1 + 2j])))


def test_where_of_a_condition_alone_is_nonzero():
    x = rng.standard_normal((5, 4))
    got = np.where(la.array(x) > 0)
    want = np.where(x > 0)
    assert len(got) == len(want) == 2
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.asarray(g), w)
    with pytest.raises(ValueError, match="both or neither"):
        np.where(la.array(x) > 0, 1.0)
