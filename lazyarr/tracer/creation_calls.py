"""Blank arrays a fused function makes are traced arrays: ``np.zeros``, ``np.ones``, ``np.empty``, ``np.full``.

A program fills arrays it made itself: ``escape = np.full(c.shape, n); ...; escape[escaped] = i`` or
``active = np.ones(c.shape, bool); ...; active &= ~escaped``. Its shape argument is static inside a trace, so
NumPy would make a real ndarray, and writing a traced value into an ndarray is impossible (the value does not
exist yet, and an ndarray cannot be rebound to a graph node the way a LazyArray is): the write was refused, or
NumPy asked the traced mask for its data (a graph break that made the signature eager). Made as a LazyArray
instead, the array is a fused fill like ``np.zeros_like(traced)`` already is, and every later write into it is
a functional update of the graph (api/assign.py), fused with its neighbours.

Only calls made directly by the body of a function being traced are routed (the caller's frame runs the
traced function's code): code the body calls (NumPy's and SciPy's own Python code, the user's helpers, other
libraries) keeps NumPy's ndarrays, which it may hand to code that needs real memory. Calls with ``like=``,
``order="F"`` or a dtype lazyarr cannot compile stay NumPy's, as do calls whose arguments lazyarr refuses (NumPy
then gives its own answer or error).

The wrappers are installed on the numpy module while any thread traces (reference-counted, the way
``scipy_calls`` wraps scipy.stats.norm) and removed after; on any other thread, or from any other caller, they
call NumPy's function directly. Code that bound the functions before (``from numpy import zeros``) is not
routed.
"""
from __future__ import annotations

import functools
import inspect
import sys
import threading

import numpy as np

ROUTED = ("zeros", "ones", "empty", "full")
_ORDER_POSITION = {"zeros": 2, "ones": 2, "empty": 2, "full": 3}  # where `order` sits among the positionals

_lock = threading.Lock()
_users = 0
_installed: dict = {}  # name -> NumPy's function it replaced
_state = threading.local()  # .codes: the code objects of the bodies this thread is tracing, innermost last


def _plain_layout(name: str, args: tuple, kwargs: dict) -> bool:
    """Whether the call asks for nothing a LazyArray cannot stand for (a C-ordered CPU array, no ``like=``)."""
    position = _ORDER_POSITION[name]
    order = args[position] if len(args) > position else kwargs.get("order", "C")
    return order == "C" and kwargs.get("like") is None and kwargs.get("device") in (None, "cpu")


def _routed(name: str, original):
    @functools.wraps(original)
    def create(*args, **kwargs):
        codes = getattr(_state, "codes", None)
        if codes and sys._getframe(1).f_code is codes[-1] and _plain_layout(name, args, kwargs):
            from lazyarr.api import creation
            try:
                return getattr(creation, name)(*args, **kwargs)
            except (TypeError, ValueError):
                pass  # (an object dtype, a bad shape) NumPy's own answer or error
        return original(*args, **kwargs)

    return create


def _body_code(fn):
    """The code object of `fn`'s body (through functools.wraps decorators), or None (a callable object)."""
    try:
        return getattr(inspect.unwrap(fn), "__code__", None)
    except ValueError:  # a cycle of __wrapped__
        return None


class routing:
    """Context manager around a run of `fn`'s body on traced arrays: its own creation calls make LazyArrays."""

    def __init__(self, fn):
        self.code = _body_code(fn)

    def __enter__(self):
        global _users
        with _lock:
            if _users == 0:
                for name in ROUTED:
                    _installed[name] = getattr(np, name)
                    setattr(np, name, _routed(name, _installed[name]))
            _users += 1
        codes = getattr(_state, "codes", None)
        if codes is None:
            codes = _state.codes = []
        codes.append(self.code)
        return self

    def __exit__(self, *exc):
        global _users
        _state.codes.pop()
        with _lock:
            _users -= 1
            if _users == 0:
                for name in ROUTED:
                    setattr(np, name, _installed.pop(name))
        return False
