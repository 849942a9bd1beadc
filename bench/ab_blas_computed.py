"""(#15 logreg3) A/B in one process of matrix-vector products whose matrix is already an array: a fused
multiply-and-sum reduction (A) or NumPy's BLAS matmul as a stage (B, api/products.BLAS_FOR_COMPUTED_MATRICES).
Fused functions are traced and lazy graphs built under each setting, then timed in interleaved rounds (median
and min), with the thread count the programs benchmark uses. Only ratios within one run mean anything.

    nice python bench/ab_blas_computed.py logistic_regression 5 [size]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr and bench, not an installed one

import lazyarr as la  # noqa: E402
from lazyarr.api import products  # noqa: E402
from bench import harness  # noqa: E402
from bench.programs import PROGRAMS, modes  # noqa: E402
from bench.bench_programs import DEFAULT_THREADS  # noqa: E402


def switch(blas: bool) -> None:
    products.BLAS_FOR_COMPUTED_MATRICES = blas


def lazy_caller(program, blas: bool):
    def run(args):
        switch(blas)  # the graph is built per call: under this call's setting
        wrapped = [la.array(a) if isinstance(a, np.ndarray) else a for a in args]
        return modes.materialise(program.function(*wrapped), la)
    return run


def fused_caller(program, blas: bool, args):
    switch(blas)
    fused = la.fuse(program.function)
    fused(*modes.fresh_copies(args))  # traced now, under this setting; later calls replay it
    return lambda a: modes.materialise(fused(*a), la)


def _tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def main(name: str, rounds: int, size: int | None) -> None:
    harness.configure_threads(DEFAULT_THREADS)
    program = PROGRAMS[name]
    args = program.setup(size or program.default_size)
    expected = program.function(*modes.fresh_copies(args))
    calls = {"numpy": lambda a: program.function(*a)}
    for blas, tag in ((False, "A"), (True, "B")):
        calls["fuse" + tag] = fused_caller(program, blas, args)
        calls["lazy" + tag] = lazy_caller(program, blas)
        got = calls["lazy" + tag](modes.fresh_copies(args))
        print(tag, "lazy max |difference| from NumPy:", max(float(np.max(np.abs(np.asarray(g) - np.asarray(e))))
                                                        for g, e in zip(_tuple(got), _tuple(expected))))
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(rounds):
        for key, call in calls.items():
            a = modes.fresh_copies(args)
            start = time.perf_counter()
            call(a)
            times[key].append(time.perf_counter() - start)
    base = np.median(times["numpy"])
    print(name, size or program.default_size, "load average", open("/proc/loadavg").read().split()[:3],
          f"numpy median {base * 1e3:.1f} ms")
    for key, values in times.items():
        median = np.median(values)
        print(f"  {key:6s} median {median * 1e3:7.1f} ms (speed-up {base / median:.2f}x)  min {min(values) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5, int(sys.argv[3]) if len(sys.argv) > 3 else None)
