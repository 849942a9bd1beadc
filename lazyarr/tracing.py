"""Tracing state for ``@lazyarr.fuse``: while a function is traced, its arrays have no values.

The flag is thread-local and set in ``try/finally`` by the tracer, so two threads tracing at once, or an
exception inside a traced function, cannot leave it set. A trace started by ``@lazyarr.fuse`` on NumPy arguments
also installs its *recorder* (``fuse._Recorder``): it knows which traced arrays are the function's arguments
(writes into them are refused) and snapshots the NumPy arrays that enter the graph (``entered``).
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
    """Context manager the tracer wraps around a traced call; `recorder` (None: keep the enclosing one, as a
    fused function inlined into its caller's trace does) for a trace of NumPy arguments."""

    def __init__(self, recorder=None):
        self.recorder = recorder

    def __enter__(self):
        global _tracing_threads
        depth = getattr(_state, "depth", 0)
        if depth == 0:
            with _count_lock:
                _tracing_threads += 1
        _state.depth = depth + 1
        self.outer = getattr(_state, "recorder", None)
        if self.recorder is not None:
            _state.recorder = self.recorder
        return self

    def __exit__(self, *exc):
        global _tracing_threads
        _state.recorder = self.outer
        _state.depth -= 1
        if _state.depth == 0:
            with _count_lock:
                _tracing_threads -= 1
        return False


def _recorder():
    return getattr(_state, "recorder", None) if _tracing_threads and active() else None


def refuse_concrete(array, what: str) -> None:
    """Raised when traced code needs a value (Python control flow on an array, printing, compute())."""
    if _tracing_threads and active():
        from .fuse import concrete_value_error
        raise concrete_value_error(array, what)


def refuse_write(target, what: str) -> None:
    """Called where traced code writes into `target` (an in-place operator, item assignment, out=, fill,
    np.copyto): raises for a NumPy array (a traced value has nothing to write yet) and for an argument of the
    fused function being traced (the write would be lost: in-place updates are not traced yet). Anything else
    is left to the caller (a LazyArray that is not an argument rebinds, as outside a trace)."""
    if _tracing_threads and active():
        from .fuse import write_error
        error = write_error(target, what, getattr(_state, "recorder", None))
        if error is not None:
            raise error


def entered(array) -> None:
    """A NumPy array entering the graph of a fused function being traced (``build.as_input_array``): the
    recorder snapshots it, so that a later write to it in the traced code cannot reach the graph."""
    recorder = _recorder()
    if recorder is not None:
        recorder.entered(array)
