"""The ``bcast:`` layout (issue #14, "broadcast-invariant work once"): a map kernel over arrays that are broadcast
against each other, each C-contiguous at its own shape, reads each array at its own shape, at index 0 along the
axes it is broadcast over. Such reads are loop-invariant in the inner loop and the others have unit stride, so
the inner loop vectorises (haversine between a (n, 1) and a (1, n) point set). Anything else (strided, reversed,
transposed operands) keeps the general ``nd`` layout. Values are NumPy's in every case.

Few kernels: float64 `a * b + c` and one vector function, small shapes, both layouts.
"""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from oracle import assert_same

pytestmark = pytest.mark.filterwarnings("error")

N, M = 37, 29


def _data(shape, seed: int, dtype=np.float64) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2.0, 2.0, shape).astype(dtype)


def _fma(a, b, c):
    return a * b + c


def _sin_fma(a, b, c):
    return np.sin(a) * b + c


@pytest.mark.parametrize("parallel", [True, False], ids=["parallel", "serial"])
def test_outer_broadcast_reads_each_operand_at_its_own_shape(parallel, parallel_threshold):
    parallel_threshold(0 if parallel else 1 << 62)
    a, b, c = _data((N, 1), 0), _data((1, M), 1), _data((M,), 2)
    expr = _fma(la.array(a), la.array(b), la.array(c))
    source = expr.explain()
    assert "layout=bcast:10,01,01" in source
    assert "in0[np.uint64(i0), np.uint64(0)]" in source  # invariant along the inner axis
    assert "in1[np.uint64(0), np.uint64(i1)]" in source  # unit stride along it
    assert "types.Array(types.float64, 2, 'C', readonly=True)" in source
    assert_same(expr.compute(), _fma(a, b, c))


def test_vector_functions_over_broadcast_operands_match_numpy(parallel_threshold):
    """The blocked vector loop (fast pass, then the exact pass where a block has a value the vector code does
    not cover: inf and NaN here) over broadcast operands."""
    parallel_threshold(0)
    a, b, c = _data((N, 1), 3), _data((1, M), 4), _data((N, M), 5)
    a[3, 0], a[5, 0] = np.inf, np.nan
    got = _sin_fma(la.array(a), la.array(b), la.array(c))
    assert "layout=bcast:10,01,11" in got.explain()
    with np.errstate(invalid="ignore"):
        want = _sin_fma(a, b, c)
    assert_same(got.compute(), want, ulp=2)


@pytest.mark.parametrize("what, shapes", [
    ("3-d, middle axis broadcast", [(5, 1, 7), (4, 1), (7,)]),
    ("3-d, first two axes broadcast", [(1, 1, 7), (5, 4, 1), (5, 4, 7)]),
    ("0-d operand", [(), (N, 1), (1, M)]),
])
def test_other_broadcast_patterns(what, shapes, parallel_threshold):
    parallel_threshold(0)
    a, b, c = (_data(s, 10 + j) for j, s in enumerate(shapes))
    got = _fma(la.array(a), la.array(b), la.array(c))
    assert "layout=bcast:" in got.explain(), what
    assert_same(got.compute(), _fma(a, b, c), what=what)


@pytest.mark.parametrize("what, make", [
    ("reversed operand", lambda x: x[::-1]),
    ("strided operand", lambda x: np.repeat(x, 2, axis=0)[::2]),
    ("a column of a matrix", lambda x: np.repeat(x, 3, axis=1)[:, 1:2]),  # pos[:, None, 0] of nbody
])
def test_small_broadcast_operands_not_contiguous_are_copied_into_the_bcast_layout(what, make, parallel_threshold):
    # (compiler/layout.SMALL_BROADCAST) through the nd layout's zero-stride views the inner loop did not
    # vectorise (nbody's `r2 ** -1.5`: 54 against 6 ms); the copy costs O(N), the loop O(N * M)
    parallel_threshold(0)
    a, b, c = make(_data((N, 1), 20)), _data((1, M), 21), _data((M,), 22)
    assert not a.flags.c_contiguous
    before = a.copy()
    got = _fma(la.array(a), la.array(b), la.array(c))
    assert "layout=bcast:10,01,01" in got.explain(), what
    assert_same(got.compute(), _fma(a, b, c), what=what)
    assert_same(a, before)  # the operand itself is untouched (a copy is passed)
    f = la.fuse(_sin_fma)  # a fused function's per-call converters copy it too
    assert_same(f(a, b, c), _sin_fma(a, b, c), what=what, ulp=1)


@pytest.mark.parametrize("what, make", [
    ("reversed operand", lambda x: x[::-1]),
    ("strided operand", lambda x: np.repeat(x, 2, axis=0)[::2]),
])
def test_full_size_operands_not_contiguous_keep_the_nd_layout(what, make, parallel_threshold):
    parallel_threshold(0)
    a, b, c = make(_data((N, M), 20)), _data((1, M), 21), _data((M,), 22)
    got = _fma(la.array(a), la.array(b), la.array(c))
    assert "layout=nd" in got.explain(), what
    assert_same(got.compute(), _fma(a, b, c), what=what)


def test_float16_and_int_operands(parallel_threshold):
    parallel_threshold(0)
    a = _data((N, 1), 30, np.float16)
    b = np.arange(M, dtype=np.int64).reshape(1, M)
    got = (la.array(a) * la.array(b)).compute()
    assert_same(got, a * b)


def test_fused_function_with_broadcast_arguments(parallel_threshold):
    """@la.fuse decides the layout on its first call; a call with other strides is another signature."""
    parallel_threshold(0)
    f = la.fuse(_fma)
    a, b, c = _data((N, 1), 40), _data((1, M), 41), _data((M,), 42)
    for _ in range(2):
        assert_same(f(a, b, c), _fma(a, b, c))
    b_reversed = b[:, ::-1]
    assert_same(f(a, b_reversed, c), _fma(a, b_reversed, c))
    assert_same(f(a, b, c), _fma(a, b, c))


def test_writes_into_a_strided_out_buffer(parallel_threshold):
    parallel_threshold(0)
    a, b, c = _data((N, 1), 50), _data((1, M), 51), _data((M,), 52)
    out = np.zeros((N, 2 * M))[:, ::2]
    result = _fma(la.array(a), la.array(b), la.array(c)).compute(out=out)
    assert result is out
    assert_same(out, _fma(a, b, c))


def test_a_hoisted_0d_value_in_a_1d_loop_is_read_once_not_through_the_nd_layout():
    """(s15) A traced number through a library call (scipy.stats' t.pdf with a shape parameter: poch, log of df)
    is hoisted and reaches the 1-d kernel as a 0-d array; that sent the kernel to the n-d layout (fused t.pdf
    ~4x the CPU it takes now). It is a ``bcast:`` operand read at index 0."""
    from lazyarr.compiler.layout import layout_of
    assert layout_of([np.ones(5), np.ones(())], (5,)) == ("bcast:1,0", "C")
    assert layout_of([np.ones(5), np.ones(5)[::-1]], (5,)) == ("nd", "C")  # strided 1-d: still nd
    import scipy.special as sc

    def scaled(x, k):
        return np.exp(-x * x) * sc.gamma(k) + np.log(k)

    f = la.fuse(scaled)
    x = _data(3000, 15)
    for k in (3.5, 1.5):  # (log k > 0: no cancellation to magnify the ULPs of exp)
        assert_same(f(x, k), scaled(x, k), ulp=4)  # (exp: vector math within a few ULP)
    assert "layout=bcast:" in f.explain(x, 3.5)
