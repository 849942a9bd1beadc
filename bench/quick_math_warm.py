"""Warm speed of sin/exp/log maps on one tier (#14 quick math): the quick tier's kernel or Numba's.

Which tier runs is the environment's choice, so run it twice (or more, alternating) and compare the lazy
columns; NumPy's time in the same process is printed beside them as a yardstick for the machine's load:

    LAZYARR_QUICK_TIER=1 python bench/quick_math_warm.py
    LAZYARR_QUICK_TIER=0 python bench/quick_math_warm.py

Each line: the minimum of 7 warm calls (after one that compiles or loads the kernel), uniform(0.001, 10) inputs,
10**6 and 10**7 elements, float64 and float32, 1 and 2 threads (``la.num_threads``).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr, not an installed one
import lazyarr as la  # noqa: E402
from lazyarr.compiler import llvm_tier  # noqa: E402
from lazyarr.runtime import llvm_launch  # noqa: E402

SIZES = (10 ** 6, 10 ** 7)
NAMES = ("sin", "exp", "log")


def best(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for n in SIZES:
        for dt in (np.float64, np.float32):
            x = rng.uniform(0.001, 10, n).astype(dt)
            for name in NAMES:
                f = getattr(np, name)
                for threads in (1, 2):
                    with la.num_threads(threads):
                        f(la.array(x)).compute()
                        lazy = best(lambda: f(la.array(x)).compute(), 7)
                    label = f"{name} {np.dtype(dt).name} n={n:.0e} threads={threads}"
                    rows.append((label, lazy, best(lambda: f(x), 3)))
    print(f"LAZYARR_QUICK_TIER={os.environ.get('LAZYARR_QUICK_TIER', '(default)')}: quick launches "
          f"{llvm_launch.launches()}, refused {llvm_tier.info()['refused']}")
    for label, lazy, numpy in rows:
        print(f"{label:34s} lazy {lazy * 1e3:8.2f} ms  numpy {numpy * 1e3:8.2f} ms  ratio {lazy / numpy:.2f}")


if __name__ == "__main__":
    main()
