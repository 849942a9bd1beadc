"""(#15 postblas) A/B in one process of the two changes around BLAS products: the step right after a product
run serially (runtime/after_blas.py) and dead big intermediates reused (runtime/scratch.py). Both off (A) and on
(B): one fused function traced per setting (fuse decides after_blas when it traces), the lazy graph built per
call; timed in interleaved rounds with NumPy (median and min). Only ratios within one run mean anything.

    nice python bench/ab_postblas.py covariance 9
    nice python bench/ab_postblas.py covariance 9 --steps   # the lazy mode's steps: wall, CPU, minor faults
"""
from __future__ import annotations

import collections
import gc
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr and bench, not an installed one

import lazyarr as la  # noqa: E402
from lazyarr.runtime import after_blas, evaluate, scratch  # noqa: E402
from bench.programs import PROGRAMS  # noqa: E402
from bench.programs.modes import caller, fresh_copies  # noqa: E402

SMALL_BYTES, MIN_BYTES = after_blas.SMALL_BYTES, scratch.MIN_BYTES
SMALL_READ_BYTES = after_blas.SMALL_READ_BYTES  # (s13 blasprog) the argmax's budget: off with the rest


def setting(on: bool) -> None:
    after_blas.SMALL_BYTES = SMALL_BYTES if on else -1
    after_blas.SMALL_READ_BYTES = SMALL_READ_BYTES if on else -1
    scratch.MIN_BYTES = MIN_BYTES if on else 1 << 62
    if not on:
        scratch.clear()


def whole(prog, args, rounds: int) -> None:
    calls = {"numpy": (caller(prog, "numpy"), True)}
    for on in (False, True):
        setting(on)
        calls[f"fuse_{'on' if on else 'off'}"] = (caller(prog, "fuse", la), on)
        calls[f"lazy_{'on' if on else 'off'}"] = (caller(prog, "lazy", la), on)
    for f, on in calls.values():  # traces and compiles
        setting(on)
        for _ in range(3):
            f(fresh_copies(args))
    times = {k: [] for k in calls}
    gc.disable()
    for _ in range(rounds):
        for k, (f, on) in calls.items():
            setting(on)
            if on and k != "numpy":
                f(fresh_copies(args))  # the pool as a repeated call finds it
            a = fresh_copies(args) if prog.mutates else args
            t0 = time.perf_counter()
            f(a)
            times[k].append(time.perf_counter() - t0)
    gc.enable()
    base, base_min = np.median(times["numpy"]), min(times["numpy"])
    for k, v in times.items():
        print(f"{prog.name:18s} {k:9s} med {np.median(v) * 1e3:8.2f} ms  min {min(v) * 1e3:8.2f} ms  "
              f"x{base / np.median(v):.2f} (min x{base_min / min(v):.2f})")


def steps(prog, args, rounds: int) -> None:
    record = []

    def wrap(name):
        original = getattr(evaluate, name)

        def timed(step, *a, **kw):
            r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            original(step, *a, **kw)
            t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
            record.append((f"{name}{getattr(step, 'shape', '')}", t1 - t0,
                           r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, r1.ru_minflt - r0.ru_minflt))
        setattr(evaluate, name, timed)

    for name in ("run_map", "run_rows", "run_reduce", "run_stage"):
        wrap(name)
    lazy = caller(prog, "lazy", la)
    for on in (False, True, False, True):
        setting(on)
        lazy(fresh_copies(args))
    results = collections.defaultdict(list)
    for _ in range(rounds):
        for on in (False, True):
            setting(on)
            if on:
                lazy(fresh_copies(args))
            record.clear()
            lazy(fresh_copies(args))
            for i, (what, wall, cpu, faults) in enumerate(record):
                results[(i, what, on)].append((wall, cpu, faults))
    for (i, what, on), values in sorted(results.items()):
        wall, cpu, faults = zip(*values)
        print(f"{prog.name} step {i} {what:28s} {'on ' if on else 'off'} wall min {min(wall) * 1e3:7.2f} "
              f"med {np.median(wall) * 1e3:7.2f} ms  cpu med {np.median(cpu) * 1e3:7.2f} ms  "
              f"faults {np.median(faults):6.0f}")


if __name__ == "__main__":
    program = PROGRAMS[sys.argv[1]]
    n_rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    arguments = program.setup(program.default_size)
    (steps if "--steps" in sys.argv else whole)(program, arguments, n_rounds)
