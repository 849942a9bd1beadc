"""(s13 blasprog) Does the previous call's BLAS library slow the next ``dev.T @ dev``? Each target (NumPy, lazy,
fused) is timed right after a 20 ms pause, a SciPy ``dsyrk`` (SciPy's own OpenBLAS: what Numba's ``@`` calls) or
NumPy's own product. OpenBLAS's workers spin after a call; a second library's spinning workers share the cores
with the next product (docs/after_blas.md: ~8 ms more for 4000 x 500, which was bench_compilers' lazy row).

    python bench/blas_neighbours.py ROUNDS
"""
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg.blas as scipy_blas

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr

import lazyarr as la  # noqa: E402


def cov(x):
    dev = x - np.mean(x, axis=0)
    return dev.T @ dev


def main(rounds: int) -> None:
    la.set_num_threads(2)
    x = np.random.default_rng(4).random((4000, 500))
    d = x - x.mean(0)
    fused = la.fuse(cov)
    before = {"pause": lambda: time.sleep(0.02), "scipy_blas": lambda: scipy_blas.dsyrk(1.0, d, trans=1),
              "numpy_blas": lambda: d.T @ d}
    targets = {"numpy": lambda: cov(x), "fuse": lambda: fused(x), "lazy": lambda: np.asarray(cov(la.array(x)))}
    for f in list(before.values()) + list(targets.values()):
        f()
        f()
    times = {}
    gc.disable()
    for _ in range(rounds):
        for b, first in before.items():
            for t, target in targets.items():
                first()
                w, c = time.perf_counter(), time.process_time()
                target()
                times.setdefault((b, t), []).append((time.perf_counter() - w, time.process_time() - c))
    gc.enable()
    for (b, t), xs in times.items():
        print(f"after {b:10s} {t:6s} wall med {statistics.median(v[0] for v in xs) * 1e3:7.1f} "
              f"min {min(v[0] for v in xs) * 1e3:7.1f} cpu med {statistics.median(v[1] for v in xs) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]))
