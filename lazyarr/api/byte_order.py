"""NumPy's byte order for lazy results (s16 sweepd): which results are non-native, as NumPy's would be.

lazyarr computes in native byte order only (Numba compiles nothing else): a big-endian input is converted once
when it is wrapped (``build.as_input_array``), and a leaf over a dask array of a non-native dtype is converted
per block. NumPy keeps a non-native dtype through the operations that copy or view elements (``x.T``, ``x[k]``,
``x.copy()``, ``np.sort``, ``np.take``, ``np.repeat`` ...) and through ``astype`` to one; its ufuncs and
reductions return native order. This module answers, for a LazyArray, the dtype NumPy's answer has, so that
``x.dtype``, ``compute()``, ``np.asarray(x)`` and ``to_dask()`` give it (the values are converted at the end;
kernels never see a non-native array), and ``astype(..., casting="no")`` refuses what NumPy refuses.

Nothing is paid until a non-native array is first seen: ``LazyArray.dtype`` is the node's dtype until then, and
this module installs the property that asks it at the first conversion (``converted``/``marked``).

Where the order comes from:
- a leaf over an array converted here: the converted array is registered (by id, removed when it dies), and a
  view leaf's data has that array as its ``base``;
- a dask leaf: its dask array's dtype;
- ``x.astype(non-native dtype)``: that LazyArray is marked (weakly): a cast node is interned by its native
  dtype, so the mark cannot live on the node, and views of such a result are native (docs/numpy_surface.md);
- a ``copy`` node or a NumPy stage that copies or views elements of its first operand, of that operand's
  dtype: its operand's order.
"""
from __future__ import annotations

import sys
import weakref

import numpy as np

from lazyarr.graph import expr

seen = False  # a non-native array or dtype has been wrapped or asked for (checked on compute paths)

_CONVERTED: dict[int, np.dtype] = {}  # id(native copy of a user's array) -> the user's dtype
_MARKED: dict[int, np.dtype] = {}  # id(LazyArray) (an astype result; removed when it dies) -> its dtype
# NumPy stages whose result holds elements of their first operand (same dtype): NumPy keeps its dtype object
_KEEPING_STAGES = frozenset({"getitem", "advanced_index", "reshape", "broadcast_to", "transpose", "sort",
                             "diagonal", "roll", "tile", "repeat", "pad", "gather", "partition"})
_NATIVE = "<" if sys.byteorder == "little" else ">"


def notice() -> None:
    """A non-native dtype is in play: from now on LazyArray.dtype asks this module."""
    global seen
    if not seen:
        seen = True
        for cls in _ARRAY_CLASSES:  # (api/array.py registers LazyArray: this module does not import it)
            cls.dtype = property(dtype_of)  # from now on: the node's dtype, or NumPy's non-native one


_ARRAY_CLASSES: list[type] = []


def answers_dtype_of(cls: type) -> type:
    """Register `cls` (LazyArray) as the class whose ``dtype`` this module answers once a non-native dtype is seen."""
    _ARRAY_CLASSES.append(cls)
    if seen:
        cls.dtype = property(dtype_of)
    return cls


def converted(native: np.ndarray, original: np.dtype) -> None:
    """`native` is the native-order copy of a user's array of dtype `original` (``build.as_input_array``)."""
    notice()
    key = id(native)
    _CONVERTED[key] = original
    weakref.finalize(native, _CONVERTED.pop, key, None)


def marked(lazy, dtype: np.dtype):
    """`lazy` (a LazyArray computing in native order) stands for NumPy's array of the non-native `dtype`."""
    notice()
    key = id(lazy)
    _MARKED[key] = dtype
    weakref.finalize(lazy, _MARKED.pop, key, None)
    return lazy


def is_non_native(dtype: np.dtype) -> bool:
    return dtype.byteorder not in "=|" and dtype.byteorder != _NATIVE


def _of_node(node) -> np.dtype | None:
    """The non-native dtype NumPy's value of `node` has, or None (native)."""
    for _ in range(256):  # (a chain of views and copies; deeper ones are rare and answered native)
        op = node.op
        if op == expr.LEAF:
            data = node.data
            if not isinstance(data, np.ndarray):
                return None
            found = _CONVERTED.get(id(data))
            if found is None and data.base is not None:
                found = _CONVERTED.get(id(data.base))
            return found if found is not None and found.newbyteorder("=") == node.dtype else None
        if op == "dask":
            dt = node.data.dtype
            return dt if is_non_native(dt) and dt.newbyteorder("=") == node.dtype else None
        if not node.args or node.args[0].dtype != node.dtype:
            return None
        if op == "copy" or (op == "numpy" and node.params.name in _KEEPING_STAGES):
            node = node.args[0]
            continue
        return None
    return None


def node_dtype(node) -> np.dtype:
    """The dtype NumPy's value of `node` has (its own, or a non-native one its input kept)."""
    found = _of_node(node)
    return node.dtype if found is None else found


def dtype_of(lazy) -> np.dtype:
    """``LazyArray.dtype`` once a non-native array has been seen: NumPy's dtype, byte order included."""
    found = _MARKED.get(id(lazy)) if _MARKED else None
    if found is not None:
        return found
    return node_dtype(lazy._node)


def numpy_value(lazy, value: np.ndarray) -> np.ndarray:
    """The computed `value` of `lazy` in NumPy's byte order (a converted copy where that is not native)."""
    if not hasattr(lazy, "_node"):  # (another registered lazy type)
        return value
    dt = dtype_of(lazy)
    return value if value.dtype == dt else value.astype(dt)
