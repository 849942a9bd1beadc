"""Hand-written Numba kernels: the ceiling lazyarr's generated code is measured against.

Written the way a competent Numba user would: ``@njit(parallel=True, fastmath=False)``,
large outputs preallocated by the caller and passed in as ``out``, ``prange`` over the
outer loop, scalar reductions
as ``s += ...`` inside ``prange`` (Numba turns that into per-thread partial sums),
and column sums as the array form of the same, ``out += x[i]``, so each thread
reads whole rows into its own partial row. (An explicit version with one partial
row per thread measured the same on 4000x2500 and is longer.)

Why ``out`` comes from the caller: an array allocated inside a Numba function comes from
Numba's runtime allocator, which, unlike NumPy's, does not ask the kernel for transparent
huge pages (``madvise``) on large arrays, so every 4 KiB page is faulted in on first
write; for a 10**7 float64 output that made ``B+C`` about 1.9x slower on the 2-core
benchmark machine. The benchmark allocates
``out`` with ``np.empty_like`` inside the timed call, as NumPy and numexpr allocate theirs.

The elementwise kernels take 1-D arrays of equal length; the 2-D kernels take a
C-contiguous 2-D array. They mirror NumPy's evaluation order, so the elementwise
results are bit-for-bit NumPy's except for ``sin`` (libm vs NumPy's own SIMD sin).

``cache=True`` keeps the compiled kernels on disk next to this file, so only
the first run on a machine pays the compile time (which the harness excludes anyway).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_jit = njit(parallel=True, fastmath=False, cache=True)


# ------------------------------------------------------------------ elementwise


@_jit
def add(b, c, out):
    """B + C"""
    for i in prange(b.shape[0]):
        out[i] = b[i] + c[i]
    return out


@_jit
def sin(b, out):
    """sin(B)"""
    for i in prange(b.shape[0]):
        out[i] = np.sin(b[i])
    return out


@_jit
def poly(a, b, c, out):
    """2*a + 3*b*c - sin(a)**2"""
    for i in prange(a.shape[0]):
        s = np.sin(a[i])
        out[i] = 2.0 * a[i] + 3.0 * b[i] * c[i] - s * s
    return out


@_jit
def where(a, b, out):
    """where(a > 0.5, a, 2*b)"""
    for i in prange(a.shape[0]):
        out[i] = a[i] if a[i] > 0.5 else 2.0 * b[i]
    return out


@_jit
def axpy(a, b, c, out):
    """2*a + b*c (the small per-call workload)"""
    for i in prange(a.shape[0]):
        out[i] = 2.0 * a[i] + b[i] * c[i]
    return out


# ------------------------------------------------------------------ reductions


@_jit
def sum_sq_diff(a, b):
    """sum((a - b)**2)"""
    s = 0.0
    for i in prange(a.shape[0]):
        d = a[i] - b[i]
        s += d * d
    return s


@_jit
def sum_axis0(x):
    """x.sum(axis=0): an array reduction, each thread sums its rows into its own copy of ``out``"""
    out = np.zeros(x.shape[1], dtype=x.dtype)
    for i in prange(x.shape[0]):
        out += x[i]
    return out


@_jit
def sum_axis1(x):
    """x.sum(axis=1)"""
    n, m = x.shape
    out = np.empty(n, dtype=x.dtype)
    for i in prange(n):
        s = 0.0
        for j in range(m):
            s += x[i, j]
        out[i] = s
    return out


@_jit
def standardize(x, out):
    """(x - x.mean(0)) / x.std(0): mean, then two-pass variance like NumPy's, then the scaling"""
    n, m = x.shape
    total = np.zeros(m, dtype=x.dtype)
    for i in prange(n):
        total += x[i]
    mean = total / n
    sq = np.zeros(m, dtype=x.dtype)
    for i in prange(n):
        d = x[i] - mean
        sq += d * d
    std = np.sqrt(sq / n)
    for i in prange(n):
        for j in range(m):
            out[i, j] = (x[i, j] - mean[j]) / std[j]
    return out


@_jit
def fused(a, b, out):
    """sin(a)*cos(b) + exp(-a*a)*log1p(b) + arctan(a*b): bench_runtime's thread-scaling expression, with
    Numba's default schedule (one equal chunk per thread)."""
    for i in prange(a.shape[0]):
        x, y = a[i], b[i]
        out[i] = np.sin(x) * np.cos(y) + np.exp(-x * x) * np.log1p(y) + np.arctan(x * y)
    return out


# ------------------------------------------------------------------ the compilers suite (bench_compilers.py)


@_jit
def logexp(a, b, out):
    """log1p(exp(-abs(a-b))) + tanh(a)*arctan(b)"""
    for i in prange(a.shape[0]):
        x, y = a[i], b[i]
        out[i] = np.log1p(np.exp(-abs(x - y))) + np.tanh(x) * np.arctan(y)
    return out


@_jit
def softmax_rows(x, out):
    """exp(x - x.max(1, keepdims)) / its row sums: one pass for the maximum, one writing exp and summing, one
    dividing, each row by one thread"""
    n, m = x.shape
    for i in prange(n):
        mx = x[i, 0]
        for j in range(1, m):
            mx = max(mx, x[i, j])
        s = 0.0
        for j in range(m):
            e = np.exp(x[i, j] - mx)
            out[i, j] = e
            s += e
        for j in range(m):
            out[i, j] = out[i, j] / s
    return out


@_jit
def logsumexp_rows(x, out):
    """max(x, 1) + log(sum(exp(x - max), 1))"""
    n, m = x.shape
    for i in prange(n):
        mx = x[i, 0]
        for j in range(1, m):
            mx = max(mx, x[i, j])
        s = 0.0
        for j in range(m):
            s += np.exp(x[i, j] - mx)
        out[i] = mx + np.log(s)
    return out


@_jit
def layernorm_rows(x, g, b, out):
    """(x - mean(x, 1)) / sqrt(var(x, 1) + 1e-5) * g + b, the variance two-pass like NumPy's"""
    n, m = x.shape
    for i in prange(n):
        s = 0.0
        for j in range(m):
            s += x[i, j]
        mu = s / m
        q = 0.0
        for j in range(m):
            d = x[i, j] - mu
            q += d * d
        inv = 1.0 / np.sqrt(q / m + 1e-5)
        for j in range(m):
            out[i, j] = (x[i, j] - mu) * inv * g[j] + b[j]
    return out


@_jit
def haversine(lat1, lon1, lat2, lon2, out):
    """2*6371*arcsin(sqrt(sin(dlat/2)**2 + cos(lat1)*cos(lat2)*sin(dlon/2)**2)) between (n,1) and (1,m) points;
    cos(lat1) once per row, as anyone writing the loop would"""
    n, m = out.shape
    for i in prange(n):
        la1, lo1 = lat1[i, 0], lon1[i, 0]
        c1 = np.cos(la1)
        for j in range(m):
            s1 = np.sin((lat2[0, j] - la1) / 2)
            s2 = np.sin((lon2[0, j] - lo1) / 2)
            h = s1 * s1 + c1 * np.cos(lat2[0, j]) * s2 * s2
            out[i, j] = 2 * 6371.0 * np.arcsin(np.sqrt(h))
    return out


@_jit
def centre(x, dev):
    """dev = x - x.mean(0): column sums per thread, then the centring, into the caller's ``dev``."""
    n, m = x.shape
    total = np.zeros(m, dtype=x.dtype)
    for i in prange(n):
        total += x[i]
    mean = total / n
    for i in prange(n):
        for j in range(m):
            dev[i, j] = x[i, j] - mean[j]


def cov(x, dev):
    """dev.T @ dev of the centred ``dev``, the product by NumPy's BLAS (syrk, as NumPy's own program).

    Not Numba's ``@`` inside the kernel: Numba calls BLAS through ``scipy.linalg.cython_blas``, which is SciPy's
    own OpenBLAS, a second library with its own worker threads. They spin after each call, and the contender
    timed next (lazyarr, in ``bench_compilers``'s order) ran its product beside them: ~8 ms more for any
    4000x500 ``dev.T @ dev`` that follows a SciPy BLAS call (13 against 21 ms, minima; docs/products.md)."""
    centre(x, dev)
    return dev.T @ dev


# ------------------------------------------------------------------ misc


@_jit
def touch_threads():
    """A trivial parallel kernel: starts Numba's thread pool so its layer is known."""
    s = 0
    for i in prange(4):
        s += i
    return s
