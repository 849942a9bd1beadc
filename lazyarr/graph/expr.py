"""Expression nodes: immutable, hash-consed, shape and dtype fixed when built.

A node is (op, args, params) plus its shape and dtype. Building the same (op, args, params) twice returns the
same object, so a common subexpression is one node and the scheduler sees sharing for free. Array data is not
part of a node's identity: a leaf is keyed by the identity of the array it stands for, and the structural cache
key (see ``schedule.py``) never sees data, sizes or ids.
"""
from __future__ import annotations

import math
import weakref
from typing import NamedTuple

import numpy as np

from lazyarr.graph.ops import SPECIAL, is_elementwise

# op names that are not in the op table
LEAF = "leaf"    # params: (); .data holds the ndarray
CONST = "const"  # params: ConstParams; .data holds the scalar value


class ConstParams(NamedTuple):
    value: tuple  # ``value_key`` of the scalar
    weak: bool    # a Python scalar whose dtype the consuming operation decides


def special_ufunc(node) -> np.ufunc:
    """The scipy.special ufunc a ``scipy.special.<name>`` node applies."""
    return scipy_special_ufunc(node.op[len(SPECIAL):])


def scipy_special_ufunc(name: str):
    """scipy.special's ufunc of this name, or one of the private ufuncs scipy.stats calls (``_beta_pdf``,
    ``_cauchy_ppf``, in ``scipy.special._ufuncs``; s15 stats): SciPy evaluates those as stages. None if neither."""
    import scipy.special
    found = getattr(scipy.special, name, None)
    if found is None and name.startswith("_"):
        from scipy.special import _ufuncs
        found = getattr(_ufuncs, name, None)
    return found

# The intern table: key -> weak reference to the node. A plain dict of weak references is several times faster
# than WeakValueDictionary, and node creation is on the hot path. (s14 lazyover) Each reference carries its key
# (``_Ref``, as WeakValueDictionary's KeyedRef, without its Python-level constructor) and one module function is
# every callback: the functools.partial and its argument tuple per node were two more objects for the garbage
# collector, which a lazy loop's graph (alive while it is built and computed) keeps promoting
# (docs/fuse_programs.md, "lazy mode's build and the garbage collector").
_interned: dict[tuple, weakref.ref] = {}


class _Ref(weakref.ref):
    __slots__ = ("key",)


def _forget(ref: _Ref) -> None:
    if _interned.get(ref.key) is ref:
        del _interned[ref.key]


def _lookup(key: tuple):
    ref = _interned.get(key)
    return ref() if ref is not None else None


def _intern(key: tuple, node) -> None:
    ref = _Ref(node, _forget)
    ref.key = key
    _interned[key] = ref

# Structure ids: one small int per distinct (op, params, dtype, child structure ids). Computed once when a node is
# built, they let a kernel's cache key be a short tuple of ints instead of a deep tuple rebuilt on every call.
_structure_ids: dict[tuple, int] = {}


def structure_id(key: tuple) -> int:
    sid = _structure_ids.get(key)
    if sid is None:
        sid = _structure_ids.setdefault(key, len(_structure_ids))
    return sid


class Node:
    # fusable: an elementwise op with a Numba loop, so it can join a map kernel (decided once, here: the
    # scheduler and the launch fast path ask it of every node they walk).
    # source: a leaf's user array, when the leaf is a view of it (see ``leaf``).
    __slots__ = ("op", "args", "params", "shape", "dtype", "data", "sid", "fusable", "source",
                 "__weakref__")

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
        return self.op == CONST and self.params.weak

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
    """The unique node for (op, args, params, shape, dtype)."""
    if type(shape) is not tuple:
        shape = tuple(shape)
    # dtype and shape are in the key although they follow from the rest for most ops: not for a cast
    # (its target is its dtype) nor for a node given leading length-1 axes (build.expand_leading).
    # (s14 lazyover) one flat tuple, the arguments' ids last: its length tells the arity apart, and it is one
    # object less per node for the garbage collector (no other intern key has an op name first and 4+ entries
    # but a constant's (CONST, ...), which make never builds, and an external leaf's, which is marked)
    key = (op, params, dtype, shape, *map(id, args))
    ref = _interned.get(key)
    if ref is not None:
        node = ref()
        if node is not None:
            return node
    # (s15 build) a new node: the structure id, elementwise test and intern reference without function calls
    # or a list per node (a lazy loop makes every node of every call afresh: docs/fuse_programs.md, s15)
    if type(args) is not tuple:
        args = tuple(args)
    arity = len(args)
    if arity == 1:
        sids = (args[0].sid,)
    elif arity == 2:
        sids = (args[0].sid, args[1].sid)
    else:
        sids = tuple([a.sid for a in args])
    skey = (op, params, dtype, sids)
    sid = _structure_ids.get(skey)
    if sid is None:
        sid = structure_id(skey)
    elementwise = _ELEMENTWISE_OPS.get(op)
    if elementwise is None:
        elementwise = _ELEMENTWISE_OPS[op] = is_elementwise(op)
    node = Node()
    node.op, node.args, node.params = op, args, params
    node.shape, node.dtype, node.data = shape, dtype, None
    node.sid, node.fusable, node.source = sid, elementwise and params.engine == "numba", None
    ref = _Ref(node, _forget)
    ref.key = key
    _interned[key] = ref
    return node


_ELEMENTWISE_OPS: dict[str, bool] = {}  # (s15 build) op name -> is_elementwise(op), for make


def unintern(node: Node) -> None:
    """(mandelbrot #15) A made node no longer handed out by ``make``: a later build of the same (op, args,
    params) makes a new node. api/realise.py: an old node that now stands for a computed value."""
    key = (node.op, node.params, node.dtype, node.shape, *map(id, node.args))  # (make's key)
    ref = _interned.get(key)
    if ref is not None and ref() is node:
        del _interned[key]


def leaf(array: np.ndarray, source: np.ndarray | None = None) -> Node:
    """The leaf for `array`. With `source` (the user's array, of which `array` is a plain view), the leaf is
    keyed by the source: wrapping the same array again gives the same leaf, so an expression rebuilt over the
    same arrays is the same graph, and its nodes are found instead of made (see ``launch.remember``)."""
    owner = array if source is None else source
    # The node holds `owner`, so its id cannot be reused while the node lives.
    key = (LEAF, id(owner))
    if source is None:  # (with a source, the caller has asked source_leaf already)
        node = _lookup(key)
        if node is not None and node.data is array:
            return node
    node = Node()
    node.op, node.args, node.params = LEAF, (), ()
    node.shape, node.dtype, node.data, node.fusable = array.shape, array.dtype, array, False
    node.source = source
    node.sid = structure_id((LEAF, array.dtype, array.ndim))
    _intern(key, node)
    return node


def view_leaf(parent: Node, how: tuple, make) -> Node:
    """The leaf over the view ``make(parent.data)`` of a leaf, `how` naming the view (``("getitem", key)``). The
    same view of the same leaf is the same leaf, so ``x[1:]`` written twice is one kernel input. The intern
    key holds the parent itself, not its id: the parent lives as long as the view's entry does."""
    key = ("view", parent, how)
    node = _lookup(key)
    if node is None:
        node = leaf(make(parent.data))
        _intern(key, node)
    return node


def source_leaf(source: np.ndarray) -> Node | None:
    """The live leaf made for the user's array `source` (see ``leaf``), if any."""
    ref = _interned.get((LEAF, id(source)))
    node = ref() if ref is not None else None
    if node is None or node.source is not source:
        return None
    # The same array object, but NumPy lets its shape and dtype be assigned in place.
    if node.shape != source.shape or node.dtype != source.dtype or node.data.strides != source.strides:
        return None
    return node


_EXTERNAL = "external leaf"  # no op's name


def external_leaf(op: str, params: tuple, shape: tuple, dtype: np.dtype, data) -> Node:
    """A leaf whose data is not in memory (a dask array): keyed by (op, params), known to kernels by op, dtype
    and rank only, so it never equals an in-memory leaf."""
    key = (_EXTERNAL, op, params, dtype, shape)  # (s14 lazyover: marked, never a zero-argument make's key)
    node = _lookup(key)
    if node is None:
        node = Node()
        node.op, node.args, node.params = op, (), params
        node.shape, node.dtype, node.data, node.fusable = shape, dtype, data, False
        node.source = None
        node.sid = structure_id((op, dtype, len(shape)))
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
        node.op, node.args, node.params = CONST, (), ConstParams(vkey, weak)
        node.shape, node.dtype, node.data, node.fusable = (), dtype, value, False
        node.source = None
        node.sid = structure_id((CONST, dtype))
        _intern(key, node)
    return node


# --- (scalar overhead #15) a value computed now (api/scalar_fold.py): a typed constant, not interned. Interning
# pays for itself when a node is built again; a loop's scalar results are new values nearly every time.
_CONST_FACTS: dict[type, tuple] = {}  # NumPy scalar type -> (dtype, dtype.str, structure id)


def value_const(value: np.generic) -> Node:
    """The strong constant holding the NumPy scalar `value` (its dtype is the value's)."""
    facts = _CONST_FACTS.get(type(value))
    if facts is None or facts[0] != value.dtype:  # (types whose dtype varies, e.g. np.void, are not kept)
        dtype = value.dtype
        facts = (dtype, dtype.str, structure_id((CONST, dtype)))
        if dtype.kind in "biufc" and dtype.isnative:
            _CONST_FACTS[type(value)] = facts
    dtype, dstr, sid = facts
    node = Node()
    # (params.value holds the scalar itself, not its ``value_key``: the bytes cost more than the rest of the
    # node, and a computed constant is never looked up by value; const_bits reads .data for the exact bits)
    node.op, node.args, node.params = CONST, (), ConstParams((dstr, value), False)
    node.shape, node.dtype, node.data, node.fusable = (), dtype, value, False
    node.source, node.sid = None, sid
    return node
# --- end scalar overhead #15 ---


def weak_scalar(value, default_dtype: np.dtype) -> Node:
    """A Python scalar operand. Not interned: the operation that consumes it replaces it with a typed const."""
    node = Node()
    node.op, node.args, node.params = CONST, (), ConstParams(value_key(value), True)
    node.shape, node.dtype, node.data, node.fusable = (), default_dtype, value, False
    node.source = None
    node.sid = structure_id((CONST, default_dtype))
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
