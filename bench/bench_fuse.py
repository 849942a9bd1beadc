"""@lazyarr.fuse workloads: per-call cost of a fused function vs numexpr, the lazy path and NumPy.

Each expression is timed on 1,000 elements (fixed per-call cost: argument checks, allocation, launch) and on
10**7 elements (the kernel itself), float64, everything compiled and cached before timing:

    numpy          the undecorated function, run by NumPy
    numexpr        numexpr.evaluate of the same expression (a string; its parse is cached by numexpr)
    lazyarr        the lazy path: la.array(...) expression built inside the timed call, then .compute()
    lazyarr.fuse   the @la.fuse-decorated function called with NumPy arrays (and a Python float)

    python bench/bench_fuse.py            # writes bench/results/fuse.json
    python bench/bench_fuse.py --quick    # smoke test (10**5 instead of 10**7)
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numexpr as ne
import numpy as np

from bench import harness
from bench.harness import Workload, contender

SUITE = "fuse"
N_SMALL, N_FULL, N_QUICK = 1000, 10**7, 10**5


def _arrays(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random(n), rng.random(n), rng.random(n)


def _fused(function):
    def factory():
        la = harness.lazyarr()
        if not hasattr(la, "fuse"):
            raise harness.Skip("lazyarr has no fuse() yet")
        return la.fuse(function)

    return factory


def axpy(a, b, c):
    return 2 * a + b * c


def scaled(a, b, c, k):
    return k * a + b * c  # k: a Python float, a placeholder bound per call


def poly(a, b, c):
    return 2 * a + 3 * b * c - np.sin(a) ** 2


def sum_sq(a, b):
    return ((a - b) ** 2).sum()


def _workload(name, function, args, ne_expr, ne_env, rtol=1e-12):
    def fused():
        f = _fused(function)()
        return lambda: f(*args)

    def lazy():
        la = harness.lazyarr()
        return lambda: np.asarray(function(*[la.array(x) if isinstance(x, np.ndarray) else x for x in args]))

    n = args[0].size
    return Workload(f"{name}, n={n:,}", [
        contender("numpy", lambda: lambda: function(*args)),
        contender("numexpr", lambda: lambda: ne.evaluate(ne_expr, local_dict=ne_env)),
        contender("lazyarr", lazy, "expression built and computed in the timed call"),
        contender("lazyarr.fuse", fused, "@la.fuse function, NumPy arguments"),
    ], params={"n": n, "dtype": "float64"}, rtol=rtol)


def build(cfg: harness.Config) -> list[Workload]:
    workloads = []
    for n in (N_SMALL, N_QUICK if cfg.quick else N_FULL):
        a, b, c = _arrays(n)
        env = {"a": a, "b": b, "c": c, "k": 2.5}
        workloads += [
            _workload("2*a+b*c", axpy, (a, b, c), "2*a + b*c", env),
            _workload("k*a+b*c (k=2.5)", scaled, (a, b, c, 2.5), "k*a + b*c", env),
            _workload("2*a+3*b*c-sin(a)**2", poly, (a, b, c), "2*a + 3*b*c - sin(a)**2", env, rtol=1e-13),
            _workload("sum((a-b)**2)", sum_sq, (a, b), "sum((a-b)**2)", env, rtol=1e-10),
        ]
    return workloads


def fuse_table(suite: dict) -> str:
    """lazyarr.fuse against each other contender, from the same interleaved rounds (paired per round)."""
    lines = ["== lazyarr.fuse / other (median of per-round ratios; < 1: the fused function is faster)",
             f"  {'workload':<40}{'fuse time':>11}{'/numexpr':>10}{'/lazyarr':>10}{'/numpy':>10}"]
    for res in suite["workloads"]:
        rows = {r["name"]: r for r in res["contenders"] if r["status"] == "ok"}
        if "lazyarr.fuse" not in rows:
            continue
        fused = rows["lazyarr.fuse"]["samples_s"]
        ratios = []
        for other in ("numexpr", "lazyarr", "numpy"):
            if other in rows:
                ratios.append(f"{statistics.median(x / y for x, y in zip(fused, rows[other]['samples_s'])):10.3f}")
            else:
                ratios.append(f"{'-':>10}")
        from bench.report import fmt_time
        lines.append(f"  {res['name']:<40}{fmt_time(rows['lazyarr.fuse']['median_s']):>11}{''.join(ratios)}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    suite = harness.main(SUITE, build, __doc__.splitlines()[0], argv)
    print(fuse_table(suite))
    return suite


if __name__ == "__main__":
    main()
