"""The standard's functions whose signature or semantics differ from NumPy's function of the same name.

Each is a few lines over lazyarr's NumPy surface, so it stays lazy (fused or staged) the way the NumPy call is.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api.array import LazyArray
from lazyarr.array_api.adapt import as_lazy, check_device, lazy_result


def astype(x, dtype, /, *, copy=True, device=None):
    check_device(device, "astype")
    return as_lazy(x).astype(dtype, copy=copy)


def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    return lazy_result(np.std(as_lazy(x), axis=axis, correction=correction, keepdims=keepdims))


def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    return lazy_result(np.var(as_lazy(x), axis=axis, correction=correction, keepdims=keepdims))


def _cumulative(scan, identity: int, name: str):
    """cumulative_sum / cumulative_prod: NumPy's cumsum/cumprod (fused scans), with the standard's
    `include_initial` as the identity joined in front along the axis."""
    def function(x, /, *, axis=None, dtype=None, include_initial=False):
        x = as_lazy(x)
        if axis is None:
            if x.ndim != 1:
                raise ValueError(f"lazyarr.array_api.{name}: axis is required for a {x.ndim}-d array")
            axis = 0
        result = lazy_result(scan(x, axis=axis, dtype=dtype))
        if not include_initial:
            return result
        shape = list(result.shape)
        shape[axis % x.ndim] = 1
        initial = np.full(tuple(shape), identity, dtype=result.dtype)
        return lazy_result(np.concatenate([as_lazy(initial), result], axis=axis))

    function.__name__ = name
    return function


cumulative_sum = _cumulative(np.cumsum, 0, "cumulative_sum")
cumulative_prod = _cumulative(np.cumprod, 1, "cumulative_prod")


def sort(x, /, *, axis=-1, descending=False, stable=True):
    x = as_lazy(x)
    ascending = lazy_result(np.sort(x, axis=axis, kind="stable" if stable else None))
    return lazy_result(np.flip(ascending, axis=axis)) if descending else ascending


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    """A stable descending order keeps equal elements in their original order, so it is not the ascending
    order reversed: sort the reversed array stably, reverse that, and map positions back."""
    x = as_lazy(x)
    kind = "stable" if stable else None
    if not descending:
        return lazy_result(np.argsort(x, axis=axis, kind=kind))
    n = x.shape[axis] if x.ndim else 1
    reversed_order = np.argsort(np.flip(x, axis=axis), axis=axis, kind=kind)
    return lazy_result((n - 1) - np.flip(reversed_order, axis=axis))


def unique_values(x, /):
    """Sorted, as unique_all's values are (NumPy 2.3's unique_values may hash: any order), NaNs distinct as the
    standard asks; computed at the call (a data-dependent shape)."""
    return lazy_result(np.unique(as_lazy(x), equal_nan=False))


def repeat(x, repeats, /, *, axis=None):
    """A LazyArray of counts gives a data-dependent shape: it is computed at the call, as unique's input is."""
    counts = np.asarray(repeats) if isinstance(repeats, LazyArray) else repeats
    return lazy_result(np.repeat(as_lazy(x), counts, axis=axis))


def broadcast_arrays(*arrays):
    """A list, as the standard has it (NumPy 2 gives a tuple)."""
    return list(lazy_result(np.broadcast_arrays(*as_lazy(arrays))))


def meshgrid(*arrays, indexing="xy"):
    return list(lazy_result(np.meshgrid(*as_lazy(arrays), indexing=indexing)))


def permute_dims(x, /, axes):
    return as_lazy(x).transpose(tuple(axes))


def reshape(x, /, shape, *, copy=None):
    """A LazyArray owns no memory, so a reshape is always a view of its expression: ``copy=False`` never fails
    (NumPy's fails only for layouts a LazyArray does not have), ``copy=True`` adds a copy node."""
    return as_lazy(x).reshape(tuple(shape), copy=copy)


def squeeze(x, /, axis):
    return lazy_result(np.squeeze(as_lazy(x), axis=axis))


def expand_dims(x, /, axis=0):
    return lazy_result(np.expand_dims(as_lazy(x), axis))


def unstack(x, /, *, axis=0):
    x = as_lazy(x)
    if x.ndim == 0:
        raise ValueError("lazyarr.array_api.unstack: the input must have at least one dimension")
    return tuple(np.moveaxis(x, axis, 0))


def clip(x, /, min=None, max=None):
    """The standard's clip: a bound may be None, and the result keeps x's dtype."""
    x = as_lazy(x)
    if min is None and max is None:
        return x
    return lazy_result(np.clip(x, as_lazy(min), as_lazy(max)).astype(x.dtype, copy=False))


def diff(x, /, *, axis=-1, n=1, prepend=None, append=None):
    ends = {key: as_lazy(value) for key, value in (("prepend", prepend), ("append", append))
            if value is not None}
    return lazy_result(np.diff(as_lazy(x), n=n, axis=axis, **ends))


def matrix_transpose(x, /):
    x = as_lazy(x)
    if x.ndim < 2:
        raise ValueError(f"lazyarr.array_api.matrix_transpose: needs at least 2 dimensions, got {x.ndim}")
    return lazy_result(np.swapaxes(x, -1, -2))


def vecdot(x1, x2, /, *, axis=-1):
    """The conjugated dot product along `axis` as a fused multiply-and-sum (NumPy's vecdot is a gufunc lazyarr
    would otherwise run eagerly), in the operands' promoted dtype as vecdot keeps it (sum would widen int32)."""
    x1, x2 = as_lazy(x1), as_lazy(x2)
    for x in (x1, x2):
        if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
            raise ValueError(f"lazyarr.array_api.vecdot: axis {axis} is out of range for shape {x.shape}")
    if x1.shape[axis] != x2.shape[axis]:
        raise ValueError(f"lazyarr.array_api.vecdot: the vectors along axis {axis} differ in size: shapes "
                         f"{x1.shape} and {x2.shape}")
    dtype = np.result_type(x1.dtype, x2.dtype)
    first = np.conj(x1) if dtype.kind == "c" else x1
    if x1.ndim != x2.ndim:  # count the axis in the broadcast shape, as NumPy does
        axis = axis - max(x1.ndim, x2.ndim) if axis >= 0 else axis
    return lazy_result(np.sum(first * x2, axis=axis, dtype=dtype))


def tensordot(x1, x2, /, *, axes=2):
    return lazy_result(np.tensordot(as_lazy(x1), as_lazy(x2), axes=axes))


def isin(x1, x2, /, *, invert=False):
    """Revision 2025.12's isin: np.isin's lazy stage (api/membership.py); either operand may be a Python
    scalar, not both (a scalar x1 gives a 0-d result)."""
    if not any(isinstance(x, (LazyArray, np.ndarray, np.generic)) for x in (x1, x2)):
        raise TypeError("lazyarr.array_api.isin: at least one of x1 and x2 must be an array")
    return lazy_result(np.isin(as_lazy(x1), as_lazy(x2), invert=invert))


FUNCTIONS = {f.__name__: f for f in (astype, std, var, cumulative_sum, cumulative_prod, sort, argsort, unique_values,
                                     repeat, broadcast_arrays, meshgrid,
                                     permute_dims, reshape, squeeze, expand_dims, unstack, clip, diff,
                                     matrix_transpose, vecdot, tensordot, isin)}
