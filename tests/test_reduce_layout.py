"""(BLAS-bound programs, #15) Reduction kernels over broadcast operands take them at their own shape (the
``bcast:`` layout, compiler/layout.reduce_broadcast): every view typed contiguous, a broadcast axis read at 0.
Checked by the layout each kernel was compiled for and by values against NumPy for each loop shape."""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.layout import reduce_array_layout, reduce_broadcast
from lazyarr.compiler.schedule import ReduceKernel, plan
from lazyarr.compiler.source_reduce import loads_at

rng = np.random.default_rng(1515)
X = rng.standard_normal((300, 16))
W = rng.standard_normal(16)
R = rng.standard_normal(300)
T = rng.standard_normal((6, 5, 16))


def _reduce_header(e) -> str:
    """The ``# loop=... layout=...`` line of the expression's one reduce kernel, as compiled for its inputs."""
    text = e.explain()
    return next(line.strip() for line in text.splitlines() if line.strip().startswith("# loop="))


def _close(got, want):
    got = np.asarray(got)
    assert (got.shape, got.dtype) == (np.shape(want), np.asarray(want).dtype)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_layout_keeps_broadcast_operands_at_their_own_shape():
    layout, views = reduce_broadcast([X, W], X.shape, [0, 1])
    assert layout == "bcast:C:11,01"
    assert [v.shape for v in views] == [(300, 16), (1, 16)]
    assert reduce_array_layout(layout) == ("C", ["11", "01"])
    # X.T @ r summed down X's columns: the views in loop order (kept, reduced) are F-ordered
    layout, views = reduce_broadcast([R[:, None], X], X.shape, [1, 0])
    assert layout == "bcast:F:01,11"
    assert [v.shape for v in views] == [(1, 300), (16, 300)]
    assert reduce_array_layout("A") == ("A", None)


def test_layout_refuses_what_it_cannot_type_contiguous():
    assert reduce_broadcast([X, X], X.shape, [0, 1]) is None  # nothing broadcast: the views are C already
    assert reduce_broadcast([X[:, ::2], W[::2]], (300, 8), [0, 1]) is None  # a strided operand
    assert reduce_broadcast([X, np.asfortranarray(X), W], X.shape, [0, 1]) is None  # a C and an F operand


def test_loads_read_broadcast_axes_at_zero():
    assert loads_at("i0, _b + 3", ["11", "01"]) == ["i0, _b + 3", "0, _b + 3"]
    assert loads_at("i0, i1", None) is None


def test_matrix_vector_row_sums_compile_contiguous():
    e = la.array(X) @ la.array(W)
    assert "loop=inner layout=bcast:C:11,01" in _reduce_header(e)
    assert "'A'" not in e.explain()
    _close(e.compute(), X @ W)


def test_transposed_product_column_sums_compile_contiguous():
    e = la.array(X).T @ la.array(R)
    assert "layout=bcast:F:01,11" in _reduce_header(e)
    _close(e.compute(), X.T @ R)


@pytest.mark.parametrize("axes, contiguous", [((2,), True), ((1,), False), ((0, 1), False)])
def test_three_d_broadcast_sums_match_numpy(axes, contiguous):
    # a (5, 1) operand broadcast over the first and last axes of (6, 5, 16); T's own view in loop order
    # (kept..., reduced...) is contiguous only when the last axis is the reduced one, else both stay strided
    col = R[:5, None]
    e = (la.array(T) * la.array(col)).sum(axis=axes)
    header = _reduce_header(e)
    assert ("layout=bcast:C:111,010" in header) == contiguous, header
    _close(e.compute(), (T * col).sum(axis=axes))


def test_arg_and_extreme_reductions_over_a_broadcast_operand():
    _close((la.array(X) - la.array(W)).max(axis=0), (X - W).max(axis=0))
    got = (la.array(X) * la.array(W)).argmin(axis=1).compute()
    np.testing.assert_array_equal(got, (X * W).argmin(axis=1))


def test_float32_row_sums_over_a_broadcast_vector():
    x32, w32 = X.astype(np.float32), W.astype(np.float32)
    got = (la.array(x32) * la.array(w32)).sum(axis=1).compute()
    assert got.dtype == np.float32
    terms = (x32 * w32).astype(np.float64)  # float32 products; the sums' rounding scales with sum |terms|
    error = np.abs(got - terms.sum(axis=1))
    assert np.all(error <= 4 * np.finfo(np.float32).eps * np.abs(terms).sum(axis=1))


def test_vector_math_producer_over_a_broadcast_operand(parallel_threshold):
    # the producer's scratch loop (vector exp) reads the broadcast operand at 0 too, in the parallel variant
    parallel_threshold(1000)
    e = np.exp(la.array(X) - la.array(W)).sum(axis=1)
    assert "parallel=True" in _reduce_header(e)
    np.testing.assert_allclose(e.compute(), np.exp(X - W).sum(axis=1), rtol=1e-13)
    e = np.exp(la.array(X) - la.array(W)).sum(axis=0)
    np.testing.assert_allclose(e.compute(), np.exp(X - W).sum(axis=0), rtol=1e-13)


def test_strided_operands_keep_the_strided_layout():
    e = (la.array(X[:, ::2]) * la.array(W[::2])).sum(axis=1)
    assert "layout=A" in _reduce_header(e)
    _close(e.compute(), (X[:, ::2] * W[::2]).sum(axis=1))


def test_a_small_strided_broadcast_operand_is_copied_into_the_contiguous_layout():
    # nbody's `(dx * inv_r3 * m).sum(axis=1)` with dx from columns of an (n, 3) array: its strided (n, 1) and
    # (1, n) operands are copied (compiler/layout.SMALL_BROADCAST), so every view is typed contiguous
    pos = np.random.default_rng(8).standard_normal((40, 3))
    m = np.random.default_rng(9).uniform(0.5, 1.5, 40)
    col, row = pos[:, None, 0], pos[None, :, 0]
    assert not col.flags.c_contiguous and not row.flags.c_contiguous
    e = ((la.array(row) - la.array(col)) ** -1.5 * la.array(m)).sum(axis=1)
    assert "layout=bcast:C:01,10,01" in _reduce_header(e)
    with np.errstate(invalid="ignore"):
        want = ((row - col) ** -1.5 * m).sum(axis=1)
    _close(e.compute(), want)
