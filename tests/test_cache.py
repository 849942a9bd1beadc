"""The kernel cache: disk hits across processes (counted, not timed), the memory and disk bounds, clear_cache,
damaged cache directories, and background compilation.

Every case runs in a fresh interpreter with its own LAZYARR_CACHE_DIR, so that Numba's state and the cache
start clean, and a crash is a failed test rather than a dead pytest. Numba's kernels are the subject here, so
the quick tier (#14), which would compile the simple maps without Numba, is off (tests/test_quick_tier.py).
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from subprocesses import run_bounded

REPO = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent(
    r'''
    import json, os, sys, time, warnings
    warnings.simplefilter("always")
    import numpy as np
    import lazyarr as la
    from lazyarr import config
    from lazyarr.compiler import cache, diskcache

    rng = np.random.default_rng(0)
    A, B, C = rng.random(1000), rng.random(1000), rng.random(1000)
    EXPRESSIONS = {
        "add": (lambda a, b, c: a + b, True),
        "sub": (lambda a, b, c: a - b, True),
        "mul": (lambda a, b, c: a * b * c, True),
        "sin": (lambda a, b, c: np.sin(a) * 2 + c, False),
        "sum": (lambda a, b, c: ((a - b) ** 2).sum(), False),
        "where": (lambda a, b, c: np.where(a > 0.5, a, 2 * b), True),
    }


    def compute(name):
        """A new LazyArray each call (compute() memoises per object), checked against NumPy."""
        f, exact = EXPRESSIONS[name]
        got = f(la.array(A), la.array(B), la.array(C)).compute()
        want = f(A, B, C)
        if exact:
            assert np.array_equal(got, want), name
        else:
            np.testing.assert_allclose(got, want, rtol=1e-13, err_msg=name)
        return got


    def report(**extra):
        info = la.cache_info()
        kernels = sorted(n for n in sys.modules if n.startswith(diskcache.PREFIX))
        out = dict(info=info.__dict__, modules=kernels, **extra)
        print("REPORT " + json.dumps(out))


    if __name__ == "__main__":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(sys.argv[1])
        messages = [str(w.message) for w in caught if "lazyarr" in str(w.message)]
        print("WARNINGS " + json.dumps(messages))
    '''
)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    path = tmp_path_factory.mktemp("cache") / "probe.py"
    path.write_text(PROBE)
    return path


def run(probe, code, cache_dir, timeout=120, expect_rc=0, **env):
    """Run `code` in the probe; returns (last REPORT as a dict or None, lazyarr warnings, the process)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full.get("PYTHONPATH")]))
    full.update(LAZYARR_CACHE_DIR=str(cache_dir), LAZYARR_BACKGROUND_COMPILE="0",
                LAZYARR_QUICK_TIER="0")  # Numba's kernels are this file's subject (#14: maps would skip them)
    full.update(env)
    proc = run_bounded([sys.executable, str(probe), textwrap.dedent(code)], full, timeout)
    assert proc.returncode == expect_rc, f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-5000:]}"
    reports = [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("REPORT ")]
    warned = [json.loads(line[9:]) for line in proc.stdout.splitlines() if line.startswith("WARNINGS ")]
    return (reports[-1] if reports else None), (warned[-1] if warned else []), proc


def kernel_files(cache_dir):
    kernels = Path(cache_dir) / "kernels"
    py = sorted(p.name for p in kernels.glob("lazyarr_k*.py"))
    numba_files = sorted(p.name for p in (kernels / "__pycache__").glob("lazyarr_k*.nb[ic]"))
    return py, numba_files


# --- persistence across processes ---------------------------------------------------------------------------

def test_second_process_loads_from_disk_instead_of_compiling(probe, tmp_path):
    code = """
        for name in ("add", "sin", "sum"):
            compute(name)
        stats = [sum(c.dispatcher.stats.cache_hits.values()) for c in cache._memory.values()]
        report(numba_cache_hits=stats)
    """
    first, warned, _ = run(probe, code, tmp_path)
    assert first["info"]["compiles"] == 3 and first["info"]["disk_hits"] == 0, first
    assert first["numba_cache_hits"] == [0, 0, 0]
    second, warned2, _ = run(probe, code, tmp_path)
    assert second["info"]["compiles"] == 0 and second["info"]["disk_hits"] == 3, second
    assert second["info"]["compile_seconds"] == 0.0
    assert second["numba_cache_hits"] == [1, 1, 1]  # Numba's own count agrees
    assert warned == warned2 == []
    py, numba_files = kernel_files(tmp_path)
    assert len(py) == 3 and len(numba_files) == 6  # one .nbi index and one .nbc per kernel


KINDS = """
    import scipy.special as sp
    X = rng.standard_normal((40, 700))  # 28,000 elements: serial kernels; the 10**5 ones below are parallel
    Y = np.asfortranarray(rng.standard_normal((300, 400)))
    I8 = rng.integers(-128, 128, 50_000, dtype=np.int8)
    Z = (rng.standard_normal(4000) + 1j * rng.standard_normal(4000)).astype(np.complex64)
    BIG = rng.random(10**5)
    CASES = [  # (lazy builder, NumPy/SciPy oracle, exact): each a different kind of kernel
        (lambda: 2 * la.array(BIG) + la.sin(la.array(BIG)) ** 2, lambda: 2 * BIG + np.sin(BIG) ** 2, False),
        (lambda: la.array(X[::-1, ::3]) * 3 - 1, lambda: X[::-1, ::3] * 3 - 1, True),
        (lambda: la.array(Y).T + la.array(Y[:1].T), lambda: Y.T + Y[:1].T, True),
        (lambda: (la.array(I8) * la.array(I8)).sum(), lambda: (I8 * I8).sum(), True),
        (lambda: la.array(X).sum(axis=0), lambda: X.sum(axis=0), False),
        (lambda: la.array(X).argmax(axis=1), lambda: X.argmax(axis=1), True),
        (lambda: la.array(Y).min(axis=1, keepdims=True), lambda: Y.min(axis=1, keepdims=True), True),
        (lambda: (la.array(X) > 0).any(axis=0), lambda: (X > 0).any(axis=0), True),
        (lambda: sp.erf(la.array(BIG)) + sp.gammaln(la.array(BIG) + 1), lambda: sp.erf(BIG) + sp.gammaln(BIG + 1), False),
        (lambda: la.array(Z) * la.array(Z).conj() / 3, lambda: Z * Z.conj() / 3, False),
        (lambda: la.array(I8) // 7 % 5, lambda: I8 // 7 % 5, True),
    ]

    def check_all():
        for i, (lazy, oracle, exact) in enumerate(CASES):
            got, want = lazy().compute(), oracle()
            assert got.dtype == want.dtype and got.shape == want.shape, (i, got.dtype, want.dtype)
            if exact:
                assert np.array_equal(got, want), i
            else:
                np.testing.assert_allclose(got, want, rtol=1e-6 if got.dtype == np.complex64 else 1e-13)
"""


def test_second_process_loads_every_kind_of_kernel_without_numbas_compiler_start(probe, tmp_path):
    # Loading machine code needs only Numba's runtime: the target context's refresh (the imports of every
    # implementation a compile needs, ~0.3 s) waits for the process's first real compile.
    code = KINDS + """
    check_all()
    started = "numba.np.arraymath" in sys.modules
    loaded = la.cache_info()
    if os.environ.get("COMPILE_ONE_MORE"):
        compute("mul")  # a kernel the first process never made: this process now starts Numba's compiler
    report(started=started, loaded=loaded.__dict__, after=sorted(m for m in ("numba.np.arraymath",) if m in sys.modules))
    """
    # Serial-first off: the 10**5-element kernels are the parallel variants, the kind this test is about.
    first, warned, _ = run(probe, code, tmp_path, timeout=600, LAZYARR_SERIAL_FIRST="0")
    kernels = first["loaded"]["compiles"]
    assert kernels >= 11 and first["loaded"]["disk_hits"] == 0, first
    second, warned2, _ = run(probe, code, tmp_path, timeout=300, COMPILE_ONE_MORE="1", LAZYARR_SERIAL_FIRST="0")
    assert second["loaded"]["disk_hits"] == kernels and second["loaded"]["compiles"] == 0, second
    assert second["started"] is False, "a disk-cache load started Numba's compiler"
    assert second["info"]["compiles"] == 1 and second["after"] == ["numba.np.arraymath"]  # then it compiles
    assert warned == warned2 == []


def test_two_processes_missing_the_same_kernel_at_once_compile_it_once(probe, tmp_path):
    code = """
        import time
        while time.time() < float(os.environ["START_AT"]):
            time.sleep(0.001)
        compute("where")
        report()
    """
    import time
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    env.update(PYTHONPATH=str(REPO), LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_BACKGROUND_COMPILE="0",
               LAZYARR_QUICK_TIER="0", START_AT=str(time.time() + 2))
    procs = [subprocess.Popen([sys.executable, str(probe), textwrap.dedent(code)], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    infos = [json.loads(next(ln[7:] for ln in out.splitlines() if ln.startswith("REPORT")))["info"]
             for out, _ in outs]
    assert sorted((i["compiles"], i["disk_hits"]) for i in infos) == [(0, 1), (1, 0)], infos
    assert all("lazyarr" not in err for _, err in outs), outs


# --- memory bound -------------------------------------------------------------------------------------------

def test_memory_cache_is_a_bounded_lru(probe, tmp_path):
    code = """
        for name in ("add", "sub", "mul"):
            compute(name)
        report(step="three")
        compute("sub")          # most recent two: mul, sub (a hit)
        compute("add")          # evicted: loaded again from disk, not compiled; evicts mul
        report(step="again")
        assert len(cache._memory) == 2
    """
    out, warned, proc = run(probe, code, tmp_path, LAZYARR_MEMORY_CACHE_SIZE="2")
    reports = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    three, again = reports
    assert three["info"]["currsize"] == 2 and three["info"]["maxsize"] == 2
    assert three["info"]["compiles"] == 3
    assert len(three["modules"]) == 2  # the evicted kernel's module left sys.modules too
    assert again["info"]["hits"] - three["info"]["hits"] == 1
    assert again["info"]["compiles"] == 3 and again["info"]["disk_hits"] == 1, again
    assert warned == []


@pytest.mark.parametrize("value, message", [("0", "must be at least 1"), ("many", "is not an integer")])
def test_bad_memory_cache_size_is_a_clear_error(monkeypatch, value, message):
    from lazyarr import config
    monkeypatch.setenv("LAZYARR_MEMORY_CACHE_SIZE", value)
    with pytest.raises(ValueError, match=f"LAZYARR_MEMORY_CACHE_SIZE.*{message}"):
        config.memory_cache_size()


# --- disk bound and clear_cache -----------------------------------------------------------------------------

def test_disk_limit_evicts_least_recently_used_kernels_with_their_numba_files(probe, tmp_path):
    code = """
        directory = diskcache.configured_dir()
        sizes = {}
        for name in ("add", "sub"):
            before = diskcache.disk_usage()[1]
            compute(name)
            sizes[name] = diskcache.disk_usage()[1] - before
            time.sleep(0.02)
        compute("add")  # only one kernel fits in memory: this loads `add` from disk and marks it used
        assert la.cache_info().disk_hits == 1
        time.sleep(0.02)
        compute("mul")
        # A limit that forces out exactly one kernel: the least recently used one is `sub`, not `add`.
        total = diskcache.disk_usage()[1]
        limit = int((total - sizes["sub"]) / diskcache.EVICT_TO) + 1
        assert limit < total
        left = diskcache.evict(directory, limit)
        report(left=left, limit=limit, files=sorted(os.listdir(directory)))
        # The setting, through a compile: 1 byte keeps only the kernel just compiled.
        os.environ["LAZYARR_CACHE_MAX_BYTES"] = "1"
        compute("where")
        report(kernels=diskcache.disk_usage()[0], files=sorted(os.listdir(directory)),
               pycache=sorted(os.listdir(os.path.join(directory, "__pycache__"))))
    """
    _, warned, proc = run(probe, code, tmp_path, LAZYARR_MEMORY_CACHE_SIZE="1")
    evicted, limited = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert evicted["left"] <= evicted["limit"] * 0.9
    names = {f.split(".")[0] for f in evicted["files"] if f.startswith("lazyarr_k")}
    assert len(names) == 2, evicted["files"]
    assert limited["kernels"] == 1
    kept = {f.split(".")[0] for f in limited["files"] + limited["pycache"] if f.startswith("lazyarr_k")}
    assert len(kept) == 1 and len(limited["pycache"]) == 2, limited  # its .nbi and .nbc, no one else's
    assert warned == []
    # The kernel that was evicted from memory and disk is simply compiled again.
    again, warned, _ = run(probe, 'compute("sub"); report()', tmp_path)
    assert again["info"]["compiles"] == 1 and warned == []


@pytest.mark.parametrize("value, expected", [("", 1 << 30), ("0", 0), ("500M", 500 << 20), ("2GiB", 2 << 30),
                                             ("123456", 123456)])
def test_cache_max_bytes_setting(monkeypatch, value, expected):
    from lazyarr import config
    monkeypatch.setenv("LAZYARR_CACHE_MAX_BYTES", value)
    assert config.cache_max_bytes() == expected


def test_cache_max_bytes_rejects_nonsense(monkeypatch):
    from lazyarr import config
    monkeypatch.setenv("LAZYARR_CACHE_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="LAZYARR_CACHE_MAX_BYTES='lots'"):
        config.cache_max_bytes()


def test_clear_cache_removes_kernels_and_numba_files(probe, tmp_path):
    numba_dir = tmp_path / "numba-cache"
    code = """
        compute("add"); compute("sum")
        la.clear_cache()
        report(step="cleared")
        compute("add")
        report(step="after")
    """
    _, warned, proc = run(probe, code, tmp_path / "lazyarr", NUMBA_CACHE_DIR=str(numba_dir))
    cleared, after = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert cleared["info"]["currsize"] == 0 and cleared["modules"] == []
    assert after["info"]["compiles"] == 3 and after["info"]["disk_hits"] == 0  # compiled again, not loaded
    # Numba kept its files under NUMBA_CACHE_DIR, outside the kernel directory: those went too, and only
    # the recompiled kernel's are there now.
    assert len(list(numba_dir.rglob("*.nbc"))) == 1
    assert len(kernel_files(tmp_path / "lazyarr")[0]) == 1
    assert warned == []
    assert hasattr(__import__("lazyarr"), "clear_cache")


# --- damaged cache directories ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def populated(probe, tmp_path_factory):
    """A kernel directory holding `add` and `sum`, compiled once and copied for each case."""
    path = tmp_path_factory.mktemp("populated")
    run(probe, 'compute("add"); compute("sum")', path)
    return path


def _copy(populated, tmp_path):
    target = tmp_path / "cache"
    shutil.copytree(populated, target)
    return target


def _garble(path: Path, how: str):
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif how == "flip":  # still a pickle on the outside: damaged machine code, were it ever loaded
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:])
    elif how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")


CHECKSUM, TEXT = "fail their checksum", "does not hold the text"


@pytest.mark.parametrize("pattern, how, message", [
    ("*.nbi", "garbage", CHECKSUM),
    ("*.nbc", "garbage", CHECKSUM),
    ("*.nbc", "flip", CHECKSUM),
    ("*.nbc", "truncate", CHECKSUM),
    ("*.nbi", "empty", CHECKSUM),
    ("*.py", "truncate", TEXT),
    ("*.py", "garbage", TEXT),
])
def test_damaged_files_are_recompiled_with_a_warning(probe, populated, tmp_path, pattern, how, message):
    cache_dir = _copy(populated, tmp_path)
    folder = cache_dir / "kernels" / ("__pycache__" if pattern.startswith("*.nb") else "")
    for path in folder.glob(pattern):
        _garble(path, how)
    code = """
        compute("add"); compute("sum")
        report()
        cache.clear_memory()    # forget the modules: the next computes import them again from disk ...
        with warnings.catch_warnings(record=True) as again:
            warnings.simplefilter("always")
            compute("add"); compute("sum")
        report(warned_again=[str(w.message) for w in again])
    """
    _, warned, proc = run(probe, code, cache_dir)
    out, repaired = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert out["info"]["compiles"] == 2 and out["info"]["disk_hits"] == 0, out
    assert len(warned) == 2 and all(message in w for w in warned), warned
    # ... and the repaired files load, without a word.
    assert repaired["info"]["compiles"] == 2 and repaired["info"]["disk_hits"] == 2, repaired
    assert repaired["warned_again"] == []


def test_numba_files_without_a_checksum_record_are_recompiled_quietly(probe, populated, tmp_path):
    cache_dir = _copy(populated, tmp_path)  # as a cache written by an older lazyarr, or a compile that died
    for path in (cache_dir / "kernels").glob("*.sum"):
        path.unlink()
    out, warned, _ = run(probe, 'compute("add"); compute("sum"); report()', cache_dir)
    assert out["info"]["compiles"] == 2 and warned == []


@pytest.mark.parametrize("case", ["cache_dir_is_a_file", "kernels_is_a_file", "pycache_is_a_file", "unwritable"])
def test_unusable_directory_compiles_elsewhere_with_a_warning(probe, tmp_path, case):
    cache_dir = tmp_path / "cache"
    if case == "cache_dir_is_a_file":
        cache_dir.write_text("not a directory")
    elif case == "kernels_is_a_file":
        cache_dir.mkdir()
        (cache_dir / "kernels").write_text("not a directory")
    elif case == "pycache_is_a_file":
        (cache_dir / "kernels").mkdir(parents=True)
        (cache_dir / "kernels" / "__pycache__").write_text("not a directory")
    else:
        (cache_dir / "kernels" / "__pycache__").mkdir(parents=True)
        for d in (cache_dir / "kernels" / "__pycache__", cache_dir / "kernels", cache_dir):
            d.chmod(0o555)
        if os.access(cache_dir / "kernels", os.W_OK) and _can_write(cache_dir / "kernels"):
            cache_dir = Path("/proc")  # root ignores mode bits; /proc refuses new files even to root
    try:
        out, warned, _ = run(probe, 'compute("add"); compute("sum"); report()', cache_dir)
    finally:
        for d in (tmp_path / "cache", tmp_path / "cache" / "kernels"):
            if d.is_dir():
                d.chmod(0o755)
    assert out["info"]["compiles"] == 2
    assert len(warned) == 1 and "is not usable" in warned[0], warned  # once per process, not per kernel


def _can_write(directory: Path) -> bool:
    try:
        (directory / "probe").write_text("")
    except OSError:
        return False
    (directory / "probe").unlink()
    return True


# --- background compilation ---------------------------------------------------------------------------------

def test_background_compile_answers_with_numpy_until_the_kernel_is_ready(probe, tmp_path):
    code = """
        assert config.background_compile()
        compute("sin"); compute("sum")           # both answered by NumPy while the worker compiles
        report(step="first")
        assert cache.wait_for_compiles(timeout=90)
        compute("sin"); compute("sum")           # now the kernels
        report(step="ready")
    """
    _, warned, proc = run(probe, code, tmp_path, LAZYARR_BACKGROUND_COMPILE="1")
    first, ready = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert first["info"]["interpreted"] == 2 and first["info"]["hits"] == 0
    assert ready["info"]["interpreted"] == 2 and ready["info"]["hits"] == 2
    assert ready["info"]["compiles"] == 2 and ready["info"]["currsize"] == 2
    assert warned == []


def test_background_compile_off_and_on_in_code(probe, tmp_path):
    code = """
        assert not config.background_compile()      # auto, and this is not an interactive session
        config.set_background_compile(True)
        compute("add")
        assert la.cache_info().interpreted == 1
        config.set_background_compile(False)
        compute("add")                              # waits for the background compile instead of NumPy
        assert la.cache_info().interpreted == 1 and la.cache_info().compiles == 1
        config.set_background_compile(None)
        assert not config.background_compile()
        try:
            config.set_background_compile("yes")
        except TypeError:
            print("TYPEERROR")
        report()
    """
    out, _, proc = run(probe, code, tmp_path, LAZYARR_BACKGROUND_COMPILE="auto")
    assert "TYPEERROR" in proc.stdout


def test_background_compile_is_on_by_default_in_an_interactive_session(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run([sys.executable, "-i", "-c", "from lazyarr import config; "
                           "print('BG', config.background_compile())"], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert "BG True" in proc.stdout, proc.stdout + proc.stderr


def test_failed_background_compile_raises_in_the_next_caller(probe, tmp_path):
    code = """
        def broken():
            raise RuntimeError("codegen broke")
        assert cache.get(("test-key",), broken) is None
        assert cache.wait_for_compiles(timeout=30)
        try:
            cache.get(("test-key",), broken)
        except RuntimeError as exc:
            print("RAISED", exc)
    """
    _, _, proc = run(probe, code, tmp_path, LAZYARR_BACKGROUND_COMPILE="1")
    assert "RAISED codegen broke" in proc.stdout


def test_fork_and_exit_while_a_background_compile_runs(probe, tmp_path):
    code = """
        compute("sin")                             # the worker starts compiling
        pid = os.fork()                            # waits for that compile to finish first
        if pid == 0:
            import signal
            signal.alarm(60)                       # a hung child dies rather than waiting forever
            config.set_background_compile(False)
            try:
                compute("sin"); compute("mul")     # the child compiles or loads in its own thread
            except BaseException:
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        report(child=os.waitstatus_to_exitcode(status))
        compute("where")                           # queued for the worker; the process exits at once
    """
    out, _, _ = run(probe, code, tmp_path, timeout=90, LAZYARR_BACKGROUND_COMPILE="1")
    assert out["child"] == 0
    # The exit let the running compile finish: a later process finds whole, loadable files.
    again, warned, _ = run(probe, 'compute("sin"); report()', tmp_path)
    assert again["info"]["disk_hits"] == 1 and warned == []


# --- serial first (#14 compile latency) ---------------------------------------------------------------------

SERIAL_FIRST = """
    config.set_parallel_threshold(1000)
    big = rng.random(5000)
    got = (la.array(big) * 3 - la.cos(la.array(big))).compute()
    np.testing.assert_allclose(got, big * 3 - np.cos(big), rtol=1e-13, atol=1e-15)
    report(variants=[c.source.count("parallel=True") for c in cache._memory.values()])
"""


def test_a_parallel_kernel_on_disk_is_loaded_instead_of_a_serial_compile(probe, tmp_path):
    # The first process compiles the parallel variant (serial-first off); the next one, serial-first on, finds it
    # on disk and loads it: a load costs milliseconds, so there is nothing to save by compiling the serial one.
    first, _, _ = run(probe, SERIAL_FIRST, tmp_path, LAZYARR_SERIAL_FIRST="0")
    assert first["info"]["compiles"] == 1 and first["variants"] == [1], first
    second, warned, _ = run(probe, SERIAL_FIRST, tmp_path)
    assert second["info"]["compiles"] == 0 and second["info"]["disk_hits"] == 1, second
    assert second["variants"] == [1] and warned == []
    # With an empty cache the first call compiles the serial variant only.
    third, _, _ = run(probe, SERIAL_FIRST, tmp_path / "empty")
    assert third["info"]["compiles"] == 1 and third["variants"] == [0], third


def test_background_compiles_wait_for_the_call_that_queued_them(probe, tmp_path):
    # A compile beside NumPy's answer takes the GIL from it, so the worker starts once the call is done; a thread
    # that waits for the job itself (background compilation turned off meanwhile) lets it start at once.
    code = """
        import time
        with cache.holding_compiles():               # what every planned compute() does around itself
            compute("sin")                           # NumPy answers; the compile is queued
            time.sleep(1.0)                          # a started compile writes its module file first thing
            held = la.cache_info().compiles + len([f for f in os.listdir(diskcache.kernel_dir()) if f.endswith(".py")])
        assert cache.wait_for_compiles(timeout=120)
        after = la.cache_info().compiles
        with cache.holding_compiles():
            compute("sum")                           # queued, held
            config.set_background_compile(False)
            compute("sum")                           # waits for the worker's job: no deadlock
        report(held=held, after=after)
    """
    out, warned, _ = run(probe, code, tmp_path, LAZYARR_BACKGROUND_COMPILE="1")
    assert out["held"] == 0 and out["after"] == 1, out
    assert out["info"]["compiles"] == 2 and out["info"]["interpreted"] == 2, out
    assert warned == []


def test_quick_tier_object_files_count_against_the_disk_limit(probe, tmp_path):
    """The quick tier's ``lazyarr_q<hash>.o`` files are kernels of the directory: counted by ``disk_usage``,
    evicted least recently used first, and a disk hit marks its file used."""
    code = """
        from lazyarr.compiler import llvm_tier
        directory = diskcache.configured_dir()
        a = np.arange(1000.0)
        for f in (lambda x: x * 3 + x, lambda x: x * 3 - x):  # two quick kernels
            assert np.array_equal(f(la.array(a)).compute(), f(a))
            time.sleep(0.02)
        quick = sorted(f for f in os.listdir(directory) if f.startswith(diskcache.QUICK_PREFIX))
        kernels, nbytes = diskcache.disk_usage()
        report(quick=quick, kernels=kernels, nbytes=nbytes, stats=llvm_tier.info())
        os.environ["LAZYARR_CACHE_MAX_BYTES"] = "1"
        assert np.array_equal((la.array(a) - 7.0).compute(), a - 7.0)
        report(left=sorted(os.listdir(directory)), stats=llvm_tier.info())
    """
    _, warned, proc = run(probe, code, tmp_path, LAZYARR_QUICK_TIER="1")
    both, limited = [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    assert len(both["quick"]) == 2 and all(f.endswith(".o") for f in both["quick"]), both
    assert both["kernels"] == 2 and both["nbytes"] > 0, both
    # A 1-byte limit keeps only the kernel just written.
    left = [f for f in limited["left"] if f.startswith("lazyarr_")]
    assert len(left) == 1 and left[0].endswith(".o") and left[0] not in both["quick"], limited
    assert warned == []
