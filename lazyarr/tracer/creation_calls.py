"""Blank arrays a fused function makes are traced arrays: ``np.zeros``, ``np.ones``, ``np.empty``, ``np.full``
(and, session 16, ``np.eye``, ``np.identity``).

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

The body runs as a copy of the function whose global names for numpy (``np``, ``numpy``) and for the four
functions (``from numpy import zeros``) stand for routed versions; nothing is patched on the numpy module, so
other threads, Numba compiling a kernel during the trace (its ``np.empty``), and the code the body calls see
NumPy's own functions. A routed call outside any trace (a closure the body returned) is NumPy's. A body behind
a decorator of its own (``functools.wraps``) is not routed: the copy is of the function fuse was given.
"""
from __future__ import annotations

import functools
import types

import numpy as np

# (s16 sweepnp) eye/identity too: PolyBench's correlation fills ``corr = np.eye(m)`` row by row; as an ndarray its
# first traced row made the signature eager (NumPy asked the value for its data)
ROUTED = ("zeros", "ones", "empty", "full", "eye", "identity")
_ORDER_POSITION = {"zeros": 2, "ones": 2, "empty": 2, "full": 3, "eye": 4, "identity": 2}  # `order`'s position


def _plain_layout(name: str, args: tuple, kwargs: dict) -> bool:
    """Whether the call asks for nothing a LazyArray cannot stand for (a C-ordered CPU array, no ``like=``)."""
    position = _ORDER_POSITION[name]
    order = args[position] if len(args) > position else kwargs.get("order", "C")
    return order == "C" and kwargs.get("like") is None and kwargs.get("device") in (None, "cpu")


def _routed(name: str, original):
    @functools.wraps(original)
    def create(*args, **kwargs):
        from lazyarr.api import creation, tracing
        if tracing.active() and _plain_layout(name, args, kwargs):
            try:
                return getattr(creation, name)(*args, **kwargs)
            except (TypeError, ValueError):
                pass  # (an object dtype, a bad shape) NumPy's own answer or error
        return original(*args, **kwargs)

    return create


class _TracedNumpy(types.ModuleType):
    """numpy as a traced body sees it: the routed creation functions, every other name NumPy's own."""

    def __getattr__(self, name):
        return getattr(np, name)


_FUNCTIONS = {id(getattr(np, name)): _routed(name, getattr(np, name)) for name in ROUTED}
_NUMPY = _TracedNumpy("numpy", np.__doc__)
for _name in ROUTED:
    setattr(_NUMPY, _name, _FUNCTIONS[id(getattr(np, _name))])


def routed(fn):
    """What to call to run `fn`'s body on traced arrays: a copy of `fn` whose globals route the creation
    functions (see the module docstring), or `fn` itself when it is no plain function or uses none of them."""
    if type(fn) is not types.FunctionType:
        return fn
    swaps = {key: _NUMPY if value is np else _FUNCTIONS[id(value)] for key, value in fn.__globals__.items()
             if value is np or id(value) in _FUNCTIONS}
    if not swaps:
        return fn
    copy = types.FunctionType(fn.__code__, {**fn.__globals__, **swaps}, fn.__name__, fn.__defaults__,
                              fn.__closure__)
    copy.__kwdefaults__, copy.__qualname__ = fn.__kwdefaults__, fn.__qualname__
    copy.__dict__.update(fn.__dict__)
    return copy
