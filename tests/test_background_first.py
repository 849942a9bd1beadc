"""The first answer with background compilation (#14): what the call that queues a compile does itself.

Counted, never timed: a compile held on an Event in a test hook shows that the call answers without waiting for
it; the threads that generate kernel source show that the caller generates none; cache_info() and the kernel
modules imported show which variant the worker chose. The interpreter's reuse of its temporaries is checked bit
for bit against NumPy, inputs untouched.
"""
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache, diskcache, source_map, source_reduce, source_rows


@pytest.fixture(autouse=True)
def _numba_path(numba_tier):
    """(#14 quick tier) Every map through Numba: these tests are about Numba's background compiles (the quick
    tier's own background path: tests/test_quick_tier.py)."""


THRESHOLD = 1000  # kernels of this many elements or more are parallel-sized here

rng = np.random.default_rng(1414)
A, B, X = rng.random(3000), rng.random(3000), rng.random((40, 60))


def _softmax(M, x):
    e = M.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# (lazy, NumPy, rtol): a map kernel with vectorised sin (its source imports vecmath), a full reduction, a row-fused
# softmax. copysign is in no other test file's expressions, so no other test has these kernels in memory.
CASES = {
    "map": (lambda: la.sin(la.copysign(la.array(A), la.array(B) - 0.5)) * 3 + la.array(B),
            lambda: np.sin(np.copysign(A, B - 0.5)) * 3 + B, 1e-15),
    "full reduction": (lambda: (la.copysign(la.array(A), la.array(B) - 0.5) * 1.5).sum(),
                       lambda: (np.copysign(A, B - 0.5) * 1.5).sum(), 1e-13),
    "softmax rows": (lambda: _softmax(np, la.copysign(la.array(X), la.array(X) - 0.25)),
                     lambda: _softmax(np, np.copysign(X, X - 0.25)), 1e-13),
}


def _modules() -> set:
    return {n for n in sys.modules if n.startswith(diskcache.PREFIX)}


def _variants(before: set) -> list:
    """'parallel'/'serial' for each kernel module imported since `before`."""
    return sorted("parallel" if "parallel=True" in Path(sys.modules[n].__file__).read_text() else "serial"
                  for n in _modules() - before)


@pytest.fixture
def background(monkeypatch, tmp_path):
    """Background compilation and serial first on, parallel kernels from THRESHOLD elements, an empty cache."""
    monkeypatch.setenv("LAZYARR_CACHE_DIR", str(tmp_path))
    config.set_parallel_threshold(THRESHOLD)
    config.set_serial_first(True)
    config.set_background_compile(True)
    yield
    assert cache.wait_for_compiles(120)
    config.set_background_compile(None)
    config.set_serial_first(None)
    config.set_parallel_threshold(None)


@pytest.fixture
def held_compiles(monkeypatch):
    """Every compile waits for the Event this returns; records the threads that generate kernel source."""
    release = threading.Event()
    compile_ = cache._compile

    def held(make_source, **kwargs):
        assert release.wait(120), "the test never released the compile"
        return compile_(make_source, **kwargs)

    monkeypatch.setattr(cache, "_compile", held)
    release.sources = []
    for module in (source_map, source_reduce, source_rows):
        generate = module.kernel_source

        def recorded(*args, _generate=generate, **kwargs):
            release.sources.append(threading.current_thread().name)
            return _generate(*args, **kwargs)

        monkeypatch.setattr(module, "kernel_source", recorded)
    yield release
    release.set()


@pytest.mark.parametrize("case", list(CASES))
def test_a_first_call_answers_while_its_compile_is_held_and_generates_no_source(background, held_compiles, case):
    lazy, numpy, rtol = CASES[case]
    info, before = la.cache_info(), _modules()
    first = np.asarray(lazy().compute())  # would hang here if the call waited for its compile
    np.testing.assert_allclose(first, numpy(), rtol=rtol)
    assert la.cache_info().interpreted == info.interpreted + 1  # NumPy answered
    assert held_compiles.sources == []  # not even the parallel variant's, to look for it on disk
    held_compiles.set()
    assert cache.wait_for_compiles(120)
    assert set(held_compiles.sources) == {"lazyarr-compiler"}
    # an empty cache: the worker found no parallel variant on disk and compiled the serial one
    assert _variants(before) == ["serial"] and la.cache_info().compiles == info.compiles + 1
    interpreted = la.cache_info().interpreted
    second = np.asarray(lazy().compute())  # the serial kernel, while the parallel one compiles
    assert la.cache_info().interpreted == interpreted
    np.testing.assert_allclose(second, numpy(), rtol=rtol)
    assert cache.wait_for_compiles(120)
    third = np.asarray(lazy().compute())
    assert _variants(before) == ["parallel", "serial"] and la.cache_info().interpreted == interpreted
    assert second.tobytes() == third.tobytes()  # the same loop body in the same order


def test_the_worker_loads_a_parallel_variant_found_on_disk_instead_of_compiling_the_serial_one(background):
    # an expression of its own: a kernel module another test imported would be reused, never written to this disk
    def lazy():
        return la.cos(la.copysign(la.array(A), la.array(B) - 0.5)) * 3 - la.array(B)

    def numpy():
        return np.cos(np.copysign(A, B - 0.5)) * 3 - B

    rtol = 1e-15
    config.set_background_compile(False)
    config.set_serial_first(False)
    np.testing.assert_allclose(lazy().compute(), numpy(), rtol=rtol)  # the parallel variant, compiled, on disk
    cache.clear_memory()  # as a new process: nothing in memory, the disk kept
    config.set_serial_first(True)
    config.set_background_compile(True)
    info, before = la.cache_info(), _modules()
    np.testing.assert_allclose(lazy().compute(), numpy(), rtol=rtol)
    assert la.cache_info().interpreted == info.interpreted + 1
    assert cache.wait_for_compiles(120)
    after = la.cache_info()
    assert (after.compiles, after.disk_hits) == (info.compiles, info.disk_hits + 1)
    assert _variants(before) == ["parallel"]
    np.testing.assert_allclose(lazy().compute(), numpy(), rtol=rtol)
    assert la.cache_info().interpreted == after.interpreted and la.cache_info().hits > after.hits


def test_a_failed_background_compile_still_raises_in_the_next_caller(background, monkeypatch):
    # The serial-first choice on the worker keeps the old promise: the failure is not swallowed there.
    from lazyarr.runtime import launch

    def broken():
        raise RuntimeError("codegen broke")

    assert launch.pick_kernel(lambda p: ("test-bgfirst", p), lambda p: broken, None, True) == (None, False)
    assert cache.wait_for_compiles(30)
    config.set_background_compile(False)
    with pytest.raises(RuntimeError, match="codegen broke"):
        cache.get(("test-bgfirst", False), broken)


# --- the interpreter's temporaries --------------------------------------------------------------------------

INTERPRETED = {
    # NumPy elides 3*b*a's and the sums' temporaries; the interpreter reuses them the same way
    "chain": (lambda a, b: 2 * a + 3 * b * a - b),
    # the same temporary read twice, then dying: written in place of itself
    "square": (lambda a, b: (a - b) * (a - b) + (a - b)),
    # a bool mask and a where: dtypes change along the chain
    "dtypes": (lambda a, b: np.where((a * 4 - b) > 1, a * 4 - b, -b)),
    # a broadcast operand: its temporary is smaller than the result and must not be written
    "broadcast": (lambda a, b: (a[:40, None] * 2 + 1) - b[None, :60]),
}


@pytest.mark.parametrize("case", list(INTERPRETED))
def test_numpys_answer_reuses_temporaries_without_touching_inputs_and_gives_numpys_bits(
        background, held_compiles, case):
    f = INTERPRETED[case]
    a, b = A.copy(), B.copy()
    want = f(A, B)
    got = np.asarray(f(la.array(a), la.array(b)).compute())
    assert la.cache_info().interpreted > 0
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    assert a.tobytes() == A.tobytes() and b.tobytes() == B.tobytes()
    assert not np.may_share_memory(got, a) and not np.may_share_memory(got, b)
    held_compiles.set()


def test_two_results_of_one_kernel_both_survive_the_interpreter(background, held_compiles):
    # d reads c, and c is a result: c's buffer must not be reused for d
    la_a = la.array(A)
    c = la_a * 2 + 1
    d = (c - 0.5) * 3
    got_c, got_d = la.compute(c, d)
    want_c = A * 2 + 1
    assert np.asarray(got_c).tobytes() == want_c.tobytes()
    assert np.asarray(got_d).tobytes() == ((want_c - 0.5) * 3).tobytes()
    held_compiles.set()
