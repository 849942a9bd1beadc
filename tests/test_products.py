"""(BLAS-bound programs, #15) Matrix-vector products as fused multiply-and-sum reductions (api/products.py):
no BLAS stage, the producer fused into the reduction, a vector operand computed once, NumPy's shapes, dtypes and
values (within rounding: another summation order), and the products that stay BLAS's."""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, Stage, plan

rng = np.random.default_rng(15)
X = rng.standard_normal((300, 12))
W = rng.standard_normal(12)
V = rng.standard_normal(300)


def _steps(e):
    return plan([e._node])


def _blas_stages(steps):
    return [s for s in steps if isinstance(s, Stage) and s.node.op == "numpy" and s.node.params.name == "matmul"]


def _close(got, want):
    got = np.asarray(got)
    assert (got.shape, got.dtype) == (np.shape(want), np.asarray(want).dtype)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_matrix_vector_consumer_fused_without_blas():
    e = 1.0 / (1.0 + np.exp(-(la.array(X) @ la.array(W))))
    steps = _steps(e)
    assert not _blas_stages(steps)
    assert [type(s) for s in steps] == [ReduceKernel, MapKernel]
    _close(e.compute(), 1.0 / (1.0 + np.exp(-(X @ W))))


def test_producer_of_the_matrix_fused_into_the_reduction():
    e = np.tanh(la.array(X) * 2.0) @ la.array(W)
    steps = _steps(e)
    assert [type(s) for s in steps] == [ReduceKernel]
    _close(e.compute(), np.tanh(X * 2.0) @ W)


def test_vector_expression_computed_once_not_per_row():
    # w of a gradient step is an expression; inside the reduction's loop it would run again for every row
    e = la.array(X) @ (la.array(W) - 0.5 * la.array(W) ** 2)
    steps = _steps(e)
    reduce_step = next(s for s in steps if isinstance(s, ReduceKernel))
    assert [n.op for n in reduce_step.body] == ["multiply"]
    _close(e.compute(), X @ (W - 0.5 * W ** 2))


@pytest.mark.parametrize("form", ["transposed", "vector_matrix"])
def test_transposed_matrix_summed_in_memory_order(form):
    # X.T @ v and v @ X both sum down the columns of the C array X: one reduction over axis 0 of X's own layout
    e = la.array(X).T @ la.array(V) if form == "transposed" else la.array(V) @ la.array(X)
    (step,) = _steps(e)
    assert isinstance(step, ReduceKernel) and step.node.params.axes == (0,)
    assert any(n.op == "leaf" and n.shape == X.shape and n.data.flags.c_contiguous for n in step.inputs)
    _close(e.compute(), X.T @ V)


def test_float32_and_mixed_dtypes_follow_numpy():
    x32, w32 = X.astype(np.float32), W.astype(np.float32)
    for a, b in ((x32, w32), (x32, W)):
        got = np.asarray((la.array(a) @ la.array(b)).compute())
        want = a @ b
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("a,b", [(X.astype(np.int64), W.astype(np.int64)), (X > 0, W > 0),
                                 (X.astype(np.complex128), W), (X, rng.standard_normal((12, 5))),
                                 (np.zeros((4, 0)), np.zeros(0))])
def test_other_products_stay_blas(a, b):
    e = la.array(a) @ la.array(b)
    assert len(_blas_stages(_steps(e))) == 1
    want = a @ b
    got = np.asarray(e.compute())
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind in "bi":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want)


def test_nan_and_inf_propagate_as_in_blas():
    x = X.copy()
    x[3, 4], x[7, 0] = np.nan, np.inf
    _close((la.array(x) @ la.array(W)).compute(), x @ W)


def test_gradient_descent_under_fuse_has_no_blas_stage():
    def descend(X, y, w, steps):
        for _ in range(steps):
            p = 1.0 / (1.0 + np.exp(-(X @ w)))
            w = w - 0.5 * (X.T @ (p - y)) / X.shape[0]
        return w

    y = (V > 0).astype(np.float64)
    fused = la.fuse(descend)
    want = descend(X, y, np.zeros(12), 4)
    for _ in range(2):  # the trace, then the replayed program
        np.testing.assert_allclose(fused(X, y, np.zeros(12), 4), want, rtol=1e-12, atol=1e-14)
    assert "np.matmul" not in fused.explain(X, y, np.zeros(12), 4)


def test_compensated_sums_keep_inf():
    # the Kahan compensation of a sum that reached inf was NaN and made every later term's sum NaN
    x = np.ones((3, 300))
    x[0, 5], x[1, 7], x[1, 250], x[2, :] = np.inf, np.inf, -np.inf, 1e306
    for axis in (None, 1):
        with np.errstate(over="ignore"):
            want = x.sum(axis=axis)
        np.testing.assert_array_equal(la.array(x).sum(axis=axis).compute(), want)


def test_parallel_kernels_agree(parallel_threshold):
    parallel_threshold(100)
    x = rng.standard_normal((2000, 12))
    r = rng.standard_normal(2000)
    _close((la.array(x) @ la.array(W)).compute(), x @ W)
    _close((la.array(x).T @ la.array(r)).compute(), x.T @ r)


def test_row_kernel_strips_count_a_bool_mask():
    # (found profiling robust_standardize) a strips row kernel folded a bool into an int64 count without a cast:
    # the kernel failed to type, and NumPy computed it with a warning
    import warnings
    from lazyarr.compiler.rowfuse import RowKernel

    x = rng.random((300, 40)) > 0.5
    e = la.array(x).sum(axis=0, keepdims=True) + la.array(x)
    assert any(isinstance(s, RowKernel) for s in _steps(e))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        np.testing.assert_array_equal(e.compute(), x.sum(axis=0, keepdims=True) + x)
