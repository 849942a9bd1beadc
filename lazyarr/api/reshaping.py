"""reshape, ravel, squeeze, expand_dims and broadcast_to of lazy arrays, NumPy's shapes and errors at build time.

Adding or removing length-1 axes is basic indexing (``x[None]``, ``x[..., 0]``), so squeeze, expand_dims and a
reshape that only does that are pushed down to the leaves by ``indexing``, whatever broadcasting is under
them. A general C-order reshape commutes with an elementwise op when no operand is broadcast: every array
under it has the node's full shape, so all of them are traversed in the same C order. Then it is pushed down
too (a leaf becomes the NumPy view ``data.reshape(shape)``, or a ``reshape`` stage where NumPy would copy), and
the expression stays one fused kernel. Otherwise the node is computed whole and a ``reshape`` stage reshapes
the result (a view: results are allocated contiguous). ``order='F'`` is a C-order reshape between two
transposes, which are pushed down as well.
"""
from __future__ import annotations

import operator

import numpy as np

from lazyarr.api import build
from lazyarr.graph import expr
from lazyarr.api import indexing
from lazyarr.graph.expr import CONST, LEAF, Node


def _shape_argument(shape, what: str) -> tuple:
    """A shape argument (an int or a sequence of them) as a tuple of ints; a traced size becomes static here."""
    try:
        return tuple(operator.index(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
    except TypeError as exc:
        raise TypeError(f"lazyarr: {what}: {exc}") from None


def _with_numpy(what: str, node: Node, func):
    """NumPy's answer on a probe of the node's shape (holding no memory), or NumPy's error with our name."""
    try:
        return func(indexing.shape_probe(node.shape))
    except (ValueError, TypeError, IndexError) as exc:
        raise indexing.numpy_error(exc, f"{what} of an array of shape {node.shape}") from None


def _check_order(order, what: str, allowed=("C", "F")) -> str:
    if order is None:
        return "C"
    if order not in ("C", "F", "A", "K"):
        raise ValueError(f"lazyarr: {what}: order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    if order not in allowed:
        raise TypeError(f"lazyarr: {what}: order={order!r} follows the memory layout of the array, and a lazy "
                        "array has none until it is computed; use order='C' or order='F'")
    return order


# --- reshape -------------------------------------------------------------------------------------------------

def reshape(node: Node, shape, order: str = "C") -> Node:
    """``np.reshape(node, shape, order)``."""
    order = _check_order(order, "reshape")
    shape = _shape_argument(shape, "reshape")
    new = _with_numpy("reshape", node, lambda p: p.reshape(shape, order=order)).shape
    if order == "F":
        reverse = tuple(range(node.ndim))[::-1]
        inner = c_reshape(build.transpose(node, reverse) if node.ndim > 1 else node, new[::-1])
        return build.transpose(inner, tuple(range(len(new)))[::-1]) if len(new) > 1 else inner
    return c_reshape(node, new)


def c_reshape(node: Node, shape: tuple) -> Node:
    """A C-order reshape to a checked shape of the same size."""
    if shape == node.shape:
        return node
    if 0 in shape:
        return indexing.empty(shape, node.dtype)
    key = _unit_axes_key(node.shape, shape)
    if key is not None:
        return indexing.basic(node, key, shape)
    if not _pushable(node):
        return _stage(node, shape)
    return _push(node, shape)


def _unit_axes_key(old: tuple, new: tuple) -> tuple | None:
    """A basic key doing this reshape when it only adds or removes length-1 axes (else None)."""
    if [d for d in old if d != 1] != [d for d in new if d != 1]:
        return None
    key, i = [], 0
    for d in new:
        while i < len(old) and old[i] == 1 and d != 1:
            key.append(0)  # a length-1 axis the new shape does not have
            i += 1
        if d == 1:
            if i < len(old) and old[i] == 1:
                key.append((0, 1, 1))
                i += 1
            else:
                key.append(indexing.NEWAXIS)
        else:
            key.append((0, d, 1))
            i += 1
    key += [0] * (len(old) - i)  # trailing length-1 axes removed
    return tuple(key)


def _pushable(root: Node) -> bool:
    """No operand is broadcast anywhere in the elementwise region under `root` (so one C-order traversal of
    the new shape visits every array's elements in the same order)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or node.op in (LEAF, CONST) or not indexing.commutes(node):
            continue
        seen.add(id(node))
        for a in node.args:
            if a.op != CONST and a.shape != node.shape:
                return False
            stack.append(a)
    return True


def _push(node: Node, shape: tuple) -> Node:
    def operands(n: Node, _):
        return [(a, shape) for a in n.args] if indexing.commutes(n) else None

    def rebuild(n: Node, _, args):
        if args is not None:
            return expr.make(n.op, tuple(args), n.params, shape, n.dtype)
        if n.op == CONST:
            return n
        if n.op == LEAF:
            try:
                return expr.view_leaf(n, ("reshape", shape), lambda data: data.reshape(shape, copy=False))
            except ValueError:  # a view is impossible (NumPy would copy): copy when the expression runs
                pass
        return _stage(n, shape)

    return indexing.push_down(node, shape, operands, rebuild)


def _stage(node: Node, shape: tuple) -> Node:
    # The same stage as reductions' keepdims view, so the two share nodes.
    return build.numpy_stage("reshape", (node,), (("shape", shape),), shape, node.dtype)


def ravel(node: Node, order: str = "C") -> Node:
    order = _check_order(order, "ravel")
    return reshape(node, (-1,), order)


# --- length-1 axes -------------------------------------------------------------------------------------------

def squeeze(node: Node, axis=None) -> Node:
    """``np.squeeze``: length-1 axes removed (all, or those in `axis`), as basic indexing."""
    shape = _with_numpy("squeeze", node, lambda p: np.squeeze(p, axis=axis)).shape
    if axis is None:
        axes = {i for i, d in enumerate(node.shape) if d == 1}
    else:
        axes = {operator.index(a) % node.ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
    key = tuple(0 if i in axes else (0, d, 1) for i, d in enumerate(node.shape))
    return indexing.basic(node, key, shape)


def expand_dims(node: Node, axis) -> Node:
    """``np.expand_dims``: length-1 axes inserted at `axis` (positions in the result), as basic indexing."""
    shape = _with_numpy("expand_dims", node, lambda p: np.expand_dims(p, axis)).shape
    axes = {operator.index(a) % len(shape) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
    sizes = iter(node.shape)
    key = tuple(indexing.NEWAXIS if i in axes else (0, next(sizes), 1) for i in range(len(shape)))
    return indexing.basic(node, key, shape)


# --- broadcast_to --------------------------------------------------------------------------------------------

def broadcast_to(node: Node, shape) -> Node:
    """``np.broadcast_to``: leaves become NumPy's zero-stride views and elementwise nodes compute over the new
    shape (still one fused kernel); a node that is not elementwise is computed once, then broadcast (a view)."""
    shape = _shape_argument(shape, "broadcast_to")
    new = _with_numpy("broadcast_to", node, lambda p: np.broadcast_to(p, shape)).shape
    if new == node.shape:
        return node
    if 0 in new:
        return indexing.empty(new, node.dtype)
    return _broadcast(node, new)


def _broadcast(node: Node, shape: tuple) -> Node:
    def operands(n: Node, _):
        if n.shape == shape or n.op == CONST or not indexing.commutes(n):
            return None
        return [(a, shape) for a in n.args]

    def rebuild(n: Node, _, args):
        if args is not None:
            return expr.make(n.op, tuple(args), n.params, shape, n.dtype)
        if n.shape == shape or n.op == CONST:
            return n
        if n.op == LEAF:
            return expr.view_leaf(n, ("broadcast_to", shape), lambda data: np.broadcast_to(data, shape))
        return build.numpy_stage("broadcast_to", (n,), (("shape", shape),), shape, n.dtype)

    return indexing.push_down(node, shape, operands, rebuild)
