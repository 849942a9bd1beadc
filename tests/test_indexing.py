"""Indexing and reshaping against NumPy: shapes, dtypes and values NumPy's, errors NumPy's type raised when the
expression is built, basic indexing pushed down to the inputs (views, no extra kernel), the rest as NumPy stages.

Compile time dominates: expressions reuse a few structures and dtypes so kernels are shared, arrays are small.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lazyarr as la
from lazyarr.graph.expr import LEAF, walk
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, Stage, plan
from oracle import assert_same
from values import sample
from values import seeded_rand

DTYPES = [np.dtype(c) for c in ("?", "i1", "u8", "f4", "f8", "c16")]
SHAPE = (4, 5, 6)

# Keys on a (4, 5, 6) array: ints (negative too), slices of every step sign, out-of-range bounds, None, Ellipsis.
KEYS = [
    1, -1, (2, -3), (3, 4, 5), (-4, -5, -6), slice(None), slice(1, None), slice(None, -1), slice(None, None, -1),
    slice(10, -10, -2), slice(-100, 100, 3), slice(3, 1), slice(5, 10), (Ellipsis, 0), (Ellipsis, -1, None),
    (None, 1, Ellipsis, None), (slice(None), None, slice(4, 0, -2)), (0, Ellipsis, slice(None, None, -3)),
    (slice(None, None, 2), slice(None, None, -2), 2), (None,), (Ellipsis,), (), (None, None, 0, 0, 0),
    (slice(1, 2), slice(None, None, 4), slice(-1, None)),
]


def _values(shape, dtype, seed=0):
    n = int(np.prod(shape))
    return sample(np.dtype(dtype), max(n, 1), seed)[:n].reshape(shape)


def layouts(dtype) -> dict:
    """Arrays of SHAPE in every layout lazyarr takes: C, Fortran, strided, reversed, broadcast, big-endian."""
    x = _values(SHAPE, dtype)
    return {
        "C": x,
        "F": np.asfortranarray(x),
        "strided": _values((8, 5, 12), dtype, 1)[::2, :, 1::2],
        "reversed": x[::-1, :, ::-1],
        "broadcast": np.broadcast_to(_values((5, 1), dtype, 2), SHAPE),
        "big-endian": x.astype(x.dtype.newbyteorder(">")) if x.dtype.itemsize > 1 else x,
    }


def kernels(e) -> list:
    return [s for s in plan([e._node]) if isinstance(s, MapKernel)]


def computed(e):
    """`e`'s value: an element read of an input is NumPy's scalar already (api/scalar_fold.py)."""
    return e.compute() if isinstance(e, la.LazyArray) else e


def stages(e) -> list:
    return [s for s in plan([e._node]) if isinstance(s, Stage)]


# --- basic indexing of inputs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed", "broadcast", "big-endian"])
def test_basic_keys_on_inputs_are_numpys_views(dtype, layout):
    x = layouts(dtype)[layout]
    before = x.copy()
    X = la.array(x)
    for key in KEYS:
        e = X[key]
        assert e.shape == np.shape(x[key])
        if not isinstance(e, la.LazyArray):  # (scalar overhead #15) one element: NumPy's scalar, a copy as NumPy's
            assert_same(e, x[key], what=f"{layout}[{key!r}]")
            continue
        assert e._node.op == LEAF and not kernels(e)  # a view: nothing to compute
        assert_same(e.compute(), x[key], what=f"{layout}[{key!r}]")  # (s16 sweepd) in x's byte order, as NumPy
        if x.dtype.isnative and e.size:
            assert np.shares_memory(e._node.data, x)
    assert np.array_equal(x, before, equal_nan=x.dtype.kind in "fc") and x.dtype == before.dtype


def test_zero_d_and_empty_inputs():
    z = np.float64(2.5) * np.ones(())
    Z = la.array(z)
    for key in [(), Ellipsis, None, (None, Ellipsis, None)]:
        assert_same(Z[key].compute(), z[key])
        assert_same((Z * 2)[key].compute(), (z * 2)[key])
    empty = np.ones((0, 3))
    E = la.array(empty)
    for key in [slice(1, None), (slice(None), 1), (Ellipsis, None), slice(None, None, -1), (None, slice(None), 2)]:
        assert_same(E[key].compute(), empty[key])
        assert_same((E + 1)[key].compute(), (empty + 1)[key])
    with pytest.raises(IndexError, match="lazyarr"):
        E[0]
    with pytest.raises(IndexError, match="lazyarr"):
        Z[0]


def test_an_empty_result_computes_nothing():
    x = seeded_rand(1, 6, 4)
    e = (la.sin(la.array(x)) * 2)[4:2]
    assert e.shape == (0, 4) and plan([e._node]) == []
    assert_same(e.compute(), (np.sin(x) * 2)[4:2])


# --- basic indexing of expressions ------------------------------------------------------------------------------

def _expression_inputs(dtype):
    x = _values(SHAPE, dtype)
    row = _values((6,), dtype, 3)
    column = _values((5, 1), dtype, 4)
    return x, row, column


def _expression(a, row, column):
    return (a + row) * column + a  # broadcast operands of both kinds: missing leading axes, length-1 axes


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_indexing_a_broadcast_expression_matches_numpy(dtype):
    x, row, column = _expression_inputs(dtype)
    want_all = _expression(x, row, column)
    e = _expression(la.array(x), la.array(row), la.array(column))
    for key in [(slice(None, None, -1), slice(1, None), slice(None, None, 2)), (Ellipsis, 3), (1, 2, 3)]:
        got = e[key]
        assert len(kernels(got)) == 1 and not stages(got)
        assert_same(got.compute(), want_all[key], what=repr(key))


def test_many_keys_on_a_broadcast_expression():
    x, row, column = _expression_inputs("f8")
    want_all = _expression(x, row, column)
    e = _expression(la.array(x), la.array(row), la.array(column))
    for key in KEYS:
        got = e[key]
        assert not stages(got), key
        assert_same(got.compute(), want_all[key], what=repr(key))


def test_a_view_of_a_sum_is_bit_equal_and_one_kernel():
    a, b, c = (np.random.default_rng(i).standard_normal(101) for i in range(3))
    A, B, C = la.array(a), la.array(b), la.array(c)
    assert_same((A + B)[::2].compute(), (a + b)[::2])
    e = (A + B)[1:] * C[:-1]
    assert "1 step(s), 1 fused kernel(s)" in e.explain()
    assert_same(e.compute(), (a + b)[1:] * c[:-1])
    assert_same((A[1:] - A[:-1]).compute(), a[1:] - a[:-1])


def test_the_same_view_twice_is_one_input():
    a = seeded_rand(2, 50)
    A = la.array(a)
    assert A[1:]._node is A[1:]._node and A.reshape(5, 10)._node is A.reshape(5, 10)._node
    e = A[1:] * A[1:] + A[:-1]
    assert len(kernels(e)[0].inputs) == 2
    assert_same(e.compute(), a[1:] * a[1:] + a[:-1])


def test_indexing_an_elementwise_expression_adds_no_kernel():
    x = seeded_rand(3, 8, 9)
    X = la.array(x)
    e = la.where(X > 0.5, X * 2, -X) + 1
    for key in [(slice(1, -1), slice(None, None, -2)), (None, Ellipsis, 3), 2]:
        assert len(plan([e[key]._node])) == len(plan([e._node])) == 1
    assert_same(e[1:-1, ::-2].compute(), (np.where(x > 0.5, x * 2, -x) + 1)[1:-1, ::-2])


def test_deep_graphs_are_indexed_and_reshaped_without_recursion():
    from lazyarr.graph import reference as interp
    x = seeded_rand(4, 12)
    X = e = la.array(x)
    want = x
    for _ in range(3000):  # deeper than Python's recursion limit
        e, want = e * 0.5 + X, want * 0.5 + x
    for got, expected in [(e[1::2], want[1::2]), (e.reshape(3, 4), want.reshape(3, 4)),
                          (np.broadcast_to(e, (2, 12)), np.broadcast_to(want, (2, 12)))]:
        assert_same(interp.evaluate([got._node])[0], expected)  # (NumPy evaluates: no 6000-op kernel to compile)


def test_new_slices_of_the_same_rank_compile_nothing():
    rng = np.random.default_rng(9)
    x, y = rng.random((9, 8)), rng.random(8)
    X, Y = la.array(x), la.array(y)
    assert_same(((X + Y)[1:, ::2] * 2).compute(), ((x + y)[1:, ::2] * 2))
    before = la.cache_info()
    for key in [(slice(3, None), slice(1, None, 3)), (slice(None, None, -1), slice(None, 5)), (None, 4)]:
        assert_same(((X + Y)[key] * 2).compute(), (x + y)[key] * 2)
    after = la.cache_info()
    assert (after.compiles, after.disk_hits) == (before.compiles, before.disk_hits)


def test_chained_indexing():
    x = seeded_rand(5, 6, 7, 5)
    X = la.array(x)
    assert_same(X[1:][::2][None, ..., 0][:, -1].compute(), x[1:][::2][None, ..., 0][:, -1])
    e = (X * 3)[::-1][2][..., 1:4][None]
    assert len(kernels(e)) == 1
    assert_same(e.compute(), (x * 3)[::-1][2][..., 1:4][None])


def test_indexing_reductions_where_special_and_matmul():
    rng = np.random.default_rng(5)
    x, y = rng.random((6, 8)), rng.random((8, 5))
    X, Y = la.array(x), la.array(y)
    e = X.sum(axis=0)[1::2]
    assert [type(s) for s in plan([e._node])] == [ReduceKernel, Stage]
    np.testing.assert_allclose(e.compute(), x.sum(axis=0)[1::2], rtol=1e-14)
    np.testing.assert_allclose((X.mean(1, keepdims=True)[::-1, 0] * 2).compute(),
                               x.mean(1, keepdims=True)[::-1, 0] * 2, rtol=1e-14)
    np.testing.assert_allclose((X - X.max(axis=1, keepdims=True))[2:, None].compute(),
                               (x - x.max(axis=1, keepdims=True))[2:, None], rtol=0)
    assert_same(la.where(X > 0.3, X, Y[:6, :1])[::-2, 3].compute(), np.where(x > 0.3, x, y[:6, :1])[::-2, 3])
    assert_same(sp.ndtri(X)[..., ::3].compute(), sp.ndtri(x)[..., ::3], ulp=2)
    assert_same(la.sin(X * 2)[1:, -1].compute(), np.sin(x * 2)[1:, -1], ulp=2)
    m = (X @ Y)[1:, ::-1] + 1
    assert any(s.node.op == "numpy" and s.node.params.name == "matmul" for s in stages(m))
    np.testing.assert_allclose(m.compute(), (x @ y)[1:, ::-1] + 1, rtol=1e-13)


def test_outer_products_with_new_axes_are_one_kernel():
    x, y = seeded_rand(6, 7), seeded_rand(7, 5)
    X, Y = la.array(x), la.array(y)
    e = X[:, None] * Y[None, :] - X[::-1, np.newaxis]
    assert len(plan([e._node])) == 1
    assert_same(e.compute(), x[:, None] * y[None, :] - x[::-1, np.newaxis])


def test_iteration_len_and_in():
    x = np.arange(12).reshape(3, 4)
    rows = list(la.array(x) * 2)
    assert len(rows) == 3
    for got, want in zip(rows, x * 2):
        assert_same(got.compute(), want)
    assert 22 in la.array(x) * 2 and 23 not in la.array(x) * 2
    with pytest.raises(TypeError, match="0-d"):
        iter(la.array(np.float64(1.0) * np.ones(()))).__next__()


# --- random keys ------------------------------------------------------------------------------------------------

@st.composite
def shapes_and_keys(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    entries = []
    axes = list(shape)
    ellipsis = False
    while axes or draw(st.booleans()):
        choice = draw(st.sampled_from(["int", "slice", "slice", "none", "ellipsis"] if axes else ["none", "end"]))
        if choice == "end":
            break
        if choice == "int" and axes[0] > 0:
            entries.append(draw(st.integers(-axes[0], axes[0] - 1)))
            axes.pop(0)
        elif choice in ("slice", "int"):
            bound = st.one_of(st.none(), st.integers(-7, 7))
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0)))
            entries.append(slice(draw(bound), draw(bound), step))
            axes.pop(0)
        elif choice == "none":
            if sum(e is None for e in entries) < 2:
                entries.append(None)
        elif not ellipsis:
            entries.append(Ellipsis)
            ellipsis = True
            axes = axes[draw(st.integers(0, len(axes))):]
        if len(entries) > 6:
            break
    operand_shape = tuple(draw(st.sampled_from([d, 1])) for d in shape)[draw(st.integers(0, len(shape))):]
    return shape, tuple(entries), operand_shape


@settings(max_examples=int(os.environ.get("LAZYARR_HYPOTHESIS_EXAMPLES", "30")) * 5, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(shapes_and_keys())
def test_random_basic_keys_match_numpy(case):
    shape, key, operand_shape = case
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    y = rng.standard_normal(operand_shape)
    assert_same(computed(la.array(x)[key]), x[key], what=f"{shape}[{key!r}]")
    e = (la.array(x) * 2 + la.array(y))[key]
    assert not stages(e)
    assert_same(e.compute(), (x * 2 + y)[key], what=f"({shape} * 2 + {operand_shape})[{key!r}]")


# --- advanced indexing ------------------------------------------------------------------------------------------

ADVANCED_KEYS = [
    [0, 2, -1], np.array([[1, 0], [3, 3]]), (slice(None), [4, 0]), ([1, 2], [0, 4]), (Ellipsis, [5, 0, 1]),
    ([0, 3], slice(None), [1, 2]), (1, slice(None), [0, 5]), ([[0], [2]], [1, 3]), (None, [2, 1], 1),
    [], np.array([], dtype=np.intp), (slice(1, 3), [0, 0, 4], slice(None, None, -2)), np.array(2),
    True, False, (0, True),
]


def _masks(x):
    return [x > 0, (x > 0)[:, :, 0], (slice(None), (x > 0)[0, :, 0]), (Ellipsis, np.arange(6) % 2 == 0),
            ((x > 0)[:, 0, 0], 2), np.zeros(x.shape, bool)]


@pytest.mark.parametrize("dtype", ["f8", "i1", "c16"])
def test_advanced_keys_on_inputs_and_expressions(dtype):
    x = _values(SHAPE, dtype)
    X = la.array(x)
    e, want_e = X * 3, x * 3
    for key in ADVANCED_KEYS + _masks(x.real if x.dtype.kind == "c" else x):
        assert_same(X[key].compute(), x[key], what=repr(key))
        got = e[key]
        assert stages(got) or got.size == 0, "a gather is a NumPy stage (an empty result computes nothing)"
        assert_same(got.compute(), want_e[key], what=repr(key))


def test_a_gather_feeds_the_next_kernel_and_keeps_its_own_index_copy():
    x = seeded_rand(8, 10, 3)
    index = np.array([3, 1, 4, 1, 5])
    mask = x[:, 0] > 0.5
    X = la.array(x)
    e = la.sqrt(X[index] * 2 + 1)
    m = X[mask, 1:] + X[mask, :-1]
    want, want_m = np.sqrt(x[index] * 2 + 1), x[mask, 1:] + x[mask, :-1]
    index[:] = 0  # the expression was built with the old index values
    mask[:] = True
    assert [type(s) for s in plan([e._node])] == [Stage, MapKernel]
    assert_same(e.compute(), want)
    assert_same(m.compute(), want_m)


def test_advanced_indexing_errors_are_numpys_at_build_time():
    X = la.array(np.zeros((4, 5)))
    with pytest.raises(IndexError, match="lazyarr.*out of bounds"):
        X[[0, 4]]
    with pytest.raises(IndexError, match="lazyarr.*boolean index did not match"):
        X[np.ones(3, bool)]
    with pytest.raises(IndexError, match="lazyarr.*shape mismatch"):
        X[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="lazyarr.*integer"):
        X[np.array([1.0])]


# --- errors -----------------------------------------------------------------------------------------------------

def test_errors_are_numpys_type_and_raised_when_built():
    x = np.zeros((3, 4))
    X = la.array(x) + 1  # an expression: nothing may be computed to raise these
    cases = [
        (IndexError, (3,)), (IndexError, (0, -5)), (IndexError, (0, 0, 0)), (IndexError, (Ellipsis, 1, Ellipsis)),
        (IndexError, 1.0), (IndexError, "a"), (TypeError, slice(1.0, 2)),
    ]
    for kind, key in cases:
        with pytest.raises(kind) as numpy_error:
            x[key]
        with pytest.raises(kind, match="lazyarr: indexing an array of shape") as ours:
            X[key]
        assert str(numpy_error.value) in str(ours.value)


def test_lazy_masks_and_assignment_are_refused_lazy_integer_indices_gather():
    x = seeded_rand(9, 5)
    X = la.array(x)
    assert_same(X[X > 0.5].compute(), x[x > 0.5])  # a lazy boolean mask is computed there (surface/search)
    assert_same(np.asarray(X[X.argmax()]), np.asarray(x[x.argmax()]))  # (#13: an integer index may be lazy)
    with pytest.raises(IndexError, match="lazyarr.*integer"):
        X[[X[0], 1]]  # a float index, as NumPy refuses it
    before = x.copy()
    X[0] = 1.0  # assignment rebinds X (tests/test_assign.py); the input is not written
    expected = x.copy()
    expected[0] = 1.0
    assert_same(X.compute(), expected)
    assert_same(x, before)


def test_indexing_never_copies_or_writes_a_large_input():
    big = seeded_rand(10, 1_000_000)
    before = big.copy()
    e = la.array(big)[::-3][10:]
    assert np.shares_memory(e._node.data, big) and not e._node.data.flags.writeable
    assert_same(e.compute(), big[::-3][10:])
    assert np.array_equal(big, before)


# --- reshaping --------------------------------------------------------------------------------------------------

def test_reshape_of_inputs_is_numpys():
    x = np.arange(24.0).reshape(4, 6)
    X = la.array(x)
    for shape in [(6, 4), (2, -1), (-1,), (24, 1), (1, 2, 3, 4), (3, -1, 2)]:
        assert_same(X.reshape(shape).compute(), x.reshape(shape))
        assert_same(X.reshape(*shape).compute(), x.reshape(*shape))
        assert_same(np.reshape(X, shape).compute(), np.reshape(x, shape))
        assert_same(la.reshape(X, shape).compute(), np.reshape(x, shape))
        assert_same(X.reshape(shape, order="F").compute(), x.reshape(shape, order="F"))
    assert np.shares_memory(X.reshape(3, 8)._node.data, x)  # a view where NumPy gives one
    t = x.T
    T = la.array(t)
    assert_same(T.reshape(-1).compute(), t.reshape(-1))  # NumPy copies: a stage, values the same
    assert_same(T.reshape(-1, order="F").compute(), t.reshape(-1, order="F"))
    for want in [np.float64(0) * np.ones(()), np.ones((0, 3))]:
        assert_same(la.array(want).reshape(-1).compute(), want.reshape(-1))
    assert_same(la.array(np.ones(())).reshape(1, 1).compute(), np.ones(()).reshape(1, 1))
    assert_same(la.array(np.ones((0, 3))).reshape(3, 0, 5).compute(), np.ones((0, 3)).reshape(3, 0, 5))


def test_reshape_errors_are_numpys():
    x = np.zeros((4, 6))
    X = la.array(x) * 2
    for shape in [(5, 5), (-1, -1), (7, -1), (2, -1, 5)]:
        with pytest.raises(ValueError) as numpy_error:
            x.reshape(shape)
        with pytest.raises(ValueError, match="lazyarr: reshape") as ours:
            X.reshape(shape)
        assert str(numpy_error.value) in str(ours.value)
    with pytest.raises(TypeError, match="lazyarr: reshape.*float"):
        X.reshape(2.0, 12)
    with pytest.raises(TypeError, match="lazyarr.*order='C'"):
        X.reshape(-1, order="A")
    with pytest.raises(ValueError, match="lazyarr.*order"):
        X.reshape(-1, order="X")


def test_reshape_fuses_when_nothing_is_broadcast():
    rng = np.random.default_rng(2)
    x, y, row = rng.random((4, 6)), rng.random((4, 6)), rng.random(6)
    X, Y, R = la.array(x), la.array(y), la.array(row)
    e = (X * 2 + la.sin(Y)).reshape(3, 8)
    assert len(plan([e._node])) == 1
    assert_same(e.compute(), (x * 2 + np.sin(y)).reshape(3, 8), ulp=1)
    b = (X + R).reshape(-1)  # broadcast operand: computed whole, then reshaped
    assert [type(s) for s in plan([b._node])] == [MapKernel, Stage]
    assert_same(b.compute(), (x + row).reshape(-1))
    u = (X + R).reshape(1, 4, 1, 6)  # length-1 axes only: basic indexing, pushed whatever is broadcast
    assert len(plan([u._node])) == 1
    assert_same(u.compute(), (x + row).reshape(1, 4, 1, 6))
    f = (X * 2 + la.sin(Y)).reshape(8, 3, order="F") * 3  # NumPy copies the inputs here; so does lazyarr
    assert len(kernels(f)) == 1
    assert_same(f.compute(), (x * 2 + np.sin(y)).reshape(8, 3, order="F") * 3, ulp=1)
    s = X.sum(axis=0).reshape(2, 3)
    np.testing.assert_allclose(s.compute(), x.sum(axis=0).reshape(2, 3), rtol=1e-14)


def test_ravel_flatten_squeeze_expand_dims():
    x = seeded_rand(11, 1, 4, 1, 3)
    X = la.array(x)
    assert_same(X.ravel().compute(), x.ravel())
    assert_same(np.ravel(X).compute(), np.ravel(x))
    assert_same(la.ravel(X, order="F").compute(), np.ravel(x, order="F"))
    flat = X.flatten()
    assert_same(flat.compute(), x.flatten())
    assert not np.shares_memory(flat.compute(), x)  # flatten is always a copy
    for axis in [None, 0, 2, (0, 2), -2]:
        assert_same(X.squeeze(axis).compute(), x.squeeze(axis))
        assert_same(np.squeeze(X * 2, axis).compute(), np.squeeze(x * 2, axis))
        assert_same(la.squeeze(X, axis=axis).compute(), np.squeeze(x, axis=axis))
    with pytest.raises(ValueError, match="lazyarr: squeeze"):
        X.squeeze(1)
    with pytest.raises(np.exceptions.AxisError):
        X.squeeze(4)
    for axis in [0, -1, (0, 3), (1, -1)]:
        assert_same(np.expand_dims(X, axis).compute(), np.expand_dims(x, axis))
        assert_same(la.expand_dims(X + 1, axis).compute(), np.expand_dims(x + 1, axis))
    with pytest.raises(np.exceptions.AxisError):
        np.expand_dims(X, 6)
    with pytest.raises(ValueError, match="repeated"):
        np.expand_dims(X, (0, 0))


def test_broadcast_to():
    rng = np.random.default_rng(3)
    row, column = rng.random(4), rng.random((3, 1))
    R, C = la.array(row), la.array(column)
    e = np.broadcast_to(R * 2 + 1, (3, 4))
    assert len(plan([e._node])) == 1
    assert_same(e.compute(), np.broadcast_to(row * 2 + 1, (3, 4)))
    assert_same(la.broadcast_to(R + C, (2, 3, 4)).compute(), np.broadcast_to(row + column, (2, 3, 4)))
    s = np.broadcast_to(C.sum(axis=0), (5, 1))  # not elementwise: computed once, then a view
    assert_same(s.compute(), np.broadcast_to(column.sum(axis=0), (5, 1)))
    with pytest.raises(ValueError, match="lazyarr: broadcast_to"):
        np.broadcast_to(R, (3, 5))
    assert_same(np.broadcast_to(R, (0, 4)).compute(), np.broadcast_to(row, (0, 4)))
