"""Reduction nodes: sum prod min max any all argmin argmax, and mean/var/std composed from them.

A reduction node reduces its one operand over a sorted tuple of axes and has the reduced shape without
keepdims; keepdims is a reshape view of that result, so ``x.mean(0)`` and ``x.mean(0, keepdims=True)`` share one
reduction. Result dtypes and empty-input errors come from NumPy itself, called on a probe array with the same
dtype and the same zero-length axes.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from lazyarr.api import build
from lazyarr.api import gemv_pair  # (#15 logreg4)
from lazyarr.graph import dtypes
from lazyarr.graph import expr
from lazyarr.graph.expr import Node
from lazyarr.graph.ops import REDUCTIONS, ReductionParams


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    """NumPy's axis argument (None, int, negative, tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        a = operator.index(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(out))


def _probe(node: Node) -> np.ndarray:
    """A tiny array with the node's dtype and rank whose empty axes are the node's empty axes."""
    return np.zeros(tuple(min(d, 1) for d in node.shape), dtype=node.dtype)


# (#14 bgfirst3) np.sum, np.prod, np.max and np.min call their ufunc's reduce on an ndarray (``_wrapreduction``):
# the probe asks it directly, the same call, without the wrappers' first execution in a process (~0.07-0.1 ms
# per function the first time, ~3 us later)
_BY_UFUNC_REDUCE = frozenset({"sum", "prod", "max", "min"})


# (s14 lazyover) NumPy's answers kept by what the probe call sees (the reduction, the probe's dtype and shape, the
# axis, the dtype argument): a lazy loop's every product and mean asked NumPy again (~3-5 us each). Errors (an
# empty input without identity) are raised by NumPy each time, never kept.
_RESULT_DTYPES: dict[tuple, np.dtype] = {}
_RESULT_DTYPES_MAX = 4096


def _result_dtype(red, node: Node, probe_axis, kwargs: dict) -> np.dtype:
    """The dtype NumPy's reduction gives for `node`'s dtype (raising NumPy's error for empty input)."""
    key = (red.name, node.dtype, tuple(min(d, 1) for d in node.shape), probe_axis, kwargs.get("dtype"))
    if _discards_imaginary(node, kwargs.get("dtype")):
        key = None  # (s16 sweepd) NumPy's ComplexWarning is given by the probe at every call, never memoised
    try:
        known = _RESULT_DTYPES.get(key)
    except TypeError:  # an unhashable dtype argument: NumPy is asked (and says what it makes of it)
        known, key = None, None
    if known is not None:
        return known
    dtype = _numpy_result_dtype(red, node, probe_axis, kwargs)
    if key is not None and len(_RESULT_DTYPES) < _RESULT_DTYPES_MAX:
        _RESULT_DTYPES[key] = dtype
    return dtype


def _discards_imaginary(node: Node, dtype) -> bool:
    """Whether NumPy warns (ComplexWarning) for this reduction: a complex operand reduced in a real dtype.
    Such answers are not memoised, so that the probe that asks NumPy warns at every call, as NumPy does (the
    memos made the warning a once-per-process one: tools/sweeps/sweep_dask.py found it)."""
    if dtype is None or node.dtype.kind != "c":
        return False
    try:
        return np.dtype(dtype).kind != "c"
    except TypeError:
        return False


def _numpy_result_dtype(red, node: Node, probe_axis, kwargs: dict) -> np.dtype:
    probe = _probe(node)
    if red.name in _BY_UFUNC_REDUCE:
        return np.asarray(red.ufunc.reduce(probe, axis=probe_axis, **kwargs)).dtype
    return np.asarray(red.numpy(probe, axis=probe_axis, **kwargs)).dtype


def reduce(x, name: str, axis=None, keepdims: bool = False, dtype=None) -> Node:
    """The node for a primitive reduction ``np.<name>(x, axis=..., dtype=..., keepdims=...)``."""
    node = build.to_node(x)
    key = (name, axis, dtype, type(dtype), node.dtype, node.shape) if plain_axis(axis) else None  # (s15 build)
    if key is not None and _discards_imaginary(node, dtype):
        key = None  # (s16 sweepd) the probe warns (ComplexWarning) as NumPy does, at every call
    try:
        known = _PLAIN.get(key) if key is not None else None
    except TypeError:  # an unhashable dtype argument: decided every time
        known, key = None, None
    if known is None:
        known = _plain(node, name, axis, dtype)
        if key is not None:
            if len(_PLAIN) >= _PLAIN_MAX:
                _PLAIN.clear()
            _PLAIN[key] = known
    axes, result_dtype, kept_shape, params = known
    if not axes:  # a 0-d input, or axis=(): NumPy returns the (cast) values themselves
        result = _reduce_nothing(node, name, result_dtype)
    elif name == "sum" and axes == (0,) and dtype is None and (pair := gemv_pair.column_pair(node)) is not None:
        result = pair  # (#15 logreg4) (A * h(A @ v)[:, None]).sum(0): A.T @ h(A @ v) in one pass over A
    else:
        result = expr.make("reduce", (node,), params, kept_shape, result_dtype)
    return keep_dims(result, node.shape, axes) if keepdims else result


# (s15 build) What a reduction's node is, decided once per (reduction, axis argument, dtype argument, operand
# dtype, operand shape): a lazy loop's every product and mean normalised its axes, asked the result dtype and
# made its params again. Only answers are kept (an error, such as an empty max's, is raised again every time:
# nothing is stored when ``_plain`` raises); tests/test_build_fast_paths.py compares kept and fresh answers.
_PLAIN: dict[tuple, tuple] = {}
_PLAIN_MAX = 4096


def plain_axis(axis) -> bool:
    """An axis argument the memo may key on: None, a Python int or a tuple of them (``1.0 == 1`` and
    ``(0, 1.0) == (0, 1)``, but NumPy refuses a float axis: such arguments are decided every time)."""
    if axis is None or type(axis) is int:
        return True
    return type(axis) is tuple and all(type(a) is int for a in axis)


def _plain(node: Node, name: str, axis, dtype) -> tuple:
    """(axes, result dtype, kept shape, node params) of ``np.<name>(node, axis=axis, dtype=dtype)``, with
    NumPy's errors."""
    red = REDUCTIONS[name]
    is_arg = red.arg
    if is_arg and isinstance(axis, (tuple, list)):
        raise TypeError(f"lazyarr: {name}: axis must be None or an integer, not a tuple")
    axes = normalize_axes(axis, node.ndim)
    kwargs = {"dtype": dtype} if dtype is not None else {}
    probe_axis = (axes[0] if axes else None) if is_arg and axis is not None else (None if is_arg else axes)
    # NumPy's result dtype, and NumPy's own error for empty input to a reduction without identity.
    result_dtype = _result_dtype(red, node, probe_axis, kwargs)
    dtypes.check_supported(result_dtype, f"{name}'s result")
    kept_shape = tuple(d for i, d in enumerate(node.shape) if i not in axes)
    engine = "numpy" if node.dtype.kind in red.numpy_for_kinds else "numba"
    param_axis = axes if not is_arg or axis is not None else None
    return axes, result_dtype, kept_shape, ReductionParams(name, axes, param_axis, engine)


def _reduce_nothing(node: Node, name: str, result_dtype: np.dtype) -> Node:
    if REDUCTIONS[name].arg:
        return build.full(node.shape, 0, result_dtype)
    if name in ("any", "all"):
        return build.ufunc_node(np.not_equal, (node, 0)) if node.dtype != np.bool_ else node
    return build.cast(node, result_dtype) if node.dtype != result_dtype else build.unary("copy", node)


def keep_dims(node: Node, in_shape: tuple, axes: tuple) -> Node:
    """The reduced result with its reduced axes kept as length 1 (a view, evaluated by NumPy)."""
    shape = tuple(1 if i in axes else d for i, d in enumerate(in_shape))
    return build.numpy_stage("reshape", (node,), (("shape", shape),), shape, node.dtype)


def count(node: Node, axes: tuple) -> int:
    return math.prod(node.shape[a] for a in axes)


def mean(x, axis=None, dtype=None, keepdims: bool = False) -> Node:
    """NumPy's mean: a sum (in float64 for integers, float32 for float16) divided by the count."""
    node = build.to_node(x)
    axes = normalize_axes(axis, node.ndim)
    sum_dtype, result_dtype = dtype, None
    if dtype is None:
        if node.dtype.kind in "biu":
            sum_dtype = np.dtype(np.float64)
        elif node.dtype == dtypes.HALF:
            sum_dtype, result_dtype = np.dtype(np.float32), dtypes.HALF
    total = reduce(node, "sum", axes, keepdims, sum_dtype)
    result = build.ufunc_node(np.divide, (total, count(node, axes)))
    if result.dtype != total.dtype:  # NumPy divides in place ('unsafe'): the sum's dtype is kept
        result = build.cast(result, total.dtype)
    return build.cast(result, result_dtype) if result_dtype is not None else result


def var(x, axis=None, dtype=None, ddof=0, keepdims: bool = False) -> Node:
    """NumPy's two-pass variance: mean with keepdims, then the mean of squared deviations."""
    node = build.to_node(x)
    axes = normalize_axes(axis, node.ndim)
    work_dtype = dtype if dtype is not None else (np.dtype(np.float64) if node.dtype.kind in "biu" else None)
    centre = mean(node, axes, work_dtype, keepdims=True)
    deviation = build.ufunc_node(np.subtract, (node, centre))
    if deviation.dtype.kind == "c":
        squared = build.unary("real", build.ufunc_node(np.multiply, (deviation, build.ufunc_node(
            np.conjugate, (deviation,)))))
    else:
        squared = build.ufunc_node(np.multiply, (deviation, deviation))
    total = reduce(squared, "sum", axes, keepdims, work_dtype if work_dtype is None or
                   np.dtype(work_dtype).kind != "c" else None)
    denominator = max(count(node, axes) - ddof, 0)
    result = build.ufunc_node(np.divide, (total, denominator))
    return build.cast(result, total.dtype) if result.dtype != total.dtype else result


def std(x, axis=None, dtype=None, ddof=0, keepdims: bool = False) -> Node:
    return build.ufunc_node(np.sqrt, (var(x, axis, dtype, ddof, keepdims),))
