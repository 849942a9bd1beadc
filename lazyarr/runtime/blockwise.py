"""NumPy's answer to a map or reduction kernel in cache-sized blocks: the first answer while it compiles (#14).

While a kernel compiles in the background, NumPy computes its calls node by node (``launch.interpret_body``).
Over whole arrays every temporary is a new full-size buffer: at 10^6 float64 elements 8 MB whose pages fault on
first touch (a fresh process has no freed memory for the allocator to hand back) and whose every pass runs from
memory. Cut into blocks along one axis, each block's temporaries stay in the L2 cache, and the allocator hands
the same memory back block after block; a reduction never holds its full-size producer at all.

Only kernels whose every node is elementwise are cut (a gather, a generator or a NumPy stage needs whole
arrays); anything else returns False and the caller interprets the whole arrays as before. The values:

- a map: every element goes through the same ufunc loops from the same operands as over the whole array;
- a reduction along some axes, cut along the first axis it keeps: each result element reduces the same
  elements as NumPy's reduction of the whole producer;
- a reduction over every axis: NumPy reduces each block, then the blocks' results (sum, prod, max, min, any,
  all only): the sum differs from NumPy's own by its summation order, as the compiled kernel's does (the
  tolerance docs/runtime.md states for background compilation).

The blocks are computed by the caller and, when a CPU is idle, a helper thread (``runtime/block_helper``);
each block's value is the same on either, and a full reduction's partials are combined in block order.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lazyarr.graph import reference as interp
from lazyarr.graph.ops import ELEMENTWISE, REDUCTIONS, is_elementwise
from lazyarr.runtime import block_helper

# Bytes per full-size value of one block. Measured (((a-b)**2).sum(), 10^6 float64, one warm process): 64 KB
# blocks 3.8x NumPy's time, 128 KB 1.4x, 256 KB 1.1x, 512 KB 1.0x: below 256 KB the Python per block and node
# (~10 us) dominates; above, the temporaries leave the 512 KB L2 and the allocator maps fresh memory for them.
BLOCK_BYTES = 1 << 18
# Reductions whose result over the whole is the same reduction over the blocks' results.
COMBINING = frozenset({"sum", "prod", "max", "min", "any", "all"})


def run_map(k, arrays: list, consts: list, outs: list) -> bool:
    """Write map kernel `k`'s outputs into `outs` block by block; False (nothing written) if it is not cut."""
    axis = _map_axis(outs)
    blocks = _blocks(k, axis) if axis is not None else None
    if blocks is None or not _typed_as_nodes(k, arrays):
        return False
    inputs = [np.broadcast_to(a, k.shape) for a in arrays]
    # an output no input shares memory with is written by the node's own ufunc (no copy of each block)
    direct = [not any(np.may_share_memory(o, a) for a in arrays) for o in outs]
    program = _program(k, {id(n): o.dtype for n, o, d in zip(k.outputs, outs, direct) if d})
    start = _start_values(k, consts)

    def compute(index: tuple) -> None:
        targets = {id(n): o[index] for n, o, d in zip(k.outputs, outs, direct) if d}
        values = _run(program, k, inputs, start, index, targets)
        for node, o in zip(k.outputs, outs):
            if values[id(node)] is not targets.get(id(node)):
                np.copyto(o[index], values[id(node)], casting="unsafe")

    block_helper.each(compute, blocks)  # the blocks write disjoint parts of the outputs
    return True


def run_reduce(k, arrays: list, consts: list, result: np.ndarray) -> bool:
    """Write reduction kernel `k`'s result into `result` block by block; False if it is not cut."""
    node = k.node
    axes = node.params.axes
    kept = [a for a in range(len(k.shape)) if a not in axes]
    if not kept and node.params.name not in COMBINING:
        return False
    blocks = _blocks(k, kept[0] if kept else 0)
    if blocks is None or not _typed_as_nodes(k, arrays):
        return False
    inputs = [np.broadcast_to(a, k.shape) for a in arrays]
    producer = id(k.outputs[0])
    program = _program(k, {})
    start = _start_values(k, consts)
    partials = [None] * len(blocks)  # a full reduction's partials, combined in block order whoever computed them

    def compute(numbered: tuple) -> None:
        i, index = numbered
        value = _run(program, k, inputs, start, index, {})[producer]
        part = _reduce_block(node, value, inputs[0][index].shape)
        if kept:  # the cut axis is the result's first
            result[index[kept[0]]] = part
        else:
            partials[i] = part

    block_helper.each(compute, list(enumerate(blocks)))
    if not kept:
        result[...] = _combine(node, partials)
    return True


def _map_axis(outs: list) -> int | None:
    """The axis to cut along: the outermost in the outputs' memory order (None: no common order)."""
    if all(o.flags.c_contiguous for o in outs):
        return 0
    if all(o.flags.f_contiguous for o in outs):
        return outs[0].ndim - 1
    return None


def _blocks(k, axis: int) -> list[tuple] | None:
    """Index tuples cutting `k.shape` along `axis` into blocks of about BLOCK_BYTES per value, or None when `k`
    cannot be cut (a node that needs whole arrays, no array input, no work) or would be one block anyway."""
    shape = k.shape
    if not shape or not k.inputs or not k.body or not all(is_elementwise(n.op) for n in k.body):
        return None
    itemsize = max(n.dtype.itemsize for n in (*k.inputs, *k.body))
    across = math.prod(shape) // max(shape[axis], 1)  # elements of one slice along the axis
    step = max(1, BLOCK_BYTES // max(across * itemsize, 1))
    if step * 2 > shape[axis]:
        return None
    lead = (slice(None),) * axis
    return [lead + (slice(lo, min(lo + step, shape[axis])),) for lo in range(0, shape[axis], step)]


class _Step(NamedTuple):
    """One body node, decided once for every block."""
    node: object
    ufunc: np.ufunc | None  # None: the reference evaluator (graph/reference.apply) computes it
    args: tuple             # ids of its operands' values
    casts: tuple            # per operand, the loop dtype to cast it to, or None
    into: int | None        # id of a dying operand whose buffer the result is written into
    target: bool            # the result is written into the caller's output block
    frees: tuple            # ids of the values no later node reads


def _program(k, targets: dict) -> list[_Step]:
    """`k`'s body as steps: what ``launch.interpret_body`` decides for each node from its operands' values, decided
    here once from the nodes' dtypes (every block has the same), so a block costs its ufunc calls and little
    Python. `targets`: id(output node) -> the dtype of the buffer it may be written into directly."""
    last = {id(a): i for i, node in enumerate(k.body) for a in node.args}
    outputs = {id(n) for n in k.outputs}
    # ids of the values a ufunc wrote into a buffer of its own (of the block's shape): a later node may reuse it
    fresh: dict = {}
    steps = []
    for i, node in enumerate(k.body):
        ufunc = _plain_ufunc(node)
        casts = tuple(None if a.dtype == dt else dt for a, dt in zip(node.args, node.params.loop)) \
            if ufunc is not None else ()
        dying = tuple(dict.fromkeys(id(a) for a in node.args if id(a) not in outputs and last[id(a)] == i))
        same = ufunc is not None and _same_dtype_loop(node, ufunc)
        target = same and id(node) in targets and targets[id(node)] == node.dtype  # (dtype == None is float64)
        into = None
        if same and not target:
            into = next((a for a in dying if a in fresh and fresh[a].dtype == node.dtype), None)
        if ufunc is not None and id(node) not in outputs and tuple(node.shape) == tuple(k.shape):
            fresh[id(node)] = node
        steps.append(_Step(node, ufunc, tuple(id(a) for a in node.args), casts, into, target, dying))
    return steps


def _plain_ufunc(node) -> np.ufunc | None:
    op = ELEMENTWISE.get(node.op)
    ufunc = op.ufunc if op is not None else None
    return ufunc if ufunc is not None and ufunc.nout == 1 else None


def _same_dtype_loop(node, ufunc) -> bool:
    """Whether the node's loop takes and gives its dtype, so its result may go into a buffer of that dtype."""
    char = node.dtype.char
    return all(dt == node.dtype for dt in node.params.loop) and char * ufunc.nin + "->" + char in ufunc.types


def _typed_as_nodes(k, arrays: list) -> bool:
    """The program's casts are decided from the nodes' dtypes: the arrays must have them."""
    return all(getattr(a, "dtype", None) == n.dtype for n, a in zip(k.inputs, arrays))


def _start_values(k, consts: list) -> dict:
    return {id(c): np.asarray(x, dtype=c.dtype) for c, x in zip(k.consts, consts)}


def _run(program: list[_Step], k, inputs: list, start: dict, index: tuple, targets: dict) -> dict:
    """id(node) -> value for one block (its outputs, and every value still read by none)."""
    values = dict(start)
    for n, a in zip(k.inputs, inputs):
        values[id(n)] = a[index]
    for step in program:
        args = [values[a] for a in step.args]
        if step.ufunc is None:
            value = interp.apply(step.node, args)
        else:
            if step.casts:
                args = [x if dt is None else x.astype(dt) for x, dt in zip(args, step.casts)]
            if step.target:
                value = step.ufunc(*args, out=targets[id(step.node)])
            elif step.into is not None:
                value = step.ufunc(*args, out=values[step.into])
            else:
                value = step.ufunc(*args)
                if value.dtype != step.node.dtype:
                    value = value.astype(step.node.dtype)
        values[id(step.node)] = value
        for a in step.frees:
            del values[a]
    return values


# NumPy's functions for these reductions call their ufunc's reduce (``np.sum`` is ``np.add.reduce``): called
# directly, a block skips ~10 us of wrappers
_BY_UFUNC_REDUCE = frozenset({"sum", "prod", "max", "min"})


def _reduce_block(node, value, block_shape: tuple) -> np.ndarray:
    if np.shape(value) != block_shape:  # a producer of constants only: NumPy reduces the full block
        value = np.broadcast_to(value, block_shape)
    red = REDUCTIONS[node.params.name]
    if node.params.name not in _BY_UFUNC_REDUCE:
        return interp.apply(node, [value])
    kwargs = {"dtype": node.dtype} if red.takes_dtype else {}
    return red.ufunc.reduce(value, axis=node.params.axis, **kwargs)


def _combine(node, partials: list) -> np.ndarray:
    """The reduction over the blocks' results (each already of the node's dtype)."""
    red = REDUCTIONS[node.params.name]
    kwargs = {"dtype": node.dtype} if red.takes_dtype else {}
    with np.errstate(all="ignore"):
        if node.params.name in _BY_UFUNC_REDUCE:  # (#14 bgfirst2) the ufunc's reduce, as np.sum calls it: the
            # same loop over the same values, without np.stack's and np.sum's wrappers (first call in a process
            # ~0.16 ms against ~0.04 ms, ~25 us against ~3 us after)
            return np.asarray(red.ufunc.reduce(np.array(partials, dtype=node.dtype), axis=0, **kwargs))
        return np.asarray(red.numpy(np.stack(partials), axis=0, **kwargs)).astype(node.dtype, copy=False)
