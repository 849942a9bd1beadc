"""Vector math in reduction producers (#14): ``np.exp(x).sum()``, ``np.log1p(x).mean(axis=0)``, ... compute the
producer with the vectorised functions (kernels/vecmath.py, vecmath32.py) a block at a time into a scratch
array, and that block again with the C library's functions when one of its elements is outside their range.

Few kernels on purpose: one float64 and one float32 input per loop shape, special values placed among
ordinary ones so both passes run, and the parallel path where the chunking is the point.
"""
import numpy as np
import pytest

import lazyarr as la
from oracle import assert_same, ulp_distance

rng = np.random.default_rng(1414)
DTYPES = [np.float64, np.float32]


def eps(dtype) -> float:
    return float(np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_full_sum_uses_vector_math_and_matches_numpy(dtype, parallel_threshold):
    parallel_threshold(10_000)
    x = rng.uniform(-20, 20, 50_001).astype(dtype)  # not a multiple of the scratch block: a short last block
    expr = la.exp(la.array(x)).sum()
    assert ("V32.exp(" if dtype == np.float32 else "V.exp(") in expr.explain()
    got, want = expr.compute(), np.exp(x).sum()
    assert got.dtype == want.dtype
    # Each term within 1 ULP of NumPy's exp; both sums are at least pairwise-accurate.
    np.testing.assert_allclose(got, want, rtol=8 * eps(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_bad_element_sends_its_block_to_the_exact_functions(dtype, parallel_threshold):
    parallel_threshold(10_000)
    x = rng.uniform(-20, 20, 50_001).astype(dtype)
    y = x.copy()
    y[12_345] = -np.inf  # exp(-inf) = 0: outside the fast path's range, its block is recomputed exactly
    got, want = la.exp(la.array(y)).sum().compute(), np.exp(y).sum()
    np.testing.assert_allclose(got, want, rtol=8 * eps(dtype))
    y[40_000] = np.nan
    assert np.isnan(la.exp(la.array(y)).sum().compute())


@pytest.mark.parametrize("dtype", DTYPES)
def test_column_mean_of_log1p_the_outer_loops(dtype, parallel_threshold):
    parallel_threshold(10_000)
    x = rng.uniform(0, 5, (600, 70)).astype(dtype)
    x[5, 3], x[300, 10] = np.inf, -1.0  # log1p(inf) = inf, log1p(-1) = -inf: fixed up in their rows' tiles
    expr = la.log1p(la.array(x)).mean(axis=0)
    assert ("V32.log1p(" if dtype == np.float32 else "V.log1p(") in expr.explain()
    with np.errstate(divide="ignore"):
        want = np.log1p(x).mean(axis=0)
    got = expr.compute()
    assert got.dtype == want.dtype
    assert_same(got[~np.isfinite(want)], want[~np.isfinite(want)])
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=16 * eps(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_max_of_tanh_the_inner_loop_keeps_values_exact(dtype):
    x = rng.uniform(-3, 3, (40, 3000)).astype(dtype)
    x[7, 2500] = np.nan  # NumPy's max propagates NaN
    expr = la.tanh(la.array(x)).max(axis=1)
    got, want = expr.compute(), np.tanh(x).max(axis=1)
    assert got.dtype == want.dtype
    assert_same(got[np.isnan(want)], want[np.isnan(want)])
    # A maximum picks one of the values: within tanh's own budget against NumPy's (test_vecmath.VS_NUMPY).
    assert ulp_distance(got, want).max() <= 3


def test_a_library_call_keeps_the_reduction_on_libm():
    # logaddexp is a C library call: the producer loop cannot vectorise, so it stays scalar throughout.
    x = la.array(np.linspace(0.0, 3.0, 10))
    source = (la.exp(x) + la.logaddexp(x, x)).sum().explain()
    assert "V.exp(" not in source and "np.exp(" in source


def test_inputs_are_not_modified():
    x = rng.uniform(-1, 1, 5000)
    before = x.copy()
    la.exp(la.array(x)).sum().compute()
    assert_same(x, before)
