"""``lazyarr.<name>`` functions, generated from the op table (and NumPy's own aliases of its entries)."""
from __future__ import annotations

import numpy as np

from lazyarr.api import build, errstate
from lazyarr.api.array import LazyArray, shaped
from lazyarr.graph.ops import BY_UFUNC


def _ufunc_function(name: str, ufunc: np.ufunc):
    def function(*operands, dtype=None):
        if errstate.state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask(operands):
            return errstate.run(ufunc, operands, {} if dtype is None else {"dtype": dtype}, f"lazyarr.{name}")
        return LazyArray(build.ufunc_node(ufunc, operands, opname=name, dtype=dtype))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Lazy ``numpy.{name}``: fused into the kernel that computes the expression."
    return function


def elementwise_functions() -> dict:
    """Every NumPy name bound to a ufunc in the op table: sin, abs and absolute, true_divide, ..."""
    return {
        name: _ufunc_function(name, obj)
        for name, obj in vars(np).items()
        if isinstance(obj, np.ufunc) and obj in BY_UFUNC and not name.startswith("_")
    }


def where(condition, x, y) -> LazyArray:
    """Lazy ``numpy.where(condition, x, y)``."""
    return LazyArray(build.where(condition, x, y))


def clip(a, a_min=None, a_max=None) -> LazyArray:
    """Lazy ``numpy.clip``; NaN in any operand propagates, as in NumPy."""
    return LazyArray(build.clip(a, a_min, a_max))


def reshape(a, shape, order="C") -> LazyArray:
    """Lazy ``numpy.reshape``: pushed down to the inputs when nothing under it is broadcast (see indexing.md)."""
    from lazyarr.api.reshaping import reshape as build_reshape
    return shaped(build_reshape(build.to_node(a), shape, order))


def ravel(a, order="C") -> LazyArray:
    """Lazy ``numpy.ravel``."""
    from lazyarr.api.reshaping import ravel as build_ravel
    return shaped(build_ravel(build.to_node(a), order))


def squeeze(a, axis=None) -> LazyArray:
    """Lazy ``numpy.squeeze``: basic indexing, pushed down to the inputs."""
    from lazyarr.api.reshaping import squeeze as build_squeeze
    return shaped(build_squeeze(build.to_node(a), axis))


def expand_dims(a, axis) -> LazyArray:
    """Lazy ``numpy.expand_dims``: basic indexing, pushed down to the inputs."""
    from lazyarr.api.reshaping import expand_dims as build_expand_dims
    return shaped(build_expand_dims(build.to_node(a), axis))


def broadcast_to(array, shape) -> LazyArray:
    """Lazy ``numpy.broadcast_to``: inputs become zero-stride views; nothing is copied."""
    from lazyarr.api.reshaping import broadcast_to as build_broadcast_to
    return shaped(build_broadcast_to(build.to_node(array), shape))


def compute(*arrays):
    """Compute several expressions in one pass over their shared inputs; returns a tuple of results."""
    from lazyarr.api import realise, tracing  # (mandelbrot #15) as compute() does: api/realise.py
    lazy = [a for a in arrays if isinstance(a, LazyArray)]
    known = [tracing.concrete(a, "lazyarr.compute()") for a in lazy] \
        if tracing.tracing_threads or tracing.strict_threads else []
    if known and known[0] is not None:  # (graph breaks) computed from a fused call's arguments
        values = iter(known)
    else:
        values = iter(realise.evaluate([a._node for a in lazy]) if lazy else ())
    return tuple(a._result(next(values)) if isinstance(a, LazyArray) else a for a in arrays)
