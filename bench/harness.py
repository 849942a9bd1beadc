"""Interleaved benchmark harness for lazyarr and its competitors.

Every contender of one workload is timed in the same run, round-robin
(A, B, C, A, B, C, ...), after one warm-up call each, so that compile time is
excluded and slow drifts in machine load hit every contender alike. On a
shared, noisy machine only the ratios *within one run* mean anything; the
absolute times are reported for orientation only.

Vocabulary:
    call    one invocation of a contender's zero-argument callable
    timing  ``number`` back-to-back calls, divided by ``number`` (``number`` is
            calibrated so one timing lasts at least ``min_timing_s``)
    sample  the minimum over ``repeats`` timings, taken in one round
    result  the median over ``rounds`` samples, plus min and quartiles

A contender that cannot run here (lazyarr not importable yet) is recorded as
skipped, with the reason; every other error propagates.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bench import report

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

# Every lazyarr variant's time is divided by each of these in the closing summary.
RATIO_AGAINST = ("numexpr", "handwritten", "numpy")


class Skip(Exception):
    """Raised by a contender factory when the contender cannot run here."""


@dataclasses.dataclass
class Contender:
    name: str
    fn: Callable[[], Any]
    note: str = ""


@dataclasses.dataclass
class Skipped:
    name: str
    reason: str


@dataclasses.dataclass
class Workload:
    """One computation, several ways of doing it; results checked against ``baseline``."""

    name: str
    contenders: list
    params: dict = dataclasses.field(default_factory=dict)
    baseline: str = "numpy"
    rtol: float = 1e-12
    atol: float = 0.0


@dataclasses.dataclass
class Config:
    quick: bool = False
    threads: int | None = None
    rounds: int = 11
    repeats: int = 3
    min_timing_s: float = 0.02
    only: str | None = None
    out: Path | None = None
    save: bool = True
    plot: bool = True
    settle: bool = True  # wait for other thread pools to go idle before each contender's timings (settle_threads)


def contender(name: str, factory: Callable[[], Callable[[], Any]], note: str = ""):
    """Build a contender from ``factory()``; a :class:`Skip` becomes a :class:`Skipped`."""
    try:
        fn = factory()
    except Skip as exc:
        return Skipped(name, str(exc))
    return Contender(name, fn, note)


# --------------------------------------------------------------------------- lazyarr

_LAZYARR: dict = {}


def lazyarr():
    """Return the ``lazyarr`` module, or raise :class:`Skip` if it cannot be imported.

    Only ImportError means "not available yet"; any other exception raised while
    importing lazyarr is a bug and propagates.
    """
    if "module" not in _LAZYARR:
        if str(REPO_ROOT) not in sys.path:
            # Benchmark the working tree, not some other installed copy.
            sys.path.insert(0, str(REPO_ROOT))
        try:
            import lazyarr as la
        except ImportError as exc:
            _LAZYARR["module"] = None
            _LAZYARR["reason"] = f"lazyarr not importable ({type(exc).__name__}: {exc})"
            print(f"NOTE: skipping lazyarr contenders: {_LAZYARR['reason']}", file=sys.stderr)
        else:
            if getattr(la, "__file__", None) is None:
                # A directory without __init__.py imports as a namespace package.
                _LAZYARR["module"] = None
                _LAZYARR["reason"] = f"lazyarr not importable (no lazyarr/__init__.py in {list(la.__path__)})"
                del sys.modules["lazyarr"]
                print(f"NOTE: skipping lazyarr contenders: {_LAZYARR['reason']}", file=sys.stderr)
            else:
                _LAZYARR["module"] = la
    if _LAZYARR["module"] is None:
        raise Skip(_LAZYARR["reason"])
    return _LAZYARR["module"]


def _lazyarr_if_loaded():
    return _LAZYARR.get("module")


# --------------------------------------------------------------------------- threads and environment


def configure_threads(n: int | None) -> int:
    """Give numba, numexpr and lazyarr (if importable) the same thread count."""
    import numba
    import numexpr

    if n is None:
        n = numba.get_num_threads()
    numba.set_num_threads(n)
    numexpr.set_num_threads(n)
    try:
        la = lazyarr()
    except Skip:
        pass
    else:
        la.set_num_threads(n)
    return n


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _blas() -> list[dict] | str:
    """Each BLAS library loaded in the process: version, threads and the kernels it picked ("architecture").

    The products of the BLAS-bound programs are NumPy's own BLAS calls for every contender, so their ratios
    depend on it; OpenBLAS picks its AVX2 (Haswell) kernels on some AVX-512 machines (docs/after_blas.md)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    keys = ("internal_api", "version", "num_threads", "architecture", "threading_layer")
    return [{k: info.get(k) for k in keys} for info in threadpool_info() if info.get("user_api") == "blas"]


def environment() -> dict:
    """Machine, library versions and thread settings, for the JSON record."""
    import numba
    import numexpr

    env = {
        "timestamp_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "isa": _isa(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numexpr": numexpr.__version__,
        "numba_num_threads": numba.get_num_threads(),
        "numba_threading_layer": _threading_layer(),
        "numexpr_num_threads": numexpr.get_num_threads(),
        "numexpr_vml": bool(getattr(numexpr, "use_vml", False)),
        "blas": _blas(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }
    la = _lazyarr_if_loaded()
    if la is None:
        env["lazyarr"] = _LAZYARR.get("reason", "not imported")
    else:
        env["lazyarr"] = {
            "version": getattr(la, "__version__", None),
            "file": getattr(la, "__file__", None),
            "num_threads": la.get_num_threads(),
        }
    return env


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:
        # Only known once a parallel kernel has run; run a trivial one.
        from bench import handwritten

        handwritten.touch_threads()
        return numba.threading_layer()


def _isa() -> dict:
    """The CPU as the compilers see it: LLVM's name for it (what lazyarr's and Numba's kernels are built for) and
    the highest of NumPy's dispatch targets it runs (X86_V4: NumPy's AVX-512 loops; X86_V3: AVX2, where many of
    its float64 transcendental loops are the C library's scalar ones). The same cloud name ("AMD EPYC") has
    covered both a Zen 5 with AVX-512 and a Zen 3 without it; ratios against NumPy differ between them."""
    out: dict = {}
    try:
        import llvmlite.binding as llvm
        out["llvm_cpu"] = llvm.get_host_cpu_name()
    except Exception as exc:  # (llvmlite comes with numba; a broken install still gets a header)
        out["llvm_cpu"] = f"unknown ({type(exc).__name__})"
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
        found = [t for t in __cpu_dispatch__ if __cpu_features__.get(t)]
        out["numpy_dispatch"] = found[-1] if found else "baseline"
    except ImportError:
        out["numpy_dispatch"] = "unknown"
    return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# --------------------------------------------------------------------------- timing


def _timing(fn: Callable[[], Any], number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


# Before each contender's timings, wait until no thread of this process burns CPU. OpenBLAS's worker keeps
# spinning (yielding) for ~0.1 s after every product NumPy hands it (its THREAD_TIMEOUT: measured here, a 400x400
# ``A @ A`` then a sleep costs the process 0.105 s of CPU however long the sleep). In an interleaved round the next
# contender inherits that worker: logistic_regression's fused program took 9-13 ms a call right after NumPy's
# calls, 4.4-7.3 ms after a 0.3 s pause, 4.4-5.2 ms with OPENBLAS_THREAD_TIMEOUT=4 and 4.0-4.4 ms with no NumPy
# run in the process (bench/README.md, "Settling between contenders"). A user runs one of the contenders, not all
# of them in turn, so each starts from an idle process.
# lazyarr's TBB workers (and Numba's) sleep at once: after a parallel kernel the process takes no CPU while idle.
SETTLE_TICK_S = 0.01
SETTLE_IDLE_CPU_S = 0.002  # less than this much process CPU in one tick counts as idle
SETTLE_MAX_S = 1.0


def settle_threads(max_s: float = SETTLE_MAX_S) -> float:
    """Sleep in ticks until the process uses (almost) no CPU during one tick, at most ``max_s``; returns the
    seconds waited. Costs one tick when nothing spins."""
    start = time.perf_counter()
    while True:
        cpu = time.process_time()
        time.sleep(SETTLE_TICK_S)
        waited = time.perf_counter() - start
        if time.process_time() - cpu < SETTLE_IDLE_CPU_S or waited >= max_s:
            return waited


def _calibrate(fn: Callable[[], Any], min_timing_s: float) -> int:
    """Smallest ``number`` (1, 2, 5, 10, 20, ...) whose timing lasts ``min_timing_s``."""
    number = 1
    while True:
        for step in (1, 2, 5):
            n = number * step
            if _timing(fn, n) * n >= min_timing_s:
                return n
        number *= 10


def _check(result, reference, rtol: float, atol: float) -> str:
    if isinstance(reference, tuple):  # several results (np.histogram's counts and edges): each checked
        if not isinstance(result, tuple) or len(result) != len(reference):
            return f"FAIL: {type(result).__name__} instead of a tuple of {len(reference)}"
        checks = [_check(r, e, rtol, atol) for r, e in zip(result, reference)]
        return next((c for c in checks if c != "ok"), "ok")
    res, ref = np.asarray(result), np.asarray(reference)
    if res.shape != ref.shape:
        return f"FAIL: shape {res.shape} != {ref.shape}"
    if res.dtype != ref.dtype:
        return f"FAIL: dtype {res.dtype} != {ref.dtype}"
    try:
        np.testing.assert_allclose(res, ref, rtol=rtol, atol=atol)
    except AssertionError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if "Max" in ln]
        return "FAIL: " + ("; ".join(lines) or "values differ")
    return "ok"


def measure(wl: Workload, cfg: Config) -> dict:
    """Warm up, check and time every contender of ``wl``, interleaved."""
    live = [c for c in wl.contenders if isinstance(c, Contender)]
    if wl.baseline not in [c.name for c in live]:
        names = [c.name for c in wl.contenders]
        raise ValueError(f"workload {wl.name!r}: baseline {wl.baseline!r} not among {names}")
    prep = _warm_up(wl, live, cfg)
    samples = _interleave(live, {name: p["number"] for name, p in prep.items()}, cfg)
    base = samples[wl.baseline]
    rows = []
    for c in wl.contenders:
        if isinstance(c, Skipped):
            rows.append({"name": c.name, "status": "skipped", "reason": c.reason})
        else:
            rows.append({"name": c.name, "status": "ok", "note": c.note,
                         **_stats(samples[c.name], base), **prep[c.name]})
    return {
        "name": wl.name,
        "params": wl.params,
        "baseline": wl.baseline,
        "rtol": wl.rtol,
        "atol": wl.atol,
        "contenders": rows,
        "ratios": _pair_ratios(rows),
    }


def _warm_up(wl: Workload, live: list[Contender], cfg: Config) -> dict:
    """First call of each contender (compiles, fills caches): time it, check its result, calibrate."""
    reference = next(c for c in live if c.name == wl.baseline).fn()
    prep = {}
    for c in live:
        t0 = time.perf_counter()
        result = c.fn()
        first_call = time.perf_counter() - t0
        check = "reference" if c.name == wl.baseline else _check(result, reference, wl.rtol, wl.atol)
        if check.startswith("FAIL"):
            print(f"WARNING: {wl.name}: {c.name} disagrees with {wl.baseline}: {check}", file=sys.stderr)
        if isinstance(result, np.ndarray) and c.fn() is result:
            c.note = (c.note + "; " if c.note else "") + "returns the same array object on every call (memoised)"
        del result
        prep[c.name] = {"first_call_s": first_call, "check": check,
                        "number": _calibrate(c.fn, cfg.min_timing_s)}
    return prep


def _interleave(live: list[Contender], numbers: dict, cfg: Config) -> dict[str, list[float]]:
    """``rounds`` rounds of A, B, C, ...; each sample is the min over ``repeats`` timings."""
    samples: dict[str, list[float]] = {c.name: [] for c in live}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection would land on whichever contender is running
    try:
        for _ in range(cfg.rounds):
            for c in live:
                if cfg.settle:
                    settle_threads()
                samples[c.name].append(min(_timing(c.fn, numbers[c.name]) for _ in range(cfg.repeats)))
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def _stats(s: list[float], base: list[float]) -> dict:
    q25, q75 = np.quantile(s, [0.25, 0.75]).tolist()
    return {
        "median_s": statistics.median(s),
        "min_s": min(s),
        "q25_s": q25,
        "q75_s": q75,
        "ratio_vs_baseline": statistics.median(s) / statistics.median(base),
        # Per-round ratios are paired in time, so they cancel load that drifts between rounds.
        "paired_ratio_median": statistics.median(x / y for x, y in zip(s, base)),
        "samples_s": s,
    }


def _pair_ratios(rows: list[dict]) -> dict:
    """``"lazyarr.../other"`` -> median ratio, for each lazyarr variant and each of RATIO_AGAINST.

    ``numexpr`` also matches a variant such as ``"numexpr (3 calls)"``.
    """
    med = {r["name"]: r["median_s"] for r in rows if r["status"] == "ok"}
    out = {}
    for a in [n for n in med if n.startswith("lazyarr")]:
        for family in RATIO_AGAINST:
            for b in [n for n in med if n == family or n.startswith(family + " ")]:
                out[f"{a}/{b}"] = med[a] / med[b]
    return out


# --------------------------------------------------------------------------- entry points


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes, few rounds (smoke test)")
    p.add_argument("--threads", type=int, default=None, help="threads for numba, numexpr and lazyarr (default: numba's)")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 11, quick 3)")
    p.add_argument("--repeats", type=int, default=None, help="timings per sample, min taken (default 3, quick 1)")
    p.add_argument("--only", default=None, help="run only workloads whose name contains this text")
    p.add_argument("--out", type=Path, default=None, help="JSON path (default bench/results[/quick]/<suite>.json)")
    p.add_argument("--no-save", action="store_true", help="print only, write no JSON")
    p.add_argument("--no-settle", action="store_true",
                   help="time each contender right after the previous one, even while its thread pool still spins")
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG even if matplotlib is importable")
    return p


def config_from_args(args: argparse.Namespace) -> Config:
    cfg = Config(quick=args.quick, threads=args.threads, only=args.only, out=args.out,
                 save=not args.no_save, plot=not args.no_plot, settle=not args.no_settle)
    if args.quick:
        cfg.rounds, cfg.repeats, cfg.min_timing_s = 3, 1, 0.002
    if args.rounds is not None:
        cfg.rounds = args.rounds
    if args.repeats is not None:
        cfg.repeats = args.repeats
    return cfg


def run_suite(suite: str, build: Callable[[Config], list[Workload]], cfg: Config, save_results: bool = True) -> dict:
    """Build the workloads of one suite, measure each, print and save the results (`save_results=False`: a
    suite that adds its own measurements to them saves them itself, with ``save``)."""
    cfg.threads = configure_threads(cfg.threads)
    out = {
        "suite": suite,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(cfg).items()},
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "environment": environment(),
        "workloads": [],
    }
    print(report.format_header(out), flush=True)
    for wl in build(cfg):
        if cfg.only and cfg.only not in wl.name:
            continue
        res = measure(wl, cfg)
        print(report.format_workload(res), flush=True)
        out["workloads"].append(res)
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(report.format_summary(out))
    print(f"load average before={out['loadavg_before']} after={out['loadavg_after']}")
    if save_results:
        save(out, cfg, suite)
    return out


def save(out: dict, cfg: Config, name: str) -> None:
    """Write a suite's results to `cfg.out`, else bench/results/[quick/]<name>.json (unless --no-save)."""
    if not cfg.save:
        return
    path = cfg.out or (RESULTS_DIR / ("quick" if cfg.quick else "") / f"{name}.json")
    report.save(out, path, cfg.plot)
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    print(f"results written to {shown}")


def main(suite: str, build: Callable[[Config], list[Workload]], description: str, argv=None) -> dict:
    args = parser(description).parse_args(argv)
    return run_suite(suite, build, config_from_args(args))

