"""Row fusion: reductions along one axis whose results are broadcast back over that axis, as one kernel.

``softmax``, ``logsumexp``, standardisation and layer norm reduce a 2-D (or n-d) array along its last or its
first axis and use the result, per row, on the same rows. Planned as reduce kernels and map kernels, each
reduction and the final map read the whole array from memory again. A ``RowKernel`` instead computes one
row at a time (a row: every element sharing the kept indices): each reduction is a pass over the row, the
per-row values come next, and the outputs last, while the row is still in cache.

The region of one kernel (``find``) is grown from every reduction over the same axis of the same shape F:

- *full* nodes: fusable elementwise nodes of shape F (the reductions' producers, and the consumers of the
  per-row values);
- *row* nodes: the reductions, the keepdims reshapes of their results, and elementwise nodes of the reduced
  shape over them (``mean = sum / n``, ``sqrt(var + eps)``, ``log(s) + m``).

Everything else the region reads is an input, computed by the steps before it. A region is refused (the
ordinary plan runs) when it would read a value that depends on itself, when a row value is broadcast in any
other way than over its own row, when it has too few rows to share out between threads, or when it is over
the kernel caps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from lazyarr.graph.dtypes import HALF
from lazyarr.graph.expr import CONST, LEAF, Node, structure_id, walk

# The reductions a row pass computes (the arg-reductions keep a position, any/all are rarely broadcast back).
ROW_REDUCTIONS = frozenset({"sum", "prod", "max", "min"})
# Fewer rows than this cannot keep two threads busy (a row is one task), and the reduce/map plan splits a
# single long row's reduction itself.
MIN_ROWS = 16
# As for map kernels (schedule.MAX_KERNEL_NODES / MAX_KERNEL_ARGS): Numba's compile time grows faster than a
# function's size; a bigger region keeps the ordinary plan.
MAX_NODES = 64
MAX_ARGS = 32

# Off: every graph gets the ordinary reduce/map plan (tests compare the two; benchmarks measure the gain).
enabled = True

WHY = ("row-fused: every reduction here runs along axis {axis} of {shape} and its result is only broadcast back "
       "over that axis, so each row is reduced and written in one pass of the kernel while it is in cache")


@dataclass(frozen=True, eq=False)
class RowKernel:
    """Reductions along `axis` of `shape` and the elementwise work around them, computed row by row."""
    outputs: tuple[Node, ...]    # region nodes needed after the kernel (full-shape or row-shape)
    inputs: tuple[Node, ...]     # arrays read element by element (broadcast to `shape`)
    row_inputs: tuple[tuple[Node, tuple], ...]  # (array, the row shape it is broadcast to): read once per row
    consts: tuple[Node, ...]
    body: tuple[Node, ...]       # region nodes in evaluation order, children first
    rows: frozenset              # ids of the body's row nodes (the others are full nodes)
    refs: tuple                  # per body node, where each operand comes from (see ``_operands``)
    shape: tuple[int, ...]       # F
    axis: int                    # the reduced axis of F
    key: tuple                   # everything that changes the code (no sizes, no axis: the code is 2-D)
    why: str = ""

    @property
    def reductions(self) -> tuple[Node, ...]:
        return tuple(n for n in self.body if n.op == "reduce")


def is_row_reshape(node: Node) -> bool:
    """A NumPy stage that only adds or drops length-1 axes: a reshape, or an index of whole slices and
    integers on length-1 axes (``m[:, 0]``). Its element order is its operand's."""
    if node.op != "numpy" or len(node.args) != 1 or math.prod(node.args[0].shape) != math.prod(node.shape):
        return False
    name, kwargs = node.params.name, dict(node.params.kwargs)
    if name == "reshape":
        return True
    if name != "getitem":
        return False
    key = kwargs.get("key")
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or isinstance(p, int) or (isinstance(p, tuple) and len(p) == 3 and p[2] == 1)
               for p in parts)


def _dtype_ok(node: Node) -> bool:
    # float16 travels as bits and complex reductions have their own NaN ordering: the ordinary plan has both.
    return node.dtype.kind in "biuf" and node.dtype != HALF


def _family(node: Node):
    """(F, axis) for a reduction a row kernel can compute, else None."""
    if node.op != "reduce" or node.params.engine != "numba" or node.params.name not in ROW_REDUCTIONS:
        return None
    shape, axes = node.args[0].shape, node.params.axes
    if len(shape) < 2 or len(axes) != 1 or axes[0] not in (0, len(shape) - 1) or math.prod(shape) == 0:
        return None
    if not (_dtype_ok(node) and _dtype_ok(node.args[0])):
        return None
    return shape, axes[0]


def find(roots) -> dict[int, RowKernel]:
    """id(node) -> the row kernel that computes it, for every node a row kernel takes over."""
    if not enabled:
        return {}
    order = walk(roots)
    consumers: dict[int, list[Node]] = {}
    for n in order:
        for a in n.args:
            consumers.setdefault(id(a), []).append(n)
    root_ids = {id(r) for r in roots}
    families: dict[tuple, list[Node]] = {}
    for n in order:
        fam = _family(n)
        if fam is not None:
            families.setdefault(fam, []).append(n)
    covered: dict[int, RowKernel] = {}
    for (shape, axis), reds in families.items():
        kernel = _grow(reds, shape, axis, consumers, covered, root_ids, order)
        if kernel is not None:
            covered.update((id(n), kernel) for n in kernel.body)
    return covered


class _Region:
    """The nodes of one row kernel while it grows: `full` and `row` (id -> node)."""

    def __init__(self, shape: tuple, axis: int, covered: dict):
        self.shape, self.axis, self.covered = shape, axis, covered
        self.kept = tuple(d for i, d in enumerate(shape) if i != axis)
        self.reduced = tuple(1 if i == axis else d for i, d in enumerate(shape))
        self.full: dict[int, Node] = {}
        self.row: dict[int, Node] = {}

    def has(self, n: Node) -> bool:
        return id(n) in self.full or id(n) in self.row

    def free(self, n: Node) -> bool:
        return not self.has(n) and id(n) not in self.covered

    def is_row_shape(self, shape: tuple) -> bool:
        return shape in (self.kept, self.reduced)

    def broadcasts_per_row(self, shape: tuple) -> bool:
        """Whether a value of `shape`, broadcast against F, is constant along the reduced axis and indexed by
        the row: right-aligned, it is F with the reduced axis of length 1."""
        padded = (1,) * (len(self.shape) - len(shape)) + tuple(shape)
        return padded == self.reduced

    def add_full(self, node: Node) -> None:
        """`node` and the fusable elementwise nodes of shape F under it."""
        stack = [node]
        while stack:
            n = stack.pop()
            if not self.free(n) or not (n.fusable and n.shape == self.shape and _dtype_ok(n)):
                continue
            self.full[id(n)] = n
            stack.extend(n.args)


def _grow(reds, shape, axis, consumers, covered, root_ids, order) -> RowKernel | None:
    region = _Region(shape, axis, covered)
    reds = [r for r in reds if region.free(r)]
    if not reds or math.prod(region.kept) < MIN_ROWS:
        return None
    for r in reds:
        region.row[id(r)] = r
        region.add_full(r.args[0])
    _grow_up(region, consumers)
    # Without a row value read back over its row there is nothing to fuse: a plain reduction keeps its own
    # tuned loops (compiler/source_reduce.py).
    if not _well_formed(region) or not any(id(a) in region.row for n in region.full.values() for a in n.args):
        return None
    body = [n for n in order if region.has(n)]
    outputs = [n for n in body if id(n) in root_ids
               or any(not region.has(c) for c in consumers.get(id(n), ()))]
    inputs, row_inputs, consts, refs = _operands(region, body)
    # rows32 (#14): reductions may accumulate in different dtypes (a float32 max in float32, a float32 sum in
    # float64, a count in int64): each pass starts its state afresh, which Numba types pass by pass.
    if (len(body) > MAX_NODES or len(inputs) + len(row_inputs) + len(consts) > MAX_ARGS
            or _depends_on(region, inputs + [a for a, _ in row_inputs])):
        return None
    rows = frozenset(region.row)
    key = _key(body, rows, refs, inputs, row_inputs, consts, outputs)
    return RowKernel(tuple(outputs), tuple(inputs), tuple(row_inputs), tuple(consts), tuple(body), rows,
                     tuple(refs), shape, axis, key, WHY.format(axis=axis, shape=shape))


def _grow_up(region: _Region, consumers: dict) -> None:
    """Take in the consumers of the region's nodes that stay per row or per element of F."""
    work = list(region.row.values()) + list(region.full.values())
    while work:
        n = work.pop()
        for c in consumers.get(id(n), ()):
            if not region.free(c) or not _dtype_ok(c):
                continue
            if id(n) in region.row and is_row_reshape(c) and region.is_row_shape(c.shape):
                region.row[id(c)] = c
            elif c.fusable and c.shape == region.shape:
                region.full[id(c)] = c
                for a in c.args:
                    region.add_full(a)
            elif c.fusable and region.is_row_shape(c.shape) and not any(id(a) in region.full for a in c.args):
                region.row[id(c)] = c
            else:
                continue
            work.append(c)


def _well_formed(region: _Region) -> bool:
    """Every row value a full node reads is broadcast over its own row; no row node reads a full one."""
    for n in region.full.values():
        if any(id(a) in region.row and not region.broadcasts_per_row(a.shape) for a in n.args):
            return False
    for n in region.row.values():
        if n.op != "reduce" and any(id(a) in region.full for a in n.args):
            return False
    return True


def _operands(region: _Region, body: list) -> tuple[list, list, list, list]:
    """(element inputs, (row input, its row shape) pairs, constants, refs) of the region, in first-use order.

    refs[i] says where each operand of body[i] comes from: ("v", body index), ("in", input index), ("row", row
    input index) or ("c", constant index). A row value a full node reads from outside (a (n, 1) array against
    (n, m)) is a row input: read once per row, not once per element."""
    inputs: dict = {}
    row_inputs: dict = {}
    consts: dict = {}
    position = {id(n): i for i, n in enumerate(body)}
    refs = []
    for n in body:
        own = []
        for a in (n.args[:1] if is_row_reshape(n) else n.args):
            if id(a) in position:
                own.append(("v", position[id(a)]))
            elif a.op == CONST:
                own.append(("c", _index(consts, id(a), a)))
            elif id(n) in region.row and n.op != "reduce":
                own.append(("row", _index(row_inputs, (id(a), n.shape), (a, n.shape))))
            elif n.op != "reduce" and a.shape != region.shape and region.broadcasts_per_row(a.shape):
                own.append(("row", _index(row_inputs, (id(a), region.reduced), (a, region.reduced))))
            else:
                own.append(("in", _index(inputs, id(a), a)))
        refs.append(tuple(own))
    return list(inputs.values()), list(row_inputs.values()), list(consts.values()), refs


def _index(table: dict, key, value) -> int:
    """The position of `key` in the insertion-ordered `table`, adding it with `value` if new."""
    if key not in table:
        table[key] = value
    return list(table).index(key)


def _depends_on(region: _Region, inputs: list) -> bool:
    """Whether some input is computed from the region itself (the kernel would need its own result)."""
    seen: set[int] = set()
    stack = list(inputs)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if region.has(n):
            return True
        stack.extend(n.args)
    return False


def _key(body, rows, refs, inputs, row_inputs, consts, outputs) -> tuple:
    """The structure of the kernel as ints: operand kinds, each node's own op, role and operands' places."""
    key: list = [tuple(structure_id(("row-kernel input", a.dtype)) for a in inputs),
                 tuple(structure_id(("row-kernel row input", a.dtype)) for a, _ in row_inputs),
                 tuple(c.sid for c in consts)]
    for n, ref in zip(body, refs):
        if n.op == "reduce":
            own = ("reduce", n.params.name, n.dtype)
        elif is_row_reshape(n):
            own = ("row reshape", n.dtype)
        else:
            own = ("local", n.op, n.params, n.dtype)
        key.append((structure_id(own), id(n) in rows, ref))
    position = {id(n): i for i, n in enumerate(body)}
    key.append(tuple(position[id(n)] for n in outputs))
    return tuple(key)
