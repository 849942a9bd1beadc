"""Reductions built from the primitive ones: the ``nan*`` family, ``where=``/``initial=``, ptp, average,
count_nonzero, trace, linalg.norm, trapezoid, cov, corrcoef, allclose/array_equal/array_equiv, and the cumulative
functions (cumsum, cumprod, ufunc.accumulate, nancumsum, nancumprod).

Each follows NumPy's own algorithm (``numpy/lib/_nanfunctions_impl.py``, ``_function_base_impl.py``,
``linalg/_linalg.py``) written over lazy nodes, so dtypes, shapes and NaN rules are NumPy's, and the work is
fused where NumPy's algorithm allows:

- a mask is part of the producer: ``np.nansum(x * 2 + 1)`` reduces ``where(isnan(v), 0, v)`` with ``v = x * 2 + 1``
  inside the one reduction kernel; ``where=`` masks the same way (the reduction's identity, or ``initial``, fills
  the masked-out elements);
- what NumPy decides from values (all-NaN slices, empty means, weights summing to zero) is a ``check`` stage on
  the small reduced result: it warns or raises as NumPy does, when the value is computed;
- what needs a whole matrix (cov's product, the SVD of norm 2/-2/'nuc') is a NumPy/BLAS stage between fused
  kernels;
- allclose, array_equal and array_equiv return a Python bool, as NumPy does, so they compute at that point.
"""
from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from lazyarr.api import build, fallback, reductions, tracing
from lazyarr.api.array import LazyArray, shaped
from lazyarr.graph import expr
from lazyarr.graph.expr import Node
from lazyarr.graph.ops import REDUCTIONS, SCANS, ScanParams, UfuncParams

_NoValue = np._NoValue


# --- helpers -----------------------------------------------------------------------------------------------

def _node(a, what: str = "array") -> Node:
    return build.to_node(a, what)


def _lazy(node: Node) -> LazyArray:
    return LazyArray(node)


def _given(value) -> bool:
    return value is not None and value is not _NoValue


def _finish(result, out):
    """A lazy result, or (out= naming a NumPy array) the result computed into `out`, as NumPy returns it."""
    result = result if isinstance(result, LazyArray) else _lazy(result)
    if out is None:
        return result
    out = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    result.compute(out=out)
    return out


def _check(values: Node, bad: Node, message: str, error: str) -> Node:
    """`values`, passed through a stage that warns (``error="RuntimeWarning"``) or raises where `bad` holds."""
    return build.numpy_stage("check", (values, bad), (("error", error), ("message", message)),
                             values.shape, values.dtype)


def _cast(node: Node, dtype) -> Node:
    return node if node.dtype == np.dtype(dtype) else build.cast(node, dtype)


def _is_inexact(node: Node) -> bool:
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
    node = _node(a)
    red = REDUCTIONS[name]
    axes = reductions.normalize_axes(axis, node.ndim)
    has_where = not (where is True or where is _NoValue)
    mask = _mask(where, node, name) if has_where else None
    kwargs = {"axis": axes, **({"dtype": dtype} if dtype is not None else {})}
    if _given(initial):
        kwargs["initial"] = initial
    if has_where:
        kwargs["where"] = True if mask is None else np.ones(_probe_shape(node), bool)
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
            producer = build.where(mask, node, _typed_scalar(filler, node.dtype))
        result = reductions.reduce(producer, name, axes, False, dtype)
        if _given(initial):
            result = _cast(build.ufunc_node(_WITH_INITIAL[name], (result, _typed_scalar(initial, result_dtype))),
                           result_dtype)
    result = _cast(result, result_dtype)
    return reductions.keep_dims(result, node.shape, axes) if keepdims else result


def _probe_shape(node: Node) -> tuple:
    return tuple(min(d, 1) for d in node.shape)


def _mask(where, node: Node, name: str) -> Node | None:
    """The where= mask as a boolean node of the operand's shape (None: all True)."""
    mask = _node(where, f"{name}'s where=")
    if mask.dtype != np.bool_:
        raise TypeError(f"lazyarr: {name}: where= must be a boolean array, not {mask.dtype}")
    if build.broadcast_shapes(name, node.shape, mask.shape) != node.shape:
        raise ValueError(f"lazyarr: {name}: where= of shape {mask.shape} does not broadcast to the operand's "
                         f"shape {node.shape}")
    return mask


def _typed_scalar(value, dtype: np.dtype):
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
        return _finish(masked_mean(a, axis, dtype, bool(keepdims), where), out)
    return _finish(masked_reduce(a, name, axis, dtype, bool(keepdims), initial, where), out)


def masked_mean(a, axis=None, dtype=None, keepdims=False, where=True) -> Node:
    """``np.mean(a, ..., where=mask)``: NumPy's masked sum over the count of True in the mask; a slice with
    nothing selected is NaN with NumPy's "Mean of empty slice." warning."""
    node = _node(a)
    axes = reductions.normalize_axes(axis, node.ndim)
    mask = _mask(where, node, "mean")
    sum_dtype = dtype if dtype is not None else (np.float64 if node.dtype.kind in "biu" else None)
    total = masked_reduce(node, "sum", axes, sum_dtype, False, where=mask)
    counted = build.ufunc_node(np.logical_and, (mask, np.ones(node.shape, bool)))  # mask at the operand's shape
    rcount = reductions.reduce(counted, "sum", axes, False, np.intp)
    result = _cast(build.ufunc_node(np.divide, (total, rcount)), total.dtype)
    if dtype is None and node.dtype == np.float16:
        result = _cast(result, np.float16)
    result = _check(result, build.ufunc_node(np.equal, (rcount, 0)), "Mean of empty slice.", "RuntimeWarning")
    return reductions.keep_dims(result, node.shape, axes) if keepdims else result


def warn_empty(name: str, a, axis, ddof) -> None:
    """NumPy's build-time warnings of mean/var/std whose slices have no elements (or no degrees of freedom)."""
    node = _node(a)
    n = reductions.count(node, reductions.normalize_axes(axis, node.ndim))
    if name == "mean" and n == 0 and node.size == 0:
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=4)
    elif name in ("var", "std") and n - ddof <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=4)


# --- nan* reductions ----------------------------------------------------------------------------------------

def _no_nan(node: Node, value) -> Node:
    """NumPy's ``_replace_nan``: the operand with NaN replaced by `value` (fused into whatever reads it)."""
    return build.where(build.ufunc_node(np.isnan, (node,)), _typed_scalar(value, node.dtype), node)


def _not_nan(node: Node) -> Node:
    return build.ufunc_node(np.logical_not, (build.ufunc_node(np.isnan, (node,)),))


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    node = _node(a)
    producer = _no_nan(node, 0) if _is_inexact(node) else node
    return _finish(masked_reduce(producer, "sum", axis, dtype, keepdims, initial, where), out)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    node = _node(a)
    producer = _no_nan(node, 1) if _is_inexact(node) else node
    return _finish(masked_reduce(producer, "prod", axis, dtype, keepdims, initial, where), out)


def _nan_extreme(name: str, a, axis, out, keepdims, initial, where):
    """nanmin/nanmax: NumPy's fmin/fmax reduction, as a min/max over NaN replaced by the far end (+-inf), a
    slice that had no number is NaN again, with NumPy's warning."""
    node = _node(a)
    func = np.nanmin if name == "min" else np.nanmax
    if node.dtype.kind == "c":  # complex ordering with NaN: NumPy's own
        return fallback.call_function(func, (a,), _kw(axis=axis, out=out, keepdims=keepdims, initial=initial,
                                                         where=where))
    if not _is_inexact(node):
        return _finish(masked_reduce(node, name, axis, None, keepdims, initial, where), out)
    axes = reductions.normalize_axes(axis, node.ndim)
    has_where = not (where is True or where is _NoValue)
    if reductions.count(node, axes) == 0 or (has_where and not _given(initial)):
        # NumPy's error (no identity), or its initial for an empty slice
        result = masked_reduce(node, name, axes, None, False, initial, where)
        return _finish(reductions.keep_dims(result, node.shape, axes) if keepdims else result, out)
    present = _not_nan(node)
    if has_where:
        present = build.ufunc_node(np.logical_and, (present, _mask(where, node, f"nan{name}")))
    far = np.inf if name == "min" else -np.inf
    producer = build.where(present, node, _typed_scalar(far, node.dtype))
    extreme = reductions.reduce(producer, name, axes)
    result = build.where(reductions.reduce(present, "any", axes), extreme, _typed_scalar(np.nan, node.dtype))
    if _given(initial):
        result = _cast(build.ufunc_node(np.fmin if name == "min" else np.fmax,
                                        (result, _typed_scalar(initial, node.dtype))), node.dtype)
    result = _check(result, build.ufunc_node(np.isnan, (result,)), "All-NaN slice encountered", "RuntimeWarning")
    return _finish(reductions.keep_dims(result, node.shape, axes) if keepdims else result, out)


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
    node = _node(a)
    func = np.nanargmin if name == "argmin" else np.nanargmax
    if node.dtype.kind == "c":
        return fallback.call_function(func, (a,), _kw(axis=axis, out=out, keepdims=keepdims))
    if not _is_inexact(node):
        return _finish(reductions.reduce(node, name, axis, bool(keepdims)), out)
    result = reductions.reduce(_no_nan(node, np.inf if name == "argmin" else -np.inf), name, axis)
    if node.size:
        axes = reductions.normalize_axes(axis, node.ndim)
        all_nan = reductions.reduce(build.ufunc_node(np.isnan, (node,)), "all", axes)
        if axis is None:
            all_nan = build.unary("copy", all_nan) if all_nan.shape == result.shape else all_nan
        result = _check(result, all_nan, "All-NaN slice encountered", "ValueError")
    if keepdims:
        axes = tuple(range(node.ndim)) if axis is None else reductions.normalize_axes(axis, node.ndim)
        result = reductions.keep_dims(result, node.shape, axes)
    return _finish(result, out)


def nanargmin(a, axis=None, out=None, *, keepdims=False):
    return _nan_arg("argmin", a, axis, out, keepdims)


def nanargmax(a, axis=None, out=None, *, keepdims=False):
    return _nan_arg("argmax", a, axis, out, keepdims)


def _divide_by_count(total: Node, count: Node) -> Node:
    """NumPy's ``_divide_by_count``: true division that keeps the total's dtype."""
    return _cast(build.ufunc_node(np.divide, (total, count)), total.dtype)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NoValue):
    node = _node(a)
    if not _is_inexact(node):
        return np.mean(_lazy(node), axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                       **_kw(where=where))
    axes = reductions.normalize_axes(axis, node.ndim)
    present = _not_nan(node)
    count = masked_reduce(present, "sum", axes, np.intp, False, where=where)
    total = masked_reduce(_no_nan(node, 0), "sum", axes, dtype, False, where=where)
    result = _check(_divide_by_count(total, count), build.ufunc_node(np.equal, (count, 0)),
                    "Mean of empty slice", "RuntimeWarning")
    return _finish(reductions.keep_dims(result, node.shape, axes) if keepdims else result, out)


def _nan_variance(a, axis, dtype, ddof, keepdims, where) -> Node:
    """NumPy's ``_nanvar``: the two-pass variance over the numbers of each slice; a slice with no degrees of
    freedom is NaN, with NumPy's warning."""
    node = _node(a)
    axes = reductions.normalize_axes(axis, node.ndim)
    filled = _no_nan(node, 0)
    count = masked_reduce(_not_nan(node), "sum", axes, np.intp, True, where=where)
    mean = _divide_by_count(masked_reduce(filled, "sum", axes, dtype, True, where=where), count)
    deviation = _cast(build.ufunc_node(np.subtract, (filled, mean)), filled.dtype)
    deviation = build.where(build.ufunc_node(np.isnan, (node,)), _typed_scalar(0, node.dtype), deviation)
    if node.dtype.kind == "c":
        squared = build.unary("real", build.ufunc_node(np.multiply, (deviation, build.ufunc_node(
            np.conjugate, (deviation,)))))
    else:
        squared = build.ufunc_node(np.multiply, (deviation, deviation))
    total = masked_reduce(squared, "sum", axes, dtype, keepdims, where=where)
    dof = build.ufunc_node(np.subtract, (count if keepdims else reductions.reduce(
        _not_nan(node) if where is _NoValue or where is True else
        build.ufunc_node(np.logical_and, (_not_nan(node), _mask(where, node, "nanvar"))), "sum", axes, False,
        np.intp), ddof))
    bad = build.ufunc_node(np.less_equal, (dof, 0))
    variance = build.where(bad, _typed_scalar(np.nan, total.dtype), _divide_by_count(total, dof))
    return _check(variance, bad, "Degrees of freedom <= 0 for slice.", "RuntimeWarning")


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue, mean=_NoValue,
           correction=_NoValue):
    node = _node(a)
    if _given(mean) or _given(correction) or not _is_inexact(node):
        return _numpy_var(np.nanvar, a, axis, dtype, out, ddof, keepdims, where, mean, correction)
    return _finish(_nan_variance(node, axis, dtype, ddof, keepdims, where), out)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue, mean=_NoValue,
           correction=_NoValue):
    node = _node(a)
    if _given(mean) or _given(correction) or not _is_inexact(node):
        return _numpy_var(np.nanstd, a, axis, dtype, out, ddof, keepdims, where, mean, correction)
    return _finish(build.ufunc_node(np.sqrt, (_nan_variance(node, axis, dtype, ddof, keepdims, where),)), out)


def _numpy_var(func, a, axis, dtype, out, ddof, keepdims, where, mean, correction):
    """Integer input (NumPy's var/std themselves), or mean=/correction= (NumPy, through the fallback)."""
    if _given(mean) or _given(correction) or _given(where) and where is not True:
        return fallback.call_function(func, (a,), _kw(axis=axis, dtype=dtype, out=out, ddof=ddof or None,
                                                         keepdims=keepdims, where=where, mean=mean,
                                                         correction=correction))
    plain = np.var if func is np.nanvar else np.std
    return plain(_lazy(_node(a)), axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)


# --- ptp, count_nonzero, trace, average -----------------------------------------------------------------------

def ptp(a, axis=None, out=None, keepdims=False):
    """np.ptp: max - min, two reductions of the same producer (NumPy's own two passes)."""
    node = _node(a)
    high = reductions.reduce(node, "max", axis, bool(keepdims))
    low = reductions.reduce(node, "min", axis, bool(keepdims))
    return _finish(build.ufunc_node(np.subtract, (high, low), opname="ptp"), out)


def count_nonzero(a, axis=None, *, keepdims=False):
    node = _node(a)
    truth = node if node.dtype == np.bool_ else build.ufunc_node(np.not_equal, (node, 0))
    return _lazy(reductions.reduce(truth, "sum", axis, bool(keepdims), np.intp))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum of a diagonal: the diagonal is a view pushed down to the leaves, so ``np.trace(a @ b + c)``
    reads ``c``'s diagonal only."""
    from lazyarr.api.views import diagonal
    node = _node(a)
    if node.ndim < 2:
        raise ValueError("lazyarr: trace: diag requires an array of at least two dimensions")
    diag = diagonal(_lazy(node), offset, axis1, axis2)
    return _finish(reductions.reduce(diag._node, "sum", -1, False, dtype), out)


def average(a, axis=None, weights=None, returned=False, *, keepdims=_NoValue):
    node = _node(a)
    axes = None if axis is None else np.lib.array_utils.normalize_axis_tuple(axis, node.ndim, argname="axis")
    keep = keepdims is not _NoValue and bool(keepdims)
    if weights is None:
        avg = _lazy(reductions.mean(node, axes, keepdims=keep))
        scale = avg.dtype.type(node.size / math.prod(avg.shape))  # (ZeroDivisionError for no slices, as NumPy)
        return (avg, _returned_scale(scale, avg)) if returned else avg
    weight = _node(weights, "average's weights")
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
        moved = np.transpose(_lazy(weight), tuple(np.argsort(axes)))
        weight = np.reshape(moved, tuple(s if ax in axes else 1 for ax, s in enumerate(node.shape)))._node
    scale = reductions.reduce(weight, "sum", axes, keep, result_dtype)
    scale = _check(scale, build.ufunc_node(np.equal, (scale, 0.0)), "Weights sum to zero, can't be normalized",
                   "ZeroDivisionError")
    weighted = build.ufunc_node(np.multiply, (node, weight), dtype=result_dtype)
    avg = _lazy(build.ufunc_node(np.divide, (reductions.reduce(weighted, "sum", axes, keep), scale)))
    return (avg, _returned_scale(_lazy(scale), avg)) if returned else avg


def _returned_scale(scale, avg: LazyArray):
    if np.shape(scale) != avg.shape:
        node = _node(scale)
        return _lazy(build.unary("copy", build.ufunc_node(np.add, (node, np.zeros(avg.shape, node.dtype)))))
    return scale


# --- linalg.norm --------------------------------------------------------------------------------------------

def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms and the Frobenius norm as fused reductions; the matrix 2/-2/'nuc' norms
    need singular values, so NumPy computes them as a stage."""
    node = _node(x)
    if node.dtype.kind not in "fc" and node.dtype != np.float16:
        node = build.cast(node, np.float64)
    v = _lazy(node)
    if axis is None:
        if ord is None or (ord in ("f", "fro") and node.ndim == 2) or (ord == 2 and node.ndim == 1):
            result = np.sqrt(_squared_sum(node, tuple(range(node.ndim))))
            return np.reshape(result, (1,) * node.ndim) if keepdims else result
        axis = tuple(range(node.ndim))
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError:
            raise TypeError("lazyarr: norm: 'axis' must be None, an integer or a tuple of integers") from None
    if len(axis) == 1:
        return _vector_norm(v, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(v, ord, axis, keepdims)
    raise ValueError("lazyarr: norm: Improper number of dimensions to norm.")


def _squared_sum(node: Node, axes, keepdims: bool = False) -> LazyArray:
    """sum((x.conj() * x).real) over `axes` (NumPy's 2-norm and Frobenius norm)."""
    if node.dtype.kind == "c":
        square = build.unary("real", build.ufunc_node(np.multiply, (build.ufunc_node(np.conjugate, (node,)), node)))
    else:
        square = build.ufunc_node(np.multiply, (node, node))
    return _lazy(reductions.reduce(square, "sum", axes, keepdims))


def _vector_norm(v: LazyArray, ord, axis: tuple, keepdims: bool):
    if ord == np.inf:
        return _lazy(masked_reduce(abs(v), "max", axis, keepdims=keepdims, initial=0))
    if ord == -np.inf:
        return abs(v).min(axis=axis, keepdims=keepdims)
    if ord == 0:
        return (v != 0).astype(np.real(np.empty(0, v.dtype)).dtype).sum(axis=axis, keepdims=keepdims)
    if ord == 1:
        return abs(v).sum(axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return np.sqrt(_squared_sum(v._node, axis, keepdims))
    if isinstance(ord, str):
        raise ValueError(f"lazyarr: norm: Invalid norm order '{ord}' for vectors")
    powered = abs(v) ** ord
    total = powered.sum(axis=axis, keepdims=keepdims)
    return _lazy(_cast((total ** np.reciprocal(ord, dtype=total.dtype))._node, total.dtype))


def _matrix_norm(v: LazyArray, ord, axis: tuple, keepdims: bool):
    nd = v.ndim
    row, col = (np.lib.array_utils.normalize_axis_index(a, nd) for a in axis)
    if row == col:
        raise ValueError("lazyarr: norm: Duplicate axes given.")
    if ord in (2, -2, "nuc"):
        shape = np.linalg.norm(np.zeros(tuple(min(d, 2) or 0 for d in v.shape), v.dtype), ord, axis, keepdims).shape
        shape = tuple(1 if keepdims and i in (row, col) else d for i, d in enumerate(v.shape)
                      if keepdims or i not in (row, col))
        real = np.real(np.empty(0, v.dtype)).dtype
        return _lazy(build.numpy_stage("norm", (v._node,), (("axis", (row, col)), ("keepdims", bool(keepdims)),
                                                            ("ord", ord)), shape, real))
    if ord == 1 or ord == -1:
        summed = abs(v).sum(axis=row)
        c = col - 1 if col > row else col
        ret = _lazy(masked_reduce(summed, "max", c, initial=0)) if ord == 1 else summed.min(axis=c)
    elif ord == np.inf or ord == -np.inf:
        summed = abs(v).sum(axis=col)
        r = row - 1 if row > col else row
        ret = _lazy(masked_reduce(summed, "max", r, initial=0)) if ord == np.inf else summed.min(axis=r)
    elif ord in (None, "fro", "f"):
        ret = np.sqrt(_squared_sum(v._node, (row, col)))
    else:
        raise ValueError("lazyarr: norm: Invalid norm order for matrices.")
    if keepdims:
        ret = np.reshape(ret, tuple(1 if i in (row, col) else d for i, d in enumerate(v.shape)))
    return ret


# --- comparisons that return a Python bool --------------------------------------------------------------------

def _truth(value: LazyArray, what: str) -> bool:
    tracing.refuse_concrete(value, what)
    return bool(value.compute())


def allclose(a, b, rtol=1.e-5, atol=1.e-8, equal_nan=False) -> bool:
    from lazyarr.api.elementwise import isclose
    return _truth(np.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)), "allclose()")


def array_equal(a1, a2, equal_nan=False) -> bool:
    x, y = _node(a1), _node(a2)
    if x.shape != y.shape:
        return False
    same = build.ufunc_node(np.equal, (x, y))
    if equal_nan and (_is_inexact(x) or _is_inexact(y)):
        both_nan = build.ufunc_node(np.logical_and, tuple(build.ufunc_node(np.isnan, (n,)) for n in (x, y)))
        same = build.ufunc_node(np.logical_or, (same, both_nan))
    return _truth(_lazy(reductions.reduce(same, "all")), "array_equal()")


def array_equiv(a1, a2) -> bool:
    x, y = _node(a1), _node(a2)
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        return False
    return _truth(_lazy(reductions.reduce(build.ufunc_node(np.equal, (x, y)), "all")), "array_equiv()")


# --- trapezoid, cov, corrcoef -----------------------------------------------------------------------------------

def trapezoid(y, x=None, dx=1.0, axis=-1):
    """NumPy's trapezoid rule, ``(d * (y[1:] + y[:-1]) / 2).sum(axis)``: slices are views, so the whole rule is
    one reduction kernel."""
    values = _lazy(_node(y))
    nd = values.ndim
    axis = np.lib.array_utils.normalize_axis_index(axis, nd)
    if x is None:
        d = dx
    else:
        grid = _lazy(_node(x))
        if grid.ndim == 1:
            d = np.diff(grid)
            d = np.reshape(d, tuple(d.shape[0] if i == axis else 1 for i in range(nd)))
        else:
            d = np.diff(grid, axis=axis)
    upper = tuple(slice(1, None) if i == axis else slice(None) for i in range(nd))
    lower = tuple(slice(None, -1) if i == axis else slice(None) for i in range(nd))
    return (d * (values[upper] + values[lower]) / 2.0).sum(axis)


def _weights(fweights, aweights, columns: int):
    """cov's frequency and analytic weights, checked as NumPy checks them (they are small: computed now)."""
    w = None
    if fweights is not None:
        f = np.asarray(fweights, dtype=float)
        if not np.all(f == np.around(f)):
            raise TypeError("lazyarr: cov: fweights must be integer")
        if f.ndim > 1:
            raise RuntimeError("lazyarr: cov: cannot handle multidimensional fweights")
        if f.shape[0] != columns:
            raise RuntimeError("lazyarr: cov: incompatible numbers of samples and fweights")
        if np.any(f < 0):
            raise ValueError("lazyarr: cov: fweights cannot be negative")
        w = f
    a = None
    if aweights is not None:
        a = np.asarray(aweights, dtype=float)
        if a.ndim > 1:
            raise RuntimeError("lazyarr: cov: cannot handle multidimensional aweights")
        if a.shape[0] != columns:
            raise RuntimeError("lazyarr: cov: incompatible numbers of samples and aweights")
        if np.any(a < 0):
            raise ValueError("lazyarr: cov: aweights cannot be negative")
        w = a if w is None else w * a
    return w, a


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """NumPy's covariance: rows centred by fused reductions, then one BLAS product (a stage)."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("lazyarr: cov: ddof must be integer")
    data = _node(m)
    if data.ndim > 2:
        raise ValueError("lazyarr: cov: m has more than 2 dimensions")
    extra = None if y is None else _node(y)
    if extra is not None and extra.ndim > 2:
        raise ValueError("lazyarr: cov: y has more than 2 dimensions")
    if dtype is None:
        dtype = np.result_type(data.dtype, np.float64) if extra is None else \
            np.result_type(data.dtype, extra.dtype, np.float64)
    X = _rows(data, dtype, rowvar)
    if X.shape[0] == 0:
        return _lazy(build.full((0, 0), 0, np.float64))  # NumPy's np.array([]).reshape(0, 0)
    if extra is not None:
        X = np.concatenate((X, _rows(extra, dtype, rowvar)), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w, a = _weights(fweights, aweights, X.shape[1])
    if w is None:
        avg = np.mean(X, axis=1)
        fact = X.shape[1] - ddof
    else:
        avg, w_sum = average(X, axis=1, weights=w, returned=True)
        w_sum = float(np.sum(w))
        fact = w_sum if ddof == 0 else w_sum - ddof if a is None else w_sum - ddof * np.sum(w * a) / w_sum
    if fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
        fact = 0.0
    centred = X - avg[:, None]
    weighted_t = (centred if w is None else centred * w).T
    product = np.dot(centred, np.conj(weighted_t))
    with np.errstate(divide="ignore"):
        scale = np.true_divide(1, fact)
    return np.squeeze(_lazy(_cast(build.ufunc_node(np.multiply, (product._node, scale)), product.dtype)))


def _rows(node: Node, dtype, rowvar: bool) -> LazyArray:
    """``np.array(m, ndmin=2, dtype=dtype)``, transposed to one variable per row."""
    X = _lazy(_cast(node, dtype))
    if X.ndim < 2:
        X = np.reshape(X, (1,) * (2 - X.ndim) + X.shape)
    if not rowvar and X.shape[0] != 1:
        X = X.T
    return X


def corrcoef(x, y=None, rowvar=True, bias=_NoValue, ddof=_NoValue, *, dtype=None):
    if bias is not _NoValue or ddof is not _NoValue:
        warnings.warn("bias and ddof have no effect and are deprecated", DeprecationWarning, stacklevel=3)
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:  # one variable: NumPy divides the 0-d covariance by itself
        return c / c
    d = np.diagonal(c)
    stddev = np.sqrt(np.real(d))
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    if c.dtype.kind == "c":  # NumPy clips the real and the imaginary part each
        re, im = (np.clip(part, -1, 1)._node for part in (np.real(c), np.imag(c)))
        return _lazy(expr.make("complex", (re, im), UfuncParams((re.dtype, re.dtype), "numba"), c.shape, c.dtype))
    return np.clip(c, -1, 1)


# --- cumulative functions -----------------------------------------------------------------------------------------

def scan(ufunc, a, axis, dtype=None, what: str | None = None) -> Node:
    """The node of ``ufunc.accumulate(a, axis, dtype)`` (axis None: over the flattened array, as cumsum): a
    scan kernel with the elementwise producer fused into it, or NumPy's accumulate for dtypes it has no loop
    for (complex, float16, logical ops of non-boolean results)."""
    what = what or f"{ufunc.__name__}.accumulate"
    node = _node(a)
    if ufunc.nin != 2 or ufunc.nout != 1:
        raise ValueError(f"lazyarr: {what}: accumulate only supported for binary functions")
    if axis is None:
        from lazyarr.api.reshaping import ravel
        node, axis = ravel(node), 0
    if node.ndim == 0:
        raise TypeError(f"lazyarr: {what}: cannot accumulate on a scalar")
    axis = np.lib.array_utils.normalize_axis_index(axis, node.ndim)
    try:
        result_dtype = ufunc.accumulate(np.zeros(_probe_shape(node), node.dtype), axis=axis, dtype=dtype).dtype
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"lazyarr: {what}: {exc}") from None
    entry = SCANS.get(ufunc.__name__)
    compiled = entry is not None and entry.ufunc is ufunc and entry.template(result_dtype) is not None
    loop_dtype = result_dtype
    if not compiled:  # NumPy's own accumulate (of the operand as it is, with the dtype asked for)
        loop_dtype = node.dtype
    producer = _cast(node, loop_dtype)
    params = ScanParams(ufunc.__name__, (axis,), "numba" if compiled else "numpy")
    return expr.make("scan", (producer,), params, producer.shape, result_dtype)


def accumulate(ufunc, a, axis=0, dtype=None, out=None):
    """``ufunc.accumulate(a, axis, dtype, out)`` (add, multiply, maximum, minimum, logical ops, ...)."""
    return _finish(scan(ufunc, a, axis, dtype), out)


def cumsum(a, axis=None, dtype=None, out=None):
    return _finish(scan(np.add, a, axis, dtype, "cumsum"), out)


def cumprod(a, axis=None, dtype=None, out=None):
    return _finish(scan(np.multiply, a, axis, dtype, "cumprod"), out)


def _nan_cumulative(func, fill, a, axis, dtype, out):
    """nancumsum/nancumprod: the scan of NaN replaced by the identity, the replacement fused into the scan."""
    node = _node(a)
    return func(_no_nan(node, fill) if _is_inexact(node) else node, axis, dtype, out)


def nancumsum(a, axis=None, dtype=None, out=None):
    return _nan_cumulative(cumsum, 0, a, axis, dtype, out)


def nancumprod(a, axis=None, dtype=None, out=None):
    return _nan_cumulative(cumprod, 1, a, axis, dtype, out)


def _linalg_norm(x, ord=None, axis=None, keepdims=False):
    return norm(x, ord, axis, keepdims)


_linalg_norm.__name__ = "norm"

# np.<name> -> builder: served by __array_function__ (numpy_api) and as la.<name>
FUNCTIONS = {f.__name__: f for f in (
    nansum, nanprod, nanmin, nanmax, nanargmin, nanargmax, nanmean, nanvar, nanstd, ptp, count_nonzero, trace,
    average, allclose, array_equal, array_equiv, trapezoid, cov, corrcoef, cumsum, cumprod, nancumsum,
    nancumprod)}
HANDLERS = {getattr(np, name): f for name, f in FUNCTIONS.items()}
HANDLERS[np.linalg.norm] = _linalg_norm
