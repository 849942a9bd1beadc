"""Property-based: random expression trees over drawn dtypes, broadcastable shapes and Python scalars, built
once and evaluated twice, by NumPy and by lazyarr. Exact-op trees must agree bit for bit (or raise the same
error at build time); trees with transcendental functions must agree to rounding."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import lazyarr as la
from oracle import assert_same
from values import sample

DTYPES = [np.dtype(c) for c in ("?", "i1", "i4", "i8", "u1", "u2", "u8", "f4", "f8", "c16")]
EXACT_BINARY = [np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.floor_divide, np.remainder,
                np.less, np.not_equal, np.bitwise_and, np.bitwise_xor, np.divide]
EXACT_UNARY = [np.negative, np.absolute, np.square, np.sqrt, np.floor, np.logical_not, np.sign]
TRANSCENDENTAL_UNARY = [np.sin, np.exp, np.log1p, np.tanh, np.arctan, np.cbrt]
SCALARS = st.one_of(st.integers(-300, 300), st.floats(-1e3, 1e3, allow_nan=False, width=32), st.booleans())

SETTINGS = settings(max_examples=int(__import__("os").environ.get("LAZYARR_HYPOTHESIS_EXAMPLES", "30")),
                    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def trees(unary_ops, binary_ops, n_leaves: int):
    """A tree is a nested tuple: ('leaf', i) | ('scalar', v) | (ufunc, child, ...) | ('where', c, x, y)."""
    leaf = st.one_of(st.integers(0, n_leaves - 1).map(lambda i: ("leaf", i)), SCALARS.map(lambda v: ("scalar", v)))

    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(unary_ops), children),
            st.tuples(st.sampled_from(binary_ops), children, children),
            st.tuples(st.just("where"), children, children, children),
        )
    return st.recursive(leaf, extend, max_leaves=8)


def evaluate(tree, leaves, where):
    kind = tree[0]
    if kind == "leaf":
        return leaves[tree[1]]
    if kind == "scalar":
        return tree[1]
    args = [evaluate(t, leaves, where) for t in tree[1:]]
    return where(*args) if kind == "where" else kind(*args)


def both(tree, arrays):
    """(NumPy's result or exception type, lazyarr's result or exception type)."""
    def run(leaves, where, finish):
        try:
            with np.errstate(all="ignore"):
                return finish(evaluate(tree, leaves, where))
        except (TypeError, ValueError, OverflowError) as exc:
            return type(exc) if not isinstance(exc, TypeError) else TypeError
    want = run(arrays, np.where, lambda r: r)
    got = run([la.array(a) for a in arrays], la.where,
              lambda r: r.compute() if isinstance(r, la.LazyArray) else r)
    return want, got


@st.composite
def inputs(draw, n_leaves=3):
    shapes = draw(mutually_broadcastable_shapes(num_shapes=n_leaves, min_dims=0, max_dims=3, max_side=4))
    arrays = []
    for i, shape in enumerate(shapes.input_shapes):
        dt = draw(st.sampled_from(DTYPES))
        size = int(np.prod(shape))
        values = sample(dt, max(size, 1), seed=draw(st.integers(0, 1000)) + 1)[:size].reshape(shape)
        if draw(st.booleans()) and values.ndim:
            values = values[..., ::-1]  # a reversed view now and then
        arrays.append(values)
    return arrays


@SETTINGS
@given(inputs(), trees(EXACT_UNARY, EXACT_BINARY, 3))
def test_exact_trees_match_numpy_bit_for_bit(arrays, tree):
    want, got = both(tree, arrays)
    if isinstance(want, type):
        assert got is want, f"NumPy raised {want.__name__}, lazyarr gave {got!r}"
        return
    assert not isinstance(got, type), f"lazyarr raised {got.__name__}, NumPy gave {want!r}"
    if np.ndim(want) == 0:
        # NumPy itself gives a scalar from a ufunc and a 0-d array from np.where: compare values, not wrappers.
        got, want = np.asarray(got), np.asarray(want)
    assert_same(got, want, what=repr(tree))


@SETTINGS
@given(inputs(), trees(TRANSCENDENTAL_UNARY + EXACT_UNARY[:3], [np.add, np.multiply, np.subtract], 3))
def test_transcendental_trees_match_numpy_to_rounding(arrays, tree):
    arrays = [a.astype(np.float64) if a.dtype.kind not in "fc" else a for a in arrays]
    want, got = both(tree, arrays)
    if isinstance(want, type):
        assert got is want
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    rtol = 1e-3 if want.dtype in (np.float32, np.complex64) else 1e-9
    finite = np.isfinite(want)
    scale = np.max(np.abs(want[finite]), initial=1.0)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=rtol * scale)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
