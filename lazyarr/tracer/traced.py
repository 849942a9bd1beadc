"""The traced graph of one ``@lazyarr.fuse`` call: placeholders for its arrays, and where its constants came from.

A trace runs the user's function once on placeholders: LazyArrays over private arrays with the call's dtype,
shape and strides (zero-filled, never read), and ``ScalarTracer``s for Python numbers. A leaf that views a
placeholder (``x.T``, ``x[1:]``, ``x.reshape(...)``) is recognised by its address, which lies in the
placeholder's memory, and replayed as the view with the same byte offset, shape and strides of each call's
array (``replay_view``); constants made from a traced number are recognised by the bits of its sentinel
(``_trace_scalar``).
"""
from __future__ import annotations

import numpy as np

from lazyarr.graph import expr
from lazyarr.tracer.scalars import const_bits, convert
from lazyarr.graph.expr import CONST, LEAF, Node


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _span(like: np.ndarray) -> tuple[int, int]:
    """The bytes an array spans, relative to its first element: (lowest, highest + itemsize)."""
    low = sum((n - 1) * s for n, s in zip(like.shape, like.strides) if s < 0 and n > 0)
    high = sum((n - 1) * s for n, s in zip(like.shape, like.strides) if s > 0 and n > 0)
    return low, high + like.dtype.itemsize


def placeholder(like: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """A read-only array with `like`'s dtype, shape and strides over private zeroed memory (untouched pages of
    a large calloc cost no memory), and the address range it spans."""
    if like.flags.c_contiguous and like.size:
        # an owner of `like`'s own shape: its slices then have it as their base, as the caller's slices of a C
        # argument do, so explain() finds the same window layout (``offs``, compiler/layout.view_base) the run uses
        array = np.zeros(like.shape, like.dtype)
        array.flags.writeable = False
        start = _address(array)
        return array, (start, start + array.nbytes)
    low, high = _span(like)
    buffer = np.zeros(high - low, np.uint8)
    array = np.ndarray(like.shape, like.dtype, buffer=buffer, offset=-low, strides=like.strides)
    array.flags.writeable = False
    start = _address(buffer)
    return array, (start, start + buffer.size)


def snapshot(array: np.ndarray) -> np.ndarray:
    """A read-only copy of `array` with its strides, so that a view of the array has a view of the copy at the
    same byte offset (``replay_view``)."""
    copy, _ = placeholder(array)
    copy.flags.writeable = True
    np.copyto(copy, array)
    copy.flags.writeable = False
    return copy


def same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays of one dtype and shape hold the same bits (-0.0 is not 0.0, NaN payloads count)."""
    raw = np.dtype((np.void, a.dtype.itemsize))
    return bool(np.array_equal(a.view(raw), b.view(raw)))


def address_range(array: np.ndarray) -> tuple[int, int]:
    low, high = _span(array)
    return _address(array) + low, _address(array) + high


class Traced:
    """One run of the function on placeholders: output roots, output structure, numbers and placeholders."""

    def __init__(self, roots: list[Node], out_tree, scalars, leaves: dict, extents: dict, frozen: list = ()):
        self.roots = roots
        self.out_tree = out_tree
        self.scalars = scalars             # ScalarTrace
        self.leaves = leaves               # id(placeholder leaf) -> flat argument index
        self.extents = extents             # flat argument index -> (placeholder array, address range)
        self.frozen = frozen               # (array, its snapshot or None if the traced code never wrote to it)
        self.const_map = self._map_consts()

    def constant(self, node: Node) -> np.ndarray:
        """The array a constant leaf reads on every call: its own (a NumPy array from outside the function is
        read when the kernels run), or the snapshot taken when it entered the graph if the traced code wrote to
        it afterwards (NumPy had read it at that moment)."""
        data = node.data
        for array, copy in self.frozen:
            if data is array:
                return data if copy is None else copy
        address = _address(data)
        for array, copy in reversed(self.frozen):  # a view lazyarr made of such an array (a pushed-down .T)
            if copy is None:
                continue
            start, stop = address_range(array)
            if start <= address < stop:
                return replay_view(copy, address - _address(array), data.dtype, data.shape, data.strides)
        return data

    def _map_consts(self) -> dict[int, int]:
        """id(const node) -> the traced number it was made from (found by the sentinel's bits)."""
        records = self.scalars.records
        if not records:
            return {}
        consts = [n for n in expr.walk(self.roots) if n.op == CONST]
        table: dict[tuple, set] = {}
        for dt in {n.dtype for n in consts}:
            for r in records:
                if type(r.sentinel) is complex and dt.kind != "c":
                    continue
                try:
                    with np.errstate(all="ignore"):
                        bits = (dt.str, np.asarray(convert(r.sentinel, dt), dtype=dt).tobytes())
                except (OverflowError, TypeError, ValueError):
                    continue
                table.setdefault(bits, set()).add(r.index)
        found = {}
        for n in consts:
            match = table.get(const_bits(n), ())
            if len(match) == 1:
                found[id(n)] = next(iter(match))
        return found

    def leaked_stand_ins(self) -> frozenset:
        """(s14) The roots of the traced numbers whose stand-in reached an array the trace made: code that reads a
        scalar's value to build an array (``x.fill(v)``, ``np.diff(x, prepend=v)``, ``np.append(x, v)`` make a
        leaf of it) bakes the stand-in into the graph, where no constant node says it is a number bound per call,
        so every call would compute with the stand-in (a NaN). Such numbers must be static (the decorator traces
        again with their values). Only leaves the trace made are read: broadcast scalars (all strides 0) and
        arrays of at most 64 elements, never an argument's placeholder. Float and complex stand-ins only (NaNs with a
        payload): an int stand-in is an ordinary value a leaf may hold by chance."""
        records = self.scalars.records
        if not records:
            return frozenset()
        found: set = set()
        for n in expr.walk(self.roots):
            if n.op != LEAF or id(n) in self.leaves or not isinstance(n.data, np.ndarray):
                continue
            data = n.data
            if data.size == 0 or (data.size > 64 and any(data.strides)):
                continue
            values = data.reshape(-1)[:1] if not any(data.strides) else data.reshape(-1)
            bits = {values[i:i + 1].tobytes() for i in range(values.size)}
            for r in records:
                if type(r.sentinel) is int or (type(r.sentinel) is complex and data.dtype.kind != "c"):
                    continue  # an int stand-in is an ordinary value (a leaf may hold it by chance): ints are traced
                    # twice with disjoint stand-ins instead (decorator._miss compares the two graphs)
                try:
                    with np.errstate(all="ignore"):
                        stand_in = np.asarray(convert(r.sentinel, data.dtype), dtype=data.dtype).tobytes()
                except (OverflowError, TypeError, ValueError):
                    continue
                if stand_in in bits:
                    found |= r.roots
        return frozenset(found)

    def has_int_tracers(self) -> bool:
        return any(type(r.sentinel) is int for r in self.scalars.records)


def equivalent(a: Traced, b: Traced) -> bool:
    """Whether two traces that differ only in their sentinels built the same graph with the same constants
    coming from the same numbers (else a literal equals a sentinel somewhere, and the mapping cannot be
    trusted)."""
    wa, wb = expr.walk(a.roots), expr.walk(b.roots)
    if len(wa) != len(wb):
        return False
    pair: dict[int, Node] = {}
    for x, y in zip(wa, wb):
        if x.op != y.op or x.dtype != y.dtype or x.shape != y.shape:
            return False
        if x.op == CONST:
            mx, my = a.const_map.get(id(x)), b.const_map.get(id(y))
            if mx != my or (mx is None and const_bits(x) != const_bits(y)):
                return False
        elif x.op == LEAF:
            if x is not y and not _same_leaf(x, y, a, b):
                return False
        elif not _same_params(x.params, y.params) or any(pair.get(id(p)) is not q for p, q in zip(x.args, y.args)):
            return False
        pair[id(x)] = y
    return True


def _same_leaf(x: Node, y: Node, a: Traced, b: Traced) -> bool:
    ox, oy = leaf_origin(x, a), leaf_origin(y, b)
    if ox is not None or oy is not None:
        return (ox == oy and x.data.strides == y.data.strides and x.data.shape == y.data.shape
                and view_offset(x, a, ox) == view_offset(y, b, oy))
    return x.data.shape == y.data.shape and np.array_equal(x.data, y.data, equal_nan=True)


def _same_params(p, q) -> bool:
    try:
        return bool(p == q)
    except (ValueError, TypeError):
        return False


def leaf_origin(node: Node, traced: Traced):
    """The flat argument a leaf views (a placeholder or a view of one), else None (a constant array)."""
    if id(node) in traced.leaves:
        return traced.leaves[id(node)]
    address = _address(node.data)
    for arg, (array, (start, stop)) in traced.extents.items():
        if start <= address < stop:
            return arg
    return None


def view_offset(node: Node, traced: Traced, arg: int) -> int:
    """Where a leaf that views argument `arg` starts, in bytes from the argument's first element. A view made
    by basic indexing, reshape, transpose or broadcast_to of an argument has the same byte offset, shape and
    strides for every array of the signature (which fixes the argument's shape and strides)."""
    return _address(node.data) - _address(traced.extents[arg][0])


class _Interface:
    """An object exposing an array interface (what ``np.lib.stride_tricks.as_strided`` builds), keeping its
    base array alive."""
    __slots__ = ("__array_interface__", "base")

    def __init__(self, interface: dict, base: np.ndarray):
        self.__array_interface__ = interface
        self.base = base


def replay_view(base: np.ndarray, offset: int, dtype: np.dtype, shape: tuple, strides: tuple) -> np.ndarray:
    """The view of `base` that starts `offset` bytes after its first element, with this dtype, shape and strides
    (the byte arithmetic NumPy did for the same view of the traced placeholder). Writable where `base` is (s15: a
    fused function returning ``x[1:4]`` gave a read-only view, so the caller's ``v[0] = 1`` raised where NumPy's
    view writes into x); a snapshot's views stay read-only."""
    interface = {"version": 3, "data": (_address(base) + offset, not base.flags.writeable), "shape": shape,
                 "strides": strides,
                 "typestr": dtype.str, "descr": dtype.descr}
    view = np.asarray(_Interface(interface, base))
    return view if view.dtype == dtype else view.view(dtype)
