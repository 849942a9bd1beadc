"""Threading layer and thread-count control.

Every check runs in a fresh interpreter: Numba commits to a threading layer once per process,
and the failures guarded against here (workqueue's abort, OpenMP's fork kill) take the whole
process down, which should read as a failed test rather than a dead pytest.
"""

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# A script, not `python -c`: spawn workers re-import the main module by file to find `child`.
SCRIPT = textwrap.dedent(
    r'''
    import os, sys
    if os.environ.get("HIDE_TBB"):
        # Stand-in for a Numba without a usable TBB layer: its backend module cannot import.
        sys.modules["numba.np.ufunc.tbbpool"] = None
    import multiprocessing as mp
    import threading
    import warnings

    import numba
    import numpy as np
    from numba import njit, prange

    from lazyarr.kernels import threads


    @njit(parallel=True)
    def total(a):
        s = 0.0
        for i in prange(a.shape[0]):
            s += a[i]
        return s


    @njit(parallel=True)
    def busiest_thread(n):
        ids = np.zeros(n, np.int64)
        for i in prange(n):
            ids[i] = numba.get_thread_id()
        return ids.max()


    def launch(n):
        with threads.launch_lock():
            return total(np.arange(n, dtype=np.float64))


    def expected(n):
        return n * (n - 1) / 2


    def child(n):
        return launch(n), threads.threading_layer()


    def check_layer():
        cfg = threads.show_config()
        assert cfg["threading_layer"] == os.environ["EXPECT_LAYER"], cfg
        assert threads.threading_layer() == numba.threading_layer() == cfg["threading_layer"]
        serial = os.environ["EXPECT_LAYER"] == "workqueue"
        assert cfg["serialized_launches"] is serial, cfg
        assert isinstance(threads.launch_lock(), type(threading.RLock())) is serial
        assert (cfg["tbb_path"] is not None) is (cfg["threading_layer"] == "tbb"), cfg
        assert cfg["numba_version"] == numba.__version__
        assert cfg["max_threads"] == numba.config.NUMBA_NUM_THREADS
        assert cfg["num_threads"] == numba.get_num_threads()


    def check_concurrent():
        # 8 threads reach lazyarr at the same moment (first configure included), 20 launches each.
        start = threading.Barrier(8)
        failures = []

        def worker(k):
            start.wait()
            for _ in range(20):
                n = 50_000 + k
                got = launch(n)
                if got != expected(n):
                    failures.append((k, got))

        pool = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert not failures, failures


    def check_fork():
        assert launch(1000) == expected(1000)  # the parent has used the layer before forking
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork while threaded
            with mp.get_context("fork").Pool(2) as pool:
                got = pool.map_async(child, [10, 20, 30, 40]).get(timeout=60)
        assert got == [(expected(n), numba.threading_layer()) for n in (10, 20, 30, 40)], got


    def check_spawn():
        launch(10)
        with mp.get_context("spawn").Pool(2) as pool:
            got = pool.map_async(child, [10, 20, 30]).get(timeout=90)
        assert got == [(expected(n), os.environ["EXPECT_LAYER"]) for n in (10, 20, 30)], got


    def check_counts():
        top = numba.config.NUMBA_NUM_THREADS
        default = int(os.environ.get("EXPECT_DEFAULT", top))
        assert threads.get_num_threads() == default
        threads.set_num_threads(3)
        assert threads.get_num_threads() == numba.get_num_threads() == 3
        seen = {}

        def other():
            seen["start"] = threads.get_num_threads()  # not the main thread's 3
            with threads.num_threads(1):
                seen["inside"] = threads.get_num_threads()
                with threads.launch_lock():
                    seen["busiest"] = busiest_thread(10_000)  # 1 thread: only thread 0 works
            seen["after"] = threads.get_num_threads()

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert seen == {"start": default, "inside": 1, "busiest": 0, "after": default}, seen
        assert threads.get_num_threads() == 3  # untouched by the other thread's scope
        for bad in (0, -1, top + 1):
            for call in (threads.set_num_threads, lambda n: threads.num_threads(n).__enter__()):
                try:
                    call(bad)
                except ValueError:
                    pass
                else:
                    raise AssertionError(f"{bad} accepted")
        for bad in (1.5, "2", True):
            try:
                threads.set_num_threads(bad)
            except TypeError:
                pass
            else:
                raise AssertionError(f"{bad!r} accepted")
        assert threads.get_num_threads() == 3
        threads.set_num_threads(np.int64(top))
        assert threads.get_num_threads() == top


    if __name__ == "__main__":
        for name in sys.argv[1:]:
            globals()["check_" + name]()
        print("OK")
    '''
)


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("threads") / "threads_checks.py"
    path.write_text(SCRIPT)
    return path


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _run(args, env, timeout=150):
    proc = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    return proc


def _checks(script, checks, **env):
    proc = _run([str(script), *checks], _env(**env))
    assert proc.returncode == 0 and "OK" in proc.stdout, (
        f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}"
    )


HIDE_TBB = 'import sys; sys.modules["numba.np.ufunc.tbbpool"] = None\n'


def _snippet(code, hide_tbb=False, **env):
    code = (HIDE_TBB if hide_tbb else "") + textwrap.dedent(code)
    return _run(["-c", code], _env(**env), timeout=60)


def _has_tbb():
    try:
        importlib.metadata.distribution("tbb")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


ALL = ["layer", "concurrent", "fork", "spawn"]


@pytest.mark.skipif(not _has_tbb(), reason="the tbb package is not installed")
def test_auto_picks_tbb_and_survives_threads_fork_spawn(script):
    _checks(script, ALL, EXPECT_LAYER="tbb")


def test_fallback_without_tbb_is_workqueue_with_lock(script):
    _checks(script, ALL, EXPECT_LAYER="workqueue", HIDE_TBB="1")


def test_lazyarr_env_can_choose_omp_for_threads(script):
    # omp takes concurrent launches unserialised; its fork caveat is documented, not exercised.
    _checks(script, ["layer", "concurrent"], EXPECT_LAYER="omp", LAZYARR_THREADING_LAYER="omp")


SHOW = """
from lazyarr.kernels import threads
cfg = threads.show_config()
print(cfg["threading_layer"], cfg["layer_source"], cfg["serialized_launches"])
"""


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"NUMBA_THREADING_LAYER": "workqueue"}, "workqueue NUMBA_THREADING_LAYER True"),
        ({"NUMBA_THREADING_LAYER": "omp"}, "omp NUMBA_THREADING_LAYER False"),
        (
            {"NUMBA_THREADING_LAYER": "omp", "LAZYARR_THREADING_LAYER": "workqueue"},
            "workqueue LAZYARR_THREADING_LAYER True",
        ),
        (
            {"LAZYARR_THREADING_LAYER": "auto", "hide_tbb": True},
            "workqueue LAZYARR_THREADING_LAYER True",
        ),
        ({"hide_tbb": True}, "workqueue auto True"),
    ],
)
def test_explicit_choices_are_respected(env, expected):
    proc = _snippet(SHOW, **env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == expected.split()


def test_layer_already_running_is_adopted():
    proc = _snippet(
        """
        import numba, numpy as np
        numba.config.THREADING_LAYER = "workqueue"
        numba.njit(parallel=True)(lambda a: a + 1)(np.ones(10))  # someone else went first
        from lazyarr.kernels import threads
        cfg = threads.show_config()
        print(cfg["threading_layer"], cfg["serialized_launches"])
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["workqueue", "True"]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"LAZYARR_THREADING_LAYER": "gpu"}, "LAZYARR_THREADING_LAYER='gpu' is not one of"),
        ({"LAZYARR_THREADING_LAYER": "tbb", "hide_tbb": True}, "TBB threading layer could not be loaded"),
        ({"LAZYARR_NUM_THREADS": "many"}, "LAZYARR_NUM_THREADS='many' is not an integer"),
        ({"LAZYARR_NUM_THREADS": "0"}, "LAZYARR_NUM_THREADS=0 must be at least 1"),
    ],
)
def test_bad_settings_raise_value_error(env, message):
    proc = _snippet(
        """
        from lazyarr.kernels import threads
        try:
            threads.configure_threading_layer()
        except ValueError as e:
            print(e)
        """,
        **env,
    )
    assert proc.returncode == 0, proc.stderr
    assert message in proc.stdout


def test_thread_counts_are_scoped_per_thread(script):
    _checks(script, ["counts"], NUMBA_NUM_THREADS="4")


def test_lazyarr_num_threads_is_every_threads_default(script):
    _checks(script, ["counts"], NUMBA_NUM_THREADS="4", LAZYARR_NUM_THREADS="2", EXPECT_DEFAULT="2")


def test_lazyarr_num_threads_above_max_is_clamped_with_warning():
    proc = _snippet(
        """
        import warnings
        from lazyarr.kernels import threads
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            n = threads.get_num_threads()
        print(n, threads.show_config()["max_threads"], [str(w.message) for w in caught])
        """,
        NUMBA_NUM_THREADS="3",
        LAZYARR_NUM_THREADS="99",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("3 3 ") and "exceeds the 3 threads" in proc.stdout
