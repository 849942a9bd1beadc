"""Dask workloads: dask.array alone (NumPy per chunk) vs lazyarr over dask (one fused kernel per chunk).

10**7 float64 (~80 MB per array) held in memory and split into chunks of 10**6; every dask contender runs on
dask's threaded scheduler (one worker per core), so the comparison is NumPy's temporaries per chunk against
lazyarr's fused kernel per chunk, with dask's task overhead on both sides. Plain lazyarr and NumPy on the
whole arrays are there for reference. The expression is built and lowered inside each timed call, as a user
would. The baseline (and the ratio printed per row) is dask alone.

lazyarr's kernels are multithreaded inside each block and dask runs blocks on several threads at once, so
"lazyarr over dask" is measured three ways: lazyarr's default threads per block, one thread per block
(``to_dask(num_threads=1)``: dask's threads are the only parallelism), and dask's synchronous scheduler
(lazyarr's threads are the only parallelism).

    python bench/bench_dask.py            # full sizes, writes bench/results/dask.json
    python bench/bench_dask.py --quick    # smoke test
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench import harness
from bench.harness import Workload, contender

SUITE = "dask"
N_FULL, N_QUICK = 10**7, 10**5
CHUNKS_FULL, CHUNKS_QUICK = 10**6, 10**4


def _dask_array():
    try:
        import dask.array as da
    except ImportError as exc:
        raise harness.Skip(f"dask not importable ({exc}); pip install 'dask[array]'") from None
    return da


def _arrays(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random(n), rng.random(n), rng.random(n)


def _lazy_over_dask(expression, dask_inputs, scheduler: str, num_threads: int | None = None):
    """A contender: build `expression` over lazyarr leaves of the dask arrays, lower it, compute it."""
    def factory():
        la = harness.lazyarr()
        inputs = dask_inputs()

        def run():
            lazy = expression(la, *[la.array(x) for x in inputs])
            return lazy.to_dask(num_threads=num_threads).compute(scheduler=scheduler)
        return run
    return factory


def _over_dask_contenders(expression, dask_inputs, threaded_note: str) -> list:
    """lazyarr's expression over the dask inputs three ways: lazyarr's default threads per chunk, one thread per
    chunk (dask's threads only), and dask's synchronous scheduler (lazyarr's threads only)."""
    return [
        contender("lazyarr over dask", _lazy_over_dask(expression, dask_inputs, "threads"), threaded_note),
        contender("lazyarr over dask (1 thread/chunk)", _lazy_over_dask(expression, dask_inputs, "threads", 1),
                  "to_dask(num_threads=1), threaded scheduler"),
        contender("lazyarr over dask (synchronous)", _lazy_over_dask(expression, dask_inputs, "synchronous"),
                  "to_dask(), dask's synchronous scheduler: lazyarr's threads only"),
    ]


def poly_workload(a, b, c, chunks: int) -> Workload:
    def dask_inputs():
        da = _dask_array()
        return [da.from_array(x, chunks=chunks) for x in (a, b, c)]

    def dask_alone():
        da = _dask_array()
        A, B, C = dask_inputs()
        return lambda: (2 * A + 3 * B * C - da.sin(A) ** 2).compute(scheduler="threads")

    def lazy_plain():
        la = harness.lazyarr()
        return lambda: (2 * la.array(a) + 3 * la.array(b) * la.array(c) - la.sin(la.array(a)) ** 2).compute()

    def poly(la, A, B, C):
        return 2 * A + 3 * B * C - la.sin(A) ** 2

    return Workload("2*a+3*b*c-sin(a)**2", [
        contender("dask", dask_alone, "dask.array, NumPy per chunk, threaded scheduler"),
        *_over_dask_contenders(poly, dask_inputs,
                               "to_dask(): one fused kernel per chunk, threaded scheduler, lazyarr's default threads"),
        contender("lazyarr", lazy_plain, "plain lazyarr on the NumPy arrays, for reference"),
        contender("numpy", lambda: lambda: 2 * a + 3 * b * c - np.sin(a) ** 2, "for reference"),
    ], params={"n": a.size, "dtype": str(a.dtype), "chunks": chunks}, baseline="dask", rtol=1e-13)


def sum_sq_diff_workload(a, b, chunks: int) -> Workload:
    def dask_inputs():
        da = _dask_array()
        return [da.from_array(x, chunks=chunks) for x in (a, b)]

    def dask_alone():
        A, B = dask_inputs()
        return lambda: ((A - B) ** 2).sum().compute(scheduler="threads")

    def lazy_plain():
        la = harness.lazyarr()
        return lambda: ((la.array(a) - la.array(b)) ** 2).sum().compute()

    def sum_sq_diff(la, A, B):
        return ((A - B) ** 2).sum()

    return Workload("((a-b)**2).sum()", [
        contender("dask", dask_alone, "dask.array, NumPy per chunk, threaded scheduler"),
        *_over_dask_contenders(sum_sq_diff, dask_inputs,
                               "fused chunk step per chunk, dask's sum combines the partials; threaded scheduler"),
        contender("lazyarr", lazy_plain, "plain lazyarr on the NumPy arrays, for reference"),
        contender("numpy", lambda: lambda: ((a - b) ** 2).sum(), "for reference"),
    ], params={"n": a.size, "dtype": str(a.dtype), "chunks": chunks}, baseline="dask", rtol=1e-10)


def build(cfg: harness.Config) -> list[Workload]:
    try:
        _dask_array()
    except harness.Skip as exc:  # dask is every workload's baseline: nothing to compare without it
        print(f"NOTE: skipping the dask suite: {exc}", file=sys.stderr)
        return []
    n, chunks = (N_QUICK, CHUNKS_QUICK) if cfg.quick else (N_FULL, CHUNKS_FULL)
    a, b, c = _arrays(n)
    return [poly_workload(a, b, c, chunks), sum_sq_diff_workload(a, b, chunks)]


def main(argv=None) -> dict:
    return harness.main(SUITE, build, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
