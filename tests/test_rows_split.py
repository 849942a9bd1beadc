"""The `split` loop of row kernels (#15 covcos, runtime/rows.py, compiler/source_rows.split_loop): a reduction
along axis 0 of a C array whose strips would not stay in cache runs as parallel passes over the whole array in
memory order. Values against NumPy, the loop chosen, results independent of the thread count, NaN and integer
reductions, row outputs. One shape (600 x 24: a reduced length of 600 float64 is past a strip's byte budget) and
one small shape that keeps `strips`, so the kernels are shared between cases.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.rowfuse import RowKernel
from lazyarr.compiler.schedule import plan
from lazyarr.runtime import rows

SHAPE = (600, 24)


def centre0(x):
    return x - x.mean(axis=0)


def standardise0(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def softmax0(x):
    e = np.exp(x - x.max(axis=0))
    return e / e.sum(axis=0)


def _data(shape=SHAPE, seed=11):
    return np.random.default_rng(seed).standard_normal(shape) * 3 + 1


def _kernel(fn, x) -> RowKernel:
    steps = plan([fn(la.array(x))._node])
    assert [type(s) for s in steps] == [RowKernel]
    return steps[0]


def _loop(fn, x) -> str:
    return rows.loop_of(_kernel(fn, x), [rows.element_view(x, _kernel(fn, x))])


@pytest.mark.parametrize("fn", [centre0, standardise0, softmax0], ids=lambda f: f.__name__)
def test_values_against_numpy(fn, parallel_threshold):
    parallel_threshold(0)
    x = _data()
    copy = x.copy()
    want = fn(x)
    got = np.asarray(fn(la.array(x)))
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.array_equal(x, copy)
    assert _loop(fn, x) == "split"
    assert "loop=split" in fn(la.array(x)).explain()


def test_short_reduced_axis_keeps_strips():
    x = _data((40, 24))
    assert _loop(centre0, x) == "strips"
    np.testing.assert_allclose(np.asarray(centre0(la.array(x))), centre0(x), rtol=1e-12, atol=1e-12)


def test_fortran_order_keeps_rows():
    x = np.asfortranarray(_data())
    assert _loop(centre0, x) == "rows"


def test_result_does_not_depend_on_the_thread_count(parallel_threshold):
    # The partials are per chunk of the reduced axis, a function of the shape; folded in chunk order.
    parallel_threshold(0)
    x = _data()
    with la.num_threads(1):
        one = np.asarray(standardise0(la.array(x)))
    with la.num_threads(2):
        two = np.asarray(standardise0(la.array(x)))
    assert np.array_equal(one, two)


def test_chunks_and_tiles():
    k = _kernel(centre0, _data())
    tile, nchunks = rows.split_sizes(k)
    assert nchunks == 600 // rows.SPLIT_MIN_COLS and 1 <= tile <= 24


def test_nan_propagates_through_max_and_sum(parallel_threshold):
    parallel_threshold(0)
    x = _data()
    x[5, 3] = np.nan
    x[599, 7] = np.inf
    with np.errstate(all="ignore"):
        want, got = softmax0(x), np.asarray(softmax0(la.array(x)))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    assert np.array_equal(np.isnan(got), np.isnan(want))


def test_integer_sum_is_exact():
    x = np.random.default_rng(3).integers(-50, 50, SHAPE)
    fn = lambda a: a - a.sum(axis=0)  # noqa: E731
    got, want = np.asarray(fn(la.array(x))), fn(x)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert _loop(fn, x) == "split"


def test_row_values_are_outputs_too():
    x = _data()
    X = la.array(x)
    m = X.mean(axis=0)
    got_c, got_m = la.compute(X - m, m)
    np.testing.assert_allclose(got_m, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(got_c, centre0(x), rtol=1e-12, atol=1e-12)


def test_fuse():
    x = _data()
    f = la.fuse(standardise0)
    np.testing.assert_allclose(f(x), standardise0(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f(x * 2), standardise0(x * 2), rtol=1e-12, atol=1e-12)
