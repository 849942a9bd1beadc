"""Which kernel variant a call runs (#14): one thread runs the serial variant; background compiles of a variant
leave the other one running the calls. Counted by the kernel modules imported and ``cache_info()``, never timed."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache, diskcache
from subprocesses import run_bounded

REPO = Path(__file__).resolve().parents[1]
THRESHOLD = 1000  # kernels of this many elements or more are parallel-sized here

rng = np.random.default_rng(140)
A, B, X = rng.random(3000), rng.random(3000), rng.random((40, 60))

# (lazy, NumPy): a map kernel with vectorised math, a full reduction, an axis reduction, a row-fused softmax.
# Each has an fmin/fmax no other test file's expression has: the test counts the kernel modules a call
# imports, and a kernel of the same structure another test compiled in this process would import none.
CASES = {
    "map": (lambda: la.exp(la.array(A) * 0.75) - la.fmax(la.array(B), 0.25) * 4,
            lambda: np.exp(A * 0.75) - np.fmax(B, 0.25) * 4),
    "full reduction": (lambda: ((la.fmin(la.array(A), 0.8) - la.array(B)) * 3.5).sum(),
                       lambda: ((np.fmin(A, 0.8) - B) * 3.5).sum()),
    "axis reduction": (lambda: (la.fmin(la.array(X), 0.9) * 2.5).min(axis=1),
                       lambda: (np.fmin(X, 0.9) * 2.5).min(axis=1)),
    "softmax rows": (lambda: _softmax(np, la.fmin(la.array(X), 0.95) * 1.25),
                     lambda: _softmax(np, np.fmin(X, 0.95) * 1.25)),
}


def _softmax(M, x):
    e = M.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _modules() -> set:
    return {n for n in sys.modules if n.startswith(diskcache.PREFIX)}


def _variants(before: set) -> set:
    """'parallel'/'serial' for each kernel module imported since `before`."""
    return {"parallel" if "parallel=True" in Path(sys.modules[n].__file__).read_text() else "serial"
            for n in _modules() - before}


def _result(lazy):
    return np.asarray(lazy().compute())


@pytest.fixture
def two_threads():
    if la.show_config()["max_threads"] < 2:
        pytest.skip("needs Numba's pool to have 2 threads")


# numba_tier: Numba's variants are the subject (#14: these maps and reductions run on the quick tier otherwise)
@pytest.mark.parametrize("case", list(CASES))
def test_one_thread_runs_the_serial_variant_and_gives_the_parallel_ones_bits(parallel_threshold, two_threads, case,
                                                                            numba_tier):
    lazy, numpy = CASES[case]
    parallel_threshold(THRESHOLD)
    before = _modules()
    with la.num_threads(1):
        one = _result(lazy)
    assert _variants(before) == {"serial"}  # expressions of this file only: never in memory before
    before = _modules()
    with la.num_threads(2):
        two = _result(lazy)
    assert _variants(before) == {"parallel"}
    assert one.tobytes() == two.tobytes()  # the same loop body in the same order
    np.testing.assert_allclose(one, numpy(), rtol=1e-13)


def test_switching_thread_counts_compiles_each_variant_once(parallel_threshold, two_threads, numba_tier):
    parallel_threshold(THRESHOLD)
    want = A * 6 - B * 0.5

    def kernels():
        info = la.cache_info()
        return info.compiles + info.disk_hits

    def lazy():  # new LazyArrays each call: the small-call fast path (runtime/recipes) keeps the kernel
        return (la.array(A) * 6 - la.array(B) * 0.5).compute()

    np.testing.assert_array_equal(lazy(), want)
    start = kernels()
    np.testing.assert_array_equal(lazy(), want)  # the parallel variant, kept
    with la.num_threads(1):
        before = _modules()
        np.testing.assert_array_equal(lazy(), want)
        np.testing.assert_array_equal(lazy(), want)
        serial = kernels() - start
        assert _variants(before) == {"serial"} and serial == 1
    for count in (2, 1, 2):
        with la.num_threads(count):
            np.testing.assert_array_equal(lazy(), want)
    assert kernels() - start == serial  # both variants stay in memory


def test_while_the_serial_variant_compiles_in_the_background_the_parallel_one_runs(
        parallel_threshold, two_threads, monkeypatch, tmp_path, numba_tier):
    monkeypatch.setenv("LAZYARR_CACHE_DIR", str(tmp_path))  # empty: the serial variant must be compiled
    parallel_threshold(THRESHOLD)
    want = np.fmax(A, 0.25) * 3 + B

    def lazy():
        return (la.fmax(la.array(A), 0.25) * 3 + la.array(B)).compute()

    np.testing.assert_array_equal(lazy(), want)  # the parallel variant, compiled in this thread
    config.set_background_compile(True)
    try:
        with la.num_threads(1):
            interpreted, compiles = la.cache_info().interpreted, la.cache_info().compiles
            before = _modules()
            np.testing.assert_array_equal(lazy(), want)
            assert la.cache_info().interpreted == interpreted  # the parallel kernel answered, not NumPy
            assert cache.wait_for_compiles(120)
            assert _variants(before) == {"serial"} and la.cache_info().compiles == compiles + 1
            np.testing.assert_array_equal(lazy(), want)
            assert la.cache_info().compiles == compiles + 1 and la.cache_info().interpreted == interpreted
    finally:
        config.set_background_compile(None)


def test_numba_num_threads_1_compiles_only_serial_kernels(tmp_path):
    code = """
import sys
from pathlib import Path
import numpy as np
import lazyarr as la
from lazyarr.compiler import diskcache
a = np.linspace(0, 1, 5000)
np.testing.assert_array_equal((la.array(a) * 6 - 1).compute(), a * 6 - 1)
np.testing.assert_array_equal((la.array(a) * 6 - 1).compute(), a * 6 - 1)
assert la.get_num_threads() == 1
names = [n for n in sys.modules if n.startswith(diskcache.PREFIX)]
print(sorted("parallel=True" in Path(sys.modules[n].__file__).read_text() for n in names))
print("OK")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])), NUMBA_NUM_THREADS="1",
               LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_PARALLEL_THRESHOLD="1000", LAZYARR_SERIAL_FIRST="0",
               LAZYARR_BACKGROUND_COMPILE="0", LAZYARR_WARMUP="0", LAZYARR_QUICK_TIER="0")
    proc = run_bounded([sys.executable, "-c", code], env, 180)
    assert proc.returncode == 0 and proc.stdout.split() == ["[False]", "OK"], proc.stdout + proc.stderr[-3000:]
