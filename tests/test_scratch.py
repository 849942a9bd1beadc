"""(#15 postblas) Dead big intermediates serve the next allocation of their shape (runtime/scratch.py): only
buffers nothing else refers to, never a value the user holds; results of successive calls never share memory.
The size floor is lowered to 0 here so that small arrays exercise the pool."""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import scratch

ROWS, COLS = 120, 8


pytestmark = pytest.mark.usefixtures("small_scratch_pool")  # (tests/conftest.py)


def _data(seed=11):
    return np.random.default_rng(seed).standard_normal((ROWS, COLS))


def _covariance(data):
    centred = data - data.mean(axis=0)
    return (centred.T @ centred) / (data.shape[0] - 1)


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
def test_the_centred_matrix_is_reused_by_the_next_call(mode):
    run = (lambda d: np.asarray(_covariance(la.array(d)))) if mode == "lazy" else la.fuse(_covariance)
    first_data, second_data = _data(1), _data(2)
    run(_data(0))  # (fuse's first call builds the program: its releases run from the second call on)
    kept = scratch.counts["kept"]
    first = run(first_data)
    assert scratch.counts["kept"] > kept  # the call kept its dead intermediates (the centred matrix)
    reused = scratch.counts["reused"]
    saved = first.copy()
    second = run(second_data)
    assert scratch.counts["reused"] > reused
    np.testing.assert_allclose(first, _covariance(first_data), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(second, _covariance(second_data), rtol=1e-12, atol=1e-14)
    assert np.array_equal(first, saved)  # the second call wrote nothing the first result holds
    assert not np.shares_memory(first, second)


def test_results_the_user_holds_are_never_kept():
    x = la.array(_data())
    results = [np.asarray(x * float(k) + 1.0) for k in range(4)]
    for k, r in enumerate(results):
        np.testing.assert_array_equal(r, _data() * float(k) + 1.0)
    assert all(not np.shares_memory(a, b) for i, a in enumerate(results) for b in results[i + 1:])


def test_a_buffer_something_else_holds_is_not_kept():
    a = np.empty((ROWS, COLS))
    view = a[1:]  # a view the caller keeps holds a
    before = scratch.counts["kept"]
    scratch.recycle([a])
    assert scratch.counts["kept"] == before
    assert scratch.empty((ROWS, COLS), np.float64) is not a
    del view


def test_views_go_first_and_free_their_base():
    values = [np.empty((ROWS, COLS))]
    values.append(values[0].T)  # the list alone holds the base and its view
    address = values[0].__array_interface__["data"][0]
    scratch.recycle(values)
    assert values == []
    again = scratch.empty((ROWS, COLS), np.float64)
    assert again.__array_interface__["data"][0] == address
    assert scratch.empty((ROWS, COLS), np.float64).__array_interface__["data"][0] != address  # handed out once


def test_the_pool_is_bounded_per_shape_and_in_bytes(monkeypatch):
    scratch.recycle([np.empty((ROWS, COLS)) for _ in range(scratch.MAX_PER_SHAPE + 3)])
    assert len(scratch._pool[((ROWS, COLS), "<f8", "C")]) == scratch.MAX_PER_SHAPE
    scratch.clear()
    monkeypatch.setattr(scratch, "MAX_HELD", ROWS * COLS * 8)
    scratch.recycle([np.empty((ROWS, COLS)), np.empty((ROWS, COLS + 1))])
    assert sum(len(v) for v in scratch._pool.values()) == 1


def test_dtype_and_order_must_match():
    scratch.recycle([np.empty((ROWS, COLS), order="F")])
    c = scratch.empty((ROWS, COLS), np.float64, "C")
    assert c.flags.c_contiguous and c.dtype == np.float64
    f = scratch.empty((ROWS, COLS), np.float64, "F")
    assert f.flags.f_contiguous and scratch.counts["reused"] >= 1
    assert scratch.empty((ROWS, COLS), np.float32).dtype == np.float32


def test_thousands_of_small_values_are_released_in_linear_time():
    """(mandel3 #15) A fused scalar loop releases thousands of 0-d values at once (go_fast: 4,000 per call);
    the queue was a list popped at its front, quadratic in their number."""
    import time
    held = np.empty((ROWS, COLS))  # the caller keeps it: its views lead to it, it is not kept
    values = [np.float64(k) for k in range(100_000)] + [held[k % ROWS, 1:] for k in range(100_000)]
    values.append(np.empty((ROWS, COLS + 2)))  # free: kept
    before = scratch.counts["kept"]
    started = time.perf_counter()
    scratch.recycle(values)
    assert time.perf_counter() - started < 2.0  # quadratic: ~10 s and more
    assert values == []
    assert scratch.counts["kept"] == before + 1
    assert scratch.empty((ROWS, COLS + 2), np.float64).shape == (ROWS, COLS + 2)
    assert scratch.counts["reused"] >= 1 and not any(a is held for v in scratch._pool.values() for a in v)


def test_a_base_many_views_lead_to_is_kept_once():
    base = np.empty((ROWS, COLS))
    address = base.__array_interface__["data"][0]
    values = [base[k] for k in range(5)]
    del base  # the views alone hold it
    before = scratch.counts["kept"]
    scratch.recycle(values)
    assert scratch.counts["kept"] == before + 1
    assert scratch.empty((ROWS, COLS), np.float64).__array_interface__["data"][0] == address


def _jacobi(a, b, steps):
    for _ in range(steps):
        b[1:-1] = 0.33333 * (a[:-2] + a[1:-1] + a[2:])
        a[1:-1] = 0.33333 * (b[:-2] + b[1:-1] + b[2:])
    return a, b


@pytest.mark.parametrize("order", ["C", "F"])
def test_a_fused_stencils_slice_writes_copy_into_kept_buffers(order):
    # each `x[1:-1] = ...` copies x and writes the key's region of the copy: without the pool, the region's
    # pages were fresh every step (jacobi_1d at 10^6: 8,200 page faults a call, 2.5x NumPy's time)
    rng = np.random.default_rng(5)
    a0, b0 = (np.asfortranarray(rng.random((40, 30))) if order == "F" else rng.random(1200) for _ in range(2))
    f = la.fuse(_jacobi)
    f(a0.copy(), b0.copy(), 4)
    reused = scratch.counts["reused"]
    a, b = a0.copy(), b0.copy()
    got = f(a, b, 4)
    # two copies a call, both from the pool: the first write into each argument (the later writes go into the
    # value they replace, which nothing reads after them: tests/test_lazy_chain_buffers.py)
    assert scratch.counts["reused"] - reused >= 2
    want = _jacobi(a0.copy(), b0.copy(), 4)
    np.testing.assert_array_equal(a, want[0])
    np.testing.assert_array_equal(b, want[1])
    assert got[0] is a and got[1] is b
    assert not np.shares_memory(a, b)


def test_a_full_pool_drops_the_shapes_used_longest_ago_for_a_new_one(monkeypatch):
    """(s17) A process that ran other work before: its shapes must not keep a later program's buffers out."""
    monkeypatch.setattr(scratch, "MAX_HELD", ROWS * (2 * COLS + 3) * 8)  # room for the two stale ones only
    stale = [np.empty((ROWS, COLS + k)) for k in (1, 2)]
    scratch.recycle(stale)  # the pool is full of shapes nobody asks for any more
    assert sum(len(v) for v in scratch._pool.values()) == 2
    dropped = scratch.counts["dropped"]
    scratch.recycle([np.empty((ROWS, COLS))])  # (only the list refers to it: keepable)
    assert scratch.counts["dropped"] == dropped + 1  # the oldest shape made room
    assert [k[0] for k, v in scratch._pool.items() if v] == [(ROWS, COLS + 2), (ROWS, COLS)]
    reused = scratch.counts["reused"]
    scratch.empty((ROWS, COLS), np.float64)
    assert scratch.counts["reused"] == reused + 1


def test_a_shape_handed_out_again_is_dropped_last(monkeypatch):
    monkeypatch.setattr(scratch, "MAX_HELD", ROWS * (2 * COLS + 3) * 8)
    scratch.recycle([np.empty((ROWS, COLS + 1))])
    scratch.recycle([np.empty((ROWS, COLS + 2))])
    scratch.recycle([scratch.empty((ROWS, COLS + 1), np.float64)])  # in use again, then back: now the newest
    scratch.recycle([np.empty((ROWS, COLS))])  # room for it comes from (ROWS, COLS + 2)
    assert [k[0] for k, v in scratch._pool.items() if v] == [(ROWS, COLS + 1), (ROWS, COLS)]


def test_a_buffer_bigger_than_the_pool_is_not_kept_and_drops_nothing(monkeypatch):
    monkeypatch.setattr(scratch, "MAX_HELD", ROWS * COLS * 8)
    scratch.recycle([np.empty((ROWS, COLS))])
    scratch.recycle([np.empty((ROWS, 2 * COLS))])
    assert [k[0] for k, v in scratch._pool.items() if v] == [(ROWS, COLS)]
