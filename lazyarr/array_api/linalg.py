"""``xp.linalg``: the standard's linear-algebra extension over NumPy's ``numpy.linalg`` on LazyArrays
(``la.linalg``'s stages where lazyarr has a shape rule)."""
from __future__ import annotations

import math

import numpy as np

from lazyarr.api.array import LazyArray, wrap
from lazyarr.array_api import functions
from lazyarr.array_api.adapt import as_lazy, from_numpy, lazy_result
from lazyarr.array_api.table import LINALG


def _with_tolerance(func, x, rtol):
    """pinv / matrix_rank: a number `rtol` keeps the call a lazy stage; an array `rtol` (one per matrix) is not
    a stage parameter lazyarr can key on, so the call runs now in NumPy on the computed values."""
    if isinstance(rtol, (LazyArray, np.ndarray)):
        return wrap(np.asarray(func(np.asarray(x), rtol=np.asarray(rtol))))
    return lazy_result(func(as_lazy(x), rtol=rtol))


def pinv(x, /, *, rtol=None):
    return _with_tolerance(np.linalg.pinv, x, rtol)


def matrix_rank(x, /, *, rtol=None):
    return _with_tolerance(np.linalg.matrix_rank, x, rtol)


def diagonal(x, /, *, offset=0):
    return lazy_result(np.diagonal(as_lazy(x), offset, axis1=-2, axis2=-1))


def trace(x, /, *, offset=0, dtype=None):
    return lazy_result(np.trace(as_lazy(x), offset, axis1=-2, axis2=-1, dtype=dtype))


def outer(x1, x2, /):
    x1, x2 = as_lazy(x1), as_lazy(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"lazyarr.array_api.linalg.outer: needs 1-d vectors, got shapes {x1.shape} and "
                         f"{x2.shape}")
    return lazy_result(np.outer(x1, x2))


def cross(x1, x2, /, *, axis=-1):
    return lazy_result(np.cross(as_lazy(x1), as_lazy(x2), axis=axis))


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return lazy_result(np.linalg.norm(as_lazy(x), ord=ord, axis=(-2, -1), keepdims=keepdims))


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """A fused reduction over |x| in x's real floating dtype (integers in float64, as NumPy's)."""
    x = as_lazy(x)
    magnitude = np.abs(x)
    if magnitude.dtype.kind != "f":
        magnitude = magnitude.astype(np.float64)
    reduce = {"axis": axis, "keepdims": keepdims}
    if ord == 2:
        return lazy_result(np.sqrt(np.sum(magnitude * magnitude, **reduce)))
    if ord == 1:
        return lazy_result(np.sum(magnitude, **reduce))
    if ord == math.inf:
        return lazy_result(np.max(magnitude, **reduce))
    if ord == -math.inf:
        return lazy_result(np.min(magnitude, **reduce))
    if ord == 0:
        return lazy_result(np.sum(magnitude != 0, **reduce).astype(magnitude.dtype))
    return lazy_result(np.sum(magnitude ** ord, **reduce) ** (1.0 / ord))


def _complex_for(dtype: np.dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)  # float32 -> complex64, float64 (and integers) -> complex128


def eig(x, /):
    """Revision 2025.12's eig: NumPy's (computed now: lazyarr's np.linalg.eig is eager, its dtype depends on the
    values), always complex as the standard asks (NumPy gives real results when every eigenvalue is real). The
    values are computed already, so NumPy converts them (no kernel for a cast of a leaf)."""
    x = as_lazy(x)
    result = np.linalg.eig(x)
    dt = _complex_for(x.dtype)
    return type(result)(*(wrap(np.asarray(part, dtype=dt)) for part in result))


def eigvals(x, /):
    x = as_lazy(x)
    return wrap(np.asarray(np.linalg.eigvals(x), dtype=_complex_for(x.dtype)))


globals().update({name: from_numpy(getattr(np.linalg, name), name) for name in LINALG})
# Where the main namespace already has the lazy form (fused or a stage), the extension's name is that one.
matmul, matrix_transpose, tensordot, vecdot = (functions.FUNCTIONS.get(name) or from_numpy(getattr(np, name), name)
                                                for name in ("matmul", "matrix_transpose", "tensordot", "vecdot"))

__all__ = sorted(set(LINALG) | {"pinv", "matrix_rank", "diagonal", "trace", "outer", "cross", "matrix_norm",
                                "vector_norm", "matmul", "matrix_transpose", "tensordot", "vecdot", "eig", "eigvals"})
