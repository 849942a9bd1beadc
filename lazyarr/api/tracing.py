"""Tracing state for ``@lazyarr.fuse``: while a function is traced, its arrays have no values.

The flag is thread-local and set in ``try/finally`` by the tracer, so two threads tracing at once, or an
exception inside a traced function, cannot leave it set.
"""
from __future__ import annotations

import linecache
import os
import sys
import threading

import numpy as np

_state = threading.local()
# How many threads are tracing now: compute() asks on every call, and a module global is far cheaper to read
# than the thread-local state, which it consults only when some thread traces.
tracing_threads = 0
_count_lock = threading.Lock()


def active() -> bool:
    return tracing_threads > 0 and getattr(_state, "depth", 0) > 0


class tracing:
    """Context manager the tracer wraps around a traced call."""

    def __enter__(self):
        global tracing_threads
        depth = getattr(_state, "depth", 0)
        if depth == 0:
            with _count_lock:
                tracing_threads += 1
        _state.depth = depth + 1
        return self

    def __exit__(self, *exc):
        global tracing_threads
        _state.depth -= 1
        if _state.depth == 0:
            with _count_lock:
                tracing_threads -= 1
        return False


def refuse_concrete(array, what: str) -> None:
    """Raised when traced code needs a value (Python control flow on an array, printing, compute())."""
    if tracing_threads and active():
        raise concrete_value_error(array, what)


class TracingError(TypeError):
    """A traced function needed the value of an array that has none while it is traced."""


# -- errors -----------------------------------------------------------------------------------------------

# lazyarr's own files and NumPy's: the user's line is the first frame outside both.
_SKIP_DIRS = tuple(os.path.dirname(m.__file__) + os.sep for m in (np,)) + (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,)


def _user_frame():
    """The innermost frame outside lazyarr and NumPy: the user's line that asked for a value."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_SKIP_DIRS):
        frame = frame.f_back
    return frame


def concrete_value_error(array, what: str) -> TracingError:
    """The error for traced code that needs an array's value."""
    frame = _user_frame()
    if frame is not None:
        filename, line, function = frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name
        code = linecache.getline(filename, line).strip()
        where = f"{filename}:{line}, in {function}()" + (f":\n    {code}\n" if code else "\n")
    else:
        where = "an unknown line\n"
    shape, dtype = getattr(array, "shape", "?"), getattr(array, "dtype", "?")
    return TracingError(
        f"lazyarr.fuse: {what} needs the value of a traced array (shape {shape}, dtype {dtype}) at {where}"
        "Inside a @lazyarr.fuse function arrays have no values while it is traced, so Python control flow "
        "(if, while, and/or, bool(), float(), int(), .compute()) cannot depend on them, and lazyarr will not "
        "bake one branch in. Write the choice as data: la.where(condition, x, y) (or np.where) picks per "
        "element; or compute the value outside the fused function and pass it in as an argument."
    )
