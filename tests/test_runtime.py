"""End to end: real lazyarr computations from many threads, in fork and spawn pools, under thread control.

Each check runs in a fresh interpreter (a crash or a hang there is a failed test here, not a dead pytest),
with its own kernel cache directory shared by this module's runs, so only the first run compiles.
"""

import os
import sys
import textwrap
from pathlib import Path

import pytest
from subprocesses import run_bounded

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    r'''
    import os, re, sys, threading, warnings
    import multiprocessing as mp

    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import cache


    def data(n, seed):
        rng = np.random.default_rng(seed)
        return rng.random(n), rng.random(n), rng.integers(-1000, 1000, n)


    # Six expressions of different kinds; each builds a new LazyArray (compute() memoises per object).
    EXPRESSIONS = [
        (lambda a, b, i: la.array(a) + la.array(b), lambda a, b, i: a + b),
        (lambda a, b, i: la.sin(la.array(a)) * 2 - la.array(b) ** 2, lambda a, b, i: np.sin(a) * 2 - b ** 2),
        (lambda a, b, i: la.where(la.array(a) > 0.5, la.array(a), 2 * la.array(b)),
         lambda a, b, i: np.where(a > 0.5, a, 2 * b)),
        (lambda a, b, i: (la.array(i) * 3 + 7) // 2, lambda a, b, i: (i * 3 + 7) // 2),
        (lambda a, b, i: ((la.array(a) - la.array(b)) ** 2).sum(), lambda a, b, i: ((a - b) ** 2).sum()),
        (lambda a, b, i: la.exp(-la.array(a)) * la.cos(la.array(b)) + 1, lambda a, b, i: np.exp(-a) * np.cos(b) + 1),
    ]


    def check(got, want, what):
        assert np.asarray(got).dtype == np.asarray(want).dtype, (what, np.asarray(got).dtype)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, err_msg=what)


    def run_expression(k, n, seed=0):
        a, b, i = data(n, seed)
        lazy, ref = EXPRESSIONS[k]
        return lazy(a, b, i).compute(), ref(a, b, i)


    def join_all(pool, timeout):
        for t in pool:
            t.join(timeout)
        alive = [t.name for t in pool if t.is_alive()]
        if alive:
            print(f"HUNG: {alive}", flush=True)
            os._exit(3)  # a hang must fail the test, not wait forever for the thread


    def check_concurrent():
        # 8 threads start together on 6 expressions (two pairs share one: the same kernel missed twice at once),
        # alternating a serial size and a parallel one (LAZYARR_PARALLEL_THRESHOLD is 32768 by default).
        start = threading.Barrier(8)
        failures = []

        def worker(t):
            start.wait()
            for rep in range(12):
                n = (1_000 + 37 * t) if rep % 2 else (40_000 + 1_000 * t)
                try:
                    got, want = run_expression(t % len(EXPRESSIONS), n, seed=rep)
                    check(got, want, f"thread {t} rep {rep} n {n}")
                except Exception as exc:
                    failures.append((t, rep, repr(exc)))

        pool = [threading.Thread(target=worker, args=(t,), name=f"w{t}") for t in range(8)]
        for t in pool:
            t.start()
        join_all(pool, timeout=90)
        assert not failures, failures
        assert cache.wait_for_compiles(timeout=90)
        info = la.cache_info()
        # 6 expressions x 2 sizes; a kernel missed by two threads at once is still compiled or loaded once.
        # (#14) A quick-tier kernel serves both sizes (its parallel calls run its chunks on threads): one each.
        from lazyarr.compiler import llvm_tier
        quick = llvm_tier.info()
        assert info.compiles + info.disk_hits == 12 - quick["compiles"] - quick["disk_hits"], (info, quick)


    def check_num_threads():
        top = la.get_num_threads()
        assert top == int(os.environ["NUMBA_NUM_THREADS"]) == la.show_config()["max_threads"]
        big = 200_000
        with la.num_threads(1) as n:
            assert n == 1 and la.get_num_threads() == 1
            check(*run_expression(1, big), "inside num_threads(1)")
            with la.num_threads(2):
                assert la.get_num_threads() == 2
                check(*run_expression(5, big), "nested num_threads(2)")
            assert la.get_num_threads() == 1
        assert la.get_num_threads() == top
        try:
            with la.num_threads(1):
                run_expression(4, big)
                raise KeyError("leave the block by an exception")
        except KeyError:
            pass
        assert la.get_num_threads() == top

        # Scopes are per Python thread: two threads computing at once with different counts.
        seen, failures = {}, []
        start = threading.Barrier(2)

        def worker(count):
            with la.num_threads(count):
                start.wait()
                for rep in range(4):
                    try:
                        check(*run_expression(rep % 3, big, seed=rep), f"count {count}")
                    except Exception as exc:
                        failures.append(repr(exc))
                    seen.setdefault(count, set()).add(la.get_num_threads())
            seen[f"after {count}"] = la.get_num_threads()

        la.set_num_threads(1)  # the main thread's own setting does not leak into new threads
        pool = [threading.Thread(target=worker, args=(c,)) for c in (1, 3)]
        for t in pool:
            t.start()
        join_all(pool, timeout=60)
        assert not failures, failures
        assert seen == {1: {1}, 3: {3}, "after 1": top, "after 3": top}, seen
        assert la.get_num_threads() == 1


    def in_child(k, n):
        before = la.cache_info()
        got, want = run_expression(k, n)
        after = la.cache_info()
        return got, want, after.compiles - before.compiles, after.hits - before.hits, os.getpid()


    def check_fork():
        # The parent has run parallel kernels (the layer's thread pool exists) before forking: twice each, as
        # a first call at a parallel size runs the serial variant (serial first, docs/runtime.md). Once was
        # enough only when an earlier test had left the parallel kernel in the shared disk cache.
        for k in (1, 4):
            for _ in range(2):
                check(*run_expression(k, 100_000), f"parent {k}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork of a threaded process
            with mp.get_context("fork").Pool(2) as pool:
                jobs = [(1, 100_000), (4, 100_000), (5, 90_000), (3, 2_000)]
                results = pool.starmap_async(in_child, jobs).get(timeout=90)
        for (k, n), (got, want, compiles, hits, pid) in zip(jobs, results):
            check(got, want, f"child {pid}: expression {k}")
            assert pid != os.getpid()
            if k in (1, 4):
                assert compiles == 0 and hits >= 1, (k, compiles, hits)  # inherited in memory
        # A raw fork child too, computing a kernel the parent never had.
        pid = os.fork()
        if pid == 0:
            try:
                check(*run_expression(2, 70_000), "raw fork child")
            except BaseException:
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status


    def compute(lazy):
        return lazy.compute(), la.show_config()["threading_layer"], os.getpid()


    def check_spawn():
        a, b, i = data(50_000, 7)
        lazies = [EXPRESSIONS[k][0](a, b, i) for k in range(len(EXPRESSIONS))]
        wants = [EXPRESSIONS[k][1](a, b, i) for k in range(len(EXPRESSIONS))]
        with mp.get_context("spawn").Pool(2) as pool:
            results = pool.map_async(compute, lazies).get(timeout=120)  # LazyArrays travel pickled
        for k, ((got, layer, pid), want) in enumerate(zip(results, wants)):
            check(got, want, f"spawned child, expression {k}")
            assert pid != os.getpid()
            assert layer == os.environ["EXPECT_LAYER"], layer


    def check_config():
        layer = os.environ["EXPECT_LAYER"]
        cfg = la.show_config()
        assert cfg["threading_layer"] == layer, cfg
        assert cfg["serialized_launches"] is (layer == "workqueue"), cfg
        a, b, i = data(100_000, 0)
        text = EXPRESSIONS[1][0](a, b, i).explain()
        assert re.search(rf"threading layer\W+{layer}\b", text), text


    if __name__ == "__main__":
        for name in sys.argv[1:]:
            globals()["check_" + name]()
        print("OK")
    '''
)


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("runtime") / "runtime_checks.py"
    path.write_text(SCRIPT)
    return path


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("runtime-kernels")


def _has_tbb():
    import importlib.metadata
    try:
        importlib.metadata.distribution("tbb")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


DEFAULT_LAYER = "tbb" if _has_tbb() else "workqueue"
LAYERS = [pytest.param({}, DEFAULT_LAYER, id="default"),
          pytest.param({"LAZYARR_THREADING_LAYER": "workqueue"}, "workqueue", id="workqueue")]


def run_checks(script, cache_dir, checks, expect_layer, timeout=150, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full.get("PYTHONPATH")]))
    if "LAZYARR_BACKGROUND_COMPILE" in env:  # its own cache: kernels the other runs left would all be hits
        cache_dir = cache_dir.parent / (cache_dir.name + "-background")
    full.update(LAZYARR_CACHE_DIR=str(cache_dir), LAZYARR_BACKGROUND_COMPILE="0", EXPECT_LAYER=expect_layer)
    full.update(env)
    proc = run_bounded([sys.executable, str(script), *checks], full, timeout, what=str(checks))
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0 and out.rstrip().endswith("OK"), (
        f"rc={proc.returncode}\nstdout:\n{out[-4000:]}\nstderr:\n{err[-6000:]}")


@pytest.mark.parametrize("env, layer", LAYERS + [
    pytest.param({"LAZYARR_BACKGROUND_COMPILE": "1"}, DEFAULT_LAYER, id="background-compile")])
def test_eight_threads_compute_at_once(script, cache_dir, env, layer):
    run_checks(script, cache_dir, ["concurrent"], layer, **env)


def test_num_threads_is_scoped_per_thread(script, cache_dir):
    run_checks(script, cache_dir, ["num_threads"], DEFAULT_LAYER, NUMBA_NUM_THREADS="4")


@pytest.mark.parametrize("env, layer", LAYERS)
def test_fork_pool_after_parent_computed(script, cache_dir, env, layer):
    # (#14 quick reductions) Numba's kernels and pool are the subject: its reduction would be a quick kernel
    run_checks(script, cache_dir, ["fork"], layer, **{**env, "LAZYARR_QUICK_TIER": "0"})


def test_spawn_pool_computes_pickled_lazy_arrays(script, cache_dir):
    run_checks(script, cache_dir, ["spawn"], DEFAULT_LAYER)


@pytest.mark.parametrize("env, layer", LAYERS)
def test_show_config_and_explain_name_the_layer(script, cache_dir, env, layer):
    run_checks(script, cache_dir, ["config"], layer, **env)


# --- the warm-up thread (lazyarr.warmup) and the lazy scipy.special import ---------------------------------------

def run_python(parts, cache_dir, timeout=120, **env):
    """The code `parts` (each dedented, then joined) in a fresh interpreter (its own session, killed whole on a
    hang); returns its stdout, which must end with OK."""
    code = "\n".join(textwrap.dedent(part) for part in ([parts] if isinstance(parts, str) else parts))
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full.get("PYTHONPATH")]))
    # The warm-up is on by default only in interactive sessions; these tests are about it, so it is on here.
    full.update(LAZYARR_CACHE_DIR=str(cache_dir), LAZYARR_BACKGROUND_COMPILE="0", LAZYARR_WARMUP="1")
    # (#14 quick math) poly's sin map is on the quick tier now; these tests are about Numba's start and kernels
    full.update(LAZYARR_QUICK_TIER="0")
    full.update(env)
    proc = run_bounded([sys.executable, "-c", code], full, timeout)
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0 and out.rstrip().endswith("OK"), (
        f"rc={proc.returncode}\nstdout:\n{out[-4000:]}\nstderr:\n{err[-6000:]}")
    assert "Traceback" not in err and "Exception" not in err, err[-4000:]  # nothing died quietly in a thread
    return out


# One expression and its check, shared by the snippets below (a new LazyArray per call).
POLY = '''
import numpy as np
import lazyarr as la

def poly(n=50_000, seed=0):
    a = np.random.default_rng(seed).random(n)
    got = (2 * la.array(a) - la.sin(la.array(a)) ** 2).compute()
    np.testing.assert_allclose(got, 2 * a - np.sin(a) ** 2, rtol=1e-13)
'''


def test_warmup_thread_does_numbas_start_and_then_a_first_compute_is_right(cache_dir):
    run_python([POLY, '''
    import sys, threading
    from lazyarr.compiler import warmup
    assert warmup.state() == "running" or warmup.state().startswith("done"), warmup.state()
    assert warmup.wait(60) and warmup.state().startswith("done"), warmup.state()
    assert "lazyarr-warmup" not in [t.name for t in threading.enumerate()]
    assert "numba.np.arraymath" in sys.modules  # imported by the CPU target's refresh, not by import lazyarr
    poly()
    info = la.cache_info()
    assert info.compiles + info.disk_hits == 1, info
    print("OK")
    '''], cache_dir)


def test_computes_issued_while_the_warmup_runs_are_right(cache_dir):
    # Four threads compute at once, right after the import (the first of them racing the warm-up), each a
    # serial and a parallel size; the main thread too.
    run_python([POLY, '''
    import threading
    from lazyarr.compiler import warmup
    failures = []

    def worker(seed):
        try:
            for n in (1_000 + seed, 60_000 + seed):
                poly(n, seed)
        except Exception as exc:
            failures.append(repr(exc))

    pool = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in pool:
        t.start()
    poly()
    for t in pool:
        t.join(90)
    assert not any(t.is_alive() for t in pool), "a compute hung"
    assert not failures, failures
    assert warmup.state().startswith("done"), warmup.state()
    print("OK")
    '''], cache_dir)


def test_fork_right_after_import_waits_for_the_warmup(cache_dir):
    # A raw fork and a fork pool, both at once after the import: the children compute (a held compiler or
    # import lock inherited from the warm-up thread would hang them; run_python fails a hang).
    run_python([POLY, '''
    import os, warnings
    import multiprocessing as mp
    from lazyarr.compiler import warmup

    pid = os.fork()
    if pid == 0:
        try:
            assert warmup.state().startswith("done"), warmup.state()
            poly(70_000, 1)
        except BaseException as exc:
            print("child failed:", repr(exc), flush=True)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status

    def in_child(seed):
        poly(40_000 + seed, seed)
        return os.getpid()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork of a threaded process
        with mp.get_context("fork").Pool(2) as pool:
            pids = pool.map_async(in_child, range(4)).get(timeout=90)
    assert os.getpid() not in pids
    poly()
    print("OK")
    '''], cache_dir)


def test_warmup_off_starts_no_thread(cache_dir):
    run_python([POLY, '''
    import sys, threading
    from lazyarr.compiler import warmup
    assert warmup.state() == "off" and warmup.wait(0)
    assert "lazyarr-warmup" not in [t.name for t in threading.enumerate()]
    assert "numba.np.arraymath" not in sys.modules  # Numba's start is left to the first compile
    poly()
    print("OK")
    '''], cache_dir, LAZYARR_WARMUP="0")


def test_a_program_that_only_imports_exits_after_the_warmup(cache_dir):
    # atexit runs handlers last-registered first: this one, registered before the import, runs after lazyarr's
    # and sees the warm-up finished (not cut off mid-import by the interpreter's finalisation).
    out = run_python('''
    import atexit
    atexit.register(lambda: print("at exit:", __import__("lazyarr.compiler.warmup").compiler.warmup.state(), "\\nOK", flush=True))
    import lazyarr
    ''', cache_dir)
    assert "at exit: done" in out, out


def test_a_failed_warmup_is_repeated_by_the_first_compile(cache_dir):
    # Numba's refresh fails on the warm-up thread only: remembered there, and the first compile does it.
    run_python(['''
    import threading
    import numba.core.base as base
    real_refresh = base.BaseContext.refresh

    def refresh(self):
        if threading.current_thread().name == "lazyarr-warmup":
            raise ImportError("simulated failure on the warm-up thread")
        return real_refresh(self)

    base.BaseContext.refresh = refresh
    ''', POLY, '''
    from lazyarr.compiler import warmup
    assert warmup.wait(60)
    assert warmup.state() == "failed: ImportError('simulated failure on the warm-up thread')", warmup.state()
    poly()
    print("OK")
    '''], cache_dir)


def test_a_real_failure_is_not_hidden_by_the_warmup(cache_dir, tmp_path):
    # Numba's refresh fails everywhere: the warm-up swallows it, the first compute raises it.
    run_python(['''
    import numba.core.base as base

    def refresh(self):
        raise ImportError("simulated broken Numba")

    base.BaseContext.refresh = refresh
    ''', POLY, '''
    from lazyarr.compiler import warmup
    assert warmup.wait(60) and warmup.state().startswith("failed"), warmup.state()
    try:
        poly()
    except ImportError as exc:
        assert "simulated broken Numba" in str(exc)
    else:
        raise AssertionError("the failure was hidden")
    print("OK")
    '''], tmp_path)  # its own cache: an existing entry would take the same path anyway


def test_import_does_not_import_scipy_special_until_it_is_used(cache_dir):
    run_python('''
    import sys
    import numpy as np
    import lazyarr as la
    assert "scipy.special" not in sys.modules
    assert {"special", "stats"} <= set(dir(la)) and {"special", "stats"} <= set(la.__all__)
    assert "scipy.special" not in sys.modules  # dir() named them without importing them
    q = np.linspace(0.01, 0.99, 1000)
    got = la.special.ndtri(la.array(q)).compute()
    import scipy.special as sp, scipy.stats
    np.testing.assert_allclose(got, sp.ndtri(q), rtol=1e-14)
    from lazyarr import special, stats
    assert special is la.special and stats is la.stats
    np.testing.assert_allclose(la.stats.norm.isf(la.array(q)).compute(), scipy.stats.norm.isf(q), rtol=1e-14)
    np.testing.assert_allclose(sp.ndtri(la.array(q)).compute(), sp.ndtri(q), rtol=1e-14)  # __array_ufunc__
    try:
        la.no_such_thing
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("la.no_such_thing did not raise")
    print("OK")
    ''', cache_dir, LAZYARR_WARMUP="0")  # off: nothing imports beside the check


def test_scipy_special_stays_unimported_in_a_fresh_process_that_uses_plain_numpy_ufuncs(cache_dir):
    # np.sin(lazy) goes through __array_ufunc__, which must not ask scipy.special whether sin is one of its own.
    run_python('''
    import sys
    import numpy as np
    import lazyarr as la
    a = np.linspace(0, 1, 1000)
    np.testing.assert_allclose(np.sin(la.array(a)).compute(), np.sin(a), rtol=1e-14)
    assert "scipy.special" not in sys.modules
    print("OK")
    ''', cache_dir, LAZYARR_WARMUP="0")


# --- load balancing: parallel loops run in several chunks per thread ------------------------------------------

def test_prange_loops_set_the_chunk_size_and_restore_the_callers():
    from lazyarr.compiler.blocks import CHUNKS_PER_THREAD, Block, prange_loop, sequence
    body = sequence(
        "n = out0.shape[0]",
        prange_loop("i", "n", ["x = in0[i]", Block("if x > 0:", ["out0[i] = x"])], parallel=True),
        prange_loop("j", "n // 2", ["out0[j] += 1"], parallel=True),
        "total = 0",
    )
    lines = body.render().split("\n")
    setting = f"max(1, (n) // ({CHUNKS_PER_THREAD} * S.num_threads())))"
    assert lines[1] == f"_chunk = S.set_parallel_chunksize({setting}"
    assert lines[2] == "for i in numba.prange(n):"
    assert lines[6:9] == ["S.set_parallel_chunksize(_chunk)",
                          f"_chunk = S.set_parallel_chunksize({setting.replace('(n)', '(n // 2)')}",
                          "for j in numba.prange(n // 2):"]
    assert lines[10:] == ["S.set_parallel_chunksize(_chunk)", "total = 0"]
    # A loop that ends the text is closed too; serial loops are left alone.
    assert prange_loop("i", "n", ["f(i)"], parallel=True).render().endswith("\nS.set_parallel_chunksize(_chunk)")
    assert prange_loop("i", "n", ["f(i)"], parallel=False).render() == "for i in range(n):\n    f(i)"


def test_parallel_kernels_are_right_and_leave_the_threads_chunk_size_alone(parallel_threshold):
    import numba
    import numpy as np
    import lazyarr as la

    parallel_threshold(1000)
    rng = np.random.default_rng(5)
    a, x = rng.random(50_001), rng.random((257, 65))
    previous = numba.set_parallel_chunksize(7)  # the user's own setting for their prange loops
    try:
        with la.num_threads(2):
            got = (la.sin(la.array(a)) * 2 + 1).compute()
            sums = la.array(x).sum(axis=0).compute()
            assert numba.get_parallel_chunksize() == 7
    finally:
        numba.set_parallel_chunksize(previous)
    np.testing.assert_allclose(got, np.sin(a) * 2 + 1, rtol=1e-15)
    np.testing.assert_allclose(sums, x.sum(axis=0), rtol=1e-13)


# --- serial first (#14 compile latency) -----------------------------------------------------------------------

@pytest.fixture
def serial_first(monkeypatch, tmp_path):
    """Serial-first on, kernels of 1,000 elements or more parallel, and an empty kernel directory of the test's
    own (a parallel variant found on disk is loaded instead, which would make every later run of a test pass
    without testing anything)."""
    from lazyarr import config
    monkeypatch.setenv("LAZYARR_CACHE_DIR", str(tmp_path))
    config.set_serial_first(True)
    config.set_parallel_threshold(1000)
    yield
    config.set_parallel_threshold(None)
    config.set_serial_first(None)


def _new_kernels(before: set) -> list[str]:
    """Whether each kernel module imported since `before` is a parallel variant, as 'parallel'/'serial'."""
    from lazyarr.compiler import diskcache
    names = sorted(n for n in sys.modules if n.startswith(diskcache.PREFIX) and n not in before)
    return ["parallel" if "parallel=True" in Path(sys.modules[n].__file__).read_text() else "serial"
            for n in names]


def _kernel_modules() -> set:
    from lazyarr.compiler import diskcache
    return {n for n in sys.modules if n.startswith(diskcache.PREFIX)}


def test_a_first_call_at_a_parallel_size_compiles_the_serial_kernel_and_the_next_the_parallel_one(serial_first,
                                                                                              numba_tier):  # (#14)
    import numpy as np
    import lazyarr as la

    rng = np.random.default_rng(11)
    a, b, x = rng.random(6000), rng.random(6000), rng.random((60, 70))
    cases = [  # (lazy, NumPy): a map kernel with vectorised math, a full and an axis reduction
        (lambda: la.fmax(la.array(a), la.array(b)) * 3 - la.exp(la.array(b)), lambda: np.fmax(a, b) * 3 - np.exp(b)),
        (lambda: ((la.array(a) - la.array(b)) * 2.5).sum(), lambda: ((a - b) * 2.5).sum()),
        (lambda: (la.array(x) * 1.5).max(axis=1), lambda: (x * 1.5).max(axis=1)),
    ]
    for lazy, numpy in cases:
        before, compiles = _kernel_modules(), la.cache_info().compiles
        first = lazy().compute()
        assert _new_kernels(before) == ["serial"] and la.cache_info().compiles == compiles + 1
        before = _kernel_modules()
        second = lazy().compute()
        assert _new_kernels(before) == ["parallel"] and la.cache_info().compiles == compiles + 2
        third = lazy().compute()
        assert la.cache_info().compiles == compiles + 2  # the parallel kernel from now on
        assert first.tobytes() == second.tobytes() == third.tobytes()  # the same loop body: the same bits
        np.testing.assert_allclose(first, numpy(), rtol=1e-13)


def test_serial_first_off_compiles_the_parallel_kernel_at_once(serial_first, numba_tier):
    import numpy as np
    import lazyarr as la
    from lazyarr import config

    config.set_serial_first(False)
    a = np.random.default_rng(12).random(5000)
    before = _kernel_modules()
    # (a ** 3 is the vector power, within 1 ULP of NumPy's libm pow: tests/test_vecmath_power.py)
    np.testing.assert_array_max_ulp((la.array(a) * 7 - la.array(a) ** 3).compute(), a * 7 - a ** 3, maxulp=1)
    assert _new_kernels(before) == ["parallel"]


def test_while_the_parallel_kernel_compiles_in_the_background_the_serial_one_runs(serial_first, numba_tier):
    import numpy as np
    import lazyarr as la
    from lazyarr import config
    from lazyarr.compiler import cache

    a = np.random.default_rng(13).random(4000)
    want = np.fmin(a, 0.5) * 9 + a
    config.set_background_compile(True)
    try:
        interpreted = la.cache_info().interpreted
        np.testing.assert_array_equal((la.fmin(la.array(a), 0.5) * 9 + la.array(a)).compute(), want)
        assert la.cache_info().interpreted == interpreted + 1  # NumPy, while the serial kernel compiles
        assert cache.wait_for_compiles(120)
        np.testing.assert_array_equal((la.fmin(la.array(a), 0.5) * 9 + la.array(a)).compute(), want)
        assert la.cache_info().interpreted == interpreted + 1  # the serial kernel, while the parallel compiles
        assert cache.wait_for_compiles(120)
    finally:
        config.set_background_compile(None)


@pytest.mark.parametrize("value, expected", [("1", True), ("0", False), ("off", False), ("", True)])
def test_serial_first_setting(monkeypatch, value, expected):
    from lazyarr import config
    monkeypatch.setenv("LAZYARR_SERIAL_FIRST", value)
    assert config.serial_first() is expected


def test_serial_first_setting_rejects_nonsense(monkeypatch):
    from lazyarr import config
    monkeypatch.setenv("LAZYARR_SERIAL_FIRST", "maybe")
    with pytest.raises(ValueError, match="LAZYARR_SERIAL_FIRST"):
        config.serial_first()
    with pytest.raises(TypeError, match="set_serial_first"):
        config.set_serial_first("yes")
