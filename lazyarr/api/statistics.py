"""Reductions built from the primitive ones: the ``nan*`` family, ``where=``/``initial=``, ptp, average,
count_nonzero and trace, and the helpers ``matrix_stats.py`` (norm, cov, corrcoef, trapezoid, allclose, ...) and
``scans.py`` (cumsum, cumprod, ufunc.accumulate, nancumsum, nancumprod) build on.

Each follows NumPy's own algorithm (``numpy/lib/_nanfunctions_impl.py``, ``_function_base_impl.py``) written
over lazy nodes, so dtypes, shapes and NaN rules are NumPy's, and the work is fused where NumPy's algorithm
allows:

- a mask is part of the producer: ``np.nansum(x * 2 + 1)`` reduces ``where(isnan(v), 0, v)`` with ``v = x * 2 + 1``
  inside the one reduction kernel; ``where=`` masks the same way (the reduction's identity, or ``initial``, fills
  the masked-out elements);
- what NumPy decides from values (all-NaN slices, empty means, weights summing to zero) is a ``check`` stage on
  the small reduced result: it warns or raises as NumPy does, when the value is computed.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from lazyarr.api import build, fallback, reductions
from lazyarr.api.array import LazyArray
from lazyarr.graph.expr import Node
from lazyarr.graph.ops import REDUCTIONS

_NoValue = np._NoValue


# --- helpers -----------------------------------------------------------------------------------------------

def node_of(a, what: str = "array") -> Node:
    return build.to_node(a, what)


def lazy(node: Node) -> LazyArray:
    return LazyArray(node)


def given(value) -> bool:
    return value is not None and value is not _NoValue


def finish(result, out):
    """A lazy result, or (out= naming a NumPy array) the result computed into `out`, as NumPy returns it."""
    result = result if isinstance(result, LazyArray) else lazy(result)
    if out is None:
        return result
    out = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    from lazyarr.api import assign  # (assign builds on this module's neighbours)
    return assign.write_out(result, out, "unsafe", "out=")  # NumPy's reductions and scans cast unsafely


def check_values(values: Node, bad: Node, message: str, error: str) -> Node:
    """`values`, passed through a stage that warns (``error="RuntimeWarning"``) or raises where `bad` holds."""
    return build.numpy_stage("check", (values, bad), (("error", error), ("message", message)),
                             values.shape, values.dtype)


def cast_to(node: Node, dtype) -> Node:
    return node if node.dtype == np.dtype(dtype) else build.cast(node, dtype)


def is_inexact(node: Node) -> bool:
    return node.dtype.kind in "fc" or node.dtype == np.float16


def _probe_numpy(func, node: Node, **kwargs):
    """NumPy's own answer (dtype) or error for `func` on a tiny array like `node` (its empty axes kept)."""
    probe = np.zeros(tuple(min(d, 1) for d in node.shape), dtype=node.dtype)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(func(probe, **kwargs))


# --- where= and initial= on sum/prod/max/min/any/all ---------------------------------------------------------

_FILLERS = {"sum": 0, "prod": 1, "any": False, "all": True}
_WITH_INITIAL = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}


def masked_reduce(a, name: str, axis=None, dtype=None, keepdims=False, initial=_NoValue, where=True) -> Node:
    """``np.<name>(a, axis, dtype, keepdims=..., initial=..., where=...)``: the mask is part of the producer
    (masked-out elements become the reduction's identity, or `initial` for max/min), and `initial` is folded
    into the reduced result."""
    node = node_of(a)
    red = REDUCTIONS[name]
    axes = reductions.normalize_axes(axis, node.ndim)
    has_where = not (where is True or where is _NoValue)
    mask = _mask(where, node, name) if has_where else None
    kwargs = {"axis": axes, **({"dtype": dtype} if dtype is not None else {})}
    if given(initial):
        kwargs["initial"] = initial
    if has_where:
        kwargs["where"] = True if mask is None else np.ones(probe_shape(node), bool)
    try:  # NumPy's result dtype and its errors (max with where= needs initial=, ...)
        result_dtype = _probe_numpy(red.numpy, node, **kwargs).dtype
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"lazyarr: {name}: {exc}") from None
    kept_shape = tuple(d for i, d in enumerate(node.shape) if i not in axes)
    if reductions.count(node, axes) == 0 and name in ("max", "min"):
        result = build.full(kept_shape, initial, result_dtype)
    else:
        producer = node
        if mask is not None:
            filler = initial if name in ("max", "min") else _FILLERS[name]
            producer = build.where(mask, node, typed_scalar(filler, node.dtype))
        result = reductions.reduce(producer, name, axes, False, dtype)
        if given(initial):
            result = cast_to(build.ufunc_node(_WITH_INITIAL[name], (result, typed_scalar(initial, result_dtype))),
                           result_dtype)
    result = cast_to(result, result_dtype)
    return reductions.keep_dims(result, node.shape, axes) if keepdims else result


def probe_shape(node: Node) -> tuple:
    return tuple(min(d, 1) for d in node.shape)


def _mask(where, node: Node, name: str) -> Node | None:
    """The where= mask as a boolean node of the operand's shape (None: all True)."""
    mask = node_of(where, f"{name}'s where=")
    if mask.dtype != np.bool_:
        raise TypeError(f"lazyarr: {name}: where= must be a boolean array, not {mask.dtype}")
    if build.broadcast_shapes(name, node.shape, mask.shape) != node.shape:
        raise ValueError(f"lazyarr: {name}: where= of shape {mask.shape} does not broadcast to the operand's "
                         f"shape {node.shape}")
    return mask


def typed_scalar(value, dtype: np.dtype):
    """`value` as a NumPy scalar of `dtype` (NumPy casts identity and initial to the operand's dtype)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(value).astype(dtype)[()]


def masks(name: str, given: dict) -> bool:
    """Whether ``np.<name>`` with these non-default keywords is served by `masked` (else NumPy's fallback)."""
    allowed = {"where"} if name == "mean" else {"where", "initial"} if name in REDUCTIONS and not \
        REDUCTIONS[name].arg else set()
    return bool(given) and set(given) <= allowed


def masked(name: str, a, axis=None, dtype=None, out=None, keepdims=False, *, where=True, initial=_NoValue):
    """``np.<name>(a, ..., where=..., initial=...)`` for sum/prod/max/min/any/all/mean, fused."""
    if dtype is not None and name not in ("sum", "prod", "mean"):
        raise TypeError(f"lazyarr: {name} takes no dtype")
    if name == "mean":
        return finish(masked_mean(a, axis, dtype, bool(keepdims), where), out)
    return finish(masked_reduce(a, name, axis, dtype, bool(keepdims), initial, where), out)


def masked_mean(a, axis=None, dtype=None, keepdims=False, where=True) -> Node:
    """``np.mean(a, ..., where=mask)``: NumPy's masked sum over the count of True in the mask; a slice with
    nothing selected is NaN with NumPy's "Mean of empty slice." warning."""
    node = node_of(a)
    axes = reductions.normalize_axes(axis, node.ndim)
    mask = _mask(where, node, "mean")
    sum_dtype = dtype if dtype is not None else (np.float64 if node.dtype.kind in "biu" else None)
    total = masked_reduce(node, "sum", axes, sum_dtype, False, where=mask)
    counted = build.ufunc_node(np.logical_and, (mask, np.ones(node.shape, bool)))  # mask at the operand's shape
    rcount = reductions.reduce(counted, "sum", axes, False, np.intp)
    result = cast_to(build.ufunc_node(np.divide, (total, rcount)), total.dtype)
    if dtype is None and node.dtype == np.float16:
        result = cast_to(result, np.float16)
    result = check_values(result, build.ufunc_node(np.equal, (rcount, 0)), "Mean of empty slice.", "RuntimeWarning")
    return reductions.keep_dims(result, node.shape, axes) if keepdims else result


def warn_empty(name: str, a, axis, ddof) -> None:
    """NumPy's build-time warnings of mean/var/std whose slices have no elements (or no degrees of freedom)."""
    node = node_of(a)
    n = reductions.count(node, reductions.normalize_axes(axis, node.ndim))
    if name == "mean" and n == 0 and node.size == 0:
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=4)
    elif name in ("var", "std") and n - ddof <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=4)


# --- nan* reductions ----------------------------------------------------------------------------------------

def replace_nan(node: Node, value) -> Node:
    """NumPy's ``_replace_nan``: the operand with NaN replaced by `value` (fused into whatever reads it)."""
    return build.where(build.ufunc_node(np.isnan, (node,)), typed_scalar(value, node.dtype), node)


def not_nan(node: Node) -> Node:
    return build.ufunc_node(np.logical_not, (build.ufunc_node(np.isnan, (node,)),))


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    node = node_of(a)
    producer = replace_nan(node, 0) if is_inexact(node) else node
    return finish(masked_reduce(producer, "sum", axis, dtype, keepdims, initial, where), out)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    node = node_of(a)
    producer = replace_nan(node, 1) if is_inexact(node) else node
    return finish(masked_reduce(producer, "prod", axis, dtype, keepdims, initial, where), out)


def _nan_extreme(name: str, a, axis, out, keepdims, initial, where):
    """nanmin/nanmax: NumPy's fmin/fmax reduction (the op table's nanmin/nanmax: NaN skipped, a slice that had
    no number stays NaN), with NumPy's warning for such a slice."""
    node = node_of(a)
    func = np.nanmin if name == "min" else np.nanmax
    if node.dtype.kind == "c":  # complex ordering with NaN: NumPy's own
        return fallback.call_function(func, (a,), _kw(axis=axis, out=out, keepdims=keepdims, initial=initial,
                                                         where=where))
    if not is_inexact(node):
        return finish(masked_reduce(node, name, axis, None, keepdims, initial, where), out)
    axes = reductions.normalize_axes(axis, node.ndim)
    has_where = not (where is True or where is _NoValue)
    if reductions.count(node, axes) == 0 or (has_where and not given(initial)):
        # NumPy's error (no identity), or its initial for an empty slice
        result = masked_reduce(node, name, axes, None, False, initial, where)
        return finish(reductions.keep_dims(result, node.shape, axes) if keepdims else result, out)
    # surface/gathers: one fmax/fmin-style pass (the op table's nanmax/nanmin reduction starts from NaN, which
    # the first number replaces); where= masks an element out by making it NaN
    producer = node
    if has_where:
        producer = build.where(_mask(where, node, f"nan{name}"), node, typed_scalar(np.nan, node.dtype))
    result = reductions.reduce(producer, f"nan{name}", axes)
    if given(initial):
        result = cast_to(build.ufunc_node(np.fmin if name == "min" else np.fmax,
                                        (result, typed_scalar(initial, node.dtype))), node.dtype)
    result = check_values(result, build.ufunc_node(np.isnan, (result,)), "All-NaN slice encountered", "RuntimeWarning")
    return finish(reductions.keep_dims(result, node.shape, axes) if keepdims else result, out)


def _kw(**kwargs) -> dict:
    """The keyword arguments the caller gave (NumPy's defaults left out)."""
    return {k: v for k, v in kwargs.items() if v is not _NoValue and v is not None and
            not (k == "keepdims" and v is False)}


def nanmin(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    return _nan_extreme("min", a, axis, out, keepdims, initial, where)


def nanmax(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    return _nan_extreme("max", a, axis, out, keepdims, initial, where)


def _nan_arg(name: str, a, axis, out, keepdims):
    """nanargmin/nanargmax: the arg-reduction over NaN replaced by +-inf; an all-NaN slice raises NumPy's
    ValueError when computed."""
    node = node_of(a)
    func = np.nanargmin if name == "argmin" else np.nanargmax
    if node.dtype.kind == "c":
        return fallback.call_function(func, (a,), _kw(axis=axis, out=out, keepdims=keepdims))
    if not is_inexact(node):
        return finish(reductions.reduce(node, name, axis, bool(keepdims)), out)
    result = reductions.reduce(replace_nan(node, np.inf if name == "argmin" else -np.inf), name, axis)
    if node.size:
        axes = reductions.normalize_axes(axis, node.ndim)
        all_nan = reductions.reduce(build.ufunc_node(np.isnan, (node,)), "all", axes)
        if axis is None:
            all_nan = build.unary("copy", all_nan) if all_nan.shape == result.shape else all_nan
        result = check_values(result, all_nan, "All-NaN slice encountered", "ValueError")
    if keepdims:
        axes = tuple(range(node.ndim)) if axis is None else reductions.normalize_axes(axis, node.ndim)
        result = reductions.keep_dims(result, node.shape, axes)
    return finish(result, out)


def nanargmin(a, axis=None, out=None, *, keepdims=False):
    return _nan_arg("argmin", a, axis, out, keepdims)


def nanargmax(a, axis=None, out=None, *, keepdims=False):
    return _nan_arg("argmax", a, axis, out, keepdims)


def _divide_by_count(total: Node, count: Node) -> Node:
    """NumPy's ``_divide_by_count``: true division that keeps the total's dtype."""
    return cast_to(build.ufunc_node(np.divide, (total, count)), total.dtype)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NoValue):
    node = node_of(a)
    if not is_inexact(node):
        return np.mean(lazy(node), axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                       **_kw(where=where))
    axes = reductions.normalize_axes(axis, node.ndim)
    present = not_nan(node)
    count = masked_reduce(present, "sum", axes, np.intp, False, where=where)
    total = masked_reduce(replace_nan(node, 0), "sum", axes, dtype, False, where=where)
    result = check_values(_divide_by_count(total, count), build.ufunc_node(np.equal, (count, 0)),
                    "Mean of empty slice", "RuntimeWarning")
    return finish(reductions.keep_dims(result, node.shape, axes) if keepdims else result, out)


def _nan_variance(a, axis, dtype, ddof, keepdims, where) -> Node:
    """NumPy's ``_nanvar``: the two-pass variance over the numbers of each slice; a slice with no degrees of
    freedom is NaN, with NumPy's warning."""
    node = node_of(a)
    axes = reductions.normalize_axes(axis, node.ndim)
    filled = replace_nan(node, 0)
    count = masked_reduce(not_nan(node), "sum", axes, np.intp, True, where=where)
    mean = _divide_by_count(masked_reduce(filled, "sum", axes, dtype, True, where=where), count)
    deviation = cast_to(build.ufunc_node(np.subtract, (filled, mean)), filled.dtype)
    deviation = build.where(build.ufunc_node(np.isnan, (node,)), typed_scalar(0, node.dtype), deviation)
    if node.dtype.kind == "c":
        squared = build.unary("real", build.ufunc_node(np.multiply, (deviation, build.ufunc_node(
            np.conjugate, (deviation,)))))
    else:
        squared = build.ufunc_node(np.multiply, (deviation, deviation))
    total = masked_reduce(squared, "sum", axes, dtype, keepdims, where=where)
    dof = build.ufunc_node(np.subtract, (count if keepdims else reductions.reduce(
        not_nan(node) if where is _NoValue or where is True else
        build.ufunc_node(np.logical_and, (not_nan(node), _mask(where, node, "nanvar"))), "sum", axes, False,
        np.intp), ddof))
    bad = build.ufunc_node(np.less_equal, (dof, 0))
    variance = build.where(bad, typed_scalar(np.nan, total.dtype), _divide_by_count(total, dof))
    return check_values(variance, bad, "Degrees of freedom <= 0 for slice.", "RuntimeWarning")


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue, mean=_NoValue,
           correction=_NoValue):
    node = node_of(a)
    if given(mean) or given(correction) or not is_inexact(node):
        return _numpy_var(np.nanvar, a, axis, dtype, out, ddof, keepdims, where, mean, correction)
    return finish(_nan_variance(node, axis, dtype, ddof, keepdims, where), out)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue, mean=_NoValue,
           correction=_NoValue):
    node = node_of(a)
    if given(mean) or given(correction) or not is_inexact(node):
        return _numpy_var(np.nanstd, a, axis, dtype, out, ddof, keepdims, where, mean, correction)
    return finish(build.ufunc_node(np.sqrt, (_nan_variance(node, axis, dtype, ddof, keepdims, where),)), out)


def _numpy_var(func, a, axis, dtype, out, ddof, keepdims, where, mean, correction):
    """Integer input (NumPy's var/std themselves), or mean=/correction= (NumPy, through the fallback)."""
    if given(mean) or given(correction) or given(where) and where is not True:
        return fallback.call_function(func, (a,), _kw(axis=axis, dtype=dtype, out=out, ddof=ddof or None,
                                                         keepdims=keepdims, where=where, mean=mean,
                                                         correction=correction))
    plain = np.var if func is np.nanvar else np.std
    return plain(lazy(node_of(a)), axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)


# --- ptp, count_nonzero, trace, average -----------------------------------------------------------------------

def ptp(a, axis=None, out=None, keepdims=False):
    """np.ptp: max - min, two reductions of the same producer (NumPy's own two passes)."""
    node = node_of(a)
    high = reductions.reduce(node, "max", axis, bool(keepdims))
    low = reductions.reduce(node, "min", axis, bool(keepdims))
    return finish(build.ufunc_node(np.subtract, (high, low), opname="ptp"), out)


def count_nonzero(a, axis=None, *, keepdims=False):
    node = node_of(a)
    truth = node if node.dtype == np.bool_ else build.ufunc_node(np.not_equal, (node, 0))
    return lazy(reductions.reduce(truth, "sum", axis, bool(keepdims), np.intp))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum of a diagonal: the diagonal is a view pushed down to the leaves, so ``np.trace(a @ b + c)``
    reads ``c``'s diagonal only."""
    from lazyarr.api.views import diagonal
    node = node_of(a)
    if node.ndim < 2:
        raise ValueError("lazyarr: trace: diag requires an array of at least two dimensions")
    diag = diagonal(lazy(node), offset, axis1, axis2)
    return finish(reductions.reduce(diag._node, "sum", -1, False, dtype), out)


def average(a, axis=None, weights=None, returned=False, *, keepdims=_NoValue):
    node = node_of(a)
    axes = None if axis is None else np.lib.array_utils.normalize_axis_tuple(axis, node.ndim, argname="axis")
    keep = keepdims is not _NoValue and bool(keepdims)
    if weights is None:
        avg = lazy(reductions.mean(node, axes, keepdims=keep))
        scale = avg.dtype.type(node.size / math.prod(avg.shape))  # (ZeroDivisionError for no slices, as NumPy)
        return (avg, _returned_scale(scale, avg)) if returned else avg
    weight = node_of(weights, "average's weights")
    if node.dtype.kind in "biu":
        result_dtype = np.result_type(node.dtype, weight.dtype, "f8")
    else:
        result_dtype = np.result_type(node.dtype, weight.dtype)
    if node.shape != weight.shape:
        if axes is None:
            raise TypeError("lazyarr: average: Axis must be specified when shapes of a and weights differ.")
        if weight.shape != tuple(node.shape[ax] for ax in axes):
            raise ValueError("lazyarr: average: Shape of weights must be consistent with shape of a along "
                             "specified axis.")
        moved = np.transpose(lazy(weight), tuple(np.argsort(axes)))
        weight = np.reshape(moved, tuple(s if ax in axes else 1 for ax, s in enumerate(node.shape)))._node
    scale = reductions.reduce(weight, "sum", axes, keep, result_dtype)
    scale = check_values(scale, build.ufunc_node(np.equal, (scale, 0.0)), "Weights sum to zero, can't be normalized",
                   "ZeroDivisionError")
    weighted = build.ufunc_node(np.multiply, (node, weight), dtype=result_dtype)
    avg = lazy(build.ufunc_node(np.divide, (reductions.reduce(weighted, "sum", axes, keep), scale)))
    return (avg, _returned_scale(lazy(scale), avg)) if returned else avg


def _returned_scale(scale, avg: LazyArray):
    if np.shape(scale) != avg.shape:
        node = node_of(scale)
        return lazy(build.unary("copy", build.ufunc_node(np.add, (node, np.zeros(avg.shape, node.dtype)))))
    return scale


# np.<name> -> builder: served by __array_function__ (numpy_api) and as la.<name>
FUNCTIONS = {f.__name__: f for f in (
    nansum, nanprod, nanmin, nanmax, nanargmin, nanargmax, nanmean, nanvar, nanstd, ptp, count_nonzero, trace,
    average)}
