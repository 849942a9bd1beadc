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
malloc's own free lists without faults).
"""
from __future__ import annotations

import math
import os
import sys
import threading
from collections import deque

import numpy as np

MIN_BYTES = 4 << 20
MAX_HELD = 128 << 20
MAX_PER_SHAPE = 2  # a program that frees more buffers of one shape per call than it allocates keeps no more

_lock = threading.Lock()
_pool: dict[tuple, list[np.ndarray]] = {}
_held = 0
counts = {"kept": 0, "reused": 0, "reclaimed": 0}  # tests read them
# Buffers lent to a longer-lived holder (a written LazyArray's value, rebound to a leaf over it: api/realise.py)
# with what to call when one comes back: the holder dies at a time nothing here sees (a LazyArray dropped, a
# later ask rebinding it), so a miss in ``empty`` looks for lent buffers only this list still refers to.
_lent: list[tuple[np.ndarray, object]] = []
MAX_LENT = 8


def empty(shape: tuple, dtype, order: str = "C") -> np.ndarray:
    """``np.empty(shape, dtype, order=order)``, a kept buffer of that shape, dtype and order where there is
    one (its old values: the caller writes every element)."""
    global _held
    if not _pool and not _lent:  # the common case first: nothing kept (a small program's every call)
        return np.empty(shape, dtype, order=order)
    dtype = np.dtype(dtype)
    if math.prod(shape) * dtype.itemsize >= MIN_BYTES:
        key = _key(shape, dtype, order)
        with _lock:
            stack = _pool.get(key)
            if stack:
                a = stack.pop()
                _held -= a.nbytes
                counts["reused"] += 1
                return a
            a = _reclaim(key)
            if a is not None:
                return a
    return np.empty(shape, dtype, order=order)


def lend(buffer: np.ndarray, on_return) -> None:
    """Note that `buffer` (an array ``empty`` may hand out again) is now held by something longer-lived than a
    computation; once that lets it go, ``empty`` takes it back after calling ``on_return(buffer)`` (the holder's
    registry forgetting it). The list holds one reference: ``lent_references`` says so to reference counts."""
    if not _free(buffer):
        return
    with _lock:
        if len(_lent) >= MAX_LENT:
            del _lent[0]  # (the oldest is more likely still held; it goes back to malloc when it dies)
        _lent.append((buffer, on_return))


def lent_references(buffer: np.ndarray) -> int:
    """The references ``lend``'s list holds to `buffer` (0 or 1), for code that counts a buffer's holders."""
    return 1 if _lent and any(b is buffer for b, _ in _lent) else 0


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
    global _held
    with _lock:
        stack = _pool.setdefault(_key(a.shape, a.dtype, "C" if a.flags.c_contiguous else "F"), [])
        if _held + a.nbytes > MAX_HELD or len(stack) >= MAX_PER_SHAPE:
            return
        stack.append(a)
        _held += a.nbytes
        counts["kept"] += 1


def _key(shape: tuple, dtype: np.dtype, order: str) -> tuple:
    return tuple(shape), dtype.str, "C" if len(shape) < 2 else order


def clear() -> None:
    """Drop every kept buffer (their memory goes back to the system)."""
    global _held
    with _lock:
        _pool.clear()
        _lent.clear()
        _held = 0


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
