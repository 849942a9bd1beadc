"""Hand-written parallel kernels for counting and searching: bincount, uniform-bin histograms, searchsorted and
interp (issue #13, surface/search).

They are not generated: their loops do not depend on the graph, only on the dtypes Numba specialises them for.
Each is compiled on its first call (never at import) and kept in Numba's own disk cache (``cache=True``, next to
this file or in Numba's user cache directory), so a second process loads it instead of compiling it. The
drivers in ``lazyarr/api/searching.py`` check the arguments, decide when a kernel applies (otherwise NumPy runs)
and hold the launch lock around every call.

Counting kernels give every thread its own row of partial counts (no atomics, no false sharing on one shared
array), then sum the rows in parallel over the bins. The number of rows (`chunks`) is the caller's thread count:
``numba.get_num_threads()`` inside a kernel would make it uncachable (a dynamic global). Searching kernels are
parallel over the queries.
"""
from __future__ import annotations

import numba
import numpy as np

_OPTIONS = dict(parallel=True, cache=True, nogil=True)
_HELPER = dict(cache=True, nogil=True)  # called from the parallel loops, inlined by LLVM


@numba.njit(**_HELPER)
def _chunk_bounds(n, chunks, c):
    return c * n // chunks, (c + 1) * n // chunks


@numba.njit(**_HELPER)
def _segment_range(x, lo, hi, low):
    """(min, max) of x[lo:hi] and `low`. Unsigned indices and selects let LLVM vectorise the loop (a signed
    index brings Numba's negative-index check into it); a function of its own keeps parfor analysis out."""
    high = low
    for i in range(np.uint64(lo), np.uint64(hi)):
        v = np.int64(x[i])
        low = v if v < low else low
        high = v if v > high else high
    return low, high


@numba.njit(**_OPTIONS)
def int_range(x, chunks):
    """(min, max) of a non-empty integer array, in parallel."""
    lows = np.empty(chunks, np.int64)
    highs = np.empty(chunks, np.int64)
    n = x.shape[0]
    first = np.int64(x[0])
    for c in numba.prange(chunks):
        lo, hi = _chunk_bounds(n, chunks, c)
        lows[c], highs[c] = _segment_range(x, lo, hi, first)
    return lows.min(), highs.max()


@numba.njit(**_OPTIONS)
def _sum_rows(partial):
    """The column sums of per-thread partial counts, parallel over the columns (the bins)."""
    out = np.zeros(partial.shape[1], partial.dtype)
    for b in numba.prange(partial.shape[1]):
        s = partial[0, b]
        for r in range(1, partial.shape[0]):
            s += partial[r, b]
        out[b] = s
    return out


@numba.njit(**_OPTIONS)
def bincount(x, length, chunks):
    """np.bincount(x, minlength) for non-negative integers below `length`: intp counts."""
    partial = np.zeros((chunks, length), np.intp)
    n = x.shape[0]
    for c in numba.prange(chunks):
        lo, hi = _chunk_bounds(n, chunks, c)
        for i in range(np.uint64(lo), np.uint64(hi)):
            partial[c, np.uint64(x[i])] += 1
    return _sum_rows(partial)


@numba.njit(**_OPTIONS)
def bincount_weighted(x, weights, length, chunks):
    """np.bincount(x, weights, minlength): float64 sums of the weights per value."""
    partial = np.zeros((chunks, length), np.float64)
    n = x.shape[0]
    for c in numba.prange(chunks):
        lo, hi = _chunk_bounds(n, chunks, c)
        for i in range(np.uint64(lo), np.uint64(hi)):
            partial[c, np.uint64(x[i])] += weights[i]
    return _sum_rows(partial)


@numba.njit(**_HELPER)
def _uniform_bin(v, first, last, denom, edges):
    """The bin of `v` among equal bins from `first` to `last`, or -1 outside them (NaN too).

    NumPy's own rule, step by step: the index from the scaled offset, the right edge into the last bin, then
    one correction each way by comparing with the edges themselves (the scaled offset can be 1 ULP off)."""
    if not (v >= first and v <= last):
        return -1
    nbins = edges.shape[0] - 1
    i = np.intp(((v - first) / denom) * nbins)
    if i == nbins:
        i -= 1
    if v < edges[i]:
        i -= 1
    if v >= edges[i + 1] and i != nbins - 1:
        i += 1
    return i


@numba.njit(**_OPTIONS)
def histogram_uniform(x, first, last, denom, edges, chunks):
    """Counts of float64 `x` in the equal bins `edges` (np.histogram's uniform path)."""
    partial = np.zeros((chunks, edges.shape[0] - 1), np.intp)
    n = x.shape[0]
    for c in numba.prange(chunks):
        lo, hi = _chunk_bounds(n, chunks, c)
        for i in range(lo, hi):
            b = _uniform_bin(np.float64(x[i]), first, last, denom, edges)
            if b >= 0:
                partial[c, b] += 1
    return _sum_rows(partial)


@numba.njit(**_OPTIONS)
def histogram_uniform_weighted(x, weights, first, last, denom, edges, chunks):
    """Sums of float64 `weights` of `x` in the equal bins `edges`."""
    partial = np.zeros((chunks, edges.shape[0] - 1), np.float64)
    n = x.shape[0]
    for c in numba.prange(chunks):
        lo, hi = _chunk_bounds(n, chunks, c)
        for i in range(lo, hi):
            b = _uniform_bin(np.float64(x[i]), first, last, denom, edges)
            if b >= 0:
                partial[c, b] += weights[i]
    return _sum_rows(partial)


@numba.njit(**_HELPER)
def _before(a, b):
    """NumPy's sort order: NaN after every number (so searchsorted agrees with np.sort). No branches: the
    binary searches below compile to conditional moves."""
    return (a < b) | ((b != b) & (a == a))


@numba.njit(**_HELPER)
def _count_before(a, key, right):
    """How many leading entries of the sorted `a` come before `key` (right: are not after it).

    A branch-free binary search: the interval halves a fixed number of times whatever the data, so random
    queries do not pay a mispredicted branch per step (NumPy's loop does)."""
    n = a.shape[0]
    if n == 0:
        return 0
    base = 0
    while n > 1:
        half = n >> 1
        probe = a[np.uint64(base + half - 1)]
        step = (not _before(key, probe)) if right else _before(probe, key)
        base += half if step else 0
        n -= half
    last = a[np.uint64(base)]
    return base + ((not _before(key, last)) if right else _before(last, key))


@numba.njit(**_OPTIONS)
def searchsorted(a, v, right, out):
    """np.searchsorted(a, v, side) for a sorted 1-d `a` and flat queries `v` of a's dtype: intp indices, into
    `out` (v.shape[0] of them, made by the caller with NumPy's allocator: see ``interp``)."""
    for q in numba.prange(v.shape[0]):
        out[q] = _count_before(a, v[q], right)
    return out


_INTERP_BLOCK = 4096  # queries per parallel task: each task walks its queries in order from the last segment


@numba.njit(**_OPTIONS)
def interp(x, xp, fp, left, right, out):
    """np.interp for float64 `x`, `xp`, `fp` (NumPy's compiled_interp, parallel over blocks of queries).

    Within a block each query first tries the previous query's segment and the next one, as NumPy's
    ``binary_search_with_guess`` does: queries in order (a resampling grid) find theirs in two comparisons,
    without a search. The segment found is the same either way (the last j with xp[j] <= v), so are the
    values. The common case is written out here, not in helpers: calls to them were not inlined and cost 4x
    (measured: 150 ms against 40 ms for 2M sorted queries). `out`: x.shape[0] float64 values, made by the caller
    (s14 lazyover: NumPy's allocator advises huge pages for large arrays, Numba's does not; the 16 MB made
    here for interp_resample took ~4,600 page faults a call, 17.5 ms against NumPy's interp's 11.5)."""
    n = xp.shape[0]
    plain = n >= 2 and not _any_nan(xp)  # the fast path's comparisons hold only without NaN points
    if _ascending(x):  # queries in order search once per block: no guide to build (17 ms for 1M points)
        first, scale = np.empty(0, np.int64), 0.0
    else:
        first, scale = _bucket_starts(xp)
    m = x.shape[0]
    for b in numba.prange((m + _INTERP_BLOCK - 1) // _INTERP_BLOCK):
        j = 0
        for q in range(b * _INTERP_BLOCK, min(m, (b + 1) * _INTERP_BLOCK)):
            v = x[q]
            if plain and xp[0] < v < xp[n - 1]:
                if not xp[j] <= v < xp[j + 1]:
                    if j + 2 < n and xp[j + 1] <= v < xp[j + 2]:
                        j += 1
                    else:
                        j = _last_not_after(xp, v, first, scale, n)
                if xp[j] == v:
                    out[q] = fp[j]
                else:
                    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
                    result = slope * (v - xp[j]) + fp[j]
                    out[q] = result if result == result else _between(v, xp, fp, j)
            else:
                out[q] = _interp_one(v, xp, fp, left, right, n, first, scale)
    return out


@numba.njit(**_HELPER)
def _ascending(x):
    for q in range(1, x.shape[0]):
        if not x[q - 1] <= x[q]:
            return False
    return True


@numba.njit(**_HELPER)
def _any_nan(xp):
    for j in range(xp.shape[0]):
        if xp[j] != xp[j]:
            return True
    return False


@numba.njit(**_HELPER)
def _bucket_starts(xp):
    """A search guide for interp: [xp[0], xp[-1]] cut into len(xp) equal buckets, and for each bucket edge the
    last index j with xp[j] <= edge. A query in bucket b then has its answer in [first[b], first[b + 1]]: a
    search over a few points instead of all of them (10 dependent steps for 1000 points; 3.5x faster
    measured). Empty (no guide) for fewer than 2 points, a NaN among them or a span that is not finite."""
    n = xp.shape[0]
    none = np.empty(0, np.int64)
    if n < 2:
        return none, 0.0
    for j in range(n):
        if xp[j] != xp[j]:
            return none, 0.0
    span = xp[n - 1] - xp[0]
    scale = n / span if span > 0 else 0.0
    if not (0 < scale < np.inf):
        return none, 0.0
    first = np.empty(n + 2, np.int64)
    j = 0
    for b in range(n + 2):
        edge = xp[0] + b / scale
        while j + 1 < n and xp[j + 1] <= edge:
            j += 1
        first[b] = j
    return first, scale


@numba.njit(**_HELPER)
def _last_not_after(xp, v, first, scale, n):
    """The last index j with xp[j] <= v, for xp[0] <= v <= xp[-1]: searched between the guide's bounds for v's
    bucket where they hold for v (rounding in the bucket number can only make them not hold: then, as without
    a guide, over all of xp)."""
    if first.shape[0] > 0:
        b = min(np.int64((v - xp[0]) * scale), n)
        lo, hi = first[b], first[b + 1]
        if xp[lo] <= v and (hi + 1 >= n or xp[hi + 1] > v):
            count = hi - lo + 1
            while count > 1:  # branch-free halving, as _count_before
                half = count >> 1
                lo = lo + half if xp[lo + half] <= v else lo
                count -= half
            return lo
    return _count_before(xp, v, True) - 1


@numba.njit(**_HELPER)
def _interp_one(v, xp, fp, left, right, n, first, scale):
    if n == 1:  # NumPy's own branch for one point: a NaN query gives fp[0]
        return left if v < xp[0] else (right if v > xp[0] else fp[0])
    if v != v:
        return v
    if v < xp[0]:
        return left
    if v > xp[n - 1]:
        return right
    j = _last_not_after(xp, v, first, scale, n)  # the last index with xp[j] <= v
    if j == n - 1 or xp[j] == v:
        return fp[j]
    return _between(v, xp, fp, j)


@numba.njit(**_HELPER)
def _between(v, xp, fp, j):
    """NumPy's value at v in the segment [xp[j], xp[j + 1]]."""
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    result = slope * (v - xp[j]) + fp[j]
    if result != result:  # NumPy tries from the other end, then a flat segment's own value
        result = slope * (v - xp[j + 1]) + fp[j + 1]
        if result != result and fp[j] == fp[j + 1]:
            result = fp[j]
    return result
