"""NumPy's spinning OpenBLAS worker and the contender timed after it (bench/README.md, "Settling between contenders").

Runs logistic_regression (bench/programs/learning.py) as NumPy, ``@la.fuse`` and lazy mode in rounds, timing each
call, with ``PAUSE`` seconds of sleep before each mode's calls (0: back to back, as the suites ran before session
17). Also prints the process CPU a sleep costs right after a NumPy product (the worker's spin).

    python bench/blas_spin.py [PAUSE] [ROUNDS] [CALLS]        e.g. python bench/blas_spin.py 0; ... 0.3
    OPENBLAS_THREAD_TIMEOUT=4 python bench/blas_spin.py 0     (the worker sleeps at once)
"""
from __future__ import annotations

import sys
import time

import numpy as np

import lazyarr as la
from bench.programs import learning, modes

PROGRAM = next(p for p in learning.PROGRAMS if p.name == "logistic_regression")


def spin_cpu(sleep_s: float) -> float:
    """Process CPU seconds used while the calling thread sleeps ``sleep_s`` right after a NumPy product."""
    a = np.random.default_rng(0).random((400, 400))
    a @ a
    cpu = time.process_time()
    time.sleep(sleep_s)
    return time.process_time() - cpu


def main(pause: float = 0.0, rounds: int = 3, calls: int = 6) -> None:
    for s in (0.05, 0.2, 0.8):
        print(f"sleep {s:.2f} s right after a product: process CPU {spin_cpu(s):.3f} s")
    args = PROGRAM.setup(PROGRAM.default_size)
    callers = {m: modes.caller(PROGRAM, m, la) for m in modes.ALL_MODES}
    for call in callers.values():
        call(args), call(args)
    print(f"logistic_regression, ms per call (wall/process CPU), pause {pause} s before each mode:")
    for _ in range(rounds):
        for mode, call in callers.items():
            time.sleep(pause)
            cells = []
            for _ in range(calls):
                cpu, t0 = time.process_time(), time.perf_counter()
                call(args)
                cells.append(f"{(time.perf_counter() - t0) * 1e3:.1f}/{(time.process_time() - cpu) * 1e3:.1f}")
            print(f"  {mode:<6}", " ".join(cells))


if __name__ == "__main__":
    main(*(float(a) if i == 0 else int(a) for i, a in enumerate(sys.argv[1:])))
