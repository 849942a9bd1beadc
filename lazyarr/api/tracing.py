"""Tracing state for ``@lazyarr.fuse``: while a function is traced, its arrays have no values.

The flag is thread-local and set in ``try/finally`` by the tracer, so two threads tracing at once, or an
exception inside a traced function, cannot leave it set.
"""
from __future__ import annotations

import threading

_state = threading.local()
# How many threads are tracing now: compute() asks on every call, and a module global is far cheaper to read
# than the thread-local state, which it consults only when some thread traces.
_tracing_threads = 0
_count_lock = threading.Lock()


def active() -> bool:
    return _tracing_threads > 0 and getattr(_state, "depth", 0) > 0


class tracing:
    """Context manager the tracer wraps around a traced call."""

    def __enter__(self):
        global _tracing_threads
        depth = getattr(_state, "depth", 0)
        if depth == 0:
            with _count_lock:
                _tracing_threads += 1
        _state.depth = depth + 1
        return self

    def __exit__(self, *exc):
        global _tracing_threads
        _state.depth -= 1
        if _state.depth == 0:
            with _count_lock:
                _tracing_threads -= 1
        return False


def refuse_concrete(array, what: str) -> None:
    """Raised when traced code needs a value (Python control flow on an array, printing, compute())."""
    if _tracing_threads and active():
        from lazyarr.tracer.decorator import concrete_value_error
        raise concrete_value_error(array, what)
