"""A NumPy interpreter over the same graph: evaluates one node from its operands' values.

It is the fallback for stages that are not compiled (a ufunc loop Numba cannot lower, NumPy boundaries) and a
second opinion in tests. It uses the op table's NumPy references, so it cannot drift from them.
"""
from __future__ import annotations

import numpy as np

from lazyarr.graph.expr import Node, special_ufunc, walk
from lazyarr.graph.ops import ELEMENTWISE, GENERATORS, REDUCTIONS, SCANS, SPECIAL, STAGES, generate


def apply(node: Node, args: list[np.ndarray]) -> np.ndarray:
    """NumPy's value of `node` given its operands' values (already of the operand dtypes)."""
    if node.op == "numpy":
        return np.asarray(STAGES[node.params.name].numpy(*args, **dict(node.params.kwargs)))
    if node.op == "reduce":
        return _reduction(node, args[0])
    if node.op in GENERATORS:  # surface/creation
        return generate(node.op, node.shape)
    if node.op == "scan":  # surface/reductions: ufunc.accumulate in the result dtype
        with np.errstate(all="ignore"):
            # (s15 sweep) a ufunc without a scan entry (fmax, subtract, divide, power, ...) is NumPy's of that name
            ufunc = SCANS[node.params.name].ufunc if node.params.name in SCANS else getattr(np, node.params.name)
            return ufunc.accumulate(args[0], axis=node.params.axes[0], dtype=node.dtype)
    if node.op.startswith(SPECIAL):
        return _ufunc_call(special_ufunc(node), node, args)
    op = ELEMENTWISE[node.op]
    if op.ufunc is not None:
        return _ufunc_call(op.ufunc, node, args)
    return np.asarray(op.numpy(*args)).astype(node.dtype, copy=False)


def _reduction(node: Node, operand: np.ndarray) -> np.ndarray:
    params = node.params
    red = REDUCTIONS[params.name]
    kwargs = {"dtype": node.dtype} if red.takes_dtype else {}
    # NumPy's arg-reductions take one axis or None (params.axis holds it as a 1-tuple)
    axis = params.axis[0] if red.arg and params.axis is not None else params.axis
    with np.errstate(all="ignore"):
        return np.asarray(red.numpy(operand, axis=axis, **kwargs)).astype(node.dtype, copy=False)


def _ufunc_call(ufunc, node: Node, args) -> np.ndarray:
    with np.errstate(all="ignore"):
        result = ufunc(*[np.asarray(a).astype(dt, copy=False) for a, dt in zip(args, node.params.loop)])
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
