"""Creation functions (lazyarr/api/creation.py) and lazy integer indices (api/indexing.py) against NumPy: dtype,
shape and bit-equal values; generators fuse into their consumers and read no memory; errors are NumPy's types.

Compile time dominates: the sequences share a few graph structures (float64 and int64 arange, linspace),
constant fills compute in one copy kernel per dtype, and the arrays are small except where the parallel path
is the point.
"""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, Stage, plan
from lazyarr.graph.expr import LEAF, walk
from oracle import assert_same, libm, ulp_distance


def same(got, want, what=""):
    assert isinstance(got, la.LazyArray), f"{what}: not lazy: {type(got).__name__}"
    assert_same(got.compute(), want, what=what)


def array_leaves(e) -> list:
    return [n for n in walk([e._node]) if n.op == LEAF]


# --- sequences: NumPy's exact values ---------------------------------------------------------------------

ARANGE = [(7,), (0, 5.0), (2, 11, 3), (10, 0, -3), (0.5, 4, 1), (1, 2, 0.3), (0.1, 10, 0.3), (-0.0, 3.0),
          (np.float32(0), 5), (np.int8(0), 5), (0, 100, 7), (-5, 5, 2.5), (3,), (0, 1), (5, 1)]


@pytest.mark.parametrize("args", ARANGE, ids=repr)
def test_arange_is_numpys(args):
    same(la.arange(*args), np.arange(*args), f"arange{args}")


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.float32])
def test_arange_in_a_given_dtype_wraps_and_rounds_as_numpy(dtype):
    same(la.arange(0, 300, 7, dtype=dtype) if dtype != np.float32 else la.arange(0.1, 30, 0.7, dtype=dtype),
         np.arange(0, 300, 7, dtype=dtype) if dtype != np.float32 else np.arange(0.1, 30, 0.7, dtype=dtype))


LINSPACE = [((0, 1, 100), {}), ((0, 10, 7), {"dtype": np.float32}), ((1, np.float32(2), 11), {}),
            ((0, 1, 5), {"endpoint": False}), ((5, -3, 9), {"dtype": int}), ((0, 1e-320, 5), {}),
            ((2, 3, 1), {}), ((2, 3, 0), {}), ((-1.5, 7.25, 33), {})]


@pytest.mark.parametrize("args,kwargs", LINSPACE, ids=repr)
def test_linspace_is_numpys(args, kwargs):
    same(la.linspace(*args, **kwargs), np.linspace(*args, **kwargs), f"linspace{args}{kwargs}")


def test_linspace_retstep_and_array_endpoints():
    got, step = la.linspace(0, 1, 7, retstep=True)
    want, want_step = np.linspace(0, 1, 7, retstep=True)
    same(got, want)
    assert step == want_step and type(step) is type(want_step)
    start, stop = np.array([0.0, 1.0]), np.array([1.0, 3.0])  # arrays: NumPy computes, the result is lazy
    same(la.linspace(start, stop, 4, axis=1), np.linspace(start, stop, 4, axis=1))


@pytest.mark.parametrize("base, endpoint", [(10.0, True), (2.0, False)])
def test_logspace_is_numpys(base, endpoint):
    # base ** linspace: NumPy's power loop is libm's pow, but SVML-like on AVX-512 machines (within 1 ULP of it);
    # lazyarr's power is the C library's, so the exact reference is libm over NumPy's own linspace
    got, want = la.logspace(0, 3, 13, base=base, endpoint=endpoint), np.logspace(0, 3, 13, base=base, endpoint=endpoint)
    same(got, libm("power", np.full(13, base), np.linspace(0, 3, 13, endpoint=endpoint)), what="logspace")
    assert ulp_distance(got.compute(), want).max() <= 1


def _geomspace_by_libm(start: float, stop: float, num: int, dtype) -> np.ndarray:
    # NumPy's steps (10 ** linspace of the logs, the ends put back exactly, the sign) with the C library's pow
    sign = np.sign(start)
    powers = libm("power", np.full(num, 10.0), np.linspace(np.log10(start / sign), np.log10(stop / sign), num))
    powers[0], powers[-1] = start / sign, stop / sign
    return (powers.astype(dtype) * dtype(sign)).astype(dtype)


@pytest.mark.parametrize("start, stop, num, dtype", [(1, 1000, 13, np.float64), (-2, -1000, 9, np.float32)])
def test_geomspace_is_numpys(start, stop, num, dtype):
    got = la.geomspace(start, stop, num, dtype=dtype)
    same(got, _geomspace_by_libm(start, stop, num, dtype), what="geomspace")
    assert ulp_distance(got.compute(), np.geomspace(start, stop, num, dtype=dtype)).max() <= 1


def test_complex_geomspace_is_numpys():
    same(la.geomspace(1j, 1000j, 4), np.geomspace(1j, 1000j, 4))  # complex: NumPy's, wrapped


@pytest.mark.parametrize("call", [
    lambda m: m.eye(4), lambda m: m.eye(3, 5, k=2, dtype=int), lambda m: m.eye(3, 5, k=-9),
    lambda m: m.identity(3, dtype=bool), lambda m: m.tri(4, 3, k=-1), lambda m: m.tri(3, dtype=int),
    lambda m: m.indices((2, 3)), lambda m: m.eye(0, 3),
], ids=["eye", "eye k", "eye far k", "identity", "tri", "tri int", "indices", "empty eye"])
def test_matrices_are_numpys(call):
    same(call(la), call(np))


def test_sparse_indices_are_numpys():
    for got, want in zip(la.indices((2, 3), sparse=True), np.indices((2, 3), sparse=True)):
        same(got, want)


# --- constant fills --------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: m.zeros((2, 3)), lambda m: m.ones(4, dtype=np.int64), lambda m: m.full((2, 2), 7.5, dtype=int),
    lambda m: m.full(3, np.float32(2)), lambda m: m.full((2, 3), [1.0, 2.0, 3.0]), lambda m: m.ones((0, 2)),
    lambda m: m.full(2, True),
], ids=["zeros", "ones int", "full cast", "full float32", "full row", "empty shape", "full bool"])
def test_fills_are_numpys(call):
    same(call(la), call(np))


def test_empty_is_zeros_of_its_dtype():
    got = la.empty((2, 2), dtype=np.int64).compute()
    assert got.dtype == np.int64 and got.shape == (2, 2)


def test_like_functions_on_a_lazy_array():
    x = np.arange(6.0).reshape(2, 3)
    X = la.array(x)
    same(np.zeros_like(X), np.zeros_like(x))
    same(np.ones_like(X, dtype=np.int64), np.ones_like(x, dtype=np.int64))
    same(np.full_like(X, 3, dtype=np.float32, shape=4), np.full_like(x, 3, dtype=np.float32, shape=4))
    same(np.empty_like(X) * 0, np.zeros_like(x))


def test_like_keyword_dispatches_to_lazyarr():
    X = la.array(np.ones(3))
    for call in (lambda m, **k: m.arange(5, **k), lambda m, **k: m.eye(3, **k), lambda m, **k: m.ones(2, **k),
                 lambda m, **k: m.asarray([1, 2], **k), lambda m, **k: m.array([1.5], ndmin=2, **k)):
        same(call(np, like=X), call(np))


def test_a_fill_is_a_broadcast_constant():
    e = la.zeros((1000, 1000)) + 1
    assert not array_leaves(e)  # no array at all: a copy of one scalar
    (kernel,) = plan([e._node])
    assert isinstance(kernel, MapKernel) and not kernel.inputs and kernel.consts


# --- generators fuse and read no memory ----------------------------------------------------------------

def test_sin_of_arange_sum_reads_no_memory(parallel_threshold):
    parallel_threshold(1000)
    n = 100_000
    e = np.sin(la.arange(n) * 1e-4).sum()
    steps = plan([e._node])
    assert len(steps) == 1 and isinstance(steps[0], ReduceKernel) and not steps[0].inputs
    assert not array_leaves(e)
    assert "iota" in e.explain()
    assert_same(e.compute(), np.sin(np.arange(n) * 1e-4).sum(), ulp=4)


def test_a_linspace_fuses_with_its_consumer():
    x = np.linspace(-1, 1, 50)
    e = la.array(x) * la.linspace(0, 1, 50) + la.arange(50)
    (kernel,) = plan([e._node])
    assert [n.data.size for n in kernel.inputs] == [50]  # x only: the sequences are generated
    same(e, x * np.linspace(0, 1, 50) + np.arange(50))


def test_a_2d_generator_reads_its_axes_not_its_elements():
    e = la.eye(300) * 2.0
    steps = plan([e._node])
    kernels = [s for s in steps if isinstance(s, MapKernel) and s.shape == (300, 300)]
    assert len(kernels) == 1
    assert all(n.size <= 300 for n in kernels[0].inputs)  # two position vectors, not a 300 x 300 array
    same(e, np.eye(300) * 2.0)


def test_generators_in_a_fused_function():
    @la.fuse
    def f(a):
        return np.sin(a * la.arange(a.shape[0])).sum()
    x = np.linspace(0, 1, 40)
    assert_same(f(x), np.sin(x * np.arange(40)).sum(), ulp=4)


# --- lazy integer indices ------------------------------------------------------------------------------

X = np.arange(20.0).reshape(4, 5)
IDX = np.array([3, -1, 0, 2])


@pytest.mark.parametrize("call", [
    lambda x, i: x[i], lambda x, i: x[i % 4 + 0], lambda x, i: x[:, i + 1], lambda x, i: x[i, i],
    lambda x, i: np.take(x, i, axis=1), lambda x, i: np.take(x, i + 7, axis=0, mode="wrap"),
    lambda x, i: np.take(x, i + 7, mode="clip"), lambda x, i: np.exp(x)[i].sum(axis=1),
], ids=["rows", "index expression", "columns", "pairs", "take", "take wrap", "take clip", "fused around"])
def test_lazy_integer_indices_gather_as_numpy(call):
    same(call(la.array(X), la.array(IDX)), call(X, IDX))


def test_log_probabilities_at_labels():
    logp = np.log(np.arange(1.0, 13.0).reshape(4, 3))
    labels = np.array([0, 2, 1, 1])
    e = -la.array(logp)[la.arange(4), la.array(labels)].mean()
    same(e, -logp[np.arange(4), labels].mean())


def test_take_along_axis_with_lazy_indices():
    order = np.argsort(X * [1, -1, 1, -1, 1], axis=1)
    same(np.take_along_axis(la.array(X), la.array(order), axis=1), np.take_along_axis(X, order, axis=1))


def test_out_of_range_lazy_index_raises_index_error_when_computed():
    e = la.array(X)[la.array(IDX) + 10]
    with pytest.raises(IndexError, match="lazyarr.*out of bounds"):
        e.compute()


def test_bad_lazy_indices_are_refused_when_built_masks_are_computed():
    with pytest.raises(IndexError, match="lazyarr.*integer"):
        la.array(X)[la.array(np.array([1.5]))]
    np.testing.assert_array_equal(la.array(X)[la.array(X) > 3].compute(), X[X > 3])  # a mask: computed there


# --- errors ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: m.arange(0, 10, 0), lambda m: m.arange(0, np.inf), lambda m: m.linspace(0, 1, -1),
    lambda m: m.zeros(-1), lambda m: m.geomspace(0, 1, 3), lambda m: m.eye(2, k=1.5), lambda m: m.ones((2, "a")),
    lambda m: m.full(3, 300, dtype=np.int8),
], ids=["arange step 0", "arange inf", "linspace negative", "zeros negative", "geomspace zero", "eye float k",
        "bad shape", "fill out of range"])
def test_errors_are_numpys(call):
    with pytest.raises(Exception) as want:
        call(np)
    with pytest.raises(type(want.value), match="lazyarr"):
        call(la)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_sequences_between_lazy_0d_ends_are_lazy(dtype):
    # (s18) np.linspace(x.min(), x.max(), n) of a LazyArray x: both ends asked at the call, as NumPy reads them,
    # and the sequence a lazy node (it was NumPy's array, made at once)
    x = np.array([3, 7, 1, 9, 4], dtype=dtype)
    lx = la.array(x)
    got = np.linspace(lx.min(), lx.max(), 9)
    assert not array_leaves(got)  # a generator: it reads no array (NumPy's would be one leaf)
    same(got, np.linspace(x.min(), x.max(), 9), "linspace")
    same(np.linspace(lx.min(), lx.max(), 9, endpoint=False), np.linspace(x.min(), x.max(), 9, endpoint=False),
         "linspace, no endpoint")
    got, step = np.linspace(lx.min(), lx.max(), 4, retstep=True)
    want, want_step = np.linspace(x.min(), x.max(), 4, retstep=True)
    same(got, want, "linspace retstep")
    assert step == want_step and type(step) is type(want_step)
    same(np.geomspace(lx.min(), lx.max(), 6), np.geomspace(x.min(), x.max(), 6), "geomspace")
