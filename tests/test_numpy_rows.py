"""(#15 covcos) A bare argmax/argmin along the last axis of a computed array runs as NumPy's own loop over row
blocks in parallel (runtime/numpy_rows.py): NumPy's answer bit for bit (NaN, ties, -0.0, ints, bools), in both
lazy and fused programs; a read-only leaf, producer work or one thread keep the generated kernel.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import ReduceKernel, plan
from lazyarr.runtime import after_blas, numpy_rows

ROWS, COLS = 256, 24


@pytest.fixture(autouse=True)
def _blocks_after_products(monkeypatch):
    # (#15 postblas) these products are small, so the argmax right after them would take one block on the
    # calling thread (runtime/after_blas.py, tests/test_after_blas.py); here the row blocks are the point
    monkeypatch.setattr(after_blas, "SMALL_BYTES", -1)
    monkeypatch.setattr(after_blas, "SMALL_READ_BYTES", -1)  # (s13 blasprog) the argmax's own budget


def _matrix(seed=5):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((ROWS, COLS))
    x[3, 5] = np.nan
    x[7, :] = -np.inf
    x[9, :] = 0.0
    x[9, 4] = -0.0
    x[11, 2] = x[11, 17] = 9.0
    x[12, :] = np.nan
    return x


def _product_then(name, x):
    # x @ I: a matmul stage's (writeable) output, then the bare reduction, as in cosine_similarity
    return getattr(la.array(x) @ np.eye(COLS), name)(axis=1)


def _count(monkeypatch) -> list:
    calls = []
    original = numpy_rows.run
    monkeypatch.setattr(numpy_rows, "run", lambda *a: calls.append(1) or original(*a))
    return calls


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_values_bit_for_bit(name, parallel_threshold, monkeypatch):
    parallel_threshold(0)
    calls = _count(monkeypatch)
    x = _matrix()
    want = getattr(x @ np.eye(COLS), name)(axis=1)
    with la.num_threads(2):
        got = np.asarray(_product_then(name, x))
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert calls == [1]


def test_ints_bools_and_keepdims(parallel_threshold, monkeypatch):
    parallel_threshold(0)
    calls = _count(monkeypatch)
    rng = np.random.default_rng(1)
    xi = rng.integers(-3, 3, (ROWS, COLS))
    with la.num_threads(2):
        got = np.asarray((la.array(xi) @ np.eye(COLS, dtype=np.int64)).argmax(axis=-1, keepdims=True))
        xb = xi > 1
        got_b = np.asarray((la.array(xb) @ np.eye(COLS, dtype=bool)).argmin(axis=1))
    assert np.array_equal(got, (xi @ np.eye(COLS, dtype=np.int64)).argmax(axis=-1, keepdims=True))
    assert np.array_equal(got_b, (xb @ np.eye(COLS, dtype=bool)).argmin(axis=1))
    assert len(calls) == 2


def test_fuse_and_explain(parallel_threshold, monkeypatch):
    parallel_threshold(0)
    calls = _count(monkeypatch)

    def best(a, b):
        sim = a @ b.T
        return sim, sim.argmax(axis=1)

    x, y = _matrix(), _matrix(6)
    with la.num_threads(2):
        sim, idx = la.fuse(best)(x, y)
        text = la.fuse(best).explain(x, y)
    assert np.array_equal(idx, (x @ y.T).argmax(axis=1)) and calls
    assert "NumPy's own (SIMD) loop over 2 blocks of rows" in text


def test_kernel_kept_for_leaves_producers_and_one_thread(parallel_threshold, monkeypatch):
    parallel_threshold(0)
    calls = _count(monkeypatch)
    x = _matrix()
    with la.num_threads(2):
        assert np.array_equal(np.asarray(la.array(x).argmax(axis=1)), x.argmax(axis=1))  # a read-only leaf
        assert np.array_equal(np.asarray((la.array(x) * 2).argmax(axis=1)), (x * 2).argmax(axis=1))
    with la.num_threads(1):
        assert np.array_equal(np.asarray(_product_then("argmax", x)), (x @ np.eye(COLS)).argmax(axis=1))
    assert calls == []
    steps = plan([(la.array(x) * 2).argmax(axis=1)._node])
    assert [type(s) for s in steps] == [ReduceKernel]
