"""Norms, covariance, integration and whole-array comparisons over lazy arrays: np.linalg.norm, cov, corrcoef,
trapezoid, allclose, array_equal, array_equiv (part of the reductions built in ``statistics.py``).

- vector norms (ord None/1/2/inf/-inf/0/p) and the Frobenius norm are fused reductions; the matrix 1/inf norms
  are two reductions; 2, -2 and 'nuc' need singular values, so NumPy computes them as a stage;
- cov centres its rows with fused reductions, then one BLAS product (``np.dot``, a stage); corrcoef divides by
  the diagonal of that product, fused;
- trapezoid is views and one reduction kernel;
- allclose, array_equal and array_equiv return a Python bool, as NumPy does, so they compute at that point.
"""
from __future__ import annotations

import operator
import warnings

import numpy as np

from lazyarr.api import build, reductions, tracing
from lazyarr.api.array import LazyArray
from lazyarr.api.statistics import average, cast_to, is_inexact, lazy, masked_reduce, node_of
from lazyarr.graph import expr
from lazyarr.graph.expr import Node
from lazyarr.graph.ops import UfuncParams

_NoValue = np._NoValue


# --- linalg.norm --------------------------------------------------------------------------------------------

def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms and the Frobenius norm as fused reductions; the matrix 2/-2/'nuc' norms
    need singular values, so NumPy computes them as a stage."""
    node = node_of(x)
    if node.dtype.kind not in "fc" and node.dtype != np.float16:
        node = build.cast(node, np.float64)
    v = lazy(node)
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
    return lazy(reductions.reduce(square, "sum", axes, keepdims))


def _vector_norm(v: LazyArray, ord, axis: tuple, keepdims: bool):
    if ord == np.inf:
        return lazy(masked_reduce(abs(v), "max", axis, keepdims=keepdims, initial=0))
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
    return lazy(cast_to((total ** np.reciprocal(ord, dtype=total.dtype))._node, total.dtype))


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
        return lazy(build.numpy_stage("norm", (v._node,), (("axis", (row, col)), ("keepdims", bool(keepdims)),
                                                            ("ord", ord)), shape, real))
    if ord == 1 or ord == -1:
        summed = abs(v).sum(axis=row)
        c = col - 1 if col > row else col
        ret = lazy(masked_reduce(summed, "max", c, initial=0)) if ord == 1 else summed.min(axis=c)
    elif ord == np.inf or ord == -np.inf:
        summed = abs(v).sum(axis=col)
        r = row - 1 if row > col else row
        ret = lazy(masked_reduce(summed, "max", r, initial=0)) if ord == np.inf else summed.min(axis=r)
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
    x, y = node_of(a1), node_of(a2)
    if x.shape != y.shape:
        return False
    same = build.ufunc_node(np.equal, (x, y))
    if equal_nan and (is_inexact(x) or is_inexact(y)):
        both_nan = build.ufunc_node(np.logical_and, tuple(build.ufunc_node(np.isnan, (n,)) for n in (x, y)))
        same = build.ufunc_node(np.logical_or, (same, both_nan))
    return _truth(lazy(reductions.reduce(same, "all")), "array_equal()")


def array_equiv(a1, a2) -> bool:
    x, y = node_of(a1), node_of(a2)
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        return False
    return _truth(lazy(reductions.reduce(build.ufunc_node(np.equal, (x, y)), "all")), "array_equiv()")


# --- trapezoid, cov, corrcoef -----------------------------------------------------------------------------------

def trapezoid(y, x=None, dx=1.0, axis=-1):
    """NumPy's trapezoid rule, ``(d * (y[1:] + y[:-1]) / 2).sum(axis)``: slices are views, so the whole rule is
    one reduction kernel."""
    values = lazy(node_of(y))
    nd = values.ndim
    axis = np.lib.array_utils.normalize_axis_index(axis, nd)
    if x is None:
        d = dx
    else:
        grid = lazy(node_of(x))
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
    data = node_of(m)
    if data.ndim > 2:
        raise ValueError("lazyarr: cov: m has more than 2 dimensions")
    extra = None if y is None else node_of(y)
    if extra is not None and extra.ndim > 2:
        raise ValueError("lazyarr: cov: y has more than 2 dimensions")
    if dtype is None:
        dtype = np.result_type(data.dtype, np.float64) if extra is None else \
            np.result_type(data.dtype, extra.dtype, np.float64)
    X = _rows(data, dtype, rowvar)
    if X.shape[0] == 0:
        return lazy(build.full((0, 0), 0, np.float64))  # NumPy's np.array([]).reshape(0, 0)
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
    return np.squeeze(lazy(cast_to(build.ufunc_node(np.multiply, (product._node, scale)), product.dtype)))


def _rows(node: Node, dtype, rowvar: bool) -> LazyArray:
    """``np.array(m, ndmin=2, dtype=dtype)``, transposed to one variable per row."""
    X = lazy(cast_to(node, dtype))
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
        return lazy(expr.make("complex", (re, im), UfuncParams((re.dtype, re.dtype), "numba"), c.shape, c.dtype))
    return np.clip(c, -1, 1)


def linalg_norm(x, ord=None, axis=None, keepdims=False):
    """``np.linalg.norm``."""
    return norm(x, ord, axis, keepdims)


# np.<name> -> builder: served by __array_function__ (numpy_api) and as la.<name>
FUNCTIONS = {f.__name__: f for f in (allclose, array_equal, array_equiv, trapezoid, cov, corrcoef)}
