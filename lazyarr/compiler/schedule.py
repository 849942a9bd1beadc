"""Cut a graph into steps: fused elementwise kernels and the stages between them.

Elementwise nodes fuse into one ``MapKernel`` per output shape. Anything else (a node evaluated by NumPy, later
reductions) is a *stage*: its inputs are computed first, its result becomes an input buffer of the kernels
that consume it. A region larger than one kernel may take (``MAX_KERNEL_NODES``, ``MAX_KERNEL_ARGS``) is cut into
several. Each step records why it exists, for ``explain()``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lazyarr.graph.expr import CONST, LEAF, Node, structure_id, walk
from lazyarr.graph.ops import GENERATORS, REDUCTIONS, STAGES, is_elementwise, realise
from lazyarr.compiler import hoist, rowfuse


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


@dataclass(frozen=True, eq=False)
class SliceWrite(MapKernel):
    """(assignment and writes) ``x[basic key] = v`` with v elementwise: the result is a copy of x, and the map
    kernel computing v writes straight into its ``key`` region (no temporary for v). `outputs` holds v,
    `node` the ``setitem`` stage node whose value this step produces."""
    node: Node = None
    why: str = "x[key] = v: a copy of x, and v's fused kernel writing into its region"


# --- surface/gathers: integer gathers inside the fused kernel ---
# ``src[i0, i1, ...]`` with one integer index array per axis of src (api/indexing.py's ``gather`` stage, its
# index arrays broadcast to the result's shape) is elementwise in its index operands: the value at a position
# reads src at the indices found there. Inside a kernel the index expressions and whatever consumes the gathered
# values fuse around it; src itself (a *table*) is computed first and passed whole. Other advanced keys (slices
# among the arrays, boolean masks, uint64 or float16) stay the NumPy stage.
@dataclass(frozen=True, eq=False)
class GatherMapKernel(MapKernel):
    """A map kernel with in-kernel gathers (``gather_tables(k)`` lists the arrays they read). A class of its own
    so that a runner that does not pass tables (``@la.fuse``'s per-call ops) hands it to the runtime."""
    why: str = "elementwise nodes and integer gathers fused into one loop"


def is_kernel_gather(node: Node) -> bool:
    """Whether a node is a ``gather`` stage a kernel can compute in its loop."""
    if node.op != "numpy" or node.params.name != "gather":
        return False
    src, indices = node.args[0], node.args[1:]
    template = dict(node.params.kwargs)["key"]
    return (src.ndim >= 1 and len(template) == src.ndim == len(indices)
            and all(type(e) is tuple and e[0] == "array" for e in template)
            and tuple(e[1] for e in template) == tuple(range(len(indices)))
            and src.dtype.kind in "biuf" and src.dtype.char != "e"
            and all(i.dtype.kind == "i" or (i.dtype.kind == "u" and i.dtype.itemsize <= 4) for i in indices))


def gather_tables(k) -> tuple[Node, ...]:
    """The arrays a kernel's gathers read, in the order of the gathers in its body (kernel arguments t0, t1...)."""
    return tuple(dict.fromkeys((n.args[0] for n in k.body if is_kernel_gather(n)), None)) if any(
        is_kernel_gather(n) for n in k.body) else ()


def _map_class(body) -> type:
    return GatherMapKernel if any(is_kernel_gather(n) for n in body) else MapKernel
# --- end surface/gathers ---


def is_compiled_reduction(node: Node) -> bool:
    return node.op == "reduce" and node.params.engine == "numba"


# --- surface/reductions: scans ---
@dataclass(frozen=True, eq=False)
class ScanKernel(ReduceKernel):
    """A scan (cumsum, cumprod, ufunc.accumulate) whose elementwise producer is fused into its loop: the
    producer's values are never stored, the running values are the output. `node` is the scan."""
    why: str = "scan fused with the elementwise work that produces its input"


def is_compiled_scan(node: Node) -> bool:
    return node.op == "scan" and node.params.engine == "numba"
# --- end surface/reductions ---


@dataclass(frozen=True, eq=False)
class Stage:
    """One node computed on its own (by NumPy) from already available values."""
    node: Node
    why: str


def _input_sid(node: Node) -> int:
    # An array argument is known to the kernel only by dtype and rank, whether a leaf or an earlier result;
    # a leaf's own structure id already says exactly that.
    return node.sid if node.op == LEAF else structure_id((LEAF, node.dtype, node.ndim))


# node.sid -> the structure id of the node alone (op, params, dtype), without its operands'.
_local_sids: dict[int, int] = {}


def _local_sid(node: Node) -> int:
    """A body node's id in a kernel key. Its operands are already in the key as slots, and a node's own sid
    also encodes everything below it: the 2nd and the 20th chunk of a long chain would get different keys for
    the same code (a cache entry each) if the key held sids."""
    local = _local_sids.get(node.sid)
    if local is None:
        local = _local_sids[node.sid] = structure_id(("local", node.op, node.params, node.dtype))
    return local


def _region(roots, ready: set[int], gathers: bool = False):
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
            if node.op == "numpy":  # surface/gathers: the table is named by its dtype and rank, not a slot
                key.append((_local_sid(node), ("table", _input_sid(node.args[0])),
                            tuple(slot[id(a)] for a in node.args[1:])))
            else:
                key.append((_local_sid(node), tuple(slot[id(a)] for a in node.args)))
            body.append(node)
            continue
        if node.op == CONST:
            slot[nid] = len(key)
            key.append(node.sid)
            consts.append(node)
        elif nid not in ready and generated_in_place(node, roots):  # surface/creation
            stack.append((node, True))
        elif gathers and nid not in ready and is_kernel_gather(node):  # surface/gathers
            table = node.args[0]
            if table.op != LEAF and id(table) not in ready:
                stages.append(table)  # computed first (the caller plans it and walks again)
            stack.append((node, True))
            for a in reversed(node.args[1:]):
                stack.append((a, False))
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


# --- surface/creation: generator nodes ---
def generated_in_place(node: Node, roots) -> bool:
    """Whether a generator node (``ops.GENERATORS``) is computed from the loop index inside this region's kernel:
    only where the kernel is 1-d over the generator's own length, since there every loop shape's index is the
    position itself (a flat index of an n-d kernel, or a reduction's permuted axes, are not). Elsewhere the
    generator is an input, evaluated by NumPy as a stage."""
    return node.op in GENERATORS and node.ndim == 1 and all(r.shape == node.shape for r in roots)
# --- end surface/creation ---


# How much one kernel may take. Numba's compile time grows faster than linearly with a function's size (type
# inference and the parfor passes revisit every variable): a straight-line body of 200 nodes over 101 0-d
# inputs took 35 s, where 20 nodes over 11 took 0.7 s over the fixed cost. A region above either cap is cut
# into chunks (their shared values materialised), so compile time stays linear in the graph, and a graph
# built by a loop cuts into chunks of the same structure: one compiled kernel serves all of them.
MAX_KERNEL_NODES = 64  # body nodes
MAX_KERNEL_ARGS = 32   # array inputs plus constants


def _too_big(body: list, inputs: list, consts: list) -> bool:
    return len(body) > MAX_KERNEL_NODES or len(inputs) + len(consts) > MAX_KERNEL_ARGS


def _chunks(body: list) -> list[int]:
    """The chunk number of each node of `body` (evaluation order): consecutive runs, each within the caps."""
    chunk_of: dict[int, int] = {}
    current, nodes, operands = 0, 0, set()
    for node in body:
        new = {id(a) for a in node.args if chunk_of.get(id(a)) != current} - operands
        if nodes and (nodes == MAX_KERNEL_NODES or len(operands) + len(new) > MAX_KERNEL_ARGS):
            current, nodes, operands = current + 1, 0, set()
            new = {id(a) for a in node.args if chunk_of.get(id(a)) != current}
        chunk_of[id(node)] = current
        nodes += 1
        operands |= new
    return [chunk_of[id(n)] for n in body]


def _cut(body: list, roots: list, ready: set[int], steps: list) -> None:
    """Plan every chunk of an oversized region but its last as map kernels, and mark their outputs ready:
    what a later chunk reads, and the roots among them. The caller plans the rest, which is the last chunk."""
    chunk = _chunks(body)
    position = {id(n): c for n, c in zip(body, chunk)}
    outputs: list[list[Node]] = [[] for _ in range(chunk[-1] + 1)]
    marked: set[int] = set()
    root_ids = {id(r) for r in roots}
    for node, c in zip(body, chunk):
        for a in node.args:
            if position.get(id(a), c) != c and id(a) not in marked:
                marked.add(id(a))
                outputs[position[id(a)]].append(a)
    for node, c in zip(body, chunk):
        if id(node) in root_ids and id(node) not in marked:
            outputs[c].append(node)
    for outs in outputs[:-1]:
        _map_kernels(outs, ready, steps)


def _map_kernels(outs: list, ready: set[int], steps: list) -> None:
    """Map kernels computing `outs` (elementwise nodes whose operands are all ready): one per output shape."""
    for shape in dict.fromkeys(n.shape for n in outs):
        group = [n for n in outs if n.shape == shape]
        body, inputs, consts, _, key = _region(group, ready, gathers=True)
        steps.append(_map_class(body)(tuple(group), tuple(inputs), tuple(consts), tuple(body), shape, key,
                                      _CHUNK_WHY))
    ready.update(id(n) for n in outs)


_CHUNK_WHY = (f"a chunk of an elementwise region larger than one kernel may take ({MAX_KERNEL_NODES} nodes, "
              f"{MAX_KERNEL_ARGS} arrays and constants): Numba's compile time grows faster than the size")


def plan(roots) -> list:
    """The steps that compute `roots`, in order."""
    steps: list = []
    ready: set[int] = set()
    # (row fusion, compiler/rowfuse.py) reductions broadcast back over their axis, and the work around them,
    # as one RowKernel each: id(node) -> its kernel, planned when `need` first meets one of its nodes.
    row_kernels = rowfuse.find(roots)
    rows_planned: set[int] = set()

    def need_rows(k) -> None:
        if id(k) in rows_planned:
            return
        rows_planned.add(id(k))
        need(list(k.inputs) + [a for a, _ in k.row_inputs])
        steps.append(k)
        ready.update(id(n) for n in k.outputs)

    def need(nodes) -> None:
        group: list[Node] = []
        for n in nodes:
            if n.op in (LEAF, CONST) or id(n) in ready or any(n is g for g in group):
                continue
            if id(n) in row_kernels:
                need_rows(row_kernels[id(n)])
            elif n.fusable or is_kernel_gather(n):  # (surface/gathers)
                group.append(n)
            elif is_compiled_reduction(n) or is_compiled_scan(n):  # (scans: surface/reductions)
                steps.append(_reduce_kernel(n, ready, need, steps))
                ready.add(id(n))
            elif _slice_write(n, ready, need, steps):  # (assignment and writes)
                ready.add(id(n))
            else:
                need(n.args)
                steps.append(Stage(n, _stage_reason(n)))
                ready.add(id(n))
        if not group:
            return
        body, inputs, consts, stages, key = _region(group, ready, gathers=True)
        if stages:
            need(stages)
            body, inputs, consts, stages, key = _region(group, ready, gathers=True)
        # (hoisting, compiler/hoist.py) costly subexpressions of a much smaller shape: once, at their shape
        shape = max((n.shape for n in group), key=lambda s: math.prod(s))
        hoisted = [n for n in hoist.invariant(body, shape) if not any(n is g for g in group)]
        if hoisted:
            steps.extend(Stage(n, hoist.why(n, shape)) for n in hoisted)
            ready.update(id(n) for n in hoisted)
            body, inputs, consts, stages, key = _region(group, ready, gathers=True)
        if _too_big(body, inputs, consts):
            _cut(body, group, ready, steps)  # every chunk but the last, which the code below plans
            group = [n for n in group if id(n) not in ready]
            if not group:
                return
            body, inputs, consts, stages, key = _region(group, ready, gathers=True)
        shapes = {n.shape for n in group}
        if len(shapes) == 1:
            steps.append(_map_class(body)(tuple(group), tuple(inputs), tuple(consts), tuple(body),
                                          group[0].shape, key))
        else:
            for shape in shapes:
                outs = [n for n in group if n.shape == shape]
                body, inputs, consts, _, key = _region(outs, ready, gathers=True)
                steps.append(_map_class(body)(tuple(outs), tuple(inputs), tuple(consts), tuple(body), shape, key))
        ready.update(id(n) for n in group)

    # Every node that is not elementwise first, children before parents: the stages and reductions below each
    # are then ready when `need` meets it, so `need` recurses one level at most, however deep the graph (a
    # chain of thousands of stages).
    try:
        for n in walk(roots):
            if n.op not in (LEAF, CONST) and not n.fusable and n.op not in GENERATORS and not is_kernel_gather(n):
                need([n])
        need(list(roots))
    finally:
        # (programs #15) `need` and `need_rows` reach themselves through their closure cells: a reference
        # cycle that held `steps` (every node, the leaves' arrays) until the garbage collector ran. With the
        # collector off (a benchmark loop) or rare, each call's arrays stayed, and every new output was fresh
        # memory: mandelbrot's lazy loop took ~1,000 page faults (a 4 MB array) per iteration.
        need = need_rows = None
    return steps


def _slice_write(node: Node, ready: set[int], need, steps: list) -> bool:
    """(assignment and writes) Plan a ``setitem`` stage whose value is elementwise as a ``SliceWrite``; False
    (nothing planned) for any other node, or a value region too big for one kernel."""
    if node.op != "numpy" or node.params.name != "setitem" or not node.args[1].fusable \
            or id(node.args[1]) in ready:
        return False
    value = node.args[1]
    if np.empty(node.shape, dtype=[])[realise(dict(node.params.kwargs)["key"])].shape != value.shape:
        return False  # (a value that broadcasts to the region: NumPy's write)
    need([node.args[0]])
    body, inputs, consts, stages, key = _region([value], ready)
    if stages:
        need(stages)
        body, inputs, consts, stages, key = _region([value], ready)
    if _too_big(body, inputs, consts):
        return False
    steps.append(SliceWrite((value,), tuple(inputs), tuple(consts), tuple(body), value.shape, key, node=node))
    return True


def _reduce_kernel(node: Node, ready: set[int], need, steps: list) -> ReduceKernel:
    producer = node.args[0]
    gathers = node.op == "reduce"  # (surface/gathers: a reduction reads gathered values in its loop)
    if not gathers and is_kernel_gather(producer):
        need([producer])
    body, inputs, consts, stages, key = _region([producer], ready, gathers)
    if stages:
        need(stages)
        body, inputs, consts, stages, key = _region([producer], ready, gathers)
    if _too_big(body, inputs, consts):
        _cut(body, [producer], ready, steps)  # the last chunk stays fused into the reduction
        body, inputs, consts, stages, key = _region([producer], ready, gathers)
    kind = ScanKernel if node.op == "scan" else ReduceKernel
    return kind(outputs=(producer,), inputs=tuple(inputs), consts=tuple(consts), body=tuple(body),
                shape=producer.shape, key=(_local_sid(node), key), node=node)


def _stage_reason(node: Node) -> str:
    if node.op == "reduce":
        name = node.params.name
        return f"{name} over {node.dtype} is evaluated by NumPy ({REDUCTIONS[name].numpy_why})"
    if node.op == "numpy":
        return STAGES[node.params.name].reason
    if node.op in GENERATORS:  # surface/creation
        return f"{node.op} ({GENERATORS[node.op]}) read by a kernel that is not 1-d over its length: NumPy makes it"
    if is_elementwise(node.op):  # (not fusable: no Numba loop)
        loop = "".join(d.char for d in node.params.loop)
        return f"{node.op} has no Numba loop for '{loop}': NumPy evaluates it"
    return f"{node.op} is not elementwise"

