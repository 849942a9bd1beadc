"""A NumPy interpreter over the same graph: evaluates one node from its operands' values.

It is the fallback for stages that are not compiled (a ufunc loop Numba cannot lower, NumPy boundaries) and a
second opinion in tests. It uses the op table's NumPy references, so it cannot drift from them.
"""
from __future__ import annotations

import numpy as np

from lazyarr.graph.expr import Node, special_ufunc, walk
from lazyarr.graph.ops import ELEMENTWISE


def apply(node: Node, args: list[np.ndarray]) -> np.ndarray:
    """NumPy's value of `node` given its operands' values (already of the operand dtypes)."""
    if node.op == "numpy":
        _, func, kwargs = node.params[0], node.params[1], dict(node.params[2])
        return np.asarray(func(*args, **kwargs))
    if node.op == "reduce":
        from lazyarr.graph.ops import REDUCTIONS
        name, axes, axis_arg = node.params[0], node.params[1], node.params[2]
        kwargs = {"dtype": node.dtype} if name in ("sum", "prod") else {}
        if name in ("argmin", "argmax"):
            axis_arg = None if axis_arg is None else axis_arg[0]
        with np.errstate(all="ignore"):
            return np.asarray(REDUCTIONS[name].numpy(args[0], axis=axis_arg, **kwargs)).astype(node.dtype, copy=False)
    if node.op == "cast":
        return np.asarray(args[0]).astype(node.dtype)
    if node.op.startswith("scipy.special."):
        return _ufunc_call(special_ufunc(node), node, args)
    op = ELEMENTWISE[node.op]
    if op.ufunc is not None:
        return _ufunc_call(op.ufunc, node, args)
    if node.op == "where":
        return np.where(args[0], args[1], args[2]).astype(node.dtype, copy=False)
    if node.op == "real":
        return np.real(args[0])
    if node.op == "imag":
        return np.imag(args[0])
    if node.op == "copy":
        return np.array(args[0], copy=True)
    raise NotImplementedError(node.op)


def _ufunc_call(ufunc, node: Node, args) -> np.ndarray:
    loop_in = node.params[0]
    with np.errstate(all="ignore"):
        result = ufunc(*[np.asarray(a).astype(dt, copy=False) for a, dt in zip(args, loop_in)])
    return np.asarray(result, dtype=node.dtype)


def evaluate(roots: list[Node]) -> list[np.ndarray]:
    """Every root evaluated by NumPy alone, node by node."""
    values: dict[int, np.ndarray] = {}
    for node in walk(roots):
        if node.op == "leaf":
            values[id(node)] = node.data
        elif node.op == "const":
            values[id(node)] = np.asarray(node.data, dtype=node.dtype)
        else:
            values[id(node)] = apply(node, [values[id(a)] for a in node.args])
    return [values[id(r)] for r in roots]
