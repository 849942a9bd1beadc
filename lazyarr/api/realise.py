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

import functools
import weakref

import numpy as np

from lazyarr.api import assign, tracing
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import GENERATORS
from lazyarr.runtime import evaluate as runtime


def evaluate(roots: list[Node], out: np.ndarray | None = None, handed_out: bool = True) -> list[np.ndarray]:
    """``runtime.evaluate(roots, out)``, rebinding the asking frame's LazyArrays computed on the way.

    `handed_out`: the values go to the user (who may write into them), so none may share memory with a
    leaf made here; False when lazyarr only reads them (a mask's values for a gather)."""
    if tracing.tracing_threads:
        return runtime.evaluate(roots, out)
    live = _computed_on_the_way(roots)
    if not live:
        return runtime.evaluate(stand_ins(roots), out)
    index = {id(n): i for i, n in enumerate(roots)}
    nodes = list(roots)
    for a in live:
        if id(a._node) not in index:
            index[id(a._node)] = len(nodes)
            nodes.append(a._node)
    values = runtime.evaluate(stand_ins(nodes), out)  # (one rewrite: the live nodes stay those of the roots)
    kept = []
    for a in live:
        value = values[index[id(a._node)]]
        if value is out:  # the caller's buffer is theirs to change: the leaf holds its own copy
            value = value.copy()
        history = a._node
        assign.realised(a, value)
        _stands_for(history, a._node, value)
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


# --- The history a realised array left behind -----------------------------------------------------------------
# ``e = z + 1.0`` built on a written z before an ask that realises z still holds z's old node, so asking for e
# later evaluated z's history again (its writes, everything under them). The old node's value is the leaf's
# (computed from it in the same pass), so a graph asked later may read the leaf instead, but only where that
# cannot change an answer: the old node must be a *pure* function of values lazyarr owns (leaves realise made,
# constants, generators), never of a user's array read by reference. Nodes are hash-consed, so the same node can
# be built again later from the same inputs (``la.array(a) * 1.0`` written the same way twice): if it read the
# user's ``a``, the second build must read ``a`` as it is then, not the first one's value. So mandelbrot's z
# (``z ** 2 + c`` reads the user's ``c``) is left out: its ``active &= ~escaped`` evaluates z's update again
# (a few percent of the loop, measured; docs/fuse_programs.md). Both ends are held weakly: lazyarr remembers
# recent graphs (``launch``), which keep old nodes alive, and the values must not live as long.
_STANDS_FOR: dict[int, tuple[weakref.ref, weakref.ref]] = {}
# The buffers of the values realise kept (id -> the array): no one else can write them (values handed to the
# user are copies where they would share memory), so leaves over them or over views of them are lazyarr's own.
_REALISED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _stands_for(history: Node, leaf: Node, value: np.ndarray) -> None:
    buffer = _buffer(value)
    _REALISED[id(buffer)] = buffer
    if history.op in (LEAF, CONST) or history is leaf or not _pure(history):
        return
    key = id(history)
    _STANDS_FOR[key] = (weakref.ref(history, functools.partial(_forget, key)), weakref.ref(leaf))


def _pure(root: Node) -> bool:
    """Whether `root`'s value depends only on leaves realise made, constants and generators."""
    for node in expr.walk([root]):
        if node.op == LEAF:
            buffer = _buffer(node.data)
            if _REALISED.get(id(buffer)) is not buffer:
                return False
        elif not node.args and node.op != CONST and node.op not in GENERATORS:
            return False  # an external leaf (a dask array)
    return True


def _buffer(array: np.ndarray) -> np.ndarray:
    """The array that owns `array`'s memory (itself, or the end of its chain of bases)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _forget(key: int, ref: weakref.ref) -> None:
    entry = _STANDS_FOR.get(key)
    if entry is not None and entry[0] is ref:
        del _STANDS_FOR[key]


def stand_in(node: Node) -> Node | None:
    """The leaf computed for `node` (a realised array's old node), or None."""
    entry = _STANDS_FOR.get(id(node))
    return entry[1]() if entry is not None and entry[0]() is node else None


def stand_ins(roots: list[Node]) -> list[Node]:
    """`roots` with every realised array's old node in their graphs replaced by the leaf of its value (rebuilt
    only where something is replaced: the same nodes otherwise)."""
    if not _STANDS_FOR or all(r.op in (LEAF, CONST) for r in roots):
        return roots
    rebuilt: dict[int, Node] = {}  # id(node) -> its replacement; nodes kept as they are are not in it
    seen: set[int] = set()
    stack = [(r, False) for r in roots]
    while stack:  # arguments before the nodes that read them; no descent below a replaced node
        node, expanded = stack.pop()
        if expanded:
            if any(id(a) in rebuilt for a in node.args):
                args = tuple(rebuilt.get(id(a), a) for a in node.args)
                rebuilt[id(node)] = expr.make(node.op, args, node.params, node.shape, node.dtype)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        leaf = stand_in(node)
        if leaf is not None:
            rebuilt[id(node)] = leaf
        elif node.args:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in seen)
    if not rebuilt:
        return roots
    return [rebuilt.get(id(r), r) for r in roots]
