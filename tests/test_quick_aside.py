"""The quick tier under background compilation (#14 bgfirst2): what its kernels cost the call that first meets them.

A new kernel is handed to one thread started with the process (``llvm_tier.start_aside``), which decides there
whether the tier takes it and makes it; the call that met it only answers with NumPy. A kernel the tier does not
take gets Numba's compile queued from that thread. Counted, never timed: which threads ran the tier's check,
which tier ran the next call, and ``cache_info().interpreted``.
"""
import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache, llvm_map, llvm_reduce, llvm_tier
from lazyarr.runtime import llvm_launch

THRESHOLD = 1000  # kernels of this many elements or more are parallel-sized here (serial_first stays out)

rng = np.random.default_rng(1415)
A, B, X = rng.random(3000), rng.random(3000), rng.random((60, 50))


@pytest.fixture
def background(tmp_path, monkeypatch):
    """Background compilation, the quick tier, parallel kernels from THRESHOLD elements, an empty kernel cache."""
    monkeypatch.setenv("LAZYARR_CACHE_DIR", str(tmp_path))
    config.set_parallel_threshold(THRESHOLD)
    config.set_quick_tier(True)
    config.set_background_compile(True)
    yield
    assert cache.wait_for_compiles(120)
    config.set_background_compile(None)
    config.set_quick_tier(None)
    config.set_parallel_threshold(None)


@pytest.fixture
def checkers(monkeypatch):
    """The names of the threads that ran the tier's "does it take this kernel?" (a reduction's check, a map's IR
    module)."""
    names = []
    check, module = llvm_reduce.check, llvm_map.kernel_module

    def recorded(function):
        def run(*args, **kwargs):
            names.append(threading.current_thread().name)
            return function(*args, **kwargs)
        return run

    monkeypatch.setattr(llvm_reduce, "check", recorded(check))
    monkeypatch.setattr(llvm_map, "kernel_module", recorded(module))
    return names


# structures no other test file builds (fmin with these constants), so their kernels are not in memory yet
CASES = {
    "map": (lambda: np.fmin(la.array(A) * 1.75, la.array(B) + 0.125) - la.array(B),
            lambda: np.fmin(A * 1.75, B + 0.125) - B, None),  # (its next call: the small-call path's recipe)
    "full reduction": (lambda: (np.fmin(la.array(A), 0.625) * la.array(B)).sum(),
                       lambda: (np.fmin(A, 0.625) * B).sum(), llvm_launch.reductions),
    "axis reduction": (lambda: (np.fmin(la.array(X), 0.375) * 3.0).sum(axis=1),
                       lambda: (np.fmin(X, 0.375) * 3.0).sum(axis=1), llvm_launch.reductions),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_tiers_check_runs_aside_and_the_next_call_runs_its_kernel(background, checkers, case):
    lazy, numpy, ran = CASES[case]
    interpreted, made = la.cache_info().interpreted, llvm_tier.info()
    np.testing.assert_allclose(lazy().compute(), numpy(), rtol=1e-13)
    assert la.cache_info().interpreted == interpreted + 1  # NumPy answered the first call
    assert threading.current_thread().name not in checkers  # nothing about the tier was decided in the call
    assert cache.wait_for_compiles(120)
    assert checkers and set(checkers) == {"lazyarr-quick-compile"}
    now = llvm_tier.info()
    assert now["compiles"] + now["disk_hits"] == made["compiles"] + made["disk_hits"] + 1
    before, info = ran and ran(), la.cache_info()
    np.testing.assert_allclose(lazy().compute(), numpy(), rtol=1e-13)
    after = la.cache_info()
    assert after.interpreted == interpreted + 1 and after.compiles + after.disk_hits == info.compiles + info.disk_hits
    assert ran is None or ran() == before + 1  # the quick kernel made aside ran


def test_a_kernel_the_tier_refuses_gets_numbas_compile_queued_from_the_aside_thread(background):
    # logaddexp is not on the tier (docs/quick_tier.md): the aside thread learns it and queues Numba's compile
    config.set_serial_first(False)  # the parallel variant at once: the next call runs it
    try:
        def lazy():
            return np.logaddexp(la.array(A) * 2.5, 0.0625) * la.array(B)

        expected = np.logaddexp(A * 2.5, 0.0625) * B  # (Numba's logaddexp: within 1 ULP)
        interpreted, refused, info = la.cache_info().interpreted, llvm_tier.info()["refused"], la.cache_info()
        np.testing.assert_allclose(lazy().compute(), expected, rtol=1e-15)
        assert la.cache_info().interpreted == interpreted + 1
        assert cache.wait_for_compiles(120)
        assert llvm_tier.info()["refused"] == refused + 1
        after = la.cache_info()
        assert after.compiles + after.disk_hits > info.compiles + info.disk_hits  # Numba's kernel, queued aside
        assert after.interpreted == interpreted + 1  # the refusal's queueing counted no second NumPy answer
        before = llvm_launch.launches()
        np.testing.assert_allclose(lazy().compute(), expected, rtol=1e-15)
        assert la.cache_info().interpreted == interpreted + 1 and llvm_launch.launches() == before  # Numba's
    finally:
        config.set_serial_first(None)



def test_a_row_kernel_the_tier_refuses_gets_numbas_compile_queued_from_the_aside_thread(background):
    # a softmax-like row program through logaddexp (not on the tier): the refusal is learned aside, as for maps
    config.set_serial_first(False)
    try:
        def lazy():
            x = np.logaddexp(la.array(X), 0.5)
            e = np.exp(x - x.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        x = np.logaddexp(X, 0.5)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        expected = e / e.sum(axis=1, keepdims=True)
        interpreted, refused, info = la.cache_info().interpreted, llvm_tier.info()["refused"], la.cache_info()
        np.testing.assert_allclose(lazy().compute(), expected, rtol=1e-14)
        assert la.cache_info().interpreted == interpreted + 1
        assert cache.wait_for_compiles(120)
        assert llvm_tier.info()["refused"] == refused + 1
        after = la.cache_info()
        assert after.compiles + after.disk_hits > info.compiles + info.disk_hits  # Numba's row kernel, queued aside
        rows_before = llvm_launch.row_kernels()
        np.testing.assert_allclose(lazy().compute(), expected, rtol=1e-14)
        assert la.cache_info().interpreted == interpreted + 1 and llvm_launch.row_kernels() == rows_before
    finally:
        config.set_serial_first(None)


CHILD = textwrap.dedent(
    r'''
    import json, threading
    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import cache

    def aside():
        return [t.ident for t in threading.enumerate() if t.name == "lazyarr-quick-compile"]

    at_import = aside()
    a = np.linspace(0, 1, 100000)
    first = (la.array(a) * 3 - 1).sum()  # two new kernels at a parallel size
    second = la.array(a) * 0.5 + 2
    values = [float(first), float(np.asarray(second)[7])]
    assert cache.wait_for_compiles(120)
    print("REPORT " + json.dumps(dict(at_import=at_import, after=aside(), values=values,
                                      interpreted=la.cache_info().interpreted)))
    '''
)


@pytest.mark.parametrize("background", ["1", "0"])
def test_one_aside_thread_is_started_by_the_import_with_background_compilation(tmp_path, background):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYARR_")}
    env.update(LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_BACKGROUND_COMPILE=background, LAZYARR_WARMUP="0",
               LAZYARR_QUICK_TIER="1")
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(next(ln[7:] for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")))
    a = np.linspace(0, 1, 100000)
    np.testing.assert_allclose(report["values"], [(a * 3 - 1).sum(), a[7] * 0.5 + 2], rtol=1e-12)
    if background == "1":
        assert len(report["at_import"]) == 1 and report["after"] == report["at_import"]
        assert report["interpreted"] == 2  # both first calls answered by NumPy, both kernels made on that thread
    else:
        assert report["at_import"] == [] and report["after"] == [] and report["interpreted"] == 0
