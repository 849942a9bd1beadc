"""NumPy's time over lazyarr's for the counting and searching kernels (issue #13, surface/search).

    python bench/search_ratios.py [--n 10000000] [--threads 2] [--rounds 3]

Each case runs NumPy and lazyarr alternately (best of `rounds`), lazyarr on an input already in memory (a leaf),
so both read the same array; a ratio above 1 means lazyarr is faster. The first call compiles (or loads from
Numba's cache) and is not timed.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import lazyarr as la


def best(func, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def cases(n: int):
    rng = np.random.default_rng(0)
    x = rng.random(n)
    ints = rng.integers(0, 1000, n)
    w = rng.random(n)
    edges = np.sort(rng.random(1000))
    xp, fp = np.sort(rng.random(1000)), rng.random(1000)
    X, I, W = la.array(x), la.array(ints), la.array(w)
    return {
        "bincount": (lambda: np.bincount(ints), lambda: np.bincount(I).compute()),
        "bincount weights": (lambda: np.bincount(ints, w), lambda: np.bincount(I, W).compute()),
        "histogram 100 bins": (lambda: np.histogram(x, 100, (0, 1)), lambda: np.histogram(X, 100, (0, 1))[0].compute()),
        "histogram weights": (lambda: np.histogram(x, 100, (0, 1), weights=w),
                              lambda: np.histogram(X, 100, (0, 1), weights=W)[0].compute()),
        "searchsorted 1000": (lambda: np.searchsorted(edges, x), lambda: np.searchsorted(edges, X).compute()),
        "digitize 1000": (lambda: np.digitize(x, edges), lambda: np.digitize(X, edges).compute()),
        "interp 1000": (lambda: np.interp(x, xp, fp), lambda: np.interp(X, xp, fp).compute()),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    la.set_num_threads(args.threads)
    print(f"n = {args.n:,}, {args.threads} thread(s), best of {args.rounds}")
    for name, (numpy_call, lazy_call) in cases(args.n).items():
        first = time.perf_counter()
        lazy_call()  # compile or load
        first = time.perf_counter() - first
        t_numpy = t_lazy = float("inf")
        for _ in range(args.rounds):  # alternate, so a busy machine slows both alike
            t_numpy = min(t_numpy, best(numpy_call, 1))
            t_lazy = min(t_lazy, best(lazy_call, 1))
        print(f"{name:20s} numpy {t_numpy * 1e3:8.1f} ms   lazyarr {t_lazy * 1e3:8.1f} ms   "
              f"ratio {t_numpy / t_lazy:5.2f}x   (first call {first:.2f} s)")


if __name__ == "__main__":
    main()
