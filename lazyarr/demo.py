"""``python -m lazyarr.demo``: the fused, parallel speed-up on a built-in workload, checked against NumPy.

The workload is the kind of line lazyarr exists for: several elementwise operations and a transcendental
function over 10^7 float64 values. NumPy runs it one operator at a time on one core, writing a temporary per
operator; lazyarr runs it as one fused kernel on every core.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import lazyarr as la


def numpy_version(a, b, c):
    return 2 * a + 3 * b * c - np.sin(a) ** 2


def lazy_version(a, b, c):
    A, B, C = la.array(a), la.array(b), la.array(c)
    return (2 * A + 3 * B * C - la.sin(A) ** 2).compute()


def best_of(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    a, b, c = (rng.random(args.size) for _ in range(3))
    print(f"workload: 2*a + 3*b*c - sin(a)**2 on {args.size:,} float64 values")
    print(f"lazyarr config: {la.show_config()}")

    start = time.perf_counter()
    result = lazy_version(a, b, c)
    print(f"first call (compiles the kernel, or loads it from the disk cache): {time.perf_counter() - start:.3f} s")
    expected = numpy_version(a, b, c)
    max_ulp = np.max(np.abs(result.view(np.int64) - expected.view(np.int64)))
    print(f"matches NumPy: max difference {max_ulp} ULP")

    t_numpy = best_of(lambda: numpy_version(a, b, c), args.repeats)
    with la.num_threads(1):
        t_one = best_of(lambda: lazy_version(a, b, c), args.repeats)
    t_all = best_of(lambda: lazy_version(a, b, c), args.repeats)
    n = la.get_num_threads()
    print(f"NumPy (one operator at a time):   {t_numpy * 1e3:8.1f} ms")
    print(f"lazyarr, fused, 1 thread:         {t_one * 1e3:8.1f} ms   {t_numpy / t_one:5.2f}x NumPy")
    print(f"lazyarr, fused, {n} threads:        {t_all * 1e3:8.1f} ms   {t_numpy / t_all:5.2f}x NumPy")
    print(f"kernel cache: {la.cache_info()}")


if __name__ == "__main__":
    main()
