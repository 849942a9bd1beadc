"""(#14 jaxgap) A row kernel's ``exp(x - max(x))`` (softmax, logsumexp) uses ``vecmath.exp_nonpositive``: no
overflow check, the same bits as ``vecmath.exp``. Checked on rows that take the fix-up (NaN, +-inf, arguments
that underflow) beside ordinary ones, bit for bit against the ordinary plan (row fusion off: map kernels with
``vecmath.exp``), and the pattern's limits (the max of another array keeps the ordinary exp)."""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import rowfuse
from oracle import assert_same

rng = np.random.default_rng(14)


def _matrix() -> np.ndarray:
    x = rng.standard_normal((64, 40)) * 3
    x[1, 5] = np.nan
    x[2, 7] = np.inf
    x[3, :] = -np.inf
    x[4, 9] = -np.inf
    x[5, ::2] = -800.0  # exp(x - m) underflows to 0 / subnormals: the exact calls
    x[6, :] = 2.5  # every argument is 0
    x[7, 3] = 700.0  # the rest of the row underflows
    return x


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _logsumexp(x):
    m = x.max(axis=1, keepdims=True)
    return (np.log(np.exp(x - m).sum(axis=1, keepdims=True)) + m)[:, 0]


@pytest.fixture
def rowfuse_off():
    def run(build):
        rowfuse.enabled = False
        try:
            return build()
        finally:
            rowfuse.enabled = True
    return run


def _exp_and_sum(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e, e.sum(axis=1)


def test_exp_of_x_minus_its_row_max_has_the_ordinary_plans_bits(rowfuse_off, numba_tier):
    """The exp values the row kernel keeps (softmax's numerator) are the map kernel's ``vecmath.exp`` bits,
    also on the rows the fix-up recomputes. (#14 quick rows) The Numba row kernel's source is read (numba_tier);
    tests/test_quick_rows.py checks the quick tier's kernel against this one's bits."""
    x = _matrix()
    e, s = _exp_and_sum(la.array(x))
    assert "V.exp_nonpositive(" in e.explain()
    got_e, got_s = la.compute(e, s)
    want_e, want_s = rowfuse_off(lambda: la.compute(*_exp_and_sum(la.array(x))))
    assert_same(got_e, want_e, ulp=0)
    assert_same(got_s, want_s, ulp=2)  # the sums' order differs between the two plans
    with np.errstate(all="ignore"):
        assert_same(got_e, _exp_and_sum(x)[0], ulp=1)
        assert_same(_softmax(la.array(x)).compute(), _softmax(x), ulp=4)  # exp, the sum and the quotient


def test_logsumexp_with_fix_up_rows_matches_numpy():
    x = _matrix()
    with np.errstate(all="ignore"):
        want = _logsumexp(x)
    assert_same(_logsumexp(la.array(x)).compute(), want, ulp=2)


def test_the_max_of_another_array_keeps_the_ordinary_exp():
    """exp(x - max(y)) can overflow: its argument is not known <= 0."""
    x, y = rng.standard_normal((64, 40)), rng.standard_normal((64, 40))
    x[0, 0] = 800.0  # exp overflows to inf, as NumPy's
    lazy = np.exp(la.array(x) - la.array(y).max(axis=1, keepdims=True)).sum(axis=1)
    assert "V.exp_nonpositive(" not in lazy.explain()
    with np.errstate(all="ignore"):
        assert_same(lazy.compute(), np.exp(x - y.max(axis=1, keepdims=True)).sum(axis=1), ulp=2)


def test_exp_nonpositive_is_exp_wherever_its_ok_flag_holds():
    """Same value bits as ``vecmath.exp`` wherever ok; ok False exactly below exp's normal range and for NaN."""
    import numba
    from lazyarr.kernels import vecmath as V

    @numba.njit
    def both(x):
        a, b = np.empty_like(x), np.empty_like(x)
        oka, okb = np.empty(x.size, np.bool_), np.empty(x.size, np.bool_)
        for i in range(x.size):
            a[i], oka[i] = V.exp(x[i])
            b[i], okb[i] = V.exp_nonpositive(x[i])
        return a, oka, b, okb

    edges = [0.0, -0.0, -1e-300, -5e-324, -0.5 * np.log(2), -np.log(2), -707.9999999999999, -708.0,
             -708.0000000000001, -745.2, -1e300, -np.inf, np.nan]
    x = np.concatenate([edges, -rng.exponential(30.0, 20000), -rng.random(20000) * 708.0])
    a, oka, b, okb = both(x)
    assert np.array_equal(oka, okb)
    assert np.array_equal(a[oka].view(np.int64), b[okb].view(np.int64))
    assert not okb[np.isnan(x) | (x < -708.0)].any()
