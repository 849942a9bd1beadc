"""(s16 lazyrt) Lazy mode's compute path: what a kept plan decides once (runtime/plans.KeptSteps, evaluate,
llvm_launch, launch.pick_kept) and the settings read once per compute (config.reading_once).

Counted and compared, never timed: the kept facts against the same facts found afresh, which kernel entry
answered, the answers against NumPy's (bit-equal where the arithmetic is exact) over several calls.
"""
import os
import threading

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache
from lazyarr.runtime import evaluate, launch, llvm_launch, plans, quick_entry, scratch
from lazyarr.runtime import gemv_pair as gemv_run


@pytest.fixture
def fresh_plans():
    plans.forget()
    yield
    plans.forget()


def _descent(X, y, w, steps=4):
    """logistic_regression's loop (bench/programs/learning.py), shorter."""
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        w = w - 0.5 * (X.T @ (p - y)) / X.shape[0]
    return w, (w * w).sum()


def _kept_steps(function, *arrays):
    """The kept plan's steps that computing ``function``'s lazy results runs, and those results' roots."""
    results = function(*[la.array(a) for a in arrays])
    roots = [r._node for r in results]
    steps, planned, env = plans.steps_for(roots, evaluate.plan)
    return steps, planned


def _inputs(seed, n=500, m=16):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m))
    return X, (rng.random(n) > 0.5).astype(np.float64), np.zeros(m)


def test_a_kept_plan_s_order_facts_are_the_facts_found_afresh(fresh_plans):
    for seed in range(3):
        want = _descent(*_inputs(1600 + seed))
        got = la.compute(*_descent(*[la.array(a) for a in _inputs(1600 + seed)]))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    steps, roots = _kept_steps(_descent, *_inputs(1603))
    assert isinstance(steps, plans.KeptSteps)
    kept_roots, dying, follows = steps.memo["order"]
    assert kept_roots is roots
    assert dying == evaluate._dying(steps, roots) and dying  # values die in this plan
    assert follows == [False] + [evaluate.after_blas.is_blas(s) for s in steps[:-1]]


def test_a_plan_not_kept_has_no_memo(fresh_plans):
    X, y, w = _inputs(1610)
    results = _descent(la.array(X), la.array(y), la.array(w))
    roots = [r._node for r in results]
    steps, planned, env = plans.steps_for(roots, evaluate.plan)  # a first sighting: planned as it is
    assert not isinstance(steps, plans.KeptSteps) and env == {}
    assert evaluate._order_facts(steps, roots)[0] == evaluate._dying(steps, roots)


def test_integer_chains_give_numpys_bits_call_after_call(fresh_plans):
    """Values dying after their last reader (the kept dying map) are released, never read again: exact
    arithmetic over a chain where every step's value feeds two later steps."""
    rng = np.random.default_rng(1620)

    def chain(a, b):
        for _ in range(6):
            c = a * 3 + b
            b = (c - a) // 2
            a = c % 1000
        return a, b

    for _ in range(4):
        a, b = rng.integers(-500, 500, (64, 64)), rng.integers(-500, 500, (64, 64))
        want = chain(a, b)
        got = la.compute(*chain(la.array(a), la.array(b)))
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    assert plans.counts()["hits"] >= 2


def test_a_kept_plan_s_maps_run_through_the_c_entry(fresh_plans):
    if not (config.quick_tier() and quick_entry.available()):
        pytest.skip("the quick tier's C entry is not available here")
    X, y, w = _inputs(1630)
    for _ in range(3):  # a first sighting, the template, then a hit
        la.compute(*_descent(*[la.array(a) for a in (X, y, w)]))
    steps, _ = _kept_steps(_descent, X, y, w)
    kept = [(k, v) for k, v in steps.memo.items() if k != "order"]
    assert kept, "the plan's quick map kernels are kept with it"
    before = quick_entry.calls()
    got = la.compute(*_descent(*[la.array(a) for a in (X, y, w)]))
    assert quick_entry.calls() - before >= len(kept)
    for g, want in zip(got, _descent(X, y, w)):
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-14)


def test_llvm_run_map_keeps_the_kernel_it_found(fresh_plans):
    a = np.arange(100.0)
    e = la.array(a) * 3.0 + 1.0
    steps = evaluate.plan([e._node])
    (k,) = [s for s in steps if isinstance(s, evaluate.MapKernel)]
    memo = {}
    out = np.empty(100)
    consts = [launch.const_arg(c) for c in k.consts]
    arrays = [n.data for n in k.inputs]
    if not llvm_launch.run_map(k, arrays, [out], consts, False, kept=memo):
        pytest.skip("the quick tier does not run this kernel here")
    assert memo[k][0] == (np.dtype(np.float64),)
    out2 = np.empty(100)
    assert llvm_launch.run_map(k, arrays, [out2], consts, False, kept=memo)
    np.testing.assert_array_equal(out, a * 3.0 + 1.0)
    np.testing.assert_array_equal(out2, out)
    config.set_quick_tier(False)
    try:  # the tier switched off is asked before the kept kernel: Numba's kernel must run
        assert llvm_launch.run_map(k, arrays, [out2], consts, False, kept=memo) is False
    finally:
        config.set_quick_tier(None)


def test_settings_are_read_once_inside_a_compute(monkeypatch):
    monkeypatch.delenv("LAZYARR_QUICK_TIER", raising=False)
    monkeypatch.delenv("LAZYARR_SERIAL_FIRST", raising=False)
    config.set_quick_tier(None)
    config.set_serial_first(None)
    assert config.quick_tier() is True
    with config.reading_once():
        assert config.quick_tier() is True and config.serial_first() is True
        monkeypatch.setenv("LAZYARR_QUICK_TIER", "0")
        monkeypatch.setenv("LAZYARR_SERIAL_FIRST", "0")
        assert config.quick_tier() is True and config.serial_first() is True  # kept for the block
        with config.reading_once():  # a nested block keeps the outer one's answers
            assert config.quick_tier() is True
        assert config.quick_tier() is True
        seen = []
        other = threading.Thread(target=lambda: seen.append(config.quick_tier()))
        other.start()
        other.join()
        assert seen == [False]  # another thread reads the environment
        config.set_serial_first(True)  # set_* drops what the block kept
        assert config.quick_tier() is False and config.serial_first() is True
    assert config.quick_tier() is False and config.serial_first() is True  # outside: the environment
    config.set_serial_first(None)
    assert config.serial_first() is False
    monkeypatch.setenv("LAZYARR_QUICK_TIER", "1")
    assert config.quick_tier() is True


def test_a_bad_setting_still_raises_inside_a_block(monkeypatch):
    monkeypatch.setenv("LAZYARR_BACKGROUND_COMPILE", "perhaps")
    config.set_background_compile(None)
    with config.reading_once():
        with pytest.raises(ValueError, match="LAZYARR_BACKGROUND_COMPILE"):
            config.background_compile()
        with pytest.raises(ValueError, match="LAZYARR_BACKGROUND_COMPILE"):  # an error is never kept
            config.background_compile()


def test_pick_kept_answers_as_pick_kernel_and_forgets_on_a_new_generation(fresh_plans, monkeypatch):
    launch._picks.clear()  # (picks an earlier test kept, of an older generation, would be found first)
    X, y, w = _inputs(1640, n=300, m=8)
    want = _descent(X, y, w)
    for _ in range(3):
        got = la.compute(*_descent(*[la.array(a) for a in (X, y, w)]))
    for g, v in zip(got, want):
        np.testing.assert_allclose(g, v, rtol=1e-12, atol=1e-14)
    kept = {key: value for key, value in launch._picks.items() if key[0] == "gemv_pair"}
    assert kept, "the pair stage's kernel is kept"
    key, (generation, compiled) = next(iter(kept.items()))
    assert generation == cache.generation()
    assert cache.loaded(key)[1] is compiled  # the very kernel pick_kernel finds in memory
    calls = []
    real = launch.pick_kernel
    monkeypatch.setattr(launch, "pick_kernel", lambda *a: calls.append(1) or real(*a))
    la.compute(*_descent(*[la.array(a) for a in (X, y, w)]))
    assert calls == []  # every pair stage answered from the kept picks
    launch._picks[key] = (generation - 1, compiled)  # as if a kernel had left memory since
    got = la.compute(*_descent(*[la.array(a) for a in (X, y, w)]))
    assert calls, "a stale pick asks pick_kernel again"
    for g, v in zip(got, want):
        np.testing.assert_allclose(g, v, rtol=1e-12, atol=1e-14)


def test_pick_kept_on_one_thread_keeps_the_serial_variant(fresh_plans):
    X, y, w = _inputs(1650, n=40000, m=8)  # a parallel size: 320,000 elements
    want = _descent(X, y, w)
    with la.num_threads(1):
        for _ in range(3):
            got = la.compute(*_descent(*[la.array(a) for a in (X, y, w)]))
        serial = {key for key in launch._picks if key[0] == "gemv_pair" and key[-1] is False}
    assert serial
    for g, v in zip(got, want):
        np.testing.assert_allclose(g, v, rtol=1e-12, atol=1e-14)
    assert gemv_run.counts()["kernel"] > 0


def test_recycle_of_small_values_only_empties_the_list():
    values = [np.empty(10), np.empty(3), 1.5]
    kept_before = scratch.counts["kept"]
    scratch.recycle(values)
    assert values == [] and scratch.counts["kept"] == kept_before


def test_walk_keys_tell_sharing_and_arity_apart_and_bind_leaves_by_position():
    a, b = np.arange(6.0), np.arange(6.0) + 1
    A, B = la.array(a), la.array(b)
    key = lambda e: plans._walk([e._node])[0]
    assert key(A - B) == key(la.array(a.copy()) - la.array(b.copy()))
    assert key(A - B) == key(B - A)  # the same plan, its leaves bound the other way round:
    assert plans._walk([(A - B)._node])[1] == [A._node, B._node]
    assert plans._walk([(B - A)._node])[1] == [B._node, A._node]
    assert key(A - A) != key(A - B)  # the sharing is in the key
    x = A * B
    assert key(x + x) != key(A * B + B * A)
    assert key(-A) != key(-(-A))
    assert key(la.where(A > 2, A, B)) != key(la.where(A > 2, B, B))  # three arguments
    assert key(la.where(A > 2, A, B)) == key(la.where(B > 2, B, A))
