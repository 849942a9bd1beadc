"""NumPy functions that are not elementwise or reductions: evaluated by NumPy (BLAS for matmul) as stages.

The elementwise work on each side of a boundary is still fused: ``np.tanh(A * 2) @ B + c`` is kernel, BLAS call,
kernel. Each entry knows its result's shape and dtype without computing anything, so errors (shapes that do not
align) are raised when the expression is built, as everywhere else.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import build
from lazyarr.api import products  # (BLAS-bound programs, #15)
from lazyarr.graph import expr
from lazyarr.graph.expr import Node


def _probe(node: Node) -> np.ndarray:
    return np.zeros((1,) * node.ndim, node.dtype)


_MATMUL_DTYPES: dict[tuple, np.dtype] = {}  # (s14 lazyover) (a's dtype, b's dtype) -> matmul's result dtype


def _matmul_dtype(a: Node, b: Node) -> np.dtype:
    """NumPy's result dtype of ``a @ b``, asked of NumPy once per pair of dtypes (a lazy loop's products ask it
    at every step; it does not depend on the ranks)."""
    key = (a.dtype, b.dtype)
    dtype = _MATMUL_DTYPES.get(key)
    if dtype is None:
        dtype = _MATMUL_DTYPES.setdefault(key, np.matmul(_probe(a), _probe(b)).dtype)
    return dtype


def _stage(name, nodes, kwargs: dict, shape: tuple, dtype) -> Node:
    """The node of the op table's stage `name` (``ops.STAGES``) over `nodes`."""
    build.dtypes.check_supported(np.dtype(dtype), f"np.{name}'s result")
    return build.numpy_stage(name, tuple(nodes), tuple(sorted(kwargs.items())), tuple(shape), np.dtype(dtype))


def _mismatch(name, a: Node, b: Node):
    return ValueError(f"lazyarr: {name}: shapes {a.shape} and {b.shape} not aligned")


# (rowfuse, #14) `dev.T @ dev`: `dev.T` of a computed `dev` is pushed down to the leaves, a second expression
# that would compute `dev` again. When one operand is exactly the other's transposed graph (hash-consing makes
# that an identity test), it becomes the transpose of the other's computed value: `dev` is computed once and
# BLAS gets a transposed view (NumPy then uses the symmetric product for `dev.T @ dev`).
def _share_transposed(a: Node, b: Node) -> tuple[Node, Node]:
    if len(a.shape) != 2 or len(b.shape) != 2 or a.shape != b.shape[::-1]:
        return a, b
    for x, y, swap in ((a, b, False), (b, a, True)):
        if y.fusable and x.fusable and _same_values(build.transpose(y, (1, 0)), x):
            view = build.numpy_stage("transpose", (y,), (("axes", (1, 0)),), x.shape, x.dtype)
            return (y, view) if swap else (view, y)
    return a, b


def _same_values(x: Node, y: Node) -> bool:
    """Whether two graphs compute the same values: the same nodes, except that each transposing a leaf made a
    leaf of its own (a new view object) where the two views are of the same memory, alike."""
    stack = [(x, y)]
    while stack:
        p, q = stack.pop()
        if p is q:
            continue
        if p.op == expr.LEAF and q.op == expr.LEAF:
            if not _same_view(p.data, q.data):
                return False
            continue
        if (p.op, p.params, p.shape, p.dtype, len(p.args)) != (q.op, q.params, q.shape, q.dtype, len(q.args)):
            return False
        if p.op == expr.CONST:
            return False  # two constants that are not one node differ
        stack.extend(zip(p.args, q.args))
    return True


def _same_view(u: np.ndarray, v: np.ndarray) -> bool:
    return (u.shape == v.shape and u.strides == v.strides and u.dtype == v.dtype
            and u.__array_interface__["data"][0] == v.__array_interface__["data"][0])


# (#15 covcos) `a_unit @ b_unit.T` of a C array `b`: `b_unit.T` is pushed down to the leaves, so the elementwise
# work ran over `b`'s transposed view (a strided loop: 7-9 ms against NumPy's 0.6 ms for (3000, 128)) and BLAS
# got a C-ordered copy-like result (the NN product, measured no faster than NumPy's NT one). An elementwise
# operand whose full-size leaves are all transposed C arrays is computed in their memory order instead, and
# BLAS gets its transposed view, as NumPy's own program does.
def _natural_order(y: Node) -> Node:
    if len(y.shape) != 2 or not y.fusable or y.op in (expr.LEAF, expr.CONST):
        return y
    leaves = [n for n in expr.walk([y]) if n.op == expr.LEAF and n.shape == y.shape]
    if not leaves or not all(n.data.flags.f_contiguous and not n.data.flags.c_contiguous for n in leaves):
        return y
    natural = build.transpose(y, (1, 0))
    return build.numpy_stage("transpose", (natural,), (("axes", (1, 0)),), y.shape, y.dtype)


def matmul(a, b) -> Node:
    a, b = _share_transposed(build.to_node(a), build.to_node(b))
    a, b = _natural_order(a), _natural_order(b)  # (#15 covcos)
    andim, bndim = len(a.shape), len(b.shape)  # (s15 build: not the property, four times)
    if andim == 0 or bndim == 0:
        raise ValueError("lazyarr: matmul: input operand does not have enough dimensions (scalars are not allowed)")
    ash = a.shape if andim > 1 else (1,) + a.shape
    bsh = b.shape if bndim > 1 else b.shape + (1,)
    if ash[-1] != bsh[-2]:
        raise _mismatch("matmul", a, b)
    batch = build.broadcast_shapes("matmul", ash[:-2], bsh[:-2]) if andim > 2 or bndim > 2 else ()
    shape = batch + (ash[-2],) * (andim > 1) + (bsh[-1],) * (bndim > 1)
    dtype = _matmul_dtype(a, b)
    # (BLAS-bound programs, #15) float matrix-vector products: a fused multiply-and-sum, no BLAS boundary
    fused = products.fused_product(a, b)
    if fused is not None:
        return fused
    return _stage("matmul", (a, b), {}, shape, dtype)


def dot(a, b) -> Node:
    a, b = _share_transposed(build.to_node(a), build.to_node(b))
    a, b = _natural_order(a), _natural_order(b)  # (#15 covcos)
    if a.ndim == 0 or b.ndim == 0:
        return build.ufunc_node(np.multiply, (a, b), "dot")
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != k_b:
        raise _mismatch("dot", a, b)
    shape = a.shape[:-1] + (b.shape[:-2] + b.shape[-1:] if b.ndim > 1 else ())
    return _stage("dot", (a, b), {}, shape, np.dot(_probe(a), _probe(b)).dtype)


def tensordot(a, b, axes=2) -> Node:
    a, b = build.to_node(a), build.to_node(b)
    if isinstance(axes, int):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = ([x] if isinstance(x, int) else list(x) for x in axes)
    axes_a = [x % a.ndim for x in axes_a]
    axes_b = [x % b.ndim for x in axes_b]
    if len(axes_a) != len(axes_b) or any(a.shape[i] != b.shape[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError(f"lazyarr: tensordot: shape-mismatch for sum over axes {axes_a} of {a.shape} and "
                         f"{axes_b} of {b.shape}")
    shape = tuple(d for i, d in enumerate(a.shape) if i not in axes_a) + \
        tuple(d for i, d in enumerate(b.shape) if i not in axes_b)
    dtype = np.result_type(a.dtype, b.dtype)
    return _stage("tensordot", (a, b), {"axes": (tuple(axes_a), tuple(axes_b))}, shape, dtype)


def sort(a, axis=-1, kind=None, order=None, **kwargs) -> Node:
    node = build.to_node(a)
    if order is not None:
        raise TypeError("lazyarr: sort: order= applies to structured arrays, which lazyarr does not support")
    if axis is None:
        return _stage("sort", (node,), {"axis": None, "kind": kind, **kwargs}, (node.size,), node.dtype)
    axis = build.reductions_axis(axis, node.ndim)
    return _stage("sort", (node,), {"axis": axis, "kind": kind, **kwargs}, node.shape, node.dtype)


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind") -> Node:
    nodes = [build.to_node(x) for x in arrays]
    if out is not None:
        raise TypeError("lazyarr: concatenate: out= is not supported on lazy arrays")
    if axis is None:
        shape = (sum(n.size for n in nodes),)
    else:
        axis = build.reductions_axis(axis, nodes[0].ndim)
        rest = [n.shape[:axis] + n.shape[axis + 1:] for n in nodes]
        if any(n.ndim != nodes[0].ndim for n in nodes) or any(r != rest[0] for r in rest):
            raise ValueError("lazyarr: concatenate: all the input array dimensions except for the concatenation "
                             f"axis must match exactly; got {[n.shape for n in nodes]}")
        shape = nodes[0].shape[:axis] + (sum(n.shape[axis] for n in nodes),) + nodes[0].shape[axis + 1:]
    result_dtype = np.concatenate([_probe(n).reshape(-1) for n in nodes], dtype=dtype, casting=casting).dtype
    return _stage("concatenate", tuple(nodes), {"axis": axis, "dtype": dtype, "casting": casting}, shape, result_dtype)


def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind") -> Node:
    nodes = [build.to_node(x) for x in arrays]
    if out is not None:
        raise TypeError("lazyarr: stack: out= is not supported on lazy arrays")
    if any(n.shape != nodes[0].shape for n in nodes):
        raise ValueError(f"lazyarr: stack: all input arrays must have the same shape; got {[n.shape for n in nodes]}")
    axis = build.reductions_axis(axis, nodes[0].ndim + 1)
    shape = nodes[0].shape[:axis] + (len(nodes),) + nodes[0].shape[axis:]
    result_dtype = np.stack([_probe(n) for n in nodes], dtype=dtype, casting=casting).dtype
    return _stage("stack", tuple(nodes), {"axis": axis, "dtype": dtype, "casting": casting}, shape, result_dtype)


# NumPy function -> builder. numpy_api registers these for __array_function__.
BOUNDARIES = {
    np.matmul: matmul, np.dot: dot, np.tensordot: tensordot, np.sort: sort, np.concatenate: concatenate,
    np.stack: stack,  # (np.cumsum, np.cumprod: scans, api/statistics.py)
}
