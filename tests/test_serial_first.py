"""A new expression's first answer at a serial size with background compilation (#14, ``runtime/serial_first``).

Counted, never timed: the first call of a structure answers with NumPy's bytes over the raw graph and plans
nothing (no kernel is looked up in the call); the plan is a job for the compile worker, which runs the full path
once the call has returned and queues the kernels; the next call runs them. Structures seen before, parallel
sizes, ``out=`` and background compilation off take the full path; a plan job that fails is not reported on
the worker, and the next call plans in its own thread and raises there.
"""
import os

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache, llvm_tier
from lazyarr.runtime import evaluate, serial_first
from lazyarr.runtime import plans as kept_plans  # (s13 lazycall)

rng = np.random.default_rng(1411)
A, B = rng.random(1000), rng.random(1000)
X = rng.random((20, 50))
I32 = rng.integers(-100, 100, 1000, dtype=np.int32)


def _softmax(M, x):
    e = M.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# name -> function of (M, a, b, x, i) for M in (numpy, lazyarr operands): NumPy's bytes expected
CASES = {
    "vector function": lambda M, a, b, x, i: a * 5 + M.sin(b) * a,
    "int wraparound": lambda M, a, b, x, i: i * i * 70000 - i,
    "full sum": lambda M, a, b, x, i: ((a - b) ** 2).sum(),
    "row softmax (keepdims' reshape)": lambda M, a, b, x, i: _softmax(M, x),
    "argmax": lambda M, a, b, x, i: (a * b).argmax(),
    "cumulative sum": lambda M, a, b, x, i: M.cumsum(a * 2),
    "strided operand": lambda M, a, b, x, i: a[::2] * 3 - b[1::2],
}


@pytest.fixture
def fresh(monkeypatch):
    """Background compilation on; no structure seen yet (nor planned: runtime/plans.py keeps plans by structure)."""
    monkeypatch.setattr(serial_first, "_seen", set())
    monkeypatch.setattr(kept_plans, "_plans", type(kept_plans._plans)())
    monkeypatch.setattr(kept_plans, "_seen", type(kept_plans._seen)())
    config.set_background_compile(True)
    yield
    assert cache.wait_for_compiles(120)
    config.set_background_compile(None)


@pytest.fixture
def plans(monkeypatch):
    """The plan jobs handed over, recorded and never run (nothing is compiled)."""
    handed = []
    monkeypatch.setattr(cache, "plan_later", handed.append)
    return handed


@pytest.fixture
def no_kernels(monkeypatch, numba_tier):
    """Every kernel is compiling (the full path answers with NumPy); the quick tier off. Returns the keys the
    full path asked for."""
    asked = []
    monkeypatch.setattr(cache, "get", lambda key, *args, **kwargs: asked.append(key))
    return asked


def _lazy(f):
    return np.asarray(f(np, la.array(A), la.array(B), la.array(X), la.array(I32)))


@pytest.mark.parametrize("case", list(CASES))
def test_a_new_expression_is_answered_by_numpy_without_a_plan(fresh, plans, case):
    f = CASES[case]
    inputs = [A.copy(), B.copy(), X.copy(), I32.copy()]
    want = np.asarray(f(np, *inputs))
    before, answered = la.cache_info(), serial_first.answered()
    got = np.asarray(f(np, *map(la.array, inputs)))
    after = la.cache_info()
    assert serial_first.answered() == answered + 1 and len(plans) == 1
    assert after.interpreted == before.interpreted + 1
    assert (after.hits, after.misses) == (before.hits, before.misses)  # no kernel looked up in the call
    assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()
    for given, original in zip(inputs, (A, B, X, I32)):
        assert given.tobytes() == original.tobytes() and not np.may_share_memory(got, given)


def test_the_worker_plans_it_and_the_next_call_runs_its_kernel(fresh):
    def f(M, a, b, x, i):  # a quick-tier map: made aside in a few tens of ms
        return (a * 3 - b) * a + 7

    want = f(np, A, B, X, I32)
    made = llvm_tier.info()
    with cache.holding_compiles():  # the plan job waits until this block ends
        before = la.cache_info()
        first = _lazy(f)
        assert la.cache_info().misses == before.misses  # not planned yet
    assert first.tobytes() == want.tobytes()
    assert cache.wait_for_compiles(120)  # the plan job, then the quick kernel its run started
    now = llvm_tier.info()
    assert now["compiles"] + now["disk_hits"] == made["compiles"] + made["disk_hits"] + 1
    after, answered = la.cache_info(), serial_first.answered()
    assert after.interpreted == before.interpreted + 1  # the plan job's own NumPy answer is not counted
    again = _lazy(f)
    assert serial_first.answered() == answered and la.cache_info().interpreted == after.interpreted
    assert again.tobytes() == want.tobytes()


def test_a_structure_seen_before_takes_the_full_path(fresh, plans, no_kernels):
    f = CASES["full sum"]
    _lazy(f)
    answered = serial_first.answered()
    assert no_kernels == []
    other = rng.random(1000)
    got = np.asarray(f(np, la.array(other), la.array(B), None, None))  # new data, the same structure
    assert serial_first.answered() == answered and len(plans) == 1
    assert len(no_kernels) == 1  # the full path looked its kernel up
    np.testing.assert_allclose(got, f(np, other, B, None, None), rtol=1e-13)


def test_parallel_sizes_out_and_background_off_take_the_full_path(fresh, plans, no_kernels, parallel_threshold):
    f = CASES["vector function"]
    answered = serial_first.answered()
    out = np.empty(1000)
    (la.array(A) * 5 + np.sin(la.array(B)) * la.array(A)).compute(out=out)
    np.testing.assert_array_equal(out, f(np, A, B, X, I32))
    parallel_threshold(500)
    np.testing.assert_array_equal(_lazy(f), f(np, A, B, X, I32))
    parallel_threshold(None)
    config.set_background_compile(False)
    assert serial_first.answer((la.array(A) - 1)._node, lambda: None) is None
    config.set_background_compile(True)
    assert serial_first.answered() == answered and plans == [] and len(no_kernels) == 2


def test_a_failed_plan_job_raises_in_the_next_calls_thread(fresh, monkeypatch):
    def broken(roots):
        raise RuntimeError("planning broke")

    monkeypatch.setattr(evaluate, "plan", broken)
    f = CASES["full sum"]
    np.testing.assert_array_equal(_lazy(f), f(np, A, B, X, I32))  # NumPy's answer; the job fails on the worker
    assert cache.wait_for_compiles(60)
    with pytest.raises(RuntimeError, match="planning broke"):
        _lazy(f)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_before_the_plan_job_ran_plans_for_itself(fresh):
    def f(M, a, b, x, i):  # a quick-tier map: made aside in a few tens of ms
        return (a * 5 - b) * b + 2

    want = f(np, A, B, X, I32)
    with cache.holding_compiles():  # the parent's plan job is still queued at the fork
        assert _lazy(f).tobytes() == want.tobytes()
        pid = os.fork()
        if pid == 0:  # the child has no worker and no job: its next call plans and makes the kernel itself
            ok = False
            try:
                again = _lazy(f)
                ok = again.tobytes() == want.tobytes() and cache.wait_for_compiles(60)
                ok = ok and _lazy(f).tobytes() == want.tobytes()
            finally:
                os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_plan_job_takes_the_event_made_ahead():
    """(s18 bgbuild) A plan job's Event is the one made ahead (``cache._spare_events``), not one made in the caller's
    thread; the worker makes the next one after the job, and the job's Event is set when it is done."""
    import threading
    import time
    if not cache._spare_events:
        cache._spare_events.append(threading.Event())
    spare = cache._spare_events[-1]
    ran = threading.Event()
    cache.plan_later(ran.set)
    assert spare not in cache._spare_events
    assert cache.wait_for_compiles(60)
    assert ran.is_set() and spare.is_set()
    deadline = time.monotonic() + 10
    while not cache._spare_events and time.monotonic() < deadline:
        time.sleep(0.001)
    assert cache._spare_events and all(e is not spare and not e.is_set() for e in cache._spare_events)
