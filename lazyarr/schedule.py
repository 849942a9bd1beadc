"""Cut a graph into steps: fused elementwise kernels and the stages between them.

Elementwise nodes fuse into one ``MapKernel`` per output shape. Anything else (a node evaluated by NumPy, later
reductions) is a *stage*: its inputs are computed first, its result becomes an input buffer of the kernels
that consume it. Each step records why it exists, for ``explain()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .expr import CONST, LEAF, Node
from .ops import ELEMENTWISE


def is_elementwise(node: Node) -> bool:
    """Fusable into a map kernel: an elementwise op whose loop Numba can compile."""
    return (node.op in ELEMENTWISE or node.op.startswith("scipy.special.")) and node.params[-1] == "numba"


@dataclass(frozen=True, eq=False)
class MapKernel:
    """Elementwise nodes fused into one loop over `shape`."""
    outputs: tuple[Node, ...]
    inputs: tuple[Node, ...]   # arrays read: leaves and values of earlier steps
    consts: tuple[Node, ...]   # scalars passed as typed arguments
    body: tuple[Node, ...]     # evaluated in this order, children first
    shape: tuple[int, ...]
    why: str = "elementwise nodes fused into one loop"

    def structure(self) -> tuple:
        """Everything about this kernel that changes its code, and nothing else (no sizes, values, ids)."""
        ref = {id(n): ("in", j, n.dtype.str, n.ndim) for j, n in enumerate(self.inputs)}
        ref.update({id(n): ("c", j, n.dtype.str) for j, n in enumerate(self.consts)})
        body = []
        for j, n in enumerate(self.body):
            body.append((n.op, n.params, n.dtype.str, tuple(ref[id(a)][:2] for a in n.args)))
            ref[id(n)] = ("v", j)
        return (tuple(ref[id(n)][:2] for n in self.outputs), tuple(body),
                tuple(r for r in ref.values() if r[0] != "v"))


@dataclass(frozen=True, eq=False)
class Stage:
    """One node computed on its own (by NumPy) from already available values."""
    node: Node
    why: str


@dataclass
class Plan:
    steps: list = field(default_factory=list)


def _region(roots, ready: set[int]):
    """Walk the elementwise region under `roots`: (body in order, array inputs, consts, stage nodes)."""
    body, inputs, consts, stages = [], [], [], []
    seen: set[int] = set()

    def visit(node: Node) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if node.op == CONST:
            consts.append(node)
        elif node.op == LEAF or id(node) in ready:
            inputs.append(node)
        elif not is_elementwise(node):
            stages.append(node)
            inputs.append(node)
        else:
            for a in node.args:
                visit(a)
            body.append(node)

    for r in roots:
        visit(r)
    return body, inputs, consts, stages


def plan(roots) -> list:
    """The steps that compute `roots`, in order."""
    steps: list = []
    ready: set[int] = set()

    def need(nodes) -> None:
        group: list[Node] = []
        for n in nodes:
            if n.op in (LEAF, CONST) or id(n) in ready or any(n is g for g in group):
                continue
            if is_elementwise(n):
                group.append(n)
            else:
                need([a for a in n.args])
                steps.append(Stage(n, _stage_reason(n)))
                ready.add(id(n))
        if not group:
            return
        need(_region(group, ready)[3])
        by_shape: dict[tuple, list[Node]] = {}
        for n in group:
            by_shape.setdefault(n.shape, []).append(n)
        for shape, outs in by_shape.items():
            body, inputs, consts, _ = _region(outs, ready)
            steps.append(MapKernel(tuple(outs), tuple(inputs), tuple(consts), tuple(body), shape))
        ready.update(id(n) for n in group)

    need(list(roots))
    return steps


def _stage_reason(node: Node) -> str:
    if node.op == "numpy":
        return f"np.{node.params[0]} is not fused: NumPy evaluates it"
    if node.params and node.params[-1] == "numpy":
        loop = "".join(d.char for d in node.params[0])
        return f"{node.op} has no Numba loop for '{loop}': NumPy evaluates it"
    return f"{node.op} is not elementwise"
