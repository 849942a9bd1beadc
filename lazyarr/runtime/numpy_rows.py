"""(#15 covcos) A bare argmax/argmin along the last axis: NumPy's own loop over blocks of rows, in parallel.

`sim.argmax(axis=1)` of a computed (3000, 3000) similarity matrix has no elementwise work to fuse: the kernel
only reads the array. NumPy's argmax is SIMD (AVX2 on the bench machine); a generated Numba loop is not (its
compare-and-keep-the-index chain, or a max pass then a search, stays scalar: LLVM does not vectorise the float
max without fast-math), and measured 1.7-2x NumPy's CPU time per element (12 against 7 ms for 3000 x 3000
float64 on one thread, out of cache; 1.6-2 against 0.27 ms in cache). NumPy releases the GIL inside argmax, so
the rows are cut into one block per thread and each block is NumPy's call on a thread of a small pool: NumPy's
answer bit for bit, at NumPy's speed per thread. With producer work (`(a - b).argmax(1)`) the fused kernel
stays: it saves the temporary. So does a read-only array (a leaf: lazyarr's view of the user's array):
NumPy's argmax of a read-only array took 3x its time on the same writeable one (23.7 against 7.5 ms, 3000 x
3000 float64, one thread, CPU time), slower than the kernel.
"""
from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lazyarr import config
from lazyarr.graph.dtypes import HALF
from lazyarr.kernels import threads

# Rows a block holds at least: a pool task costs ~10-50 us of Python, a row of a few hundred elements ~0.1 us.
MIN_BLOCK_ROWS = 64

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()

WHY = ("a bare {name} over the contiguous last axis: NumPy's own (SIMD) loop over {blocks} blocks of rows, "
       "one per thread")


def applies(k, arrays: list, stand_in: bool = False) -> bool:
    """Whether reduction kernel `k` over `arrays` is an argmax/argmin of its input alone (no elementwise
    work), along the last axis of a writeable C-contiguous array of ints, bools or floats, big enough to share
    out. `stand_in`: `arrays[0]` is explain()'s read-only stand-in for an earlier step's (writeable) result."""
    if not bare(k):
        return False
    a = arrays[0]
    return (isinstance(a, np.ndarray) and a.shape == tuple(k.shape) and a.flags.c_contiguous
            and (a.flags.writeable or stand_in)  # a read-only array: NumPy's argmax is 3x slower (above)
            and a.dtype.kind in "biuf" and a.dtype != HALF and a.dtype.isnative
            and a.size >= config.parallel_threshold() and blocks(k) > 1)


def bare(k) -> bool:
    """Whether reduction kernel `k` is an argmax/argmin of its input alone along its last axis (the plan's part of
    ``applies``; explain() and runtime/after_blas.py ask it without arrays)."""
    node = k.node
    if getattr(node.params, "name", None) not in ("argmax", "argmin") or k.body or len(k.inputs) != 1 or k.consts:
        return False
    return k.outputs[0] is k.inputs[0] and len(k.shape) >= 2 and node.params.axes == (len(k.shape) - 1,)


def blocks(k) -> int:
    rows = math.prod(k.shape[:-1])
    return max(1, min(threads.get_num_threads(), rows // MIN_BLOCK_ROWS))


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: a new pool is made on first use."""
    global _pool, _pool_size, _pool_lock
    _pool, _pool_size, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < size:
            # A bigger pool replaces the old one, which is not shut down: another thread may be submitting to it
            # (its idle threads are few: at most the thread counts asked for so far).
            _pool, _pool_size = ThreadPoolExecutor(size, thread_name_prefix="lazyarr-rows"), size
        return _pool


def run(k, a: np.ndarray, result: np.ndarray, one_block: bool = False) -> None:
    """NumPy's argmax/argmin of `a` along its last axis into `result` (int64, one value per row). `one_block`:
    the calling thread takes every row (right after a BLAS product: runtime/after_blas.py)."""
    table = a.reshape(-1, a.shape[-1])
    out = result.reshape(-1)
    n = 1 if one_block else blocks(k)
    bounds = [table.shape[0] * i // n for i in range(n + 1)]
    function = np.argmax if k.node.params.name == "argmax" else np.argmin
    if n == 1:
        function(table, -1, out)
        return
    pool = _executor(n - 1)  # the calling thread takes the first block itself
    futures = []
    for lo, hi in zip(bounds[1:-1], bounds[2:]):
        try:
            futures.append(pool.submit(function, table[lo:hi], -1, out[lo:hi]))
        except RuntimeError:  # (s17 exitsegv) the interpreter is shutting down (a daemon thread at exit): here
            function(table[lo:hi], -1, out[lo:hi])
    function(table[bounds[0]:bounds[1]], -1, out[bounds[0]:bounds[1]])
    for f in futures:
        f.result()
