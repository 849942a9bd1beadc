"""Programs: about 30 complete NumPy programs (bench/programs/), each run unchanged by NumPy, by @la.fuse and on
la.array inputs, checked against NumPy and timed interleaved.

    numpy          program(*args)                                        (baseline of every ratio)
    lazyarr.fuse   la.fuse(program)(*args), traced and compiled before timing
    lazyarr        program(*[la.array(a) for array arguments]), LazyArray results computed by one la.compute,
                   wrapped and computed inside the timed call

Each mode's first two calls (fuse: the trace, then the cached program) are checked against NumPy's result (same
structure, shape and dtype; values within the program's tolerance, exact for integers and bools): its status is
``ok``, ``wrong answer`` (what differs) or ``error`` (the exception, shortened). Only ``ok`` modes are timed: rounds of numpy, fuse, lazy, ... with 2 threads
unless ``--threads`` says otherwise. A program that writes into its arguments gets fresh copies for every call,
made before the timed stretch. The table gives NumPy's time and each mode's speed-up over it (NumPy time /
mode time, > 1: faster), then the geometric mean of the speed-ups over the programs that run.

Two estimates of each speed-up: the ratio of the medians (the headline), and the median of the per-round ratios
("paired": NumPy's time in a round over the mode's time in the same round). On a shared 2-core machine the load
drifts within a run; a round's three calls run back to back, so a paired ratio compares calls made under the same
load, and a slow round moves it less. The summary names the programs below NumPy by each estimate.

    python bench/bench_programs.py                 # default sizes -> bench/results/programs.json
    python bench/bench_programs.py --quick         # the tests' small sizes, 3 rounds (smoke test)
    python bench/bench_programs.py --only jacobi   # programs whose name contains "jacobi"
"""
from __future__ import annotations

import gc
import math
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, report
from bench.programs import KNOWN_FAILURES, PROGRAMS
from bench.programs import modes

SUITE = "programs"
DEFAULT_THREADS = 2
CONTENDER = {"numpy": "numpy", "fuse": "lazyarr.fuse", "lazy": "lazyarr"}  # mode -> name in tables and JSON


def short_error(exc: BaseException, limit: int = 160) -> str:
    """``Type: first line of the message``, cut to ``limit`` characters."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --------------------------------------------------------------------------- one program


def _timing(call, args: tuple, mutates: bool, number: int) -> float:
    """Mean time of ``number`` calls; a program that writes into its arguments gets copies made beforehand."""
    arg_sets = [modes.fresh_copies(args) for _ in range(number)] if mutates else [args] * number
    t0 = time.perf_counter()
    for one in arg_sets:
        call(one)
    return (time.perf_counter() - t0) / number


def _calibrate(call, args: tuple, mutates: bool, min_timing_s: float) -> int:
    """Calls per timing so that one timing lasts ``min_timing_s`` (from one call, compiled already)."""
    once = _timing(call, args, mutates, 1)
    return max(1, min(1000, math.ceil(min_timing_s / max(once, 1e-9))))


def _calls_to_decide(la) -> int:
    """Calls after which ``la.fuse`` has chosen between its program and NumPy (lazyarr/tracer/speed_probe.py)."""
    try:
        from lazyarr.tracer import speed_probe
    except ImportError:  # an older lazyarr has no probe
        return 2
    return speed_probe.CALLS_TO_DECIDE


def _forget_fallback_warnings() -> None:
    """lazyarr warns once per function per process; each program's first call should name its own fallbacks."""
    try:
        from lazyarr.api import fallback
        fallback.warned.clear()
    except (ImportError, AttributeError):
        pass


def warm_up(program, args: tuple, la, skip_reason: str = "") -> tuple[dict, dict]:
    """First call of each mode, checked against NumPy's: ``({mode: call}, {mode: row})``; only ``ok`` modes
    get a call. ``la`` None: lazyarr cannot be imported (``skip_reason``), its modes are skipped."""
    calls, rows = {}, {}
    reference = None
    for mode in modes.ALL_MODES:
        row = {"name": CONTENDER[mode], "mode": mode}
        rows[mode] = row
        if mode != "numpy" and la is None:
            row.update(status="skipped", reason=skip_reason)
            continue
        try:
            call = modes.caller(program, mode, la)
            _forget_fallback_warnings()
            t0 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                first = call(modes.fresh_copies(args) if program.mutates else args)
                row["first_call_s"] = time.perf_counter() - t0
                # fuse traces on the first call and replays its cached program on later ones: check both
                second = call(modes.fresh_copies(args) if program.mutates else args)
                if mode == "fuse":  # (s17) fuse times its first calls against NumPy's: let it decide first
                    for _ in range(_calls_to_decide(la) - 2):
                        call(modes.fresh_copies(args) if program.mutates else args)
            row["fallbacks"] = modes.fallbacks(caught, la)
        except Exception as exc:  # every failure is a result of this suite: report it, go on
            row.update(status="error", reason=short_error(exc))
            continue
        if mode == "numpy":
            reference = first
            row.update(status="ok", check="reference")
        else:
            problem = (modes.mismatch(first, reference, program.rtol, program.atol, "first call")
                       or modes.mismatch(second, reference, program.rtol, program.atol, "second call"))
            if problem:
                row.update(status="wrong answer", reason=problem)
            else:
                row.update(status="ok", check="ok")
        if row["status"] == "ok":
            calls[mode] = call
    return calls, rows


def interleave(calls: dict, rows: dict, args: tuple, mutates: bool, cfg: harness.Config) -> dict:
    """``rounds`` rounds of numpy, fuse, lazy; a sample is the min over ``repeats`` timings. A mode that raises
    while timed is dropped with its error."""
    numbers = {mode: _calibrate(call, args, mutates, cfg.min_timing_s) for mode, call in calls.items()}
    samples = {mode: [] for mode in calls}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(cfg.rounds):
            for mode in list(calls):
                if cfg.settle:
                    harness.settle_threads()  # NumPy's BLAS worker spins ~0.1 s after its last product
                try:
                    samples[mode].append(min(_timing(calls[mode], args, mutates, numbers[mode])
                                             for _ in range(cfg.repeats)))
                except Exception as exc:
                    rows[mode].update(status="error", reason="while timed: " + short_error(exc))
                    del calls[mode], samples[mode]
    finally:
        if gc_was_enabled:
            gc.enable()
    for mode in samples:
        rows[mode]["number"] = numbers[mode]
    return samples


def measure_program(program, size: int, cfg: harness.Config, la, skip_reason: str = "") -> dict:
    args = program.setup(size)
    calls, rows = warm_up(program, args, la, skip_reason)
    if "numpy" in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fallback warnings were recorded in the warm-up
            samples = interleave(calls, rows, args, program.mutates, cfg)
        base = samples.get("numpy")
        for mode, s in samples.items():
            rows[mode].update(_stats(s, base))
    for mode in ("fuse", "lazy"):
        rows[mode]["known_failure"] = KNOWN_FAILURES.get((program.name, mode))
    return {"name": program.name, "params": {"size": size, "about": program.about}, "baseline": "numpy",
            "rtol": program.rtol, "atol": program.atol, "mutates": program.mutates,
            "contenders": list(rows.values()), "ratios": {}}


def _stats(s: list, base: list) -> dict:
    median = statistics.median(s)
    q25, _, q75 = statistics.quantiles(s, n=4) if len(s) > 1 else (s[0], s[0], s[0])
    return {"median_s": median, "min_s": min(s), "samples_s": s, "q25_s": q25, "q75_s": q75,
            "ratio_vs_baseline": median / statistics.median(base),
            "speedup": statistics.median(base) / median,
            "paired_speedup_median": statistics.median(b / x for x, b in zip(s, base))}


# --------------------------------------------------------------------------- the table


def _cell(row: dict) -> str:
    if row["status"] == "ok":
        return f"ok {row['speedup']:.2f}x"
    return {"wrong answer": "WRONG", "error": "ERROR", "skipped": "skipped"}[row["status"]]


def format_program(res: dict) -> str:
    rows = {r["mode"]: r for r in res["contenders"]}
    numpy_row = rows["numpy"]
    numpy_time = report.fmt_time(numpy_row["median_s"]) if "median_s" in numpy_row else numpy_row["status"]
    line = f"  {res['name']:<22}{numpy_time:>11}  {_cell(rows['fuse']):<14}{_cell(rows['lazy']):<14}"
    paired = [f"{rows[m]['paired_speedup_median']:.2f}x" if "paired_speedup_median" in rows[m] else "-"
              for m in ("fuse", "lazy")]
    line += f"paired {paired[0]:>6} {paired[1]:>6}"
    notes = []
    for mode in ("fuse", "lazy"):
        row = rows[mode]
        if row["status"] not in ("ok", "skipped"):
            notes.append(f"      {CONTENDER[mode]}: {row['reason']}")
        elif row["status"] == "ok" and row.get("known_failure"):
            notes.append(f"      {CONTENDER[mode]}: now gives NumPy's answer: delete its KNOWN_FAILURES entry")
        if row.get("fallbacks"):
            notes.append(f"      {CONTENDER[mode]}: NumPy fallback for {', '.join(row['fallbacks'])}")
    return "\n".join([line, *notes])


def summary(results: list) -> dict:
    """Per lazyarr mode: how many programs run with NumPy's answer, the geometric-mean speed-up over them,
    and the programs slower than NumPy; each by the ratio of medians and by the median of paired ratios."""
    out = {}
    for mode in ("fuse", "lazy"):
        rows = [(res["name"], r) for res in results for r in res["contenders"]
                if r["mode"] == mode and r["status"] == "ok" and "speedup" in r]
        ok = [(name, r["speedup"]) for name, r in rows]
        paired = [(name, r["paired_speedup_median"]) for name, r in rows]
        out[CONTENDER[mode]] = {
            "ok": len(ok), "programs": len(results),
            "geomean_speedup": _geomean(ok),
            "slower_than_numpy": sorted(name for name, s in ok if s < 1.0),
            "paired_geomean_speedup": _geomean(paired),
            "paired_slower_than_numpy": sorted(name for name, s in paired if s < 1.0),
        }
    return out


def _geomean(speedups: list) -> float | None:
    return math.exp(sum(math.log(s) for _, s in speedups) / len(speedups)) if speedups else None


def format_summary(summ: dict) -> str:
    lines = ["== geometric mean of speed-ups over NumPy (programs with NumPy's answer only)"]
    for name, s in summ.items():
        gm = f"{s['geomean_speedup']:.2f}x" if s["geomean_speedup"] else "-"
        slower = ", ".join(s["slower_than_numpy"]) or "none"
        lines.append(f"  {name:<14} {s['ok']:>2}/{s['programs']} ok, geomean {gm}; slower than NumPy: {slower}")
        if s.get("paired_geomean_speedup"):
            slower = ", ".join(s["paired_slower_than_numpy"]) or "none"
            lines.append(f"  {'':<14} paired: geomean {s['paired_geomean_speedup']:.2f}x; slower than NumPy: "
                         f"{slower}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- entry points


def run_suite(cfg: harness.Config) -> dict:
    if cfg.threads is None:
        cfg.threads = DEFAULT_THREADS
    cfg.threads = harness.configure_threads(cfg.threads)
    try:
        la, skip_reason = harness.lazyarr(), ""
    except harness.Skip as exc:
        la, skip_reason = None, str(exc)
    out = {"suite": SUITE, "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(cfg).items()},
           "loadavg_before": [round(x, 2) for x in os.getloadavg()], "environment": harness.environment(),
           "workloads": []}
    print(report.format_header(out), flush=True)
    print(f"  {'program':<22}{'numpy':>11}  {'lazyarr.fuse':<14}{'lazyarr':<14}   (speed-up = numpy time / time)")
    for name, program in PROGRAMS.items():
        if cfg.only and cfg.only not in name:
            continue
        res = measure_program(program, program.small_size if cfg.quick else program.default_size, cfg, la,
                              skip_reason)
        print(format_program(res), flush=True)
        out["workloads"].append(res)
    out["summary"] = summary(out["workloads"])
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(format_summary(out["summary"]))
    print(f"load average before={out['loadavg_before']} after={out['loadavg_after']}")
    harness.save(out, cfg, SUITE)
    return out


def main(argv=None) -> dict:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    return run_suite(harness.config_from_args(args))


if __name__ == "__main__":
    main()
