"""(#15) A/B in one process of matrix-vector products as fused reductions (api/products.py) and in-kernel
gathers inside @la.fuse: both off (A) and on (B), fused functions traced and lazy graphs built under each
setting, timed in interleaved rounds (median and min). Only ratios within one run mean anything.

    nice python bench/ab_products_gathers.py logistic_regression 5
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr and bench, not an installed one

import lazyarr as la  # noqa: E402
from lazyarr.api import indexing, products, tracing  # noqa: E402
from bench.programs import PROGRAMS, modes  # noqa: E402

_PRODUCT, _GATHER = products.fused_product, indexing._fusable_gather


def switch(on: bool) -> None:
    """Both changes on, or both as before them (BLAS stages; gathers a NumPy stage while tracing)."""
    products.fused_product = _PRODUCT if on else (lambda a, b: None)
    indexing._fusable_gather = _GATHER if on else (
        lambda node, arrays, template: not tracing.active() and _GATHER(node, arrays, template))


def lazy_caller(program, on: bool):
    def run(args):
        switch(on)  # the graph is built per call: under this call's setting
        wrapped = [la.array(a) if isinstance(a, np.ndarray) else a for a in args]
        return modes.materialise(program.function(*wrapped), la)
    return run


def fused_caller(program, on: bool, args):
    switch(on)
    fused = la.fuse(program.function)
    fused(*modes.fresh_copies(args))  # traced now, under this setting; later calls replay it
    return lambda a: modes.materialise(fused(*a), la)


def main(name: str, rounds: int) -> None:
    program = PROGRAMS[name]
    args = program.setup(program.default_size)
    calls = {"numpy": lambda a: program.function(*a)}
    for on, tag in ((False, "A"), (True, "B")):
        calls["fuse" + tag] = fused_caller(program, on, args)
        calls["lazy" + tag] = lazy_caller(program, on)
        calls["lazy" + tag](modes.fresh_copies(args))
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(rounds):
        for key, call in calls.items():
            a = modes.fresh_copies(args)
            start = time.perf_counter()
            call(a)
            times[key].append(time.perf_counter() - start)
    base = np.median(times["numpy"])
    print(name, "load average", open("/proc/loadavg").read().split()[:3], f"numpy median {base * 1e3:.0f} ms")
    for key, values in times.items():
        median = np.median(values)
        print(f"  {key:6s} median {median * 1e3:7.1f} ms (speed-up {base / median:.2f}x)  min {min(values) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
