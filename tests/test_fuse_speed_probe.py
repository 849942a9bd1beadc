"""(s17, #15) ``@la.fuse`` is never much slower than the function it decorates: a signature whose fused program
runs clearly slower than the function itself runs the function as plain NumPy (tracer/speed_probe.py).

Real timings decide, so the integration tests use programs whose two sides differ by an order of magnitude
(a loop of a hundred tiny row steps; one fused pass over millions of elements against NumPy's temporaries); the
policy's bookkeeping is tested with a fake clock."""
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.tracer import decorator, speed_probe
from oracle import assert_same


@pytest.fixture
def probe_on():
    config.set_fuse_probe(True)
    yield
    config.set_fuse_probe(None)


def rows_then_columns(data):
    """PolyBench's covariance written row by row: a hundred tiny steps, each a write NumPy does in microseconds."""
    mean = data.mean(axis=0)
    data = data - mean
    n = data.shape[1]
    cov = np.zeros((n, n))
    for i in range(n):
        cov[i:, i] = cov[i, i:] = data[:, i] @ data[:, i:] / (data.shape[0] - 1.0)
    return cov


def transcendental(a, b):
    """One fused pass (vector sin and exp) against NumPy's four passes and three temporaries."""
    return np.sin(a) * np.exp(-b) + a * b


DATA = np.random.default_rng(17).random((40, 100))


def calls(f, args, n=speed_probe.CALLS_TO_DECIDE):
    return [f(*args) for _ in range(n)]


def test_a_loop_of_tiny_steps_runs_as_numpy_after_its_first_calls(probe_on):
    f = la.fuse(rows_then_columns)
    want = rows_then_columns(DATA)
    for got in calls(f, (DATA,)):  # the fused runs sum the products in another order than NumPy's BLAS
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    text = f.explain(DATA)
    assert "speed probe: runs as plain NumPy, which was faster" in text, text
    hits, traces = f.cache_info().hits, f.cache_info().traces
    for _ in range(3):  # from now on the function itself: NumPy's bits, no trace, no kernel
        assert_same(f(DATA), want, ulp=0)
    assert f.cache_info().traces == traces and f.cache_info().hits == hits + 3


def test_a_fused_pass_much_faster_than_numpy_keeps_its_program(probe_on):
    rng = np.random.default_rng(3)
    a, b = rng.random(2_000_000), rng.random(2_000_000)
    f = la.fuse(transcendental)
    for got in calls(f, (a, b)):
        assert_same(got, transcendental(a, b), ulp=4)
    text = f.explain(a, b)
    assert "speed probe: keeps its fused program" in text, text
    key_programs = [p for found in decorator_programs(f) for p in found]
    assert any(p.fast is not None for p in key_programs)  # the fast entry is back after the probe


def decorator_programs(f):
    """The fused function's cached program lists (the decorator's state, reached through the closure)."""
    state = next(c.cell_contents for c in f.__closure__ if isinstance(c.cell_contents, decorator._Fused))
    return list(state.programs.values())


def test_writes_into_arguments_reach_the_caller_on_every_call_both_ways(probe_on):
    def smooth(u, steps):
        for _ in range(steps):
            u[1:-1] = 0.5 * (u[:-2] + u[2:])

    f = la.fuse(smooth)
    start = np.random.default_rng(5).random(64)
    for _ in range(speed_probe.CALLS_TO_DECIDE + 2):
        mine, theirs = start.copy(), start.copy()
        assert f(mine, 30) is None
        smooth(theirs, 30)
        assert_same(mine, theirs, ulp=0)
    assert "speed probe:" in f.explain(start.copy(), 30)


def test_off_the_fused_program_always_runs():
    config.set_fuse_probe(False)
    try:
        f = la.fuse(rows_then_columns)
        calls(f, (DATA,), speed_probe.CALLS_TO_DECIDE + 2)
        assert "speed probe" not in f.explain(DATA)
        assert all(p.fast is not None for found in decorator_programs(f) for p in found)
    finally:
        config.set_fuse_probe(None)


def test_cache_clear_forgets_the_verdict(probe_on):
    f = la.fuse(rows_then_columns)
    calls(f, (DATA,))
    assert "runs as plain NumPy" in f.explain(DATA)
    f.cache_clear()
    f(DATA)
    assert "timing its first calls" in f.explain(DATA)


def test_lazy_arguments_are_not_probed(probe_on):
    f = la.fuse(transcendental)
    a, b = DATA[0], DATA[1]
    for _ in range(speed_probe.CALLS_TO_DECIDE + 1):
        got = f(la.array(a), b)
        assert isinstance(got, la.LazyArray)  # run lazily each call, as before: nothing to time
    assert_same(got.compute(), transcendental(a, b), ulp=4)
    state = next(c.cell_contents for c in f.__closure__ if isinstance(c.cell_contents, decorator._Fused))
    assert not state.probing and not state.probed


def test_an_eager_signature_is_probed_too(probe_on):
    def noisy(a, rng):
        for _ in range(20):
            a = a + rng.random(a.shape) * 1e-3
        return a

    f = la.fuse(noisy)
    x = np.zeros(8)
    ours, theirs = np.random.default_rng(1), np.random.default_rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.EagerWarning)
        for i in range(speed_probe.CALLS_TO_DECIDE + 1):  # the same generator: one signature, drawn from in turn
            assert_same(f(x, ours), noisy(x, theirs), ulp=0)
            if i == 0:
                assert "runs eagerly" in f.explain(x, ours)
    text = f.explain(x, ours)
    assert "runs as plain NumPy" in text or "keeps its fused program" in text, text


class FakeClock:
    """perf_counter for the decorator: time moves only when the wrapped runs below add their cost."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("fused_s, numpy_s, as_numpy", [(1.0, 0.5, True), (1.0, 0.9, False), (1.0, 2.0, False)])
def test_the_verdict_compares_best_times_with_a_margin(probe_on, monkeypatch, fused_s, numpy_s, as_numpy):
    clock = FakeClock()
    monkeypatch.setattr(decorator.time, "perf_counter", clock)
    f = la.fuse(lambda a: a * 2.0 + 1.0)
    state = next(c.cell_contents for c in f.__closure__ if isinstance(c.cell_contents, decorator._Fused))
    run_fused, plain_run = state._run_fused, state.plain_run

    def timed(run, cost):
        def wrapper(*args):
            clock.now += cost
            return run(*args)
        return wrapper

    monkeypatch.setattr(state, "_run_fused", timed(run_fused, fused_s))
    monkeypatch.setattr(state, "plain_run", timed(plain_run, numpy_s))
    x = np.arange(10.0)
    f(x)  # the trace: not timed
    for i in range(speed_probe.CALLS_TO_DECIDE - 1):
        assert (len(state.probing) == 1) is True
        assert_same(f(x), x * 2.0 + 1.0, ulp=0)
    assert not state.probing  # decided after exactly CALLS_TO_DECIDE calls
    assert (next(iter(state.probed)) in state.numpy_faster) is as_numpy
    assert f"{numpy_s * 1e3:.3g} ms" in next(iter(state.probed.values()))


def test_the_probe_skips_its_warm_run_then_times_fused_runs_then_numpy_runs():
    probe = speed_probe.Probe()
    assert not probe.runs_numpy_next()
    probe.add_fused(5.0)  # the warm run: not kept
    assert probe.fused == [] and not probe.runs_numpy_next()
    probe.add_fused(2.0), probe.add_fused(3.0)
    assert probe.runs_numpy_next() and probe.verdict() is None
    probe.add_numpy(1.8)
    assert probe.verdict() is None
    probe.add_numpy(1.6)  # best NumPy 1.6 < 0.85 * best fused 2.0 = 1.7
    assert probe.verdict() is True


def branch(a):
    if a.sum() > 0:
        return np.sin(a) * 2.0
    return np.cos(a) - 1.0


def test_a_call_that_traces_is_not_timed(probe_on):
    f = la.fuse(branch)
    x = np.linspace(-1.0, 2.0, 40)
    state = next(c.cell_contents for c in f.__closure__ if isinstance(c.cell_contents, decorator._Fused))
    f(x), f(x)  # the trace, then the warm run
    probe = next(iter(state.probing.values()))
    assert probe.fused == [] and probe.warm_left == 0
    assert_same(f(-x), branch(-x), ulp=2)  # the guard fails: a second trace, not a timing
    assert probe.fused == [] and f.cache_info().traces == 2
    assert_same(f(x), branch(x), ulp=2)  # a replay: timed
    assert len(probe.fused) == 1
