"""(#15 postblas) Big intermediate buffers kept for the next computation of the same shape, instead of fresh pages.

A buffer above glibc's largest mmap threshold (32 MiB) is mapped on every allocation and unmapped on every
free, so each call of a program faults in its big intermediates page by page: covariance's centred (6000, 750)
matrix, which only feeds the product, cost 33-38 ms to write fresh against 15-24 ms into a buffer written before
(`np.subtract(x, m)` against `out=`, min / median of 15, loaded machine; docs/fuse_programs.md, 2026-11-30).
NumPy pays that too; lazyarr need not.

A plan (``evaluate``) and a fused program (``tracer/program``) know when an intermediate is dead: no later step
reads it and it is not a result. ``recycle`` then keeps the array if nothing else refers to it (its reference
count: no view, no user, no other value holds it), and ``empty`` hands it out again for an allocation of the same
shape, dtype and order. A kept buffer is owned by this pool alone, so no value the user can see ever shares
memory with another: the user gets a buffer only as a fresh output, which leaves the pool when handed out. The
pool holds at most ``MAX_HELD`` bytes, ``MAX_PER_SHAPE`` buffers of a shape, and only buffers of at least ``MIN_BYTES`` (smaller ones come back from
malloc's own free lists without faults; s16: 1 MiB).

(s16 blas) A buffer handed out that may become a result (a BLAS product's output, ``runtime/blas_output.py``; s16
watch: any kernel's result, ``evaluate._run_steps``, ``recipes.run``, ``tracer/program.watching``) and
is at least ``WATCH_MIN_BYTES`` is ``watch``ed: once its caller drops it and only this module refers to it, the
next allocation of its shape takes it back instead of mapping fresh pages. At most ``MAX_WATCHED_BYTES`` are
watched; a watched buffer the caller has dropped is the memory kept beyond NumPy's until that next allocation.
"""
from __future__ import annotations

import math
import os
import sys
import threading
import weakref
from collections import deque

import numpy as np

# (s16 blas) 1 MiB, was 4 MiB: glibc maps an allocation above its mmap threshold (dynamic: 128 KiB, raised to
# the size of a mapped block freed) fresh, and trims a freed top of its heap beyond twice that, so a buffer of a
# few MiB can fault in page by page on every call too: cosine_similarity's two normalised (3000, 128) rows (2.9 MiB
# each) cost 1,470 minor faults per call at 4 MiB, none at 1 MiB (docs/after_blas.md, session 16).
MIN_BYTES = 1 << 20
MAX_HELD = 128 << 20
MAX_PER_SHAPE = 2  # a program that frees more buffers of one shape per call than it allocates keeps no more

_lock = threading.Lock()
_pool: dict[tuple, list[np.ndarray]] = {}
_held = 0
counts = {"kept": 0, "reused": 0, "reclaimed": 0, "taken_back": 0, "dropped": 0}  # tests read them
# Buffers lent to a longer-lived holder (a written LazyArray's value, rebound to a leaf over it: api/realise.py)
# with what to call when one comes back: the holder dies at a time nothing here sees (a LazyArray dropped, a
# later ask rebinding it), so a miss in ``empty`` looks for lent buffers only this list still refers to.
_lent: list[tuple[np.ndarray, object]] = []
MAX_LENT = 8
# (s16 blas) Big buffers handed out that may become the caller's results (a BLAS product's output: the
# similarity matrix a program returns), watched so that the next allocation of their shape takes one back once
# only this list holds it. glibc maps an allocation of at least its mmap threshold's ceiling (32 MiB) fresh every
# time and unmaps it on free: cosine_similarity's (3000, 3000) product took 21.6 / 27.0 ms (min / median) into a
# fresh output against 19.7 / 20.7 ms into one written before (docs/after_blas.md, session 16). Smaller buffers
# come back from malloc's free lists. The list holds at most MAX_WATCHED_BYTES: the memory a process keeps
# beyond NumPy's after its caller drops such a result, until the next call of that shape or ``clear``.
WATCH_MIN_BYTES = 32 << 20
MAX_WATCHED_BYTES = 128 << 20
_watched: list[np.ndarray] = []
_watched_bytes = 0


def empty(shape: tuple, dtype, order: str = "C") -> np.ndarray:
    """``np.empty(shape, dtype, order=order)``, a kept buffer of that shape, dtype and order where there is
    one (its old values: the caller writes every element)."""
    global _held
    if not _pool and not _lent and not _watched:  # the common case first: nothing kept (a small program's calls)
        return np.empty(shape, dtype, order=order)
    dtype = np.dtype(dtype)
    if math.prod(shape) * dtype.itemsize >= MIN_BYTES:
        key = _key(shape, dtype, order)
        with _lock:
            stack = _pool.get(key)
            if stack:
                _pool[key] = _pool.pop(key)  # (s17) the most recently used shape last: dropped last
                a = stack.pop()
                _held -= a.nbytes
                counts["reused"] += 1
                return a
            a = _reclaim(key)
            if a is not None:
                return a
            a = _take_back(key)
            if a is not None:
                return a
    return np.empty(shape, dtype, order=order)


def watch(buffer: np.ndarray) -> None:
    """(s16 blas) Note that `buffer` (just handed out by ``empty``, now written) may become a result its caller
    holds; once nothing but this module refers to it, ``empty`` takes it back for an allocation of its shape.
    Buffers under ``WATCH_MIN_BYTES`` are not watched (malloc's free lists give them back without faults)."""
    global _watched_bytes
    if buffer.nbytes < WATCH_MIN_BYTES or not _free(buffer):
        return
    with _lock:
        if any(b is buffer for b in _watched) or any(b is buffer for b, _ in _lent):  # (lent: ``lend`` has it)
            return
        _watched.append(buffer)
        _watched_bytes += buffer.nbytes
        while _watched_bytes > MAX_WATCHED_BYTES:  # the oldest first: the likeliest to be held still
            _watched_bytes -= _watched.pop(0).nbytes


def _take_back(key: tuple) -> np.ndarray | None:
    """(under the lock) A watched buffer of `key` that only ``_watched`` refers to, taken out of the list. A
    weak reference counts as a holder: whoever holds one would see the buffer's new values."""
    global _watched_bytes
    for i, b in enumerate(_watched):
        if _key(b.shape, b.dtype, "C" if b.flags.c_contiguous else "F") == key \
                and sys.getrefcount(b) <= _ONLY_WATCHED and not weakref.getweakrefcount(b):
            del _watched[i]
            _watched_bytes -= b.nbytes
            counts["taken_back"] += 1
            return b
    return None


def lend(buffer: np.ndarray, on_return) -> None:
    """Note that `buffer` (an array ``empty`` may hand out again) is now held by something longer-lived than a
    computation; once that lets it go, ``empty`` takes it back after calling ``on_return(buffer)`` (the holder's
    registry forgetting it). The list holds one reference: ``lent_references`` says so to reference counts."""
    global _watched_bytes
    if not _free(buffer):
        return
    with _lock:
        if len(_lent) >= MAX_LENT:
            del _lent[0]  # (the oldest is more likely still held; it goes back to malloc when it dies)
        _lent.append((buffer, on_return))
        for i, w in enumerate(_watched):  # (s16) one list per buffer: each list's take-back counts its own reference
            if w is buffer:
                del _watched[i]
                _watched_bytes -= buffer.nbytes
                break


def lent_references(buffer: np.ndarray) -> int:
    """The references ``lend``'s list (and ``watch``'s, s16) hold to `buffer` (0-2), for code that counts a
    buffer's holders."""
    lent = 1 if _lent and any(b is buffer for b, _ in _lent) else 0
    return lent + (1 if _watched and any(b is buffer for b in _watched) else 0)


def _reclaim(key: tuple) -> np.ndarray | None:
    """(under the lock) A lent buffer of `key` that nothing but ``_lent`` refers to, taken out of the list."""
    for i, (b, on_return) in enumerate(_lent):
        if _key(b.shape, b.dtype, "C" if b.flags.c_contiguous else "F") == key \
                and sys.getrefcount(b) <= _ONLY_LENT:
            del _lent[i]
            on_return(b)
            counts["reclaimed"] += 1
            return b
    return None


def recycle(values: list) -> None:
    """Keep the dead values in `values` (emptied) that only this list refers to. Views go first, and each
    view's base is looked at after it: a view holds its base (a row kernel's output is a view of the buffer
    it allocated in the loop's memory order, ``x.T`` a view of x), which is free once the views are gone."""
    # (mandel3 #15) Only arrays that can be kept or lead to one are queued, and bases once each: a fused scalar
    # loop frees thousands of 0-d values at a time (go_fast's 4,000 ``a[i, i]``, views of one argument), and
    # popping the front of that list was quadratic (29 ms of a 135 ms call).
    least = MIN_BYTES  # (an array big enough to keep, or a view: its base may be; inline, thousands per call)
    found = [a for a in values if type(a) is np.ndarray and (a.base is not None or a.nbytes >= least)]
    values.clear()  # (the queue alone refers to them now, as the list did before)
    if not found:  # (s16 lazyrt) a lazy loop's small values: nothing to sort or queue, ~40 times a compute
        return
    queue = deque(sorted(found, key=lambda a: a.base is None))
    del found
    bases: set[int] = set()
    while queue:
        a = queue.popleft()  # the value popped before is dropped here
        base = a.base
        if type(base) is np.ndarray:
            if id(base) not in bases:
                bases.add(id(base))
                queue.append(base)
        elif _free(a) and sys.getrefcount(a) <= _ONLY_LOCAL:
            _keep(a)


def _free(a) -> bool:
    return (type(a) is np.ndarray and a.base is None and a.nbytes >= MIN_BYTES and a.flags.writeable
            and a.flags.owndata and (a.flags.c_contiguous or a.flags.f_contiguous))


def _keep(a: np.ndarray) -> None:
    """Keep dead buffer `a`. (s17) When the pool is full, the shapes kept or handed out longest
    ago make room: they belong to work the process has moved on from. The pool used to refuse the newcomer
    instead, so a process that had run other programs before held their shapes for good, and a later program's
    big values were mapped fresh on every call: after one call of each of bench_programs.py's 30 programs,
    kmeans_step took 1,378 minor page faults a call and mlp_gelu 248 in both modes (0 and 0 now; 0 when run alone
    either way; docs/after_blas.md, session 17)."""
    global _held
    if a.nbytes > MAX_HELD:
        return
    with _lock:
        key = _key(a.shape, a.dtype, "C" if a.flags.c_contiguous else "F")
        stack = _pool.pop(key, [])
        _pool[key] = stack  # the most recently used shape last (dicts keep insertion order)
        if len(stack) >= MAX_PER_SHAPE:
            return
        for old in list(_pool):
            if _held + a.nbytes <= MAX_HELD:
                break
            if old != key:
                for b in _pool.pop(old):
                    _held -= b.nbytes
                    counts["dropped"] += 1
        if _held + a.nbytes > MAX_HELD:
            return
        stack.append(a)
        _held += a.nbytes
        counts["kept"] += 1


def _key(shape: tuple, dtype: np.dtype, order: str) -> tuple:
    return tuple(shape), dtype.str, "C" if len(shape) < 2 else order


def clear() -> None:
    """Drop every kept buffer (their memory goes back to the system)."""
    global _held, _watched_bytes
    with _lock:
        _pool.clear()
        _lent.clear()
        _watched.clear()
        _held = _watched_bytes = 0


def _after_fork_in_child() -> None:
    """A child forked while another thread held the lock would wait for it forever: a new lock, the kept buffers
    dropped (the child's copies of the parent's pages)."""
    global _lock
    _lock = threading.Lock()
    clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _only_local_count() -> int:
    """The reference count ``recycle`` sees for an array its local name alone holds (the name, and
    ``getrefcount``'s argument), measured once the same way rather than assumed for this Python."""
    values = [np.empty(1)]
    a = values.pop(0)
    return sys.getrefcount(a)


_ONLY_LOCAL = _only_local_count()


def _only_lent_count() -> int:
    """The reference count ``_reclaim`` sees for a buffer only the lent list holds (the list's tuple, the loop's
    name, ``getrefcount``'s argument), measured the same way."""
    lent = [(np.empty(1), None)]
    for b, _ in lent:
        return sys.getrefcount(b)


_ONLY_LENT = _only_lent_count()


def _only_watched_count() -> int:
    """(s16 blas) The reference count ``_take_back`` sees for a buffer only the watched list holds (the list, the
    loop's name and tuple, ``getrefcount``'s argument), measured the same way."""
    watched = [np.empty(1)]
    for i, b in enumerate(watched):  # (as ``_take_back`` loops: enumerate's reused tuple holds `b` too)
        return sys.getrefcount(b)


_ONLY_WATCHED = _only_watched_count()
