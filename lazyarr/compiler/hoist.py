"""Broadcast-invariant work once: a costly subexpression of a smaller shape is computed at its own shape.

In ``haversine`` between a (n, 1) and a (1, n) point set, ``cos(lat1)`` has n values but a fused loop over
the (n, n) output evaluates it n * n times. ``invariant`` finds, in a map kernel's region, the subexpressions
whose shape is much smaller than the kernel's and that hold an op that is not inline (a libm or scipy.special
call): the scheduler computes those first, as NumPy stages at their own shape (a few microseconds, no kernel
to compile, and NumPy's own values), and the kernel reads the results, broadcast, as inputs.
"""
from __future__ import annotations

import math

from lazyarr.graph.expr import Node
from lazyarr.graph.ops import ELEMENTWISE

# A subexpression is hoisted when the kernel computes it at least this many times over...
MIN_REPEATS = 8
# ...and it has at most this many elements (NumPy computes it: a stage, never a compiled kernel).
MAX_SIZE = 1 << 18


def _size(node: Node) -> int:
    return math.prod(node.shape)


def _costly(node: Node) -> bool:
    op = ELEMENTWISE.get(node.op)
    return op is None or not op.inline  # a scipy.special node has no entry: a library call


def invariant(body: list[Node], shape: tuple) -> list[Node]:
    """The nodes of `body` (evaluation order) to compute before a kernel over `shape`, children first: every
    small node under a small node that is read by a bigger one, when that subexpression has a costly op."""
    size = math.prod(shape)
    small = {id(n) for n in body if _size(n) * MIN_REPEATS <= size and _size(n) <= MAX_SIZE}
    if not small:
        return []
    costly: set[int] = set()  # small nodes with a costly op at or under them
    for n in body:
        if id(n) in small and (_costly(n) or any(id(a) in costly for a in n.args)):
            costly.add(id(n))
    # The tops: small costly nodes read by a node that is not small. Everything small under a top goes too.
    tops = {id(a) for n in body if id(n) not in small for a in n.args if id(a) in costly}
    keep: set[int] = set()
    for n in reversed(body):
        if id(n) in tops or id(n) in keep:
            keep.add(id(n))
            keep.update(id(a) for a in n.args if id(a) in small)
    return [n for n in body if id(n) in keep]


def why(node: Node, shape: tuple) -> str:
    return (f"hoisted: {node.op} of shape {node.shape} is broadcast over {shape}, so it is computed once at its "
            f"own shape (by NumPy) instead of once per element of the kernel")
