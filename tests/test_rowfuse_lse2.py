"""(#14 lse2) A row kernel's float max/min pass compares only (NaN noted aside; a NaN or zero result folded
again in order), a staged exp also stages the row's elements after its last whole block, and the staged blocks
prefetch the next row. None of it may change a bit: checked against the ordinary plan (row fusion off) and
NumPy on rows longer than a block (300 = 2 * 128 + 44) with NaN, infinities, signed-zero ties and rows that
take the exact fix-up."""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import rowfuse
from oracle import assert_same

rng = np.random.default_rng(1402)
SHAPE = (40, 300)


def _matrix(dtype) -> np.ndarray:
    x = rng.standard_normal(SHAPE) * 3
    x[1, 5] = np.nan  # NaN in the first block
    x[2, 290] = np.nan  # and in the tail
    x[3, :] = -np.inf
    x[4, 299] = np.inf
    x[5, :] = 0.0
    x[5, ::3] = -0.0  # max and min are zeros: the order decides their sign
    x[6, :] = -rng.random(300)
    x[6, 100] = -0.0  # the max is a -0.0 among negatives
    x[7, ::2] = -800.0  # exp(x - m) underflows: the exact calls
    x[8, :] = 2.5  # every exp argument is 0
    return x.astype(dtype)


def _extremes(x):
    """A row kernel (the reductions are broadcast back) returning both reductions as they are."""
    mx, mn = x.max(axis=1, keepdims=True), x.min(axis=1, keepdims=True)
    return (x - mx) * (x - mn), mx[:, 0], mn[:, 0]


def _exp_and_sum(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e, e.sum(axis=1)


def _ordinary(build):
    rowfuse.enabled = False
    try:
        return build()
    finally:
        rowfuse.enabled = True


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_row_max_and_min_keep_numpys_nan_and_zero_signs(dtype):
    x = _matrix(dtype)
    lazy = _extremes(la.array(x))
    assert "loop=rows" in lazy[0].explain()
    got = la.compute(*lazy)
    want = _ordinary(lambda: la.compute(*_extremes(la.array(x))))
    with np.errstate(invalid="ignore"):
        numpy = _extremes(x)
    for g, w, n in zip(got, want, numpy):
        assert_same(g, w)  # bit for bit, zero signs included
    assert_same(got[1], numpy[1])
    assert_same(got[2], numpy[2])
    assert np.isnan(got[1][[1, 2]]).all() and np.signbit(got[1][6])


def test_staged_exp_with_a_tail_and_prefetch_has_the_ordinary_plans_bits(numba_tier):
    # (#14 quick rows) the Numba row kernel's source is read: the quick tier would show its IR instead
    x = _matrix(np.float64)
    e, s = _exp_and_sum(la.array(x))
    text = s.explain()  # the sum's kernel: max, then exp staged by blocks and summed
    assert "PF.prefetch(" in text and "V.exp_nonpositive(" in text
    got_e, got_s = la.compute(e, s)
    want_e, want_s = _ordinary(lambda: la.compute(*_exp_and_sum(la.array(x))))
    assert_same(got_e, want_e)
    assert_same(got_s, want_s, ulp=2)  # the two plans sum in different orders (tests/test_rowexp.py)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(got_s, _exp_and_sum(x)[1], rtol=1e-14)  # NumPy's pairwise sum is less exact


def test_logsumexp_parallel_rows_match_numpy(parallel_threshold):
    """Many rows in parallel tasks: each prefetches its next row, also across a task's last row."""
    parallel_threshold(1000)
    x = rng.standard_normal((257, 300))
    x[100, 7] = np.nan
    m = x.max(axis=1, keepdims=True)
    want = (np.log(np.exp(x - m).sum(axis=1, keepdims=True)) + m)[:, 0]
    a = la.array(x)
    lm = a.max(axis=1, keepdims=True)
    got = (np.log(np.exp(a - lm).sum(axis=1, keepdims=True)) + lm)[:, 0].compute()
    assert_same(got, want, ulp=2)
