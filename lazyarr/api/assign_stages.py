"""Writes into LazyArrays that are whole NumPy stages: ``np.fill_diagonal`` and ``np.put_along_axis``.

Like the writes of api/assign.py, each is a functional update: the LazyArray is rebound to a node whose value
is the target with the write done (NumPy writes into a copy of the target, after the kernel that computes the
operands), so an argument of a ``@lazyarr.fuse`` function written this way is written back into the caller's
array. NumPy's errors for the arguments are raised here, when the write is recorded, and the values are cast as
NumPy's assignment casts them (``unsafe``, with its errors for NaN or out-of-range Python numbers).

Both are registered in ``assign.WRITING_FUNCTIONS``, which ``LazyArray.__array_function__`` consults first.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from lazyarr.api import assign, build, tracing
from lazyarr.graph import expr


def fill_diagonal(a, val, wrap=False) -> None:
    """``np.fill_diagonal(a, val, wrap)``: the values cycled along the main diagonal (all of a's axes equal
    beyond 2-D; ``wrap`` continues a tall matrix's diagonal after every ``ncols + 1`` rows, as NumPy)."""
    if a.ndim < 2:
        raise ValueError("lazyarr: np.fill_diagonal: array must be at least 2-d")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise ValueError(f"lazyarr: np.fill_diagonal: all dimensions of input must be of equal length, got "
                         f"shape {a.shape}")
    values = assign.value_node(val, a.dtype, "np.fill_diagonal")
    if a.size == 0:
        return
    node = build.numpy_stage("fill_diagonal", (a._node, values), (("wrap", bool(wrap)),), a.shape, a.dtype)
    assign.rebind(a, node, "np.fill_diagonal")


def put_along_axis(arr, indices, values, axis) -> None:
    """``np.put_along_axis(arr, indices, values, axis)``: indices of arr's number of axes (a NumPy or lazy
    integer array), values broadcast to the positions they select; NumPy's answer for repeated indices (the
    last wins) and for ``axis=None`` (NumPy 2 writes into a flattened copy, leaving arr unchanged)."""
    what = "np.put_along_axis"
    index = _index_node(indices, what)
    if axis is None:
        if index.ndim != 1:
            raise ValueError(f"lazyarr: {what}: when axis=None, `indices` must have a single dimension")
        selection = index.shape
    else:
        axis = normalize_axis_index(axis, arr.ndim)
        if index.ndim != arr.ndim:
            raise ValueError(f"lazyarr: {what}: `indices` and `arr` must have the same number of dimensions, "
                             f"got {index.ndim} and {arr.ndim}")
        selection = _selection_shape(arr.shape, index.shape, axis, what)
    v = assign.value_node(values, arr.dtype, what)
    assign.check_value_shape(v.shape, selection)
    if index.op == expr.LEAF and not tracing.active():  # (in a trace a leaf may be a zero-filled placeholder)
        _check_bounds(index.data, arr.size if axis is None else arr.shape[axis], what)
    if 0 in selection:
        return
    node = build.numpy_stage("put_along_axis", (arr._node, index, v), (("axis", axis),), arr.shape, arr.dtype)
    assign.rebind(arr, node, what)


def _index_node(indices, what: str) -> expr.Node:
    """The indices as a node: a NumPy array is copied now (NumPy reads it at once); NumPy's IndexError for a
    non-integer dtype."""
    node = getattr(indices, "_node", None)
    if node is None:
        if not hasattr(indices, "ndim"):  # NumPy itself asks for .ndim and .dtype
            raise TypeError(f"lazyarr: {what}: `indices` must be an array, got {type(indices).__name__}")
        node = expr.leaf(np.array(indices, copy=True))
        node.data.flags.writeable = False
    if node.dtype.kind not in "iu":
        raise IndexError(f"lazyarr: {what}: `indices` must be an integer array, got {node.dtype}")
    return node


def _selection_shape(shape: tuple, index_shape: tuple, axis: int, what: str) -> tuple:
    """The shape of the positions the indices select: the indices broadcast against arr's other axes."""
    others = tuple(1 if d == axis else n for d, n in enumerate(shape))
    try:
        return np.broadcast_shapes(index_shape, others)
    except ValueError:
        raise IndexError(f"lazyarr: {what}: shape mismatch: indices of shape {index_shape} do not broadcast "
                         f"against the array of shape {shape} outside axis {axis}") from None


def _check_bounds(index: np.ndarray, length: int, what: str) -> None:
    if index.size and (index.min() < -length or index.max() >= length):
        bad = index[(index < -length) | (index >= length)].flat[0]
        raise IndexError(f"lazyarr: {what}: index {int(bad)} is out of bounds for an axis of size {length}")


assign.WRITING_FUNCTIONS.update({np.fill_diagonal: (fill_diagonal, 0), np.put_along_axis: (put_along_axis, 0)})
