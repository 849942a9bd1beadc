"""Where a fresh process's first compile goes (#14): Numba's own start step by step, then each kind of lazyarr
kernel compiled in the same process, each timed in CPU seconds (``time.process_time``, every thread).

Run in one fresh interpreter with an empty temporary ``LAZYARR_CACHE_DIR`` (warm-up thread off, as in a
script). Numba's start is taken apart in the order its target refresh meets it: SciPy's array-API shim (imported
by ``scipy.linalg``, which Numba's BLAS check imports) touches NumPy's lazily loaded submodules, ``numpy.f2py``
among them; then the rest of ``scipy.linalg``; then the rest of the refresh (Numba's own modules and registries).
An empty ``@njit`` function's first call after that is Numba's floor for one more compile. Then each lazyarr
kernel, with the functions Numba compiled inside it (``numba.core.event``: ``np.empty``'s implementation, ...).

    python bench/latency_parts.py            # serial sizes (1000 elements, 20x50)
    python bench/latency_parts.py --parallel # 10**6 elements, 1000x1000 (serial first: still serial kernels)
"""
from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _step(label: str, work) -> float:
    start = time.process_time()
    work()
    seconds = time.process_time() - start
    print(f"  {label:<58}{seconds:7.3f} s", flush=True)
    return seconds


def _nested_compiles():
    """A numba.core.event listener collecting the functions Numba compiles inside a kernel's compile, with their
    CPU time (``.done``: [(name, seconds)])."""
    from numba.core import event

    class Nested(event.Listener):
        def __init__(self):
            self.open, self.done = [], []

        def on_start(self, ev):
            self.open.append(time.process_time())

        def on_end(self, ev):
            started = self.open.pop()
            if self.open:  # nested in the kernel's own compile
                func = getattr((ev.data or {}).get("dispatcher"), "py_func", None)
                self.done.append((getattr(func, "__qualname__", "?"), time.process_time() - started))

    return Nested()


def numba_start() -> None:
    print("Numba's start in a fresh process (CPU seconds):")
    _step("import numpy, numba", lambda: importlib.import_module("numba"))
    _step("numpy.f2py (touched by SciPy's array-API shim)", lambda: importlib.import_module("numpy.f2py"))
    _step("numpy.testing, numpy.ma (the same)",
          lambda: [importlib.import_module(m) for m in ("numpy.testing", "numpy.ma")])
    _step("the rest of scipy.linalg (Numba's BLAS check)", lambda: importlib.import_module("scipy.linalg.cython_blas"))
    from numba.core.registry import cpu_target
    _step("the rest of the target refresh (Numba's modules, registries)", cpu_target.target_context.refresh)
    import numba

    @numba.njit
    def empty(x):
        return x

    _step("an empty @njit function's first call (its compile)", lambda: empty(1.0))


def kernels(parallel: bool) -> None:
    import numpy as np
    from numba.core import event
    import lazyarr as la

    n, shape = (10**6, (1000, 1000)) if parallel else (1000, (20, 50))
    rng = np.random.default_rng(0)
    a, b, x = la.array(rng.random(n)), la.array(rng.random(n)), la.array(rng.random(shape))

    def softmax():
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    cases = {
        "map 2*a + 3*b*a - b": lambda: (2 * a + 3 * b * a - b).compute(),
        "map 2*a + 3*b*a - b + 1 (a second map kernel)": lambda: (2 * a + 3 * b * a - b + 1).compute(),
        "map a*5 + sin(b)*a (vectorised sin)": lambda: (a * 5 + np.sin(b) * a).compute(),
        "full reduction ((a-b)**2).sum()": lambda: ((a - b) ** 2).sum().compute(),
        "axis reduction (x*2).sum(axis=1)": lambda: (x * 2).sum(axis=1).compute(),
        "softmax over rows (a row kernel)": softmax,
    }
    print(f"lazyarr kernels, {n} elements / {shape[0]}x{shape[1]}, each a first compile in this process:")
    for label, work in cases.items():
        nested = _nested_compiles()
        event.register("numba:compile", nested)
        try:
            _step(label, work)
        finally:
            event.unregister("numba:compile", nested)
        for name, seconds in nested.done:
            print(f"      inside it: {name:<46}{seconds:7.3f} s")
    info = la.cache_info()
    print(f"  ({info.compiles} kernels compiled)")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parallel", action="store_true", help="parallel sizes (10**6 elements, 1000x1000)")
    args = p.parse_args(argv)
    directory = tempfile.mkdtemp(prefix="lazyarr-latency-parts-")
    os.environ.update(LAZYARR_CACHE_DIR=directory, LAZYARR_WARMUP="0", LAZYARR_BACKGROUND_COMPILE="0")
    try:
        numba_start()
        kernels(args.parallel)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
