"""(#15 postblas) The kernel right after a BLAS product runs on the calling thread when its work is small.

OpenBLAS's worker threads do not sleep when a product returns: they spin (yielding) for a while, waiting for the
next call (``THREAD_TIMEOUT``, read once when the library loads; lazyarr leaves the user's BLAS settings alone).
On a machine with as many cores as threads, a parallel kernel launched at that moment gives part of its loop to
a thread that shares a core with a spinning BLAS worker, and the kernel waits for a time slice: covariance's
``/ (n - 1)`` over the (750, 750) product took 1.0 ms min / 11 ms median in parallel right after ``syrk``,
against 1.0 / 1.3 ms serial (docs/fuse_programs.md, 2026-11-30). NumPy's next step runs on the calling thread
and does not notice the spinning worker. So a plan's (or a fused program's) step that directly follows a BLAS
product and moves at most ``SMALL_BYTES`` runs its serial variant: the same loop in the same order, the same
bits. The rule is decided from the plan's order alone, never from a clock, so a given program always runs the
same variant (tests can count it).
"""
from __future__ import annotations

import math

from lazyarr.compiler.schedule import ReduceKernel, Stage
from lazyarr.runtime import numpy_rows  # (s13 blasprog) which steps NumPy's argmax runs: explain's budget

# The NumPy stages that call a multi-threaded BLAS routine (gemm, syrk, gemv): ``np.matmul``, ``np.dot``,
# ``np.tensordot`` (lazyarr's ``@`` of 2-d float operands, api/products.py fuses the matrix-vector ones).
BLAS_STAGES = frozenset({"matmul", "dot", "tensordot"})

# Input plus output bytes of a step that still runs serially after a product. A collision with the spinning
# worker costs a time slice (~4-12 ms, measured median 10 ms); one thread streams ~10 GB/s, so a step of 48 MiB
# costs ~5 ms serially, and the parallel variant could save at most half of that. Measured right after
# ``A @ B`` (1200 x 1200): gemm's ``P + 1.2 * C`` (33 MB) took 2.8 / 3.2 ms (min / median) serially against
# 3.1 / 5.2 ms in parallel.
SMALL_BYTES = 48 << 20

# (s13 blasprog) The same budget for a bare argmax/argmin that NumPy's SIMD loop runs (runtime/numpy_rows.py):
# it only reads, at ~30 GB/s on one thread (cosine_similarity's (3000, 3000) similarity, 72 MB: 2.3 ms), so ~5 ms
# of serial work is 3x the bytes. Measured right after the product, in place (lazy / fused, 21 interleaved
# rounds, load 3): 2.9 / 3.2 ms median wall and 4.4 / 2.8 ms CPU on two row blocks, 2.4 / 2.4 ms wall and CPU in
# one block (docs/products.md).
SMALL_READ_BYTES = 144 << 20

# How many steps ran serially because of this rule (tests read it; never reset by lazyarr itself)
counts = {"serial": 0}


def is_blas(step) -> bool:
    """Whether plan step `step` is a NumPy stage that calls BLAS."""
    return isinstance(step, Stage) and step.node.op == "numpy" and step.node.params.name in BLAS_STAGES


def serial(follows_blas: bool, nbytes: int, budget: int | None = None) -> bool:
    """Whether a step that may run in parallel runs serially instead: it directly follows a BLAS product and
    moves at most `budget` bytes (its inputs' and outputs'; ``SMALL_BYTES`` unless given). Counted when true."""
    if follows_blas and nbytes <= (SMALL_BYTES if budget is None else budget):
        counts["serial"] += 1
        return True
    return False


def explain_line(step, previous) -> str | None:
    """explain()'s note for a kernel step that follows `previous`, from the nodes' shapes (no values yet)."""
    if not is_blas(previous):
        return None
    nodes = list(getattr(step, "inputs", ())) + list(getattr(step, "outputs", ()))
    nodes = list({id(n): n for n in nodes}.values())  # (s13) a bare argmax's "output" is its input: read once
    moved = sum(math.prod(n.shape) * n.dtype.itemsize for n in nodes)
    budget = SMALL_READ_BYTES if isinstance(step, ReduceKernel) and numpy_rows.bare(step) else SMALL_BYTES
    verdict = "runs its serial variant" if moved <= budget else "stays parallel (it moves more)"
    return (f"right after a BLAS product: {verdict}, {moved / 2**20:.1f} MiB moved against {budget >> 20} "
            "MiB (runtime/after_blas.py)")



def moved_bytes(arrays, outs) -> int:
    """The bytes a step reads and writes: each input array once (a broadcast one at its own size) and each
    output."""
    return sum(getattr(a, "nbytes", 0) for a in arrays) + sum(o.nbytes for o in outs)
