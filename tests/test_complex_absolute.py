"""(mandel3 #15) ``np.abs`` of complex values in a kernel (kernels/numpy_scalar.cabs): NumPy's SIMD formula
without branches, so that LLVM vectorises it; NumPy's bits on contiguous arrays, special values included."""
import numpy as np
import pytest

import lazyarr as la

_SPECIAL = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1.0, -2.0, 5e-324, 2.2250738585072014e-308, 1.7e308, 3e-200]


def _values(dtype) -> np.ndarray:
    rng = np.random.default_rng(515)
    n = 3000
    scale = 10.0 ** rng.integers(-30, 30, (2, n))
    z = rng.standard_normal(n) * scale[0] + 1j * rng.standard_normal(n) * scale[1]
    grid = np.array([complex(a, b) for a in _SPECIAL for b in _SPECIAL])
    with np.errstate(over="ignore"):
        return np.concatenate([z, grid, rng.random(n) * 3 + 3j * rng.random(n)]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_absolute_has_numpys_bits(dtype):
    z = _values(dtype)
    expected = np.abs(z)
    got = np.abs(la.array(z)).compute()
    assert got.dtype == expected.dtype and got.shape == expected.shape
    bits = np.uint64 if dtype == np.complex128 else np.uint32
    same = (got.view(bits) == expected.view(bits)) | (np.isnan(got) & np.isnan(expected))
    assert same.all(), z[~same][:5]
    assert np.isinf(got[np.isinf(z.real) | np.isinf(z.imag)]).all()  # inf + j*nan is inf


def test_absolute_fused_with_a_comparison_and_a_strided_input():
    z = _values(np.complex128)
    expected = np.abs(z) > 2.0
    np.testing.assert_array_equal((np.abs(la.array(z)) > 2.0).compute(), expected)
    fused = la.fuse(lambda a: np.abs(a) > 2.0)
    np.testing.assert_array_equal(fused(z), expected)
    strided = z[::3]  # NumPy's strided loop calls hypot: a few ULP apart at most
    np.testing.assert_allclose(np.abs(la.array(strided)).compute(), np.abs(strided), rtol=4e-16, atol=0)
