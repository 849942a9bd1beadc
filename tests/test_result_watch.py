"""(s16 watch) A big result a kernel wrote, lazy mode's or a fused function's, is watched (runtime/scratch.py):
once its caller drops it, the next call's kernel writes into it instead of faulting in fresh pages. A result
anyone still holds (a name, a view, a weak reference, a LazyArray) is never written again, and a leaf's own data
(the user's array handed back) is never watched. The size floors are lowered so small results exercise it."""
import gc
import weakref

import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import scratch

N = 20_000


@pytest.fixture
def small_floors(small_scratch_pool, monkeypatch):
    monkeypatch.setattr(scratch, "WATCH_MIN_BYTES", 0)


def _go_fast(a):
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return a + trace


def _plain(a, b):
    return (a - 0.5) * b + 1.0


def _runner(mode, function):
    if mode == "fuse":
        return la.fuse(function)
    return lambda *args: function(*[la.array(x) for x in args]).compute()


CASES = {"map": (_plain, lambda rng: (rng.random(N), rng.random(N))),
         "go_fast": (_go_fast, lambda rng: (rng.random((60, 60)),))}


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_dropped_result_serves_the_next_call(small_floors, mode, case):
    function, make = CASES[case]
    args = make(np.random.default_rng(3))
    want = function(*args)
    run = _runner(mode, function)
    run(*args)  # (fuse: the trace's call; its program watches from the next call on)
    first = run(*args)
    address = first.__array_interface__["data"][0]
    assert np.array_equal(first, want)
    del first
    before = scratch.counts["taken_back"]
    second = run(*args)
    assert np.array_equal(second, want)
    assert scratch.counts["taken_back"] == before + 1
    assert second.__array_interface__["data"][0] == address  # the dropped result's own memory


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
@pytest.mark.parametrize("hold", ["name", "view", "weakref"])
def test_a_result_still_held_is_never_written_again(small_floors, mode, hold):
    a, b = CASES["map"][1](np.random.default_rng(4))
    run = _runner(mode, _plain)
    run(a, b)
    first = run(a, b)
    keep = {"name": lambda r: r, "view": lambda r: r[::2], "weakref": lambda r: weakref.ref(r)}[hold](first)
    snapshot = first.copy()
    if hold != "name":
        del first
    gc.collect()
    second = run(a * 2, b)  # other values: a reuse of the held buffer would change it
    assert np.array_equal(second, _plain(a * 2, b))
    held = {"name": lambda: keep, "view": lambda: keep, "weakref": lambda: keep()}[hold]()
    if hold == "view":
        assert np.array_equal(held, snapshot[::2])
    elif held is not None:  # (a weak reference may have died with the last holder, as in NumPy)
        assert np.array_equal(held, snapshot)
        assert held is not second


def test_a_lazyarray_holding_its_value_keeps_it(small_floors):
    a, b = CASES["map"][1](np.random.default_rng(5))
    x = _plain(la.array(a), la.array(b))
    value = x.compute()
    snapshot = value.copy()
    del value  # x still holds its computed value
    other = (la.array(a) * 3).compute()
    assert np.array_equal(other, a * 3)
    assert np.array_equal(x.compute(), snapshot)


def test_the_users_own_array_is_not_watched(small_floors):
    a = np.random.default_rng(6).random(N)
    before = len(scratch._watched)
    got = la.array(a).compute()
    assert len(scratch._watched) == before and all(w is not a for w in scratch._watched)
    assert np.shares_memory(got, a) or np.array_equal(got, a)


def test_nothing_is_watched_below_the_floor(small_scratch_pool):
    a, b = CASES["map"][1](np.random.default_rng(7))
    for mode in ("lazy", "fuse"):
        run = _runner(mode, _plain)
        run(a, b), run(a, b)
    assert not scratch._watched  # (20,000 float64: far under 32 MiB)


def test_the_callers_out_buffer_is_not_watched(small_floors):
    a, b = CASES["map"][1](np.random.default_rng(8))
    out = np.empty_like(a)
    x = la.array(a) * 2.0 + la.array(b).sum()  # (a reduction and a map: the planned path, not a recipe)
    x.compute(out=out)
    assert np.array_equal(out, a * 2.0 + b.sum())
    assert all(w is not out for w in scratch._watched)
