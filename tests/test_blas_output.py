"""(s16 blas) A BLAS product is written into a buffer from runtime/scratch.py (runtime/blas_output.py): NumPy's
bits for every operand layout (gemm, the transposed view, syrk), a dead intermediate's buffer or a dropped
result's buffer (``scratch.watch``) serves the next call's product, and a result anyone still holds (a name, a
view, a weak reference) is never written again. The size floors are lowered so small products exercise it."""
import gc
import weakref

import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import blas_output, scratch

ROWS, INNER = 96, 24


@pytest.fixture
def small_floors(small_scratch_pool, monkeypatch):
    """Every product here is big enough for the pool and to be watched; the small argmax results are not
    (s16 watch: every big result is watched, so the counts here would count theirs too)."""
    monkeypatch.setattr(scratch, "WATCH_MIN_BYTES", 4096)


def _rows(seed):
    return np.random.default_rng(seed).standard_normal((ROWS, INNER))


def _cosine(a, b):
    a_unit = a / np.linalg.norm(a, axis=1, keepdims=True)
    b_unit = b / np.linalg.norm(b, axis=1, keepdims=True)
    sim = a_unit @ b_unit.T
    return sim, sim.argmax(axis=1)


def _runner(mode, function):
    if mode == "fuse":
        return la.fuse(function)
    return lambda *args: la.compute(*function(*[la.array(a) for a in args]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("form", ["a @ b", "a @ b.T", "a.T @ a", "a.T @ b"])
def test_the_product_into_a_kept_buffer_has_numpys_bits(small_floors, form, dtype):
    rng = np.random.default_rng(5)
    a, b = (rng.standard_normal((ROWS, ROWS)).astype(dtype) for _ in range(2))
    if dtype == np.complex128:
        a, b = a + 1j * rng.standard_normal((ROWS, ROWS)), b - 0.5j * rng.standard_normal((ROWS, ROWS))
    function = {"a @ b": lambda a, b: (a + 1) @ b, "a @ b.T": lambda a, b: (a + 1) @ b.T,
                "a.T @ a": lambda a, b: (lambda t: t.T @ t)(a + 1), "a.T @ b": lambda a, b: a.T @ (b * 2)}[form]
    want = function(a, b)
    for mode in ("lazy", "fuse"):
        run = _runner(mode, lambda a, b: (function(a, b),))
        before = blas_output.counts["into_scratch"]
        for _ in range(3):  # (the later calls' products go into buffers kept or taken back)
            got = run(a, b)[0]
            assert got.dtype == want.dtype and np.array_equal(got, want), (mode, form)
            del got
        assert blas_output.counts["into_scratch"] >= before + 3


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
def test_a_dropped_result_serves_the_next_product(small_floors, mode):
    run = _runner(mode, _cosine)
    a, b = _rows(1), _rows(2)
    run(a, b)  # (fuse traces on its first call)
    first = run(a, b)
    address = first[0].ctypes.data
    del first
    taken = scratch.counts["taken_back"]
    second = run(a + 1.0, b)  # other values: the buffer is written again
    assert scratch.counts["taken_back"] == taken + 1
    assert second[0].ctypes.data == address
    want = _cosine(a + 1.0, b)
    assert np.array_equal(second[0], want[0]) and np.array_equal(second[1], want[1])


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
@pytest.mark.parametrize("holder", ["name", "view", "weak reference"])
def test_a_result_still_held_is_never_written_again(small_floors, mode, holder):
    run = _runner(mode, _cosine)
    a, b = _rows(3), _rows(4)
    run(a, b)
    sim = run(a, b)[0]
    saved = sim.copy()
    held = {"name": lambda: sim, "view": lambda: sim[2:], "weak reference": lambda: weakref.ref(sim)}[holder]()
    if holder != "name":
        address, sim = sim.ctypes.data, None
        gc.collect()
    else:
        address = sim.ctypes.data
    taken = scratch.counts["taken_back"]
    second = run(a * 2.0, b)[0]
    assert scratch.counts["taken_back"] == taken
    assert second.ctypes.data != address
    still = held() if holder == "weak reference" else held
    assert still is not None
    assert np.array_equal(still, saved if holder != "view" else saved[2:])
    assert np.array_equal(second, _cosine(a * 2.0, b)[0])


def test_a_dead_product_intermediate_is_reused(small_scratch_pool):
    def gemm(alpha, beta, c, a, b):
        c[:] = alpha * a @ b + beta * c
        return c

    a, b, c = _rows(5)[:INNER], _rows(6)[:INNER], _rows(7)[:INNER]
    fused = la.fuse(gemm)
    want = gemm(1.5, 1.2, c.copy(), a, b.T.copy())
    for _ in range(3):
        got = fused(1.5, 1.2, c.copy(), a, b.T.copy())
        assert np.array_equal(got, want)
    reused = scratch.counts["reused"]
    got = fused(1.5, 1.2, c.copy(), a, b.T.copy())
    assert np.array_equal(got, want)
    assert scratch.counts["reused"] >= reused + 2  # `alpha * a` and the product itself come from the pool
    assert not scratch._watched  # (not watched at the default floor: a dead intermediate goes back to the pool)


def test_watched_buffers_are_bounded(small_floors, monkeypatch):
    monkeypatch.setattr(scratch, "MAX_WATCHED_BYTES", 3 * ROWS * ROWS * 8)
    run = _runner("lazy", lambda a, b: ((a + 0.0) @ b.T,))
    results = [run(_rows(k), _rows(k + 1))[0] for k in range(5)]  # five results held at once
    assert scratch._watched_bytes <= scratch.MAX_WATCHED_BYTES
    assert len(scratch._watched) == 3
    for k, r in enumerate(results):
        assert np.array_equal(r, (_rows(k) + 0.0) @ _rows(k + 1).T)
    scratch.clear()
    assert not scratch._watched and scratch._watched_bytes == 0


def test_small_products_are_not_watched_at_the_default_floor(small_scratch_pool):
    run = _runner("lazy", lambda a, b: ((a + 0.0) @ b.T,))
    r = run(_rows(1), _rows(2))[0]
    assert r.nbytes < scratch.WATCH_MIN_BYTES and not scratch._watched


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
def test_a_few_mib_intermediates_come_from_the_pool_at_the_default_floor(mode):
    """(s16 blas) The pool's floor is 1 MiB: the normalised rows (1.5 MiB each here) that only feed the product
    are kept and serve the next call (at 4 MiB they went back to malloc, which faulted them in again)."""
    assert scratch.MIN_BYTES <= 1 << 20
    scratch.clear()
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((1536, 128)), rng.standard_normal((1536, 128))
    run = _runner(mode, _cosine)
    try:
        run(a, b)
        run(a, b)
        reused = scratch.counts["reused"]
        got = run(a, b)
        assert scratch.counts["reused"] >= reused + 2  # a_unit's and b_unit's buffers
        want = _cosine(a, b)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    finally:
        scratch.clear()


def test_a_lent_buffer_is_not_watched_too(small_floors):
    """A buffer is in one list at a time, so each list's reference count check sees only its own reference."""
    buffer = scratch.empty((ROWS, ROWS), np.float64)
    scratch.watch(buffer)
    assert scratch.lent_references(buffer) == 1
    returned = []
    scratch.lend(buffer, returned.append)  # (a realised value now: api/realise.py)
    assert scratch.lent_references(buffer) == 1 and not scratch._watched
    scratch.watch(buffer)
    assert scratch.lent_references(buffer) == 1 and not scratch._watched
    address = buffer.ctypes.data
    del buffer
    again = scratch.empty((ROWS, ROWS), np.float64)
    assert again.ctypes.data == address and len(returned) == 1  # taken back through the lent list's callback
