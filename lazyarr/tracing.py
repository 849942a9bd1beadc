"""Tracing state for ``@lazyarr.fuse``: while a function is traced, its arrays have no values.

The flag is thread-local and set in ``try/finally`` by the tracer, so two threads tracing at once, or an
exception inside a traced function, cannot leave it set.
"""
from __future__ import annotations

import threading

_state = threading.local()


def active() -> bool:
    return getattr(_state, "depth", 0) > 0


class tracing:
    """Context manager the tracer wraps around a traced call."""

    def __enter__(self):
        _state.depth = getattr(_state, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        _state.depth -= 1
        return False


def refuse_concrete(array, what: str) -> None:
    """Raised when traced code needs a value (Python control flow on an array, printing, compute())."""
    if active():
        from .fuse import concrete_value_error
        raise concrete_value_error(array, what)
