"""Two classics of NumPy benchmark suites: a Python loop over a diagonal, and GEMM written into C."""
from __future__ import annotations

import numpy as np

from bench.programs.program import Program


def go_fast(a):
    """A Python loop of scalar tanh over the diagonal, then a broadcast add."""
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return a + trace


def _setup_go_fast(n):
    rng = np.random.default_rng(701)
    return (rng.random((n, n)),)


def gemm(alpha, beta, C, A, B):
    """C = alpha * A @ B + beta * C, written into C."""
    C[:] = alpha * A @ B + beta * C
    return C


def _setup_gemm(n):
    rng = np.random.default_rng(702)
    return 1.5, 1.2, rng.random((n, n)), rng.random((n, n)), rng.random((n, n))


PROGRAMS = [
    Program("go_fast", go_fast, _setup_go_fast, 4000, 12, rtol=1e-12,
            about="for i in range(n): trace += np.tanh(a[i, i]); a + trace"),
    Program("gemm", gemm, _setup_gemm, 1200, 10, rtol=1e-10, mutates=True,
            about="C[:] = alpha * A @ B + beta * C"),
]
