"""The argument checks scipy.stats' wrappers share (rv_continuous and rv_discrete), over lazy operands.

SciPy converts every argument with ``np.asarray`` and combines boolean masks; here a concrete 0-d value is
decided in NumPy at once (``both(True, c)`` is ``c``, no node for a known answer) and everything else is a node.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import build
from lazyarr.api.array import LazyArray
from lazyarr.api.functions import where
from lazyarr.graph import expr
from lazyarr.graph.ops import UfuncParams


def traced_number(x) -> bool:
    """(s14; in api/stats.py until s15) A Python number argument of a function ``@la.fuse`` traces: its node
    stands for the call's number (the trace rebinds it per call), so its value must never be read here: it is a
    stand-in (a NaN for floats).
    Reading it baked the stand-in into the kernel: ``norm.cdf(x, 0.5, s)`` with a traced ``s`` gave NaN."""
    return not isinstance(x, LazyArray) and getattr(x, "_node", None) is not None  # (tracer/scalars.ScalarTracer)


def strong_number(node, dtype):
    """The traced number as a 0-d value of `dtype` that promotes as SciPy's ``np.asarray(number)`` does (not as
    a weak Python scalar): a cast node over it, not folded into a constant (which would read the stand-in)."""
    return expr.make("cast", (node,), UfuncParams((node.dtype,), "numba"), (), np.dtype(dtype))


def as_operand(v):
    """SciPy's ``np.asarray(v)``: the value with its own dtype (a Python float is a float64 operand, not a weak
    scalar). A 0-d concrete value stays a NumPy value (checked here); anything else becomes a LazyArray."""
    if isinstance(v, LazyArray):
        return v
    if traced_number(v):  # a number argument of a traced function: a node per call, never its stand-in
        node = build.to_node(v)
        return LazyArray(strong_number(node, node.dtype))
    value = np.asarray(v)
    # A 0-d value as a NumPy scalar: a strong constant of its dtype (as SciPy's 0-d array promotes), which the
    # kernel takes as an argument (one kernel for every value) without making its layout "nd" as a 0-d input
    # array would (no quick tier, no flat loop: weibull_min.logsf ran 3x slower than SciPy that way).
    return value[()] if value.ndim == 0 else LazyArray(build.to_node(value))


def lazy(v):
    return v if isinstance(v, LazyArray) else LazyArray(build.to_node(v))


def both(p, q):
    """``p & q``, decided here when either side is a concrete 0-d value (no node for a known answer)."""
    for known, other in ((p, q), (q, p)):
        if not isinstance(known, LazyArray):
            return other if bool(known) else False
    return p & q


def either(p, q):
    for known, other in ((p, q), (q, p)):
        if not isinstance(known, LazyArray):
            return True if bool(known) else other
    return p | q


def negated(p):
    return ~p if isinstance(p, LazyArray) else not bool(p)


def select(cond, x, y):
    if not isinstance(cond, LazyArray):
        return x if bool(cond) else y
    return where(cond, x, y)


def finish(value, shape: tuple, dtype) -> LazyArray:
    """SciPy's output array: ``shape`` (every argument broadcast) and ``dtype``; a value placed into it is cast."""
    node = build.to_node(value)
    if node.is_const:
        return LazyArray(build.full(shape, node.data, dtype))
    if node.dtype != dtype:
        node = build.cast(node, dtype)
    if node.shape != shape:
        node = build.to_node(np.broadcast_to(LazyArray(node), shape))
    return LazyArray(node)


def broadcast_shape(*values) -> tuple:
    return np.broadcast_shapes(*(np.shape(v) if not isinstance(v, LazyArray) else v.shape for v in values))


def parsed_arguments(name: str, method: str, names: tuple, shapes: tuple, args: tuple, kwds: dict) -> dict:
    """SciPy's generated ``_parse_args``: `names` (the shapes, then loc and, for a continuous distribution,
    scale) by position or by keyword, every shape required; SciPy's TypeErrors otherwise."""
    if len(args) > len(names):
        raise TypeError(f"{name}.{method}() takes at most {len(names) + 1} positional arguments")
    values = dict(zip(names, args))
    for key, value in kwds.items():
        if key not in names or key in values:
            raise TypeError(f"{name}.{method}() got an unexpected or repeated argument {key!r}")
        values[key] = value
    missing = [n for n in shapes if n not in values]
    if missing:
        raise TypeError(f"{name}.{method}() missing required argument(s): {', '.join(missing)}")
    return values
