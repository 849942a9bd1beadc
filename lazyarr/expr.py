"""Expression nodes: immutable, hash-consed, shape and dtype fixed when built.

A node is (op, args, params) plus its shape and dtype. Building the same (op, args, params) twice returns the
same object, so a common subexpression is one node and the scheduler sees sharing for free. Array data is not
part of a node's identity: a leaf is keyed by the identity of the array it stands for, and the structural cache
key (see ``schedule.py``) never sees data, sizes or ids.
"""
from __future__ import annotations

import functools
import math
import weakref

import numpy as np

# op names that are not in the op table
LEAF = "leaf"    # params: (); .data holds the ndarray
CONST = "const"  # params: (canonical value key, weak); .data holds the scalar value

# The intern table: key -> weak reference to the node. A plain dict of weakref.ref with a C-level callback
# (functools.partial) is several times faster than WeakValueDictionary, and node creation is on the hot path.
_interned: dict[tuple, weakref.ref] = {}


def _forget(key: tuple, ref: weakref.ref) -> None:
    if _interned.get(key) is ref:
        del _interned[key]


def _lookup(key: tuple):
    ref = _interned.get(key)
    return ref() if ref is not None else None


def _intern(key: tuple, node) -> None:
    _interned[key] = weakref.ref(node, functools.partial(_forget, key))

# Structure ids: one small int per distinct (op, params, dtype, child structure ids). Computed once when a node is
# built, they let a kernel's cache key be a short tuple of ints instead of a deep tuple rebuilt on every call.
_structure_ids: dict[tuple, int] = {}


def structure_id(key: tuple) -> int:
    sid = _structure_ids.get(key)
    if sid is None:
        sid = _structure_ids.setdefault(key, len(_structure_ids))
    return sid


class Node:
    __slots__ = ("op", "args", "params", "shape", "dtype", "data", "sid", "__weakref__")

    op: str
    args: tuple["Node", ...]
    params: tuple
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def is_leaf(self) -> bool:
        return self.op == LEAF

    @property
    def is_const(self) -> bool:
        return self.op == CONST

    @property
    def weak(self) -> bool:
        """A Python scalar whose dtype is decided by the operation that consumes it (NEP 50)."""
        return self.op == CONST and self.params[1]

    def __reduce__(self):
        # Rebuild through the constructors so unpickled graphs are hash-consed in the new process too.
        if self.op == LEAF:
            return (leaf, (self.data,))
        if self.op == CONST:
            return (weak_scalar, (self.data, self.dtype)) if self.weak else (const, (self.data, self.dtype, False))
        return (make, (self.op, self.args, self.params, self.shape, self.dtype))

    def __repr__(self) -> str:
        if self.op == LEAF:
            return f"Leaf({self.dtype}, {self.shape})"
        if self.op == CONST:
            return f"Const({self.data!r}{', weak' if self.weak else ''})"
        return f"Node({self.op}, {self.dtype}, {self.shape})"


def make(op: str, args: tuple[Node, ...], params: tuple, shape: tuple, dtype: np.dtype) -> Node:
    """The unique node for (op, args, params); shape and dtype follow from them."""
    key = (op, tuple(map(id, args)), params)
    node = _lookup(key)
    if node is None:
        node = Node()
        node.op, node.args, node.params = op, tuple(args), params
        node.shape, node.dtype, node.data = tuple(shape), dtype, None
        node.sid = structure_id((op, params, dtype.str, tuple([a.sid for a in args])))
        _intern(key, node)
    return node


def leaf(array: np.ndarray) -> Node:
    # The node holds the array, so the array's id cannot be reused while the node lives.
    key = (LEAF, id(array))
    node = _lookup(key)
    if node is None or node.data is not array:
        node = Node()
        node.op, node.args, node.params = LEAF, (), ()
        node.shape, node.dtype, node.data = array.shape, array.dtype, array
        node.sid = structure_id((LEAF, array.dtype.str, array.ndim))
        _intern(key, node)
    return node


def value_key(value) -> tuple:
    """A key that tells apart every scalar NumPy tells apart: -0.0 from 0.0, NaN payloads, 1 from 1.0."""
    kind = type(value)
    if kind is float:
        return ("float", value.hex())
    if kind is int or kind is bool:
        return (kind.__name__, value)
    if kind is complex:
        return ("complex", value.real.hex(), value.imag.hex())
    return (value.dtype.str, value.tobytes())  # a NumPy scalar


def const(value, dtype: np.dtype, weak: bool) -> Node:
    vkey = value_key(value)
    key = (CONST, vkey, weak, dtype)
    node = _lookup(key)
    if node is None:
        node = Node()
        node.op, node.args, node.params = CONST, (), (vkey, weak)
        node.shape, node.dtype, node.data = (), dtype, value
        node.sid = structure_id((CONST, dtype.str))
        _intern(key, node)
    return node


def weak_scalar(value, default_dtype: np.dtype) -> Node:
    """A Python scalar operand. Not interned: the operation that consumes it replaces it with a typed const."""
    node = Node()
    node.op, node.args, node.params = CONST, (), (value_key(value), True)
    node.shape, node.dtype, node.data = (), default_dtype, value
    node.sid = structure_id((CONST, default_dtype.str))
    return node


def walk(roots) -> list[Node]:
    """Every node reachable from `roots`, each once, children before parents."""
    order: list[Node] = []
    seen: set[int] = set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args) if id(a) not in seen)
    return order
