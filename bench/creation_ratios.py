"""Generators against NumPy's materialised sequences: python bench/creation_ratios.py (1 thread, best of 5).

Ratios are NumPy's time over lazyarr's, both measured in one run (the machine may be shared: compare ratios,
not times)."""
import time

import numpy as np

import lazyarr as la

N = 10_000_000


def best(f, rounds=5):
    f()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    x = np.random.default_rng(0).random(N)
    cases = [
        ("np.sin(la.arange(n) * 1e-7).sum()", lambda: np.sin(la.arange(N) * 1e-7).sum().compute(),
         lambda: np.sin(np.arange(N) * 1e-7).sum()),
        ("(la.linspace(0, 1, n) ** 2).sum()", lambda: (la.linspace(0, 1, N) ** 2).sum().compute(),
         lambda: (np.linspace(0, 1, N) ** 2).sum()),
        ("la.array(x) + la.zeros(n)", lambda: (la.array(x) + la.zeros(N)).compute(), lambda: x + np.zeros(N)),
    ]
    with la.num_threads(1):
        for name, lazy, numpy in cases:
            t_lazy, t_numpy = best(lazy), best(numpy)
            print(f"{name:40s} lazyarr {t_lazy * 1e3:8.1f} ms  NumPy {t_numpy * 1e3:8.1f} ms  "
                  f"ratio {t_numpy / t_lazy:5.2f}x")


if __name__ == "__main__":
    main()
