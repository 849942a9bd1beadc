"""Per-thread speed of single ufuncs: lazyarr with 1 thread against NumPy's own loop (also 1 thread).

    python bench/vecmath_ratios.py                      # every function, float64 and float32, 4*10**6 elements
    python bench/vecmath_ratios.py --funcs tanh,expm1 --dtypes float64 --rounds 7

Rounds are interleaved (numpy, lazyarr, numpy, lazyarr, ...); each sample is the best of `--repeats` calls;
the ratio is median(lazyarr) / median(numpy): < 1 means lazyarr is faster. Inputs are drawn from a range
where every value is in the function's fast path (the ranges below), so this measures the vector code, not
the libm fix-up.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import lazyarr as la  # noqa: E402

RANGES = {
    "exp": (-50, 50), "expm1": (-5, 5), "exp2": (-50, 50), "log": (1e-3, 1e3), "log1p": (-0.9, 1e3),
    "log2": (1e-3, 1e3), "log10": (1e-3, 1e3), "sin": (-10, 10), "cos": (-10, 10), "tan": (-10, 10),
    "arcsin": (-1, 1), "arccos": (-1, 1), "arctan": (-20, 20), "sinh": (-20, 20), "cosh": (-20, 20),
    "tanh": (-5, 5), "arcsinh": (-100, 100), "arccosh": (1, 100), "arctanh": (-0.99, 0.99), "cbrt": (-1e3, 1e3),
}


def best(f, repeats):
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return min(t)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--funcs", default=",".join(RANGES))
    p.add_argument("--dtypes", default="float64,float32")
    p.add_argument("--n", type=int, default=4_000_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=2)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'function':10s} {'dtype':8s} {'numpy ms':>9s} {'lazyarr ms':>10s} {'ratio':>6s}  vector path")
    with la.num_threads(1):
        for dt in a.dtypes.split(","):
            for name in a.funcs.split(","):
                lo, hi = RANGES[name]
                x = rng.uniform(lo, hi, a.n).astype(dt)
                npf, laf = getattr(np, name), getattr(la, name)
                src = laf(la.array(x[:10])).explain()
                vec = "V." in src
                laf(la.array(x)).compute()
                npf(x)
                tn, tl = [], []
                for _ in range(a.rounds):
                    tn.append(best(lambda: npf(x), a.repeats))
                    tl.append(best(lambda: laf(la.array(x)).compute(), a.repeats))
                mn, ml = statistics.median(tn), statistics.median(tl)
                print(f"{name:10s} {dt:8s} {mn * 1e3:9.2f} {ml * 1e3:10.2f} {ml / mn:6.2f}  {'yes' if vec else 'no'}",
                      flush=True)


if __name__ == "__main__":
    main()
