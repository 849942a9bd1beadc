"""The ownership rule: when a written array's new value may overwrite the buffer of its last value (s12
lazymandel, #15).

A lazy loop's written array is rebound at each ask to a leaf of its value (``api/realise.py``), over a buffer
lazyarr allocated and never hands out (values given to the user are copies where they would share it). The
next write builds ``where(m, f(leaf, ...), leaf)`` (``x[m] = f(x[m], ...)``, ``api/masked_update.py`` and
``api/masked_lanes.py``), and the next ask computed it into a new buffer while the old one lived on. Storing it
into the leaf's own buffer instead (``runtime/inplace.py``) is what NumPy's ``x[m] = ...`` does, and it is
safe exactly when nothing can read the old value afterwards:

- the buffer is one realise kept (``_REALISED``), owns its memory, and is held by the leaf alone: its data
  view and its source, no other view of it alive (a NumPy view the user made of a value handed out is a view of
  a copy; anything else, even lazyarr's own, refuses);
- the leaf, and every node between the written history and the leaf, is held only by the nodes of that history
  (reference counts): no other LazyArray, no graph built before (an older LazyArray still alive, an expression
  on the old value, a kept value's graph, a plan or a dask graph that descended into it, the history an ask
  before left behind: its stand-in entry holds the leaf) can read the leaf again;
- the history itself may be held by anything: from this ask on it stands for the leaf (``realise.stand_ins``),
  and every graph the runtime computes reads the stand-ins first (``runtime/evaluate.REWRITES``), so the
  history's nodes are never computed again.

Reference counts are CPython's, exact and cheap (a few nodes); the cost of a miss is only the old path (a new
buffer). Only buffers of at least MIN_BYTES: a small array gains little and is often held by lazyarr's
remembered small graphs anyway.
"""
from __future__ import annotations

import sys

import numpy as np

from lazyarr.graph import expr
from lazyarr.runtime import scratch
from lazyarr.graph.expr import LEAF, Node

__all__ = ["MIN_BYTES", "buffers_to_write", "new_leaf"]

MIN_BYTES = 1 << 20


def buffers_to_write(live: list, index: dict, rewritten: list, realised, stood_for) -> dict | None:
    """{position in `rewritten`: (leaf, its buffer)} for the live written arrays whose new value may be stored
    into the buffer of the leaf it replaces (the rule above), or None. `index`: id(node) -> position;
    `realised`: the buffers realise kept (id -> array); `stood_for(leaf)`: whether a live history stands for
    the leaf (a pure history's stand-in entry holds its leaf weakly, so no reference count shows it)."""
    into = {}
    for a in live:
        history = a._node
        at = index.get(id(history))
        if at is None or rewritten[at] is not history:
            continue
        if not _old_value(history) or not _held_only_by(history):  # (before this frame binds the leaf)
            continue
        leaf = history.args[2]
        buffer = _own_buffer(leaf, realised)
        # (a pure history's stand-in refers to its leaf weakly: while that leaf lives the history reads it. The
        # leaf of a write that passes the checks above dies with the ask's history, and the pure history then
        # computes again from its own inputs, which its references keep from being written; this check keeps
        # the rule from depending on that: tests/test_inplace_owned.py passes without it.)
        if buffer is not None and not stood_for(leaf):
            into[at] = (leaf, buffer)
        del leaf, buffer
    return into or None


def new_leaf(buffer: np.ndarray) -> Node:
    """A new leaf for `buffer` after a value was stored into it, found from now on by ``build.array_leaf``.
    The old leaf keeps its place in the old history's nodes (which stands for the new one), but a graph built
    later must not be the old one again: hash-consed over the old leaf, a pure history (``x[x > 0] *= 0.5``
    written twice) would be the node that already stands for the first value."""
    view = buffer.view()
    view.flags.writeable = False
    return expr.leaf(view, source=buffer)


def _old_value(history: Node) -> bool:
    """Whether `history` is ``where(m, f, x)`` with ``x`` a leaf of its dtype and shape, large enough to matter."""
    if history.op != "where" or len(history.args) != 3:
        return False
    x = history.args[2]
    return (x.op == LEAF and x.shape == history.shape and x.dtype == history.dtype
            and x.data.nbytes >= MIN_BYTES)


def _own_buffer(leaf: Node, realised):
    """The array owning `leaf`'s memory when realise kept it and only the leaf holds it, else None."""
    buffer, view = leaf.source, leaf.data
    if buffer is None or view.base is not buffer or realised.get(id(buffer)) is not buffer:
        return None
    # held by: view.base and leaf.source (+ this frame's `buffer` and getrefcount's argument); the view by
    # leaf.data (+ `view` and the argument). (Counted first: a ``flags`` object refers to its array.)
    # (and the scratch pool's list of lent buffers, which takes it back once nothing else holds it)
    if sys.getrefcount(buffer) != 4 + scratch.lent_references(buffer) or sys.getrefcount(view) != 3:
        return None
    if not (buffer.flags.owndata and buffer.flags.writeable and buffer.flags.c_contiguous):
        return None
    if buffer.shape != view.shape or view.strides != buffer.strides or view.dtype != buffer.dtype:
        return None
    return buffer


def _held_only_by(history: Node) -> bool:
    """Whether the leaf ``x`` of ``history = where(m, f, x)`` and every node of history's graph that reads it
    (history excluded) are referred to only by the arguments of nodes in that graph. (No variable here or in
    the caller holds one of them while they are counted, but the walk's dict, as for the probe.)"""
    nodes: dict[int, Node] = {}
    parents: dict[int, int] = {}
    stack = [history]
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes[id(node)] = node
        for arg in node.args:
            parents[id(arg)] = parents.get(id(arg), 0) + 1
            stack.append(arg)
    del stack, node, arg  # (history has three arguments: both names are bound)
    reads = _reading(nodes, id(history.args[2]))
    reads.discard(id(history))
    overhead = _overhead()
    for key, node in nodes.items():
        if key in reads and sys.getrefcount(node) - overhead != parents[key]:
            return False
    return True


def _reading(nodes: dict, leaf: int) -> set[int]:
    """The ids of the nodes in `nodes` whose graph holds the node of id `leaf` (it included)."""
    reading = {leaf}
    changed = True
    while changed:  # (a few nodes: a fixed point is cheaper than a topological order)
        changed = False
        for key, node in nodes.items():
            if key not in reading and any(id(a) in reading for a in node.args):
                reading.add(key)
                changed = True
    return reading


def _overhead() -> int:
    """The references ``_held_only_by``'s loop itself holds to a node (its dict, the loop variable, the
    argument): measured on a probe held the same way, so the count stays right on any CPython."""
    probe = {0: object()}
    for _, node in probe.items():
        return sys.getrefcount(node)
    return 0
