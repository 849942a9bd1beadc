"""Runtime workloads: threads vs processes vs lazyarr's threads, thread scaling, and first-call latency.

    f x2            a pure-Python function, run twice: serially, in 2 Python threads, in 2 processes.
                    The GIL lets threads take turns, so only processes run f twice as fast.
    g x2            g = np.exp of 10**7 ones, run twice the same three ways (NumPy releases the GIL, so
                    threads help; processes send 80 MB results back pickled), and lazyarr's g run twice
                    with 1 and with 2 threads (one call uses every thread it is given).
    fused scaling   a compute-bound fused expression (transcendentals on 4*10**6 float64) with 1 and
                    2 threads; target 2 threads >= 1.8x faster than 1.

Not timed by the harness, because each is a single event in a fresh process (``first_call``):

    first call      a new process computes an expression it has never computed: with an empty kernel
                    cache (cold: Numba compiles) and with the cache the cold process left (warm: Numba
                    loads). Counted too (compiles vs disk hits), so a "warm" number is never a compile.
                    Target: warm >= 5x faster than cold. Each with the warm-up thread on and off
                    (LAZYARR_WARMUP=0), computing right after the import or after a 1 s sleep (I/O, a
                    person): the first call alone and import + data + first call. Also what the warm-up
                    costs Python code running beside it (the GIL), background compilation (NumPy answers
                    the first call), and serial vs parallel compile time.

    python bench/bench_runtime.py            # full sizes, writes bench/results/runtime.json
    python bench/bench_runtime.py --quick    # smoke test
    python bench/bench_runtime.py --no-save --only "first call"   # the first-call part alone (~2 minutes)
    python bench/bench_runtime.py --threads-sweep   # only: speed-up against 1 thread for 1, 2, 4, ... cpu_count
    python bench/bench_runtime.py --latency         # only: compile latency of new expressions (bench/latency.py)
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench import harness, report
from bench.harness import Workload, contender

SUITE = "runtime"
F_FULL, F_QUICK = 2_000_000, 200_000
G_FULL, G_QUICK = 10**7, 10**5
FUSED_FULL, FUSED_QUICK = 4 * 10**6, 10**5


# --------------------------------------------------------------------------- f and g (module level: picklable)

def f(n: int) -> int:
    """Pure Python: holds the GIL throughout."""
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


_ONES: dict = {}


def ones(n: int) -> np.ndarray:
    if n not in _ONES:  # built once per process, outside the timed calls
        _ONES.clear()
        _ONES[n] = np.ones(n)
    return _ONES[n]


def g(n: int) -> np.ndarray:
    return np.exp(ones(n))


def _pools() -> tuple[cf.ThreadPoolExecutor, cf.ProcessPoolExecutor]:
    # spawn, not fork: forking a process that runs thread pools is what docs/threading.md warns about.
    return cf.ThreadPoolExecutor(2), cf.ProcessPoolExecutor(2, mp_context=mp.get_context("spawn"))


def _twice(pool, fn, arg):
    return lambda: [fut.result() for fut in [pool.submit(fn, arg), pool.submit(fn, arg)]]


def f_workload(n: int, threads, processes) -> Workload:
    return Workload("f x2 (pure Python)", [
        contender("serial", lambda: lambda: [f(n), f(n)]),
        contender("2 threads", lambda: _twice(threads, f, n)),
        contender("2 processes", lambda: _twice(processes, f, n)),
    ], params={"n": n}, baseline="serial")


def g_workload(n: int, threads, processes) -> Workload:
    def lazy(count):
        def factory():
            la = harness.lazyarr()
            count_here = min(count, la.show_config()["max_threads"])

            def run():
                with la.num_threads(count_here):
                    return [la.exp(la.array(ones(n))).compute() for _ in range(2)]
            return run
        return factory

    return Workload("g x2 (np.exp of ones)", [
        contender("serial", lambda: lambda: [g(n), g(n)]),
        contender("2 threads", lambda: _twice(threads, g, n)),
        contender("2 processes", lambda: _twice(processes, g, n), "results travel back pickled"),
        contender("lazyarr 1 thread", lazy(1), "g twice, each with 1 kernel thread"),
        contender("lazyarr 2 threads", lazy(2), "g twice, each with 2 kernel threads"),
    ], params={"n": n, "dtype": "float64"}, baseline="serial", rtol=1e-13)


def fused_expression(la, a, b):
    A, B = la.array(a), la.array(b)
    return la.sin(A) * la.cos(B) + la.exp(-A * A) * la.log1p(B) + la.arctan(A * B)


def scaling_workload(n: int) -> Workload:
    rng = np.random.default_rng(0)
    a, b = rng.random(n), rng.random(n)

    def lazy(count):
        def factory():
            la = harness.lazyarr()
            if count > la.show_config()["max_threads"]:
                raise harness.Skip(f"Numba has fewer than {count} threads")

            def run():
                with la.num_threads(count):
                    return fused_expression(la, a, b).compute()
            return run
        return factory

    def handwritten(count):
        def factory():
            import numba
            from bench import handwritten as hw
            if count > numba.config.NUMBA_NUM_THREADS:
                raise harness.Skip(f"Numba has fewer than {count} threads")
            out = np.empty_like(a)

            def run():
                previous = numba.get_num_threads()
                numba.set_num_threads(count)
                try:
                    return hw.fused(a, b, out)
                finally:
                    numba.set_num_threads(previous)
            return run
        return factory

    return Workload("fused scaling", [
        contender("numpy", lambda: lambda: fused_expression(np, a, b)),
        contender("handwritten 1 thread", handwritten(1), "prange, Numba's default schedule"),
        contender("handwritten 2 threads", handwritten(2), "prange, one equal chunk per thread"),
        contender("lazyarr 1 thread", lazy(1)),
        contender("lazyarr 2 threads", lazy(2), "~8 chunks per thread"),
    ], params={"n": n, "dtype": "float64", "expr": "sin(a)*cos(b) + exp(-a*a)*log1p(b) + arctan(a*b)"},
        rtol=1e-13)


_POOLS: list = []


def build(cfg: harness.Config) -> list[Workload]:
    threads, processes = _pools()
    _POOLS[:] = [threads, processes]
    return [
        f_workload(F_QUICK if cfg.quick else F_FULL, threads, processes),
        g_workload(G_QUICK if cfg.quick else G_FULL, threads, processes),
        scaling_workload(FUSED_QUICK if cfg.quick else FUSED_FULL),
    ]


# --------------------------------------------------------------------------- first call in a fresh process

# What the program does between ``import lazyarr`` and its first compute(), while the warm-up thread runs:
#   none    nothing (creates its data and computes at once): the warm-up cannot help, compute() waits for it;
#   sleep   waits PAUSE_S for I/O or a person, which frees the GIL: the warm-up is done before compute();
#   python  runs PYTHON_LOOP iterations of pure Python, which shares the GIL with the warm-up: its price.
PAUSE_S = 1.0
PYTHON_LOOP = 4_000_000  # ~0.3 s alone: longer than the warm-up's own work, so it overlaps all of it

CHILD = textwrap.dedent(
    r"""
    import json, sys, time
    t0 = time.perf_counter()
    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import cache, warmup
    t_import = time.perf_counter() - t0
    n, between, pause_s, loop_n = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    small = 1000

    def timed(fn):
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    def python_work():
        s = 0
        for i in range(loop_n):
            s += i * i % 7

    out = {"import_s": t_import, "between": between}
    out["between_s"] = timed({"none": lambda: None, "sleep": lambda: time.sleep(pause_s),
                              "python": python_work}[between])
    def make_data():
        global a, b, c
        rng = np.random.default_rng(0)
        a, b, c = rng.random(n), rng.random(n), rng.random(n)
    out["data_s"] = timed(make_data)

    poly = lambda a, b, c: (2 * la.array(a) + 3 * la.array(b) * la.array(c) - la.sin(la.array(a)) ** 2).compute()
    other = lambda a, b: la.where(la.array(a) > 0.5, la.sqrt(la.array(a)), la.array(b) * 3).compute()
    out["warmup_at_first_call"] = warmup.state()
    out["first_s"] = timed(lambda: poly(a, b, c))              # Numba's start in the process, unless warmed up
    out["total_s"] = out["import_s"] + out["data_s"] + out["first_s"]  # the pause is the program's, not ours
    out["second_s"] = timed(lambda: poly(a, b, c))
    out["numpy_s"] = timed(lambda: 2 * a + 3 * b * c - np.sin(a) ** 2)
    info = la.cache_info()
    out["first_compiles"], out["first_disk_hits"] = info.compiles, info.disk_hits
    out["new_parallel_s"] = timed(lambda: other(a, b))         # Numba started: one kernel's own cost
    out["new_serial_s"] = timed(lambda: other(a[:small], b[:small]))  # same expression, serial kernel
    if cache.wait_for_compiles(120):
        out["ready_s"] = time.perf_counter() - t0 - t_import   # background: until every kernel is compiled
    info = la.cache_info()
    out.update(compiles=info.compiles, disk_hits=info.disk_hits, interpreted=info.interpreted)
    out["warmup"] = warmup.state()
    print("RESULT " + json.dumps(out))
    """
)


def _child(cache_dir: str, n: int, background: bool = False, warmup: bool = True, between: str = "none") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYARR_")}
    env.update(LAZYARR_CACHE_DIR=cache_dir, LAZYARR_BACKGROUND_COMPILE="1" if background else "0",
               LAZYARR_WARMUP="1" if warmup else "0",
               PYTHONPATH=os.pathsep.join(filter(None, [str(harness.REPO_ROOT), env.get("PYTHONPATH")])))
    argv = [sys.executable, "-c", CHILD, str(n), between, str(PAUSE_S), str(PYTHON_LOOP)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"first-call child failed:\n{proc.stderr[-3000:]}")
    return json.loads(next(ln[7:] for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")))


# (what the program does before its first compute, warm-up thread on): each a cold process, then a warm one.
VARIANTS = [("none", True), ("none", False), ("sleep", True), ("sleep", False)]


def _variant(between: str, warm_up: bool) -> str:
    return f"{between}/warmup {'on' if warm_up else 'off'}"


def first_call(cfg: harness.Config) -> dict:
    """Cold and warm processes for each variant, ``rounds`` times (3 with --quick), the variants' order reversed
    every other round (drifting load then biases no variant); medians and every sample."""
    n = 10**5 if cfg.quick else 10**6
    rounds = 3 if cfg.quick else max(3, min(cfg.rounds, 5))
    samples: dict[str, list[dict]] = {"background_cold": []}
    for r in range(rounds):
        for between, warm_up in (VARIANTS if r % 2 == 0 else VARIANTS[::-1]):
            name = _variant(between, warm_up)
            directory = tempfile.mkdtemp(prefix="lazyarr-bench-cache-")
            try:
                samples.setdefault(f"{name}/cold", []).append(_child(directory, n, warmup=warm_up, between=between))
                samples.setdefault(f"{name}/warm", []).append(_child(directory, n, warmup=warm_up, between=between))
                if between == "none" and warm_up:  # the GIL price: Python work beside the warm-up, or not
                    for on in ((True, False) if r % 2 == 0 else (False, True)):
                        samples.setdefault(_variant("python", on), []).append(
                            _child(directory, n, warmup=on, between="python"))
            finally:
                shutil.rmtree(directory, ignore_errors=True)
        directory = tempfile.mkdtemp(prefix="lazyarr-bench-cache-")
        try:
            samples["background_cold"].append(_child(directory, n, background=True))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    for kind, group in samples.items():
        for s in group:
            if kind.endswith("/cold"):
                assert s["first_compiles"] == 1 and s["first_disk_hits"] == 0, (kind, s)
            elif kind != "background_cold":
                assert s["first_compiles"] == 0 and s["first_disk_hits"] == 1, (kind, s)  # never a compile
            assert (s["warmup"] == "off") == ("warmup off" in kind), (kind, s["warmup"])

    def med(kind, field):
        return statistics.median(s[field] for s in samples[kind])

    variants = {}
    for between, warm_up in VARIANTS:
        name = _variant(between, warm_up)
        both = samples[f"{name}/cold"] + samples[f"{name}/warm"]
        v = {field: statistics.median(s[field] for s in both) for field in ("import_s", "data_s")}
        for temp in ("cold", "warm"):
            v[f"{temp}_first_s"] = med(f"{name}/{temp}", "first_s")
            v[f"{temp}_total_s"] = med(f"{name}/{temp}", "total_s")
            v[f"{temp}_warmup_done_before_first_call"] = sum(
                s["warmup_at_first_call"].startswith("done") for s in samples[f"{name}/{temp}"])
        v["speedup_first_call"] = v["cold_first_s"] / v["warm_first_s"]
        v["speedup_total"] = v["cold_total_s"] / v["warm_total_s"]
        variants[name] = v
    python = {on: _variant("python", on) for on in (True, False)}
    gil = {"loop": PYTHON_LOOP,
           "work_s_warmup_on": med(python[True], "between_s"), "work_s_warmup_off": med(python[False], "between_s"),
           "first_s_warmup_on": med(python[True], "first_s"), "first_s_warmup_off": med(python[False], "first_s")}
    gil["price_s"] = gil["work_s_warmup_on"] - gil["work_s_warmup_off"]
    gil["warmup_done_before_first_call"] = sum(s["warmup_at_first_call"].startswith("done")
                                               for s in samples[python[True]])

    default = variants[_variant("none", True)]
    summary = {
        "n": n, "rounds": rounds, "pause_s": PAUSE_S, "variants": variants, "gil": gil,
        "import_s": default["import_s"], "import_s_warmup_off": variants[_variant("none", False)]["import_s"],
        "cold_first_s": default["cold_first_s"], "warm_first_s": default["warm_first_s"],
        "cold_new_parallel_s": med("none/warmup on/cold", "new_parallel_s"),
        "warm_new_parallel_s": med("none/warmup on/warm", "new_parallel_s"),
        "cold_new_serial_s": med("none/warmup on/cold", "new_serial_s"),
        "warm_new_serial_s": med("none/warmup on/warm", "new_serial_s"),
        "background_first_s": med("background_cold", "first_s"),
        "background_ready_s": med("background_cold", "ready_s"),
        "numpy_s": med("none/warmup on/cold", "numpy_s"),
    }
    summary["warm_speedup_first_call"] = summary["cold_first_s"] / summary["warm_first_s"]
    summary["warm_speedup_new_kernel"] = summary["cold_new_parallel_s"] / summary["warm_new_parallel_s"]
    summary["samples"] = samples
    return summary


def format_first_call(fc: dict) -> str:
    t, W = report.fmt_time, 58
    rounds = fc["rounds"]
    lines = [
        f"== first call in a fresh process (2*a+3*b*c-sin(a)**2, n={fc['n']}; median of {rounds} rounds; "
        "cold: empty kernel cache, Numba compiles; warm: the cache the cold process left, a disk hit)",
        f"  {'':<{W - 2}}{'cold':>10}{'warm':>10}{'cold/warm':>11}   warm-up done at 1st compute (cold, warm)",
    ]
    for between, label in (("none", "right after import"), ("sleep", f"after {fc['pause_s']:g} s asleep (I/O)")):
        for warm_up in (True, False):
            v = fc["variants"][_variant(between, warm_up)]
            tag = f"warm-up {'on' if warm_up else 'off'}"
            lines.append(f"  1st compute {label}, {tag}".ljust(W) + f"{t(v['cold_first_s']):>10}"
                         f"{t(v['warm_first_s']):>10}{v['speedup_first_call']:>10.1f}x   "
                         f"{v['cold_warmup_done_before_first_call']}/{rounds}, "
                         f"{v['warm_warmup_done_before_first_call']}/{rounds}")
            lines.append(f"    import + data + 1st compute".ljust(W) + f"{t(v['cold_total_s']):>10}"
                         f"{t(v['warm_total_s']):>10}{v['speedup_total']:>10.1f}x   "
                         f"(import {t(v['import_s'])}, data {t(v['data_s'])})")
    g = fc["gil"]
    lines += [
        f"  pure Python right after import ({g['loop']:,} iterations, the GIL shared with the warm-up):",
        f"    its time, warm-up on / off".ljust(W) + f"{t(g['work_s_warmup_on']):>10}{t(g['work_s_warmup_off']):>10}"
        f"   the warm-up's price: {t(g['price_s'])}",
        f"    then the 1st compute (warm cache), on / off".ljust(W) + f"{t(g['first_s_warmup_on']):>10}"
        f"{t(g['first_s_warmup_off']):>10}   warm-up done before it {g['warmup_done_before_first_call']}/{rounds}",
        f"  next new kernel, parallel (warm-up on)".ljust(W) + f"{t(fc['cold_new_parallel_s']):>10}"
        f"{t(fc['warm_new_parallel_s']):>10}{fc['warm_speedup_new_kernel']:>10.1f}x",
        f"  next new kernel, serial (1000)".ljust(W) + f"{t(fc['cold_new_serial_s']):>10}"
        f"{t(fc['warm_new_serial_s']):>10}",
        f"  1st compute, cold, background compile".ljust(W) + f"{t(fc['background_first_s']):>10}   NumPy answers; "
        f"kernels ready after {t(fc['background_ready_s'])}",
        f"  the same in NumPy".ljust(W) + f"{t(fc['numpy_s']):>10}",
    ]
    return "\n".join(lines)


def first_call_selected(cfg: harness.Config) -> bool:
    return not cfg.only or cfg.only in "first call"


def _speedups(one: dict, two: dict) -> dict:
    return {"median": one["median_s"] / two["median_s"],
            "paired": statistics.median(x / y for x, y in zip(one["samples_s"], two["samples_s"])),
            "minima": one["min_s"] / two["min_s"]}


def scaling(out: dict) -> dict | None:
    """1-thread time / 2-thread time, for lazyarr and the hand-written kernel, three ways: from the medians;
    the median of per-round ratios (all contenders run back to back in each round, so load that drifts between
    rounds cancels); and from the minima (the rounds where nothing else ran)."""
    for wl in out["workloads"]:
        if wl["name"] == "fused scaling":
            runs = {r["name"]: r for r in wl["contenders"] if r["status"] == "ok"}
            result = {"target": 1.8}
            for who in ("lazyarr", "handwritten"):
                one, two = runs.get(f"{who} 1 thread"), runs.get(f"{who} 2 threads")
                if one and two:
                    result[who] = _speedups(one, two)
            return result if "lazyarr" in result else None
    return None


# --------------------------------------------------------------------------- --threads-sweep


def sweep_counts(cpus: int | None = None) -> list[int]:
    """1, 2, 4, ... up to ``cpus`` (``os.cpu_count()``), and ``cpus`` itself when it is not a power of two."""
    cpus = cpus or os.cpu_count() or 1
    counts, k = [], 1
    while k <= cpus:
        counts.append(k)
        k *= 2
    if counts[-1] != cpus:
        counts.append(cpus)
    return counts


def _label(who: str, count: int) -> str:
    return f"{who} {count} thread{'s' if count > 1 else ''}"


def _with_numba_threads(count: int, fn):
    import numba

    def run():
        previous = numba.get_num_threads()
        numba.set_num_threads(count)
        try:
            return fn()
        finally:
            numba.set_num_threads(previous)
    return run


def sweep_workloads(n: int, counts: list[int]) -> list[Workload]:
    """The fused scaling expression and a fused reduction, lazyarr and the hand-written prange kernel, at each
    thread count; every contender of a workload interleaved in the same rounds."""
    rng = np.random.default_rng(0)
    a, b = rng.random(n), rng.random(n)

    def lazy(count, expr):
        def factory():
            la = harness.lazyarr()
            if count > la.show_config()["max_threads"]:
                raise harness.Skip(f"Numba has fewer than {count} threads (NUMBA_NUM_THREADS)")

            def run():
                with la.num_threads(count):
                    return expr(la).compute()
            return run
        return factory

    def hand(count, kernel):
        def factory():
            import numba
            if count > numba.config.NUMBA_NUM_THREADS:
                raise harness.Skip(f"Numba has fewer than {count} threads (NUMBA_NUM_THREADS)")
            return _with_numba_threads(count, kernel)
        return factory

    from bench import handwritten as hw
    fused = lambda la: fused_expression(la, a, b)
    reduction = lambda la: ((la.array(a) - la.array(b)) ** 2).sum()
    return [
        Workload("sweep: fused scaling", [contender("numpy", lambda: lambda: fused_expression(np, a, b))]
                 + [contender(_label("lazyarr", k), lazy(k, fused)) for k in counts]
                 + [contender(_label("handwritten", k), hand(k, lambda: hw.fused(a, b, np.empty_like(a)))) for k in counts],
                 params={"n": n, "dtype": "float64", "expr": "sin(a)*cos(b) + exp(-a*a)*log1p(b) + arctan(a*b)"},
                 rtol=1e-13),
        Workload("sweep: sum((a-b)**2)", [contender("numpy", lambda: lambda: ((a - b) ** 2).sum())]
                 + [contender(_label("lazyarr", k), lazy(k, reduction)) for k in counts]
                 + [contender(_label("handwritten", k), hand(k, lambda: hw.sum_sq_diff(a, b))) for k in counts],
                 params={"n": n, "dtype": "float64", "expr": "sum((a-b)**2)"}, rtol=1e-10),
    ]


def sweep_speedups(out: dict, counts: list[int]) -> dict:
    """Per workload, per contender family, per thread count: 1-thread time / k-thread time (medians, paired
    per round, minima)."""
    result = {}
    for wl in out["workloads"]:
        runs = {r["name"]: r for r in wl["contenders"] if r["status"] == "ok"}
        per = {}
        for who in ("lazyarr", "handwritten"):
            one = runs.get(_label(who, 1))
            if one:
                per[who] = {k: _speedups(one, runs[_label(who, k)]) for k in counts if _label(who, k) in runs}
        result[wl["name"]] = per
    return result


def format_sweep(sp: dict, counts: list[int]) -> str:
    lines = [f"== speed-up against 1 thread (median / paired per-round median / from minima); os.cpu_count()="
             f"{os.cpu_count()}"]
    cols = [(wl, who) for wl, per in sp.items() for who in per]
    lines.append("  " + "threads".ljust(9) + "".join(f"{(wl.split(': ', 1)[-1][:18] + ' ' + who)[:30]:>32}"
                                                  for wl, who in cols))
    for k in counts:
        cells = []
        for wl, who in cols:
            v = sp[wl][who].get(k)
            cells.append("skipped" if v is None else f"{v['median']:.2f} / {v['paired']:.2f} / {v['minima']:.2f}")
        lines.append("  " + str(k).ljust(9) + "".join(f"{c:>32}" for c in cells))
    return "\n".join(lines)


def threads_sweep(cfg: harness.Config) -> dict:
    """``--threads-sweep``: the two sweep workloads, a table of speed-ups, one JSON (threads_sweep.json)."""
    counts = sweep_counts()
    n = FUSED_QUICK if cfg.quick else FUSED_FULL
    save = cfg.save
    cfg.save = False
    cfg.threads = cfg.threads or max(counts)  # the harness's setting; each contender sets its own count
    try:
        out = harness.run_suite("threads_sweep", lambda c: sweep_workloads(n, counts), cfg)
    finally:
        cfg.save = save
    out["thread_counts"] = counts
    out["speedups"] = sweep_speedups(out, counts)
    print(format_sweep(out["speedups"], counts))
    harness.save(out, cfg, "threads_sweep")
    return out


def run_suite(cfg: harness.Config) -> dict:
    """The harness's suite, then the first-call measurement; one JSON with both."""
    try:
        out = harness.run_suite(SUITE, build, cfg, save_results=False)
    finally:
        for pool in _POOLS:
            pool.shutdown(cancel_futures=True)
    out["thread_scaling"] = scaling(out)
    if out["thread_scaling"]:
        for who in ("lazyarr", "handwritten"):
            sp = out["thread_scaling"].get(who)
            if sp:
                print(f"== fused scaling, {who}: 2 threads {sp['median']:.2f}x faster than 1 from the medians, "
                      f"{sp['paired']:.2f}x per round (paired), {sp['minima']:.2f}x from the minima"
                      + (" (target >= 1.8x)" if who == "lazyarr" else ""))
    if first_call_selected(cfg):  # --only "first call" runs this part alone
        out["first_call"] = first_call(cfg)
        print(format_first_call(out["first_call"]))
        out["loadavg_after_first_call"] = [round(x, 2) for x in os.getloadavg()]
    harness.save(out, cfg, SUITE)
    return out


def main(argv=None) -> dict:
    p = harness.parser(__doc__.splitlines()[0])
    p.add_argument("--threads-sweep", action="store_true",
                   help="only the thread sweep: speed-up against 1 thread for 1, 2, 4, ... os.cpu_count() threads "
                        "(-> bench/results/threads_sweep.json)")
    p.add_argument("--latency", action="store_true",
                   help="only compile latency (#14): first calls in fresh processes with empty caches, CPU and "
                        "wall time (bench/latency.py; --rounds and --only are passed on)")
    args = p.parse_args(argv)
    if args.latency:
        from bench import latency
        return latency.main(["--rounds", str(args.rounds or 3)] + (["--only", args.only] if args.only else []))
    cfg = harness.config_from_args(args)
    return threads_sweep(cfg) if args.threads_sweep else run_suite(cfg)


if __name__ == "__main__":
    main()
