"""(#15 logreg4) ``A.T @ g(A @ v)`` as one ``gemv_pair`` stage reading A once (api/gemv_pair.py,
runtime/gemv_pair.py, compiler/source_gemv_pair.py): NumPy's shapes and dtypes, values within the tolerance the
matrix-vector products promise (tests/test_products.py: rtol 1e-12 for float64, 1e-5 for float32), in the lazy
mode and under @la.fuse, and the graphs that must not match computing NumPy's answer the old way.

Kernels are shared: one g (the logistic gradient) per dtype and layout, plus the parallel variant."""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.graph import expr
from lazyarr.runtime import gemv_pair

rng = np.random.default_rng(415)


def gradient(X, w, y):
    """A logistic regression's gradient, as NumPy code: g(d) = sigmoid(d) - y."""
    return X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y)


def _data(rows, cols, dtype=np.float64):
    X = rng.standard_normal((rows, cols)).astype(dtype)
    return X, (rng.standard_normal(cols) * 0.3).astype(dtype), (rng.random(rows) > 0.5).astype(dtype)


def _lazy(*arrays):
    return [la.array(a) for a in arrays]


def _pair_stages(e) -> int:
    return sum(1 for n in expr.walk([e._node]) if n.op == "numpy" and n.params.name == "gemv_pair")


def _close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    tol = 1e-12 if want.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _kernel_runs(compute) -> int:
    before = gemv_pair.counts()["kernel"]
    compute()
    return gemv_pair.counts()["kernel"] - before


@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 3), (33, 1), (5, 33), (301, 33), (2048, 4), (2049, 7)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_against_numpy(rows, cols, dtype):
    X, w, y = _data(rows, cols, dtype)
    e = gradient(*_lazy(X, w, y))
    assert _pair_stages(e) == 1
    runs = _kernel_runs(lambda: _close(e.compute(), gradient(X, w, y)))
    assert runs == 1


@pytest.mark.parametrize("layout", ["strided", "fortran", "reversed"])
def test_matrix_layouts(layout):
    base = rng.standard_normal((66, 33))
    X = {"strided": base[::2, 1:30], "fortran": np.asfortranarray(base),
         "reversed": base[::-1]}[layout]
    _, w, y = _data(X.shape[0], X.shape[1])
    e = gradient(*_lazy(X, w, y))
    assert _pair_stages(e) == 1  # a Fortran X's ``X @ w`` is products.py's weighted sum of X.T's rows
    _close(e.compute(), gradient(X, w, y))


def test_operands_and_scalars_of_g():
    # g reads two per-row arrays (one integer, one strided) and scalars; the identity g reads none
    X, w, _ = _data(101, 9)
    labels, weights = rng.integers(0, 2, 101), rng.random(202)[::2]
    Xl, wl, ll, sl = _lazy(X, w, labels, weights)
    e = Xl.T @ ((np.tanh(Xl @ wl) - ll) * sl * 0.5)
    assert _pair_stages(e) == 1
    _close(e.compute(), X.T @ ((np.tanh(X @ w) - labels) * weights * 0.5))
    e = Xl.T @ (Xl @ wl)
    assert _pair_stages(e) == 1
    _close(e.compute(), X.T @ (X @ w))
    e = Xl @ np.tanh(Xl.T @ la.array(labels * 1.0))  # A = X.T, its dot summed down the rows of X
    assert _pair_stages(e) == 1
    _close(e.compute(), X @ np.tanh(X.T @ (labels * 1.0)))


def test_nan_and_inf_reach_the_result():
    X, w, y = _data(40, 6)
    X[3, 2], X[7, 5] = np.nan, np.inf
    _close(gradient(*_lazy(X, w, y)).compute(), gradient(X, w, y))


def test_parallel_size_gives_the_serial_bits(parallel_threshold):
    X, w, y = _data(9000, 8)  # 5 chunks of rows
    serial = np.asarray(gradient(*_lazy(X, w, y)).compute())
    parallel_threshold(1000)
    with la.num_threads(2):
        parallel = np.asarray(gradient(*_lazy(X, w, y)).compute())
    np.testing.assert_array_equal(parallel, serial)  # the summation order is fixed: not the thread count's
    _close(parallel, gradient(X, w, y))


def test_gradient_descent_under_fuse_and_lazily():
    X, w0, y = _data(500, 12)

    def descend(X, y, w, steps):
        for _ in range(steps):
            p = 1.0 / (1.0 + np.exp(-(X @ w)))
            w = w - 0.5 * (X.T @ (p - y)) / X.shape[0]
        return w

    want = descend(X, y, w0, 4)
    fused = la.fuse(descend)
    for _ in range(2):  # the trace, then the replayed program
        assert _kernel_runs(lambda: _close(fused(X, y, w0, 4), want)) == 4
    assert "one pass over A" in fused.explain(X, y, w0, 4)
    assert _kernel_runs(lambda: _close(descend(*_lazy(X, y, w0), 4).compute(), want)) == 4


def test_a_matrix_written_after_the_dot_does_not_match():
    X, w, y = _data(50, 5)
    Xl, wl, yl = _lazy(X.copy(), w, y)
    d = Xl @ wl
    Xl[0] = 3.0  # a functional update: Xl is another node now
    e = Xl.T @ (1.0 / (1.0 + np.exp(-d)) - yl)
    assert _pair_stages(e) == 0
    X2 = X.copy()
    X2[0] = 3.0
    _close(e.compute(), X2.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y))


@pytest.mark.parametrize("g", ["centred", "cumulative", "reversed"])
def test_g_that_is_not_per_row_does_not_match(g):
    # each needs other rows' dots (or all of them) before a row's weight is known: not one pass
    X, w, _ = _data(60, 4)
    make = {"centred": lambda d: d - d.mean(), "cumulative": lambda d: np.cumsum(d), "reversed": lambda d: d[::-1]}[g]
    Xl, wl = _lazy(X, w)
    e = Xl.T @ make(Xl @ wl)
    assert _pair_stages(e) == 0
    _close(e.compute(), X.T @ make(X @ w))


def test_other_matrices_and_dtypes_do_not_match():
    X, w, y = _data(30, 4)
    other = X + 0.0
    Xl, wl, yl, ol = _lazy(X, w, y, other)
    cases = [(ol.T @ (Xl @ wl - yl), other.T @ (X @ w - y)),  # another matrix on the left
             (Xl.T @ (Xl @ wl - yl).astype(np.float32), X.T @ (X @ w - y).astype(np.float32)),  # mixed dtypes
             ((Xl * 2).T @ ((Xl * 2) @ wl), (X * 2).T @ ((X * 2) @ w))]  # a computed matrix
    for e, want in cases:
        assert _pair_stages(e) == 0
        _close(e.compute(), want)


def test_the_reduction_spelling_matches_too():
    # (A * h(A @ v)[:, None]).sum(0) is the same graph as A.T @ h(A @ v): the same stage and kernel
    X, w, y = _data(301, 33)

    def spelled(X, w, y):
        return (X * (1.0 / (1.0 + np.exp(-(X @ w))) - y)[:, None]).sum(0)

    e = spelled(*_lazy(X, w, y))
    assert _pair_stages(e) == 1
    assert _kernel_runs(lambda: _close(e.compute(), spelled(X, w, y))) == 1
    fused = la.fuse(spelled)
    for _ in range(2):
        assert _kernel_runs(lambda: _close(fused(X, w, y), spelled(X, w, y))) == 1
    Xl, wl = _lazy(X, w)
    d = Xl @ wl
    e = (Xl * (d - d.mean())[:, None]).sum(0)  # not per row: no match
    assert _pair_stages(e) == 0
    _close(e.compute(), (X * (X @ w - (X @ w).mean())[:, None]).sum(0))


def test_numpy_answer_while_the_kernel_compiles():
    # the stage's own NumPy path (a background compile, or a kernel Numba refused): a @ v, g, a.T @ that
    X, w, y = _data(70, 6)
    e = gradient(*_lazy(X, w, y))
    (stage,) = [n for n in expr.walk([e._node]) if n.op == "numpy" and n.params.name == "gemv_pair"]
    kwargs = dict(stage.params.kwargs)
    got = gemv_pair.numpy_value(X, w, *[np.asarray(a.data) for a in stage.args[2:]], **kwargs)
    _close(got, gradient(X, w, y))
