"""Values computed for Python are kept: the user's LazyArrays they passed through become leaves of them.

Outside ``@la.fuse``, a lazy program that asks for values inside a loop (``np.asarray(mask)`` when NumPy indexes
with a LazyArray, ``x[lazy_mask]``, ``compute()``, ``out=`` into an ndarray) computed the whole history of every
LazyArray involved at every ask: mandelbrot's ``z[active] = z[active] ** 2 + c[active]`` made ``z``'s graph one
step longer per iteration, and each iteration evaluated all the earlier ones again (quadratic in the
iterations). NumPy computes each value once, when its line runs.

So when a value is asked, the live LazyArrays that hold writes (``x[m] = v``, ``x += y`` since they were last
computed: ``assign.WRITTEN``) and whose node is part of the graph being computed are computed in the same pass
and rebound to leaves of their values, as a long chain of writes already is (``assign._maybe_realise``) and
as a graph break does inside ``@la.fuse`` (``tracer/segments.py``). Later graphs read those leaves instead of
the history. What this costs: a written intermediate the asked value fused through becomes one more output of
its kernel (one store); what it changes:
such a LazyArray no longer reads its NumPy inputs again if the user writes into them after this point (it holds
the value NumPy's array would hold from its line on). Expressions without writes are never rebound: they keep
reading their inputs by reference, as ``lazyarr.array`` promises; nor are LazyArrays that view another
(``y = x[1:]``: their value follows their base's) (docs/fuse_programs.md, "The overhead-bound programs").
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import assign, tracing
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.runtime import evaluate as runtime


def evaluate(roots: list[Node], out: np.ndarray | None = None, handed_out: bool = True) -> list[np.ndarray]:
    """``runtime.evaluate(roots, out)``, rebinding the asking frame's LazyArrays computed on the way.

    `handed_out`: the values go to the user (who may write into them), so none may share memory with a
    leaf made here; False when lazyarr only reads them (a mask's values for a gather)."""
    live = [] if tracing.tracing_threads else _computed_on_the_way(roots)
    if not live:
        return runtime.evaluate(roots, out)
    index = {id(n): i for i, n in enumerate(roots)}
    nodes = list(roots)
    for a in live:
        if id(a._node) not in index:
            index[id(a._node)] = len(nodes)
            nodes.append(a._node)
    values = runtime.evaluate(nodes, out)
    kept = []
    for a in live:
        value = values[index[id(a._node)]]
        if value is out:  # the caller's buffer is theirs to change: the leaf holds its own copy
            value = value.copy()
        assign.realised(a, value)
        kept.append(value)
    results = values[:len(roots)]
    if handed_out:
        results = [r.copy() if r is not out and _overlaps(r, kept) else r for r in results]
    return results


def evaluate_one(root: Node, out: np.ndarray | None = None) -> np.ndarray:
    return evaluate([root], out)[0]


def _computed_on_the_way(roots: list[Node]) -> list:
    """The live LazyArrays holding writes (``assign.WRITTEN``) whose node the graph of `roots` computes."""
    if not assign.WRITTEN or all(r.op in (LEAF, CONST) for r in roots):
        return []
    arrays = [ref() for ref in list(assign.WRITTEN.values())]
    written = [a for a in arrays if a is not None and a._node.op != LEAF and _written(a)]
    if not written:
        return []
    in_graph = {id(n) for n in expr.walk(roots)}
    return [a for a in written if id(a._node) in in_graph]


def _written(array) -> bool:
    """Whether `array` still holds writes not yet computed and views no other LazyArray (its link)."""
    link = getattr(array, "_link", None)
    return link is not None and link.base is None and link.writes > 0


def _overlaps(value: np.ndarray, kept: list) -> bool:
    return any(np.may_share_memory(value, k) for k in kept)
