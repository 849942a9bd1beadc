"""Scans: cumsum, cumprod, ufunc.accumulate (add, multiply, maximum, minimum, logical ops), nancumsum and
nancumprod, as ``scan`` nodes.

A scan node's elementwise producer is fused into the scan kernel (``compiler/source_scan.py``): the kernel
computes ``np.sin(x)`` and adds it up in one pass, parallel over the axes that are not scanned, each line in
NumPy's order in the result dtype (bit-equal). Dtypes the kernel has no loop for (complex, float16, logical
ops with non-boolean results, ufuncs other than the table's) are NumPy's accumulate, as a stage.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api.statistics import cast_to, finish, is_inexact, node_of, probe_shape, replace_nan
from lazyarr.graph import expr
from lazyarr.graph.expr import Node
from lazyarr.graph.ops import SCANS, ScanParams


# --- cumulative functions -----------------------------------------------------------------------------------------

def scan(ufunc, a, axis, dtype=None, what: str | None = None) -> Node:
    """The node of ``ufunc.accumulate(a, axis, dtype)`` (axis None: over the flattened array, as cumsum): a
    scan kernel with the elementwise producer fused into it, or NumPy's accumulate for dtypes it has no loop
    for (complex, float16, logical ops of non-boolean results)."""
    what = what or f"{ufunc.__name__}.accumulate"
    node = node_of(a)
    if ufunc.nin != 2 or ufunc.nout != 1:
        raise ValueError(f"lazyarr: {what}: accumulate only supported for binary functions")
    if axis is None:
        from lazyarr.api.reshaping import ravel
        node, axis = ravel(node), 0
    if node.ndim == 0:
        raise TypeError(f"lazyarr: {what}: cannot accumulate on a scalar")
    axis = np.lib.array_utils.normalize_axis_index(axis, node.ndim)
    try:
        result_dtype = ufunc.accumulate(np.zeros(probe_shape(node), node.dtype), axis=axis, dtype=dtype).dtype
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"lazyarr: {what}: {exc}") from None
    entry = SCANS.get(ufunc.__name__)
    compiled = entry is not None and entry.ufunc is ufunc and entry.template(result_dtype) is not None
    loop_dtype = result_dtype
    if not compiled:  # NumPy's own accumulate (of the operand as it is, with the dtype asked for)
        loop_dtype = node.dtype
    producer = cast_to(node, loop_dtype)
    params = ScanParams(ufunc.__name__, (axis,), "numba" if compiled else "numpy")
    return expr.make("scan", (producer,), params, producer.shape, result_dtype)


def accumulate(ufunc, a, axis=0, dtype=None, out=None):
    """``ufunc.accumulate(a, axis, dtype, out)`` (add, multiply, maximum, minimum, logical ops, ...)."""
    return finish(scan(ufunc, a, axis, dtype), out)


def cumsum(a, axis=None, dtype=None, out=None):
    return finish(scan(np.add, a, axis, dtype, "cumsum"), out)


def cumprod(a, axis=None, dtype=None, out=None):
    return finish(scan(np.multiply, a, axis, dtype, "cumprod"), out)


def _nan_cumulative(func, fill, a, axis, dtype, out):
    """nancumsum/nancumprod: the scan of NaN replaced by the identity, the replacement fused into the scan."""
    node = node_of(a)
    return func(replace_nan(node, fill) if is_inexact(node) else node, axis, dtype, out)


def nancumsum(a, axis=None, dtype=None, out=None):
    return _nan_cumulative(cumsum, 0, a, axis, dtype, out)


def nancumprod(a, axis=None, dtype=None, out=None):
    return _nan_cumulative(cumprod, 1, a, axis, dtype, out)


FUNCTIONS = {f.__name__: f for f in (cumsum, cumprod, nancumsum, nancumprod)}
