"""``x[m] = f(x[m], y[m])`` as ``where(m, f(x, y), x)``: a masked update computed in one fused pass.

NumPy programs update the selected elements of an array from the same selection of others (mandelbrot's
``z[active] = z[active] ** 2 + c[active]``). Taken literally that is two gathers (NumPy stages that copy the
selected elements out), the arithmetic on the compressed values, and a scatter (a stage that copies ``z`` and
writes them back), over the whole grid each time. When every array the value reads is gathered by the same
mask (and the arithmetic is elementwise), the value at a selected position is ``f`` of the arrays at that
position, so the update is ``where(m, f(x, y), x)``: one fused kernel, no gathers, no copy of ``x``.

The rewrite computes ``f`` at the positions not selected too, and discards it there. It is done only where that
is harmless: elementwise float, complex and bool arithmetic (compiled, or a ufunc NumPy evaluates with its
errors ignored, as the evaluator does: nothing raises per element; integer arithmetic is left alone, its
division and power errors are NumPy's per element). What it costs: ``f`` at every position instead of the
selected ones, cheaper than the gathers and the scatter unless ``f`` is expensive and the mask very sparse.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import build
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import is_elementwise

_SAFE_KINDS = "fcb"  # float, complex, bool: arithmetic that never raises


def as_where(target: Node, mask: Node, value: Node) -> Node | None:
    """``where(mask, f(...), target)`` for ``target[mask] = value`` when `value` is elementwise in gathers of
    full-shape arrays by `mask` (and constants); None otherwise (the scatter stage then serves)."""
    if mask.shape != target.shape or mask.op != LEAF or value.ndim != 1:
        return None
    full = _ungathered(value, mask.data, target.shape)
    if full is None:
        return None
    return build.where(mask, full, target)


def _ungathered(value: Node, mask: np.ndarray, shape: tuple) -> Node | None:
    """`value`'s expression with each gather ``a[mask]`` replaced by ``a`` (so of `shape`), or None."""
    rebuilt: dict[int, Node] = {}
    stack = [(value, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in rebuilt:
            continue
        if node.op == CONST or (not node.shape and node.op == LEAF):
            rebuilt[id(node)] = node
        elif _gathered_by(node, mask, shape):
            rebuilt[id(node)] = node.args[0]
        elif not (is_elementwise(node.op) and node.dtype.kind in _SAFE_KINDS
                  and all(a.dtype.kind in _SAFE_KINDS for a in node.args)):
            return None
        elif expanded:
            args = tuple(rebuilt[id(a)] for a in node.args)
            own = shape if any(a.shape for a in args) else ()  # (0-d work stays 0-d)
            rebuilt[id(node)] = expr.make(node.op, args, node.params, own, node.dtype)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in rebuilt)
    return rebuilt[id(value)]


def _gathered_by(node: Node, mask: np.ndarray, shape: tuple) -> bool:
    """Whether `node` is ``a[m]`` for an `a` of `shape` and a boolean mask m equal to `mask`."""
    if node.op != "numpy" or node.params.name != "advanced_index" or len(node.args) != 2:
        return False
    source, index = node.args
    if source.shape != shape or index.op != LEAF or index.dtype != np.bool_ or index.shape != shape:
        return False
    return index.data is mask or np.array_equal(index.data, mask)
