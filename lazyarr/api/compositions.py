"""(s15) NumPy functions NumPy defines as a short composition of others, lazily.

Most such functions need no rule: their Python implementation, run on the LazyArrays themselves, builds
lazyarr's nodes (``fallback.numpy_code_on_lazy``). These are the ones whose implementation first converts its
argument (``asanyarray``, a C function), so that run stops at once; each is the composition NumPy's own code
makes after the conversion, with NumPy's checks and messages, over lazyarr's rules for the parts.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from lazyarr.api import build
from lazyarr.api.array import LazyArray, shaped


def _lazy(x) -> LazyArray:
    return x if isinstance(x, LazyArray) else shaped(build.to_node(x))


def _in_order(a, dtype, order: str) -> LazyArray:
    """np.ascontiguousarray / np.asfortranarray: at least 1-d, cast to `dtype`, computed in `order`; an
    input already so laid out is itself (NumPy returns it without a copy)."""
    x = _lazy(a)
    if dtype is not None:
        x = x.astype(dtype, copy=False)
    if x.ndim == 0:
        x = x.reshape(1)
    node = x._node
    if node.op == "leaf" and node.data.flags["C_CONTIGUOUS" if order == "C" else "F_CONTIGUOUS"]:
        return x
    return x.copy(order=order)


# np.ascontiguousarray / np.asfortranarray are C functions that convert their argument (a LazyArray computes, as
# np.asarray does); they reach these rules only through ``like=a_lazy_array``, which asks for a lazy result.
def ascontiguousarray(a, dtype=None, *, like=None):
    return _in_order(a, dtype, "C")


def asfortranarray(a, dtype=None, *, like=None):
    return _in_order(a, dtype, "F")


def astype(x, dtype, /, *, copy=True, device=None):
    if device is not None and device != "cpu":
        raise ValueError(f'Device not understood. Only "cpu" is allowed, but received: {device}')
    return _lazy(x).astype(dtype, copy=copy)


def iscomplex(x):
    """The imaginary part's test for a complex array; for any other, NumPy's all-False answer (a function of the
    shape alone: a NumPy array, or its scalar for 0-d, as NumPy returns)."""
    x = _lazy(x)
    if issubclass(x.dtype.type, np.complexfloating):
        return x.imag != 0
    return np.zeros(x.shape, bool)[()]


def matrix_transpose(x, /):
    x = _lazy(x)
    if x.ndim < 2:
        raise ValueError(f"Input array must be at least 2-dimensional, but it is {x.ndim}")
    return np.swapaxes(x, -1, -2)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """np.linalg.vector_norm: np.linalg.norm of the array flattened, or of the axes moved to the front and merged,
    as NumPy's own code does (so a matrix is never taken for a matrix norm)."""
    x = _lazy(x)
    shape = list(x.shape)
    if axis is None:
        x, along = x.ravel(), 0
    elif isinstance(axis, tuple):
        normalized = normalize_axis_tuple(axis, x.ndim)
        rest = tuple(i for i in range(x.ndim) if i not in normalized)
        x = np.transpose(x, axis + rest).reshape(
            (int(np.prod([x.shape[i] for i in axis], dtype=int)), *[x.shape[i] for i in rest]))
        along = 0
    else:
        along = axis
    result = np.linalg.norm(x, axis=along, ord=ord)
    if keepdims:
        for i in normalize_axis_tuple(range(len(shape)) if axis is None else axis, len(shape)):
            shape[i] = 1
        result = result.reshape(tuple(shape))
    return result


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return np.linalg.norm(_lazy(x), axis=(-2, -1), keepdims=keepdims, ord=ord)


def outer(x1, x2, /):
    x1, x2 = _lazy(x1), _lazy(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are x1.ndim={x1.ndim} and "
                         f"x2.ndim={x2.ndim}.")
    return np.outer(x1, x2)


def ediff1d(ary, to_end=None, to_begin=None):
    """The default case (no ends) as NumPy's fast track computes it; with ends, NumPy's own function."""
    if to_end is not None or to_begin is not None:
        from lazyarr.api import fallback
        return fallback.eager(np.ediff1d, (ary,), {"to_end": to_end, "to_begin": to_begin})
    x = _lazy(ary).ravel()
    return x[1:] - x[:-1]


HANDLERS = {
    np.ascontiguousarray: ascontiguousarray, np.asfortranarray: asfortranarray, np.astype: astype,
    np.iscomplex: iscomplex, np.matrix_transpose: matrix_transpose, np.linalg.matrix_transpose: matrix_transpose,
    np.linalg.vector_norm: vector_norm, np.linalg.matrix_norm: matrix_norm, np.linalg.outer: outer,
    np.ediff1d: ediff1d,
}
