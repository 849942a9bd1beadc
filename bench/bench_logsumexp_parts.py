"""Where a row-fused logsumexp spends its time (#14): the whole row kernel against its parts run alone (the max
over rows, and the sum of exp over rows), 4000x2500 float64, 2 threads, interleaved in one process.

    python bench/bench_logsumexp_parts.py ROUNDS

If the row kernel costs about max + sum(exp), its passes add no overhead of their own: the max pass is bound by
memory (NumPy's own max costs about as much) and the exp pass by the vector exp of kernels/vecmath.py.
"""
import os
import sys
import time

sys.path.insert(0, ".")
import numba  # noqa: E402
import numpy as np  # noqa: E402

import lazyarr as la  # noqa: E402


def logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1))


def main(rounds: int) -> None:
    numba.set_num_threads(2)
    la.set_num_threads(2)
    x = np.random.default_rng(0).standard_normal((4000, 2500))
    lazy_lse = la.fuse(logsumexp)
    lazy_max = la.fuse(lambda a: np.max(a, axis=1))
    lazy_sum_exp = la.fuse(lambda a: np.sum(np.exp(a), axis=1))
    fns = {"numpy logsumexp": lambda: logsumexp(x), "lazyarr logsumexp": lambda: lazy_lse(x),
           "lazyarr max": lambda: lazy_max(x), "lazyarr sum(exp)": lambda: lazy_sum_exp(x),
           "numpy max": lambda: x.max(axis=1)}
    assert np.allclose(lazy_lse(x), logsumexp(x), rtol=1e-12)
    for f in fns.values():
        f()
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    base = np.median(times["numpy logsumexp"])
    for k, v in times.items():
        print(f"{k:20s} {np.median(v) * 1e3:8.1f} ms  x numpy logsumexp {np.median(v) / base:.3f}")
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
