"""(s16 blas) A BLAS product's output: a kept buffer instead of fresh pages, written by the same BLAS call.

NumPy's ``a @ b`` allocates its output on every call. A big output is mapped fresh by glibc (at least 32 MiB) and
faulted in page by page while BLAS writes it, then unmapped when the caller drops it: cosine_similarity's
(3000, 3000) similarity took 21.6 / 27.0 ms (min / median) into a fresh output against 19.7 / 20.7 ms into one
written before; with its ``del``, 55.0 against 49.1 ms of CPU (docs/after_blas.md, session 16). So it is written with
``np.matmul(a, b, out=buffer)`` into a buffer from ``scratch.empty``: a dead intermediate of that shape kept from
an earlier call, or a result of an earlier call that its caller has dropped (``scratch.watch``). NumPy's matmul
makes the same BLAS call (gemm, or syrk for ``x.T @ x``) for a fresh C-ordered output and for a C-ordered
``out`` that overlaps no operand, so the bits are NumPy's (``tests/test_blas_output.py``). A buffer from
``scratch`` is referred to by nothing else, so it overlaps no operand.
"""
from __future__ import annotations

import math

import numpy as np

from lazyarr.graph import reference as interp
from lazyarr.runtime import scratch

# How many products were written into a buffer from ``scratch`` (tests read it; never reset by lazyarr itself)
counts = {"into_scratch": 0}


def apply(node, args: list) -> np.ndarray:
    """The value of stage `node` (``interp.apply``'s), a BLAS product written into a buffer from ``scratch``."""
    if not _takes(node, args):
        return interp.apply(node, args)
    out = scratch.empty(node.shape, node.dtype)
    np.matmul(args[0], args[1], out=out)
    scratch.watch(out)  # (a result the caller may drop: the next call's product takes it back)
    counts["into_scratch"] += 1
    return out


def _takes(node, args: list) -> bool:
    """A plain ``np.matmul`` (no keywords) of float or complex arrays of the result's dtype, big enough for the
    pool (smaller outputs come back from malloc's free lists)."""
    return (node.op == "numpy" and node.params.name == "matmul" and not node.params.kwargs
            and node.dtype.kind in "fc" and math.prod(node.shape) * node.dtype.itemsize >= scratch.MIN_BYTES
            and len(args) == 2 and all(type(a) is np.ndarray and a.dtype == node.dtype for a in args))
