"""Build nodes from user operands, with NumPy's dtype, shape and error for every operation.

This is where bad input is refused: shapes that do not broadcast, dtypes Numba cannot compile, ufuncs lazyarr
does not have. Every error names the operation and the operands, at build time.
"""
from __future__ import annotations

import functools

import numpy as np

from . import dtypes, expr
from .expr import Node
from .ops import BY_UFUNC, ELEMENTWISE, REFUSED_UFUNCS, numba_has_loop
from .schedule import is_elementwise


def to_node(x, what: str = "operand") -> Node:
    """A node for anything a user may pass: LazyArray, ndarray, NumPy scalar, Python scalar, list."""
    node = getattr(x, "_node", None)
    if node is not None:
        return node
    if dtypes.is_python_scalar(x):
        return expr.const(x, dtypes.scalar_dtype(x), weak=True)
    if isinstance(x, np.generic):
        dt = dtypes.check_supported(x.dtype, what)
        return expr.const(dt.type(x), dt, weak=False)
    return expr.leaf(as_input_array(x, what))


def as_input_array(x, what: str = "array") -> np.ndarray:
    """The array a leaf holds: native byte order (converted once, here), never writable by lazyarr."""
    if hasattr(x, "__dask_graph__"):
        raise TypeError(f"lazyarr: {what} is a dask array; wrap it with lazyarr.array(...) first")
    arr = np.asarray(x)
    dt = dtypes.check_supported(arr.dtype, what)
    if arr.dtype != dt:
        arr = arr.astype(dt)  # non-native byte order: one conversion at the boundary
    if arr.flags.writeable:
        arr = arr.view()
        arr.flags.writeable = False  # a view, so the user's own array keeps its flags
    return arr


@functools.lru_cache(maxsize=4096)
def broadcast_shapes(opname: str, *shapes: tuple) -> tuple:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " ".join(str(s) for s in shapes)
        raise ValueError(f"lazyarr: {opname}: operands could not be broadcast together with shapes {listed}") \
            from None


def _describe(nodes) -> str:
    return ", ".join(f"{'scalar' if n.is_const else 'array'}({n.dtype}, shape={n.shape})" for n in nodes)


def _typed(node: Node, dtype: np.dtype, opname: str, check: bool = True) -> Node:
    """A weak Python scalar takes the dtype its operation chose (with NumPy's overflow check, which ufuncs
    make and np.where, an unsafe cast, does not)."""
    if not node.weak:
        return node
    if check and isinstance(node.data, int) and not isinstance(node.data, bool):
        dtypes.check_weak_int(node.data, dtype, opname)
    with np.errstate(all="ignore"):
        value = np.asarray(node.data).astype(dtype)[()]
    return expr.const(value, dtype, weak=False)


def resolve(ufunc, nodes, opname: str, out_dtype=None):
    """(loop input dtypes, output dtype) for a ufunc on these nodes, as NumPy resolves it."""
    operands = tuple(dtypes.operand_for_resolution(n.data) if n.weak else n.dtype for n in nodes)
    try:
        loop_in, out = dtypes.resolve_loop(ufunc, operands + ((np.dtype(out_dtype),) if out_dtype else ()))
    except TypeError as exc:  # NumPy's UFuncNoLoopError and friends
        raise TypeError(f"lazyarr: {opname} is not defined for {_describe(nodes)} ({exc})") from None
    return loop_in, out


def ufunc_node(ufunc, operands, opname: str | None = None, dtype=None) -> Node:
    """The node for ``ufunc(*operands)``: a table entry, or a scipy.special ufunc through the bridge."""
    opname = opname or ufunc.__name__
    op = BY_UFUNC.get(ufunc)
    if op is None:
        if ufunc.__name__ in REFUSED_UFUNCS:
            raise TypeError(f"lazyarr: np.{ufunc.__name__} is not supported: {REFUSED_UFUNCS[ufunc.__name__]}")
        from . import special_ops
        return special_ops.node(ufunc, [to_node(x) for x in operands], dtype)
    nodes = [to_node(x) for x in operands]
    if len(nodes) != op.nin:
        raise TypeError(f"lazyarr: {opname} takes {op.nin} operands, got {len(nodes)}")
    loop_in, out = resolve(ufunc, nodes, opname, dtype)
    shape = broadcast_shapes(opname, *(n.shape for n in nodes))
    if op.name in _COMPARISONS:
        decided = _comparison_out_of_range(ufunc, nodes, loop_in)
        if decided is not None:
            return full(shape, decided, np.dtype(bool))
    nodes = [_typed(n, dt, opname) for n, dt in zip(nodes, loop_in)]
    if op.name == "power" and loop_in[1].kind in "iu" and nodes[1].is_const and nodes[1].data < 0:
        raise ValueError("Integers to negative integer powers are not allowed.")
    engine = "numba" if _numba_can(op, loop_in, out) else "numpy"
    return expr.make(op.name, tuple(nodes), (loop_in, engine), shape, out)


_COMPARISONS = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}


def _comparison_out_of_range(ufunc, nodes, loop_in):
    """NumPy 2 compares an integer array with a Python int outside its range without error: every element
    compares the same way, so the answer is a constant (e.g. ``int8_array < 300`` is all True)."""
    import operator
    compare = {"equal": operator.eq, "not_equal": operator.ne, "less": operator.lt,
               "less_equal": operator.le, "greater": operator.gt, "greater_equal": operator.ge}[ufunc.__name__]
    for i, n in enumerate(nodes):
        other = nodes[1 - i]
        dt = loop_in[i]
        if n.weak and type(n.data) is int and dt.kind in "iu" and not other.weak and other.dtype == dt:
            info = np.iinfo(dt)
            if not info.min <= n.data <= info.max:
                probe = [info.min, info.min]
                probe[i] = n.data
                return compare(*probe)
    return None


def _numba_can(op, loop_in, out) -> bool:
    kind = loop_in[0].kind
    if kind in op.numpy_for_kinds:
        return False
    if op.template(loop_in[0]).startswith("S."):
        return True
    # float16 is computed in float32 and rounded after each op, so the float32 loop is the one Numba needs.
    as_carrier = [np.dtype(np.float32) if d == dtypes.HALF else d for d in loop_in]
    return numba_has_loop(op.ufunc, as_carrier, np.dtype(np.float32) if out == dtypes.HALF else out)


def where(condition, x, y) -> Node:
    c, a, b = to_node(condition, "condition"), to_node(x, "x"), to_node(y, "y")
    operands = [n.data if n.weak else np.empty(0, n.dtype) for n in (a, b)]
    try:
        dt = np.result_type(*operands)
    except TypeError as exc:
        raise TypeError(f"lazyarr: where: no common dtype for {_describe([a, b])} ({exc})") from None
    dtypes.check_supported(dt, "where's result")
    c = cast(c, np.dtype(bool), "where") if c.dtype != np.bool_ else c
    a, b = _typed(a, dt, "where", check=False), _typed(b, dt, "where", check=False)
    shape = broadcast_shapes("where", c.shape, a.shape, b.shape)
    return expr.make("where", (c, a, b), ((np.dtype(bool), dt, dt), "numba"), shape, dt)


def clip(a, a_min, a_max) -> Node:
    if a_min is None and a_max is None:
        raise ValueError("lazyarr: clip: one of a_min or a_max must be given")
    if a_max is None:
        return ufunc_node(np.maximum, (a, a_min), "clip")
    if a_min is None:
        return ufunc_node(np.minimum, (a, a_max), "clip")
    return ufunc_node(ELEMENTWISE["clip"].ufunc, (a, a_min, a_max), "clip")


def cast(node: Node, dtype, opname: str = "astype") -> Node:
    dt = dtypes.check_supported(np.dtype(dtype), f"{opname}'s target")
    if node.is_const:
        with np.errstate(all="ignore"):
            return expr.const(np.asarray(node.data).astype(dt)[()], dt, weak=False)
    return expr.make("cast", (node,), ((node.dtype,), "numba"), node.shape, dt)


def unary(opname: str, node: Node) -> Node:
    """real, imag and copy: ops without a ufunc."""
    if opname in ("real", "imag"):
        if node.dtype.kind != "c":
            if opname == "real":
                return node
            return full(node.shape, 0, node.dtype)
        dt = np.dtype(f"f{node.dtype.itemsize // 2}")
        return expr.make(opname, (node,), ((node.dtype,), "numba"), node.shape, dt)
    return expr.make(opname, (node,), ((node.dtype,), "numba"), node.shape, node.dtype)


def full(shape: tuple, value, dtype) -> Node:
    """A fresh array of `shape` filled with `value`: a copy of a zero-stride view, so it costs no memory."""
    dt = dtypes.check_supported(np.dtype(dtype) if dtype is not None else np.asarray(value).dtype, "full")
    source = np.broadcast_to(np.asarray(value).astype(dt), shape)
    return unary("copy", expr.leaf(source))


def transpose(node: Node, axes: tuple[int, ...]) -> Node:
    """Permute axes by pushing the permutation down to the leaves (elementwise ops commute with it)."""
    if node.op == expr.LEAF:
        return expr.leaf(node.data.transpose(axes))
    if node.op == expr.CONST:
        return node
    if not is_elementwise(node):
        return numpy_stage("transpose", np.transpose, (node,), (("axes", axes),),
                           tuple(node.shape[a] for a in axes), node.dtype)
    args = []
    for a in node.args:
        # An operand of lower rank is aligned to the right, as broadcasting does; pad it first.
        pad = node.ndim - a.ndim
        if pad and not a.is_const:
            a = expand_leading(a, pad)
        args.append(a if a.is_const else transpose(a, axes))
    return expr.make(node.op, tuple(args), node.params, tuple(node.shape[a] for a in axes), node.dtype)


def expand_leading(node: Node, count: int) -> Node:
    """Add `count` leading length-1 axes."""
    if node.op == expr.LEAF:
        return expr.leaf(node.data.reshape((1,) * count + node.shape))
    if not is_elementwise(node):
        return numpy_stage("reshape", np.reshape, (node,), (("shape", (1,) * count + node.shape),),
                           (1,) * count + node.shape, node.dtype)
    # Operands stay right-aligned under broadcasting, so only this node's own shape changes.
    return expr.make(node.op, node.args, node.params, (1,) * count + node.shape, node.dtype)


def numpy_stage(name: str, func, args: tuple, kwargs: tuple, shape: tuple, dtype) -> Node:
    """A node NumPy evaluates on its own: `func(*args, **kwargs)`, a boundary between fused kernels."""
    return expr.make("numpy", tuple(args), (name, func, kwargs), shape, dtype)
