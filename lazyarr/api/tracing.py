"""Tracing state for ``@lazyarr.fuse``: while a function is traced, its arrays have no values.

The flag is thread-local and set in ``try/finally`` by the tracer, so two threads tracing at once, or an
exception inside a traced function, cannot leave it set. A trace started by ``@lazyarr.fuse`` on NumPy arguments
also installs its *recorder* (``tracer/decorator.py``'s ``Recorder``): it knows which traced arrays are the function's arguments
(writes into them are refused) and snapshots the NumPy arrays that enter the graph (``entered``).
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
    """Context manager the tracer wraps around a traced call; `recorder` (None: keep the enclosing one, as a
    fused function inlined into its caller's trace does) for a trace of NumPy arguments."""

    def __init__(self, recorder=None):
        self.recorder = recorder

    def __enter__(self):
        global tracing_threads
        depth = getattr(_state, "depth", 0)
        if depth == 0:
            with _count_lock:
                tracing_threads += 1
        _state.depth = depth + 1
        self.outer = getattr(_state, "recorder", None)
        if self.recorder is not None:
            _state.recorder = self.recorder
        return self

    def __exit__(self, *exc):
        global tracing_threads
        _state.recorder = self.outer
        _state.depth -= 1
        if _state.depth == 0:
            with _count_lock:
                tracing_threads -= 1
        return False


def _recorder():
    return getattr(_state, "recorder", None) if tracing_threads and active() else None


# --- (s15) NumPy's own Python code run over LazyArrays (api/fallback.py): a value asked for ends the attempt ---
strict_threads = 0  # threads inside ``values_refused()``: compute() asks on every call (a global is cheap)


class ValueNeeded(Exception):
    """Inside ``values_refused()``: code asked a LazyArray for its value (np.asarray, bool(), compute())."""


class values_refused:
    """Context manager: every request for a LazyArray's value in this thread raises ValueNeeded, so that
    running a NumPy function's Python implementation on LazyArrays either stays lazy or stops at once."""

    def __enter__(self):
        global strict_threads
        depth = getattr(_state, "strict", 0)
        if depth == 0:
            with _count_lock:
                strict_threads += 1
        _state.strict = depth + 1
        return self

    def __exit__(self, *exc):
        global strict_threads
        _state.strict -= 1
        if _state.strict == 0:
            with _count_lock:
                strict_threads -= 1
        return False


def _refused(what: str) -> None:
    if getattr(_state, "strict", 0):
        raise ValueNeeded(what)
# --- end s15 ---


def refuse_concrete(array, what: str) -> None:
    """Raised when traced code needs a value (Python control flow on an array, printing, compute())."""
    if strict_threads:
        _refused(what)
    if tracing_threads and active():
        breaks = getattr(_state, "breaks", None)  # (graph breaks) the value will come: note why it is asked
        if breaks is not None:
            breaks.note(array, what)
            return
        raise concrete_value_error(array, what)


# --- graph breaks (tracer/segments.py) ---
def concrete(array, what: str):
    """The value of a LazyArray where the code that asks for it computes it (compute(), np.asarray,
    la.compute): None outside a trace (compute as usual); inside a trace that can break (``breaking``) the
    value, computed from the call's real arguments; else the error ``refuse_concrete`` raises."""
    if strict_threads:
        _refused(what)
    if tracing_threads and active():
        breaks = getattr(_state, "breaks", None)
        if breaks is not None:
            return breaks.value(array, what)
        raise concrete_value_error(array, what)
    return None


class breaking:
    """Context manager: inside it, a traced value asked for its data is computed by `handler` (its
    ``note(array, what)`` and ``value(array, what)``) instead of refused. None: refuse again (a nested
    trace that cannot break)."""

    def __init__(self, handler):
        self.handler = handler

    def __enter__(self):
        self.outer = getattr(_state, "breaks", None)
        _state.breaks = self.handler
        return self

    def __exit__(self, *exc):
        _state.breaks = self.outer
        return False


def user_frame():
    """The innermost frame outside lazyarr and NumPy (where graph breaks look for the user's live arrays)."""
    return _user_frame()


def user_line() -> str:
    """The user's file, line and code, as errors give them."""
    return _where()


def can_break() -> bool:
    """Whether the current trace (if any) computes values at graph breaks instead of refusing them."""
    return getattr(_state, "breaks", None) is not None


def note_checked(result) -> None:
    """(s15) A stage that raises for some values (``np.linalg.inv`` of a singular matrix) was built in a fused
    function's trace: if the function drops its result (``try: np.linalg.cholesky(a) / except LinAlgError``),
    the program still computes it, so the error reaches the function as in NumPy (tracer/decorator.py)."""
    checked = getattr(getattr(_state, "recorder", None), "checked", None)
    if checked is not None:
        checked.extend(x._node for x in (result if isinstance(result, tuple) else (result,)))


def shows_values() -> bool:
    """(s15) Whether the current trace computes values at graph breaks and is a fused function's own (its trace or
    an eager run), not a fused function called with LazyArrays (which stays lazy): where printing a traced value
    shows NumPy's text of it (api/methods.shown)."""
    breaks = getattr(_state, "breaks", None)
    return breaks is not None and getattr(breaks, "materialise", True)
# --- end graph breaks ---


def refuse_write(target, what: str) -> None:
    """Called where traced code writes into `target` (an in-place operator, item assignment, out=, fill,
    np.copyto): raises for a NumPy array (a traced value has nothing to write yet). A LazyArray is left to the
    caller: it rebinds (api/assign.py), and an argument of a fused function is written back into the caller's
    array after the call (tracer/decorator.py)."""
    if tracing_threads and active():
        error = write_error(target, what, getattr(_state, "recorder", None))
        if error is not None:
            raise error


def entered(array) -> None:
    """A NumPy array entering the graph of a fused function being traced (``build.as_input_array``): the
    recorder snapshots it, so that a later write to it in the traced code cannot reach the graph."""
    recorder = _recorder()
    if recorder is not None:
        recorder.entered(array)


class TracingError(TypeError):
    """A traced function needed the value of an array that has none while it is traced, or wrote into an
    argument. `where`: the user's line, as the message gives it."""

    where = None


# -- errors -----------------------------------------------------------------------------------------------

# lazyarr's own files and NumPy's: the user's line is the first frame outside both.
_SKIP_DIRS = (os.path.dirname(np.__file__) + os.sep,
              os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep)


def _user_frame():
    """The innermost frame outside lazyarr and NumPy: the user's line that asked for a value."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_SKIP_DIRS):
        frame = frame.f_back
    return frame


def _where() -> str:
    """The user's file, line and code, as errors give them."""
    frame = _user_frame()
    if frame is None:
        return "an unknown line\n"
    filename, line, function = frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name
    code = linecache.getline(filename, line).strip()
    return f"{filename}:{line}, in {function}()" + (f":\n    {code}\n" if code else "\n")


def user_line() -> str:
    """The user's file, line and code (for errors raised outside a trace too)."""
    return _where()


def traced_error(message: str, where: str) -> TracingError:
    error = TracingError(message)
    error.where = where
    return error


WRITE_INTO_NUMPY = (
    "Writing a traced value into a NumPy array (R[i] = traced, R += traced, np.copyto(R, traced), out=R) is "
    "not supported yet inside a @lazyarr.fuse function: the value does not exist until the kernels run. Build "
    "the result from array operations instead (np.stack, np.concatenate, la.where), or return the traced "
    "value and assign it outside the fused function."
)


def concrete_value_error(array, what: str) -> TracingError:
    """The error for traced code that needs an array's value (called by ``tracing.refuse_concrete``)."""
    where = _where()
    shape, dtype = getattr(array, "shape", "?"), getattr(array, "dtype", "?")
    return traced_error(
        f"lazyarr.fuse: {what} needs the value of a traced array (shape {shape}, dtype {dtype}) at {where}"
        "Inside a @lazyarr.fuse function arrays have no values while it is traced, so Python control flow "
        "(if, while, and/or, bool(), float(), int(), .compute()) cannot depend on them, and lazyarr will not "
        "bake one branch in. Write the choice as data: la.where(condition, x, y) (or np.where) picks per "
        "element; or compute the value outside the fused function and pass it in as an argument."
        # NumPy asks for the value this way when the line stores a traced array into one of its arrays
        + (" " + WRITE_INTO_NUMPY if what == "np.asarray()" else ""), where)


def write_error(target, what: str, recorder) -> TracingError | None:
    """The error for traced code that writes into `target` (called by ``tracing.refuse_write``), or None when
    the write is allowed (a LazyArray that is not an argument is rebound, a functional update)."""
    if isinstance(target, np.ndarray):
        where = _where()
        return traced_error(f"lazyarr.fuse: {what} writes a traced array into a NumPy array at {where}"
                      + WRITE_INTO_NUMPY, where)
    return None  # a LazyArray is rebound (api/assign.py); an argument's new value is written back by the tracer
