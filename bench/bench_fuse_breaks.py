"""@lazyarr.fuse with graph breaks (#15): a branch on a value and a convergence loop, replayed, against NumPy.

    python bench/bench_fuse_breaks.py [n]     # default n = 2,000,000 float64; prints best-of-5 times and ratios

Timed after the first call (trace and compile): "fused replay" runs the guarded segments, "eager" runs the
Python body on LazyArrays (what a signature without a replayable trace does each call).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

import lazyarr as la
from lazyarr.tracer import segments


def converge(a, tol):
    x = a * 1.0
    err = np.abs(x - 2.0).max()
    while err > tol:
        x = x - 0.5 * (np.sin(x) * 0.0 + x - 2.0)
        err = np.abs(x - 2.0).max()
    return x


def branch(a):
    if a.sum() > 0:
        return np.sin(a) * 2.0 + np.cos(a) ** 2
    return np.cos(a) - 1.0


def best(run, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n: int) -> None:
    a = np.random.default_rng(0).random(n)
    fused_converge, fused_branch = la.fuse(converge), la.fuse(branch)
    fused_converge(a, 1e-6), fused_branch(a)  # trace and compile
    rows = [
        ("converge", lambda: converge(a, 1e-6), lambda: fused_converge(a, 1e-6),
         lambda: segments.run_eager(converge, (a, 1e-6), {})),
        ("branch", lambda: branch(a), lambda: fused_branch(a), lambda: segments.run_eager(branch, (a,), {})),
    ]
    print(f"n = {n}, {la.get_num_threads()} threads")
    for name, numpy_run, fused_run, eager_run in rows:
        t_np, t_fused, t_eager = best(numpy_run), best(fused_run), best(eager_run)
        print(f"{name:9s} numpy {t_np * 1e3:8.1f} ms   fused replay {t_fused * 1e3:8.1f} ms ({t_np / t_fused:.2f}x)"
              f"   eager {t_eager * 1e3:8.1f} ms ({t_np / t_eager:.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000)
