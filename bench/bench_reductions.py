"""Reduction workloads: NumPy vs numexpr vs hand-written Numba vs lazyarr.

    sum((a-b)**2)            10**7 float64: an elementwise expression fused into a full reduction
    x.sum(axis=0)            4000x2500 float64, C order: reduce across rows (the strided direction)
    x.sum(axis=1)            4000x2500 float64, C order: reduce along contiguous rows
    (x - x.mean(0)) / x.std(0)   standardisation: two column reductions feeding an elementwise pass

numexpr can only do ``sum(expr[, axis])`` as the final operation of one expression,
so the standardisation is three numexpr calls ("numexpr (3 calls)"), with the two
divisions of 2,500-element vectors left to NumPy.

    python bench/bench_reductions.py            # full sizes, writes bench/results/reductions.json
    python bench/bench_reductions.py --quick    # smoke test
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numexpr as ne
import numpy as np

from bench import handwritten as hw
from bench import harness
from bench.harness import Workload, contender

SUITE = "reductions"
N_FULL, N_QUICK = 10**7, 10**5
SHAPE_FULL, SHAPE_QUICK = (4000, 2500), (400, 250)


def sum_sq_diff_workload(a, b) -> Workload:
    def lazy():
        la = harness.lazyarr()

        def run():
            A, B = la.array(a), la.array(b)
            return ((A - B) ** 2).sum().compute()

        return run

    env = {"a": a, "b": b}
    return Workload("sum((a-b)**2)", [
        contender("numpy", lambda: lambda: ((a - b) ** 2).sum()),
        contender("numexpr", lambda: lambda: ne.evaluate("sum((a - b)**2)", local_dict=env)),
        contender("handwritten", lambda: lambda: hw.sum_sq_diff(a, b)),
        contender("lazyarr", lazy),
    ], params={"n": a.size, "dtype": str(a.dtype)}, rtol=1e-10)


def sum_axis_workload(x, axis: int) -> Workload:
    kernel = {0: hw.sum_axis0, 1: hw.sum_axis1}[axis]

    def lazy():
        la = harness.lazyarr()
        return lambda: la.array(x).sum(axis=axis).compute()

    return Workload(f"x.sum(axis={axis})", [
        contender("numpy", lambda: lambda: x.sum(axis=axis)),
        contender("numexpr", lambda: lambda: ne.evaluate(f"sum(x, axis={axis})", local_dict={"x": x})),
        contender("handwritten", lambda: lambda: kernel(x)),
        contender("lazyarr", lazy),
    ], params={"shape": "x".join(map(str, x.shape)), "dtype": str(x.dtype)}, rtol=1e-11)


def standardize_workload(x) -> Workload:
    n = x.shape[0]

    def numexpr_3_calls():
        mean = ne.evaluate("sum(x, axis=0)", local_dict={"x": x}) / n
        sq = ne.evaluate("sum((x - mean)**2, axis=0)", local_dict={"x": x, "mean": mean})
        std = np.sqrt(sq / n)
        return ne.evaluate("(x - mean) / std", local_dict={"x": x, "mean": mean, "std": std})

    def lazy():
        la = harness.lazyarr()

        def run():
            X = la.array(x)
            return ((X - X.mean(0)) / X.std(0)).compute()

        return run

    # Entries near the column mean are differences of nearly equal numbers: absolute tolerance.
    return Workload("(x-x.mean(0))/x.std(0)", [
        contender("numpy", lambda: lambda: (x - x.mean(0)) / x.std(0)),
        contender("numexpr (3 calls)", lambda: numexpr_3_calls),
        contender("handwritten", lambda: lambda: hw.standardize(x, np.empty_like(x))),
        contender("lazyarr", lazy),
    ], params={"shape": "x".join(map(str, x.shape)), "dtype": str(x.dtype)}, rtol=1e-11, atol=1e-11)


def build(cfg: harness.Config) -> list[Workload]:
    rng = np.random.default_rng(0)
    n, shape = (N_QUICK, SHAPE_QUICK) if cfg.quick else (N_FULL, SHAPE_FULL)
    a, b = rng.random(n), rng.random(n)
    x = rng.random(shape)
    return [
        sum_sq_diff_workload(a, b),
        sum_axis_workload(x, 0),
        sum_axis_workload(x, 1),
        standardize_workload(x),
    ]


def main(argv=None) -> dict:
    return harness.main(SUITE, build, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
