"""(s15 build) Lazy mode's build cost per node: chains of new nodes of each kind, a logistic step's parts, reads.

Thread CPU per node (``time.thread_time``, best of R rounds, the collector off); no kernel runs. Run it once
per tree, alternating trees, and compare (docs/fuse_programs.md, "session 15: build").

    PYTHONPATH=. python bench/lazy_build_costs.py
"""
from __future__ import annotations

import gc
import os
import time

import numpy as np

import lazyarr as la

N, R = 200, 15


def _best(step, start):
    """Thread CPU per call of `step` over a chain of N new nodes, best of R rounds (us)."""
    best = float("inf")
    for _ in range(R):
        x = start
        t0 = time.thread_time()
        for _ in range(N):
            x = step(x)
        best = min(best, (time.thread_time() - t0) / N)
        del x
    return best * 1e6


def _per_call(call, number=2000):
    best = float("inf")
    for _ in range(R // 2):
        t0 = time.thread_time()
        for _ in range(number):
            call()
        best = min(best, (time.thread_time() - t0) / number)
    return best * 1e6


def main() -> None:
    gc.disable()
    rng = np.random.default_rng(0)
    a = rng.random(1000)
    A, B = la.array(a), la.array(a + 1)
    X, y = rng.random((1000, 32)), rng.random(1000)
    chains = {"x * 1.5": lambda x: x * 1.5, "x + B": lambda x: x + B, "1.0 / x": lambda x: 1.0 / x,
              "-x": lambda x: -x, "np.exp(x)": np.exp, "np.add(x, B)": lambda x: np.add(x, B),
              "np.maximum(x, 0.0)": lambda x: np.maximum(x, 0.0), "x.sum() + x": lambda x: x.sum() + x}
    parts = [f"{name} {_best(step, A):.2f}" for name, step in chains.items()]
    parts.append(f"A[1:-1] {_per_call(lambda: A[1:-1]):.2f}")
    parts.append(f"A[:-2] + A[2:] {_per_call(lambda: A[:-2] + A[2:]):.2f}")

    def stencil():
        C = la.array(a)
        C[1:-1] = 0.3 * (C[:-2] + C[2:])
    parts.append(f"C[1:-1] = 0.3 * (C[:-2] + C[2:]) {_per_call(stencil, 1000):.2f}")

    def steps():
        Xl, yl, w = la.array(X), la.array(y), la.array(np.zeros(32))
        for _ in range(20):
            p = 1.0 / (1.0 + np.exp(-(Xl @ w)))
            w = w - 0.5 * (Xl.T @ (p - yl)) / Xl.shape[0]
        return w
    parts.append(f"20 logistic steps {_per_call(steps, 20):.1f}")
    print("us: " + " | ".join(parts) + f" | load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
