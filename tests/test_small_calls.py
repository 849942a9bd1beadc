"""(#14 small calls) What a repeated small ``compute(out=o)`` does per call, counted, not timed: the checks that
cost a microsecond each (``np.may_share_memory`` per input, ``np.can_cast``) run only where they can change the
answer, and the answers stay NumPy's wherever out and the inputs share memory. The expression and sizes are
test_launch.py's, so the kernel is shared with it."""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import evaluate, recipes
from oracle import assert_same

rng = np.random.default_rng(14)


def _counting(monkeypatch, name: str) -> list:
    """Count the calls of ``np.<name>`` (lazyarr reads it from the numpy module at call time)."""
    calls, real = [], getattr(np, name)
    monkeypatch.setattr(np, name, lambda *args, **kw: calls.append(1) or real(*args, **kw))
    return calls


def _warm(a, b) -> None:
    for _ in range(3):  # full path, recipe, remembered graph
        (la.array(a) * 2 + la.array(b)).compute()


def test_out_owning_its_buffer_skips_the_overlap_and_cast_checks(monkeypatch):
    a, b = rng.random(1000), rng.random(1000)
    _warm(a, b)
    shares, casts = _counting(monkeypatch, "may_share_memory"), _counting(monkeypatch, "can_cast")
    planned, addresses = [], []
    monkeypatch.setattr(evaluate, "plan", lambda roots, _plan=evaluate.plan: planned.append(1) or _plan(roots))
    # (s21) nor narrow_alias's address test (3.3 us of __array_interface__ dicts: out= was 1.2x numexpr's call)
    monkeypatch.setattr(recipes, "_same_memory_as_one_of",
                        lambda out, arrays, _f=recipes._same_memory_as_one_of: addresses.append(1) or _f(out, arrays))
    o = np.empty(1000)
    for _ in range(3):
        assert (la.array(a) * 2 + la.array(b)).compute(out=o) is o
    assert not shares and not casts and not planned and not addresses
    assert_same(o, a * 2 + b)


def test_views_still_get_the_overlap_check_and_numpys_answer(monkeypatch):
    a, b = rng.random(1000), rng.random(1000)
    _warm(a, b)
    shares = _counting(monkeypatch, "may_share_memory")
    buffer = np.zeros(3000)  # out and an input are views of one buffer, disjoint: written directly
    first, out = buffer[:1000], buffer[1000:2000]
    first[:] = a
    (la.array(first) * 2 + la.array(b)).compute(out=out)
    assert_same(out, a * 2 + b)
    assert shares
    shifted = np.arange(1001.0)  # out one element past the input it overlaps
    want = shifted.copy()
    want[1:] = want[:1000] * 2 + b
    (la.array(shifted[:1000]) * 2 + la.array(b)).compute(out=shifted[1:])
    assert_same(shifted, want)
    same = a.copy()  # out is the input itself: the same view is safe
    (la.array(same) * 2 + la.array(b)).compute(out=same)
    assert_same(same, a * 2 + b)


def test_out_of_another_dtype_still_follows_same_kind():
    a, b = rng.random(1000), rng.random(1000)
    o32 = np.empty(1000, np.float32)
    (la.array(a) * 2 + la.array(b)).compute(out=o32)
    assert_same(o32, (a * 2 + b).astype(np.float32))
    with pytest.raises(TypeError, match="same_kind"):
        (la.array(a) * 2 + la.array(b)).compute(out=np.empty(1000, np.int64))


def test_a_remembered_graph_launches_without_the_kernel_lookup(monkeypatch):
    """The third call on of the same small expression on the same arrays skips the recipe's kernel memo
    (``launch.kept``) and still reads the arrays as they are now; writes into `out` the same way."""
    from lazyarr.runtime import launch
    a, b = rng.random(1000), rng.random(1000)
    _warm(a, b)
    looked_up = []
    monkeypatch.setattr(launch, "kept", lambda *args, _kept=launch.kept: looked_up.append(1) or _kept(*args))
    hits = la.cache_info().hits
    o = np.empty(1000)
    for k in range(3):
        a[:] = rng.random(1000)  # written in place between calls: the next launch reads the new values
        assert_same((la.array(a) * 2 + la.array(b)).compute(), a * 2 + b)
        (la.array(a) * 2 + la.array(b)).compute(out=o)
        assert_same(o, a * 2 + b)
    assert not looked_up
    assert la.cache_info().hits == hits + 6  # still counted as cache hits


def test_a_ready_launch_is_dropped_when_kernels_leave_memory(monkeypatch):
    from lazyarr.compiler import cache
    from lazyarr.runtime import launch, recipes
    a, b = rng.random(1000), rng.random(1000)
    _warm(a, b)
    cache.clear_memory()  # the kernel leaves memory (it loads again from disk)
    looked_up = []
    monkeypatch.setattr(launch, "kept", lambda *args, _kept=launch.kept: looked_up.append(1) or _kept(*args))
    for _ in range(3):
        assert_same((la.array(a) * 2 + la.array(b)).compute(), a * 2 + b)
    assert len(looked_up) <= 2  # the kernel found again once, then the ready launch is fresh again
    recipes.forget()
    assert not recipes._ready


def test_a_ready_launch_checks_an_out_sharing_an_inputs_buffer():
    """The ready launch knows its inputs' buffers: an out in the same buffer gets the full overlap check (out
    one element past the input: NumPy's answer, by a copy), an out elsewhere is written directly."""
    b = rng.random(1000)
    big = rng.random(1001)
    x = big[:1000]
    want = big.copy()
    want[1:] = want[:1000] * 2 + b
    for _ in range(3):  # full path, recipe, remembered graph: the launch is ready
        (la.array(x) * 2 + la.array(b)).compute()
    (la.array(x) * 2 + la.array(b)).compute(out=big[1:])
    assert_same(big, want)
    elsewhere = np.empty(1000)
    (la.array(x) * 2 + la.array(b)).compute(out=elsewhere)
    assert_same(elsewhere, want[:1000] * 2 + b)
