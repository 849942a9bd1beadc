"""Cut a graph into steps: fused elementwise kernels and the stages between them.

Elementwise nodes fuse into one ``MapKernel`` per output shape. Anything else (a node evaluated by NumPy, later
reductions) is a *stage*: its inputs are computed first, its result becomes an input buffer of the kernels
that consume it. Each step records why it exists, for ``explain()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lazyarr.graph.expr import CONST, LEAF, Node, structure_id
from lazyarr.graph.ops import REDUCTIONS, STAGES, is_elementwise


@dataclass(frozen=True, eq=False)
class MapKernel:
    """Elementwise nodes fused into one loop over `shape`."""
    outputs: tuple[Node, ...]
    inputs: tuple[Node, ...]   # arrays read: leaves and values of earlier steps
    consts: tuple[Node, ...]   # scalars passed as typed arguments
    body: tuple[Node, ...]     # evaluated in this order, children first
    shape: tuple[int, ...]
    key: tuple                 # everything that changes the code, as ints (no sizes, values or ids)
    why: str = "elementwise nodes fused into one loop"


@dataclass(frozen=True, eq=False)
class ReduceKernel(MapKernel):
    """A reduction whose elementwise producer (the region under it) is fused into its loop: the producer's
    values are never stored. `outputs` holds the producer; `node` is the reduction."""
    node: Node = None
    why: str = "reduction fused with the elementwise work that produces its input"


def is_compiled_reduction(node: Node) -> bool:
    return node.op == "reduce" and node.params.engine == "numba"


@dataclass(frozen=True, eq=False)
class Stage:
    """One node computed on its own (by NumPy) from already available values."""
    node: Node
    why: str


def _input_sid(node: Node) -> int:
    # An array argument is known to the kernel only by dtype and rank, whether a leaf or an earlier result;
    # a leaf's own structure id already says exactly that.
    return node.sid if node.op == LEAF else structure_id((LEAF, node.dtype, node.ndim))


def _region(roots, ready: set[int]):
    """One walk of the elementwise region under `roots`.

    Returns (body in evaluation order, array inputs, consts, stage nodes met, key). Every visited node gets the
    next slot number; the key lists, per slot, its structure id and (for body nodes) its operands' slots, so
    two regions share a key exactly when they compile to the same code.
    """
    body, inputs, consts, stages, key = [], [], [], [], []
    slot: dict[int, int] = {}
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        nid = id(node)
        if nid in slot:
            continue
        if expanded:
            slot[nid] = len(key)
            key.append((node.sid, tuple(slot[id(a)] for a in node.args)))
            body.append(node)
            continue
        if node.op == CONST:
            slot[nid] = len(key)
            key.append(node.sid)
            consts.append(node)
        elif node.op == LEAF or nid in ready or not node.fusable:
            if node.op != LEAF and nid not in ready:
                stages.append(node)
            slot[nid] = len(key)
            key.append(_input_sid(node))
            inputs.append(node)
        else:
            stack.append((node, True))
            for a in reversed(node.args):
                stack.append((a, False))
    key.append(tuple(slot[id(r)] for r in roots))
    return body, inputs, consts, stages, tuple(key)


def plan(roots) -> list:
    """The steps that compute `roots`, in order."""
    steps: list = []
    ready: set[int] = set()

    def need(nodes) -> None:
        group: list[Node] = []
        for n in nodes:
            if n.op in (LEAF, CONST) or id(n) in ready or any(n is g for g in group):
                continue
            if n.fusable:
                group.append(n)
            elif is_compiled_reduction(n):
                steps.append(_reduce_kernel(n, ready, need))
                ready.add(id(n))
            else:
                need(n.args)
                steps.append(Stage(n, _stage_reason(n)))
                ready.add(id(n))
        if not group:
            return
        body, inputs, consts, stages, key = _region(group, ready)
        if stages:
            need(stages)
            body, inputs, consts, stages, key = _region(group, ready)
        shapes = {n.shape for n in group}
        if len(shapes) == 1:
            steps.append(MapKernel(tuple(group), tuple(inputs), tuple(consts), tuple(body), group[0].shape, key))
        else:
            for shape in shapes:
                outs = [n for n in group if n.shape == shape]
                body, inputs, consts, _, key = _region(outs, ready)
                steps.append(MapKernel(tuple(outs), tuple(inputs), tuple(consts), tuple(body), shape, key))
        ready.update(id(n) for n in group)

    need(list(roots))
    return steps


def _reduce_kernel(node: Node, ready: set[int], need) -> ReduceKernel:
    producer = node.args[0]
    body, inputs, consts, stages, key = _region([producer], ready)
    if stages:
        need(stages)
        body, inputs, consts, stages, key = _region([producer], ready)
    return ReduceKernel(outputs=(producer,), inputs=tuple(inputs), consts=tuple(consts), body=tuple(body),
                        shape=producer.shape, key=(node.sid, key), node=node)


def _stage_reason(node: Node) -> str:
    if node.op == "reduce":
        name = node.params.name
        return f"{name} over {node.dtype} is evaluated by NumPy ({REDUCTIONS[name].numpy_why})"
    if node.op == "numpy":
        return STAGES[node.params.name].reason
    if is_elementwise(node.op):  # (not fusable: no Numba loop)
        loop = "".join(d.char for d in node.params.loop)
        return f"{node.op} has no Numba loop for '{loop}': NumPy evaluates it"
    return f"{node.op} is not elementwise"

