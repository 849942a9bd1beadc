"""What one dask task runs: an elementwise region of a lazyarr graph, rebuilt over one block's arrays.

A ``BlockProgram`` is the region as plain data (ops, operand slots, typed constants), so it pickles small for
the processes and distributed schedulers and never carries the graph's own leaves. Called with a block of
each input, it makes the region's nodes over those blocks (``expr.make``: shapes are the blocks' shapes) and
hands the root to ``runtime.evaluate_one``. Every block of an expression has the same structure, so every
block finds the same compiled kernel in lazyarr's cache (and, after the first, the launch fast path's recipe).

With a ``reduction`` the program is the chunk step of a reduction: the reduction is made over the region's
root and its result keeps the reduced axes as length 1, ready for dask to combine (``ArgCombine`` for
argmin/argmax, dask's own reductions for the rest; see ``_dask_lower``).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from lazyarr.api import build
from lazyarr.graph import expr
from lazyarr.runtime import evaluate as runtime
from lazyarr.graph.expr import CONST, Node
from lazyarr.graph.ops import REDUCTIONS, is_arg_reduction, is_elementwise

# Slot kinds: (INPUT, input position, dtype) | (VALUE, constant, dtype) |
#             (OP, op, operand slots, params, dtype, ndim)
INPUT, VALUE, OP = "input", "const", "op"

def runs_per_block(node: Node) -> bool:
    """An elementwise op: its value on a block depends only on its operands' values on that block. (Not only
    the fusable ones: an op NumPy evaluates is still elementwise, and the block's own plan makes it a stage.)"""
    return is_elementwise(node.op)


def partial_dtype(value_dtype: np.dtype) -> np.dtype:
    """What an argmin/argmax chunk step returns per block: the winning value and its index in the block."""
    return np.dtype([("value", value_dtype), ("index", np.intp)])


@dataclass(frozen=True)
class BlockProgram:
    slots: tuple                  # in evaluation order; the last is the region's root
    input_dtypes: tuple           # one per input, in argument order
    reduction: tuple | None = None  # (ReductionParams, result dtype): a reduction's chunk step
    num_threads: int | None = None  # lazyarr threads per block; None: the worker thread's own setting

    @classmethod
    def of(cls, root: Node, reduction: Node | None = None, num_threads: int | None = None):
        """The program for the elementwise region under `root`, and the nodes its inputs stand for (every
        node that is not elementwise: leaves, dask leaves, reductions, stages)."""
        slots, inputs, slot_of = [], [], {}
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in slot_of:
                continue
            if expanded:
                slot_of[id(node)] = len(slots)
                slots.append((OP, node.op, tuple(slot_of[id(a)] for a in node.args), node.params, node.dtype,
                              node.ndim))
            elif node.op == CONST:
                slot_of[id(node)] = len(slots)
                slots.append((VALUE, node.data, node.dtype))
            elif not runs_per_block(node):
                slot_of[id(node)] = len(slots)
                slots.append((INPUT, len(inputs), node.dtype))
                inputs.append(node)
            else:
                stack.append((node, True))
                stack.extend((a, False) for a in reversed(node.args))
        red = None
        if reduction is not None:
            red = (reduction.params, reduction.dtype)
        return cls(tuple(slots), tuple(n.dtype for n in inputs), red, num_threads), inputs

    @property
    def ops(self) -> int:
        return sum(slot[0] == OP for slot in self.slots)

    # -- running on one block ------------------------------------------------------------------------------
    def __call__(self, *blocks):
        with self._threads():
            arrays = [self._input(b, dt) for b, dt in zip(blocks, self.input_dtypes)]
            if self.reduction is None:
                return runtime.evaluate_one(self.build(arrays))
            return self._chunk_step(arrays)

    def _threads(self):
        if self.num_threads is None:
            return contextlib.nullcontext()
        from lazyarr.kernels.threads import num_threads
        return num_threads(self.num_threads)

    @staticmethod
    def _input(block, dtype: np.dtype) -> np.ndarray:
        array = build.as_input_array(np.asarray(block), "a dask block")
        if array.dtype != dtype:  # a dask array whose meta lied about its dtype, or a non-native byte order
            array = build.as_input_array(array.astype(dtype), "a dask block")
        return array

    def build(self, arrays: list) -> Node:
        """The region's root over these arrays: each node's shape is its operands' broadcast shape, with the
        leading length-1 axes the original node had (``build.expand_leading`` gives nodes such axes)."""
        nodes: list[Node] = []
        for slot in self.slots:
            kind = slot[0]
            if kind == INPUT:
                nodes.append(expr.leaf(arrays[slot[1]]))
            elif kind == VALUE:
                nodes.append(expr.const(slot[1], slot[2], weak=False))
            else:
                _, op, operand_slots, params, dtype, ndim = slot
                operands = tuple(nodes[s] for s in operand_slots)
                shape = build.broadcast_shapes(op, *(o.shape for o in operands))
                shape = (1,) * (ndim - len(shape)) + shape
                nodes.append(expr.make(op, operands, params, shape, dtype))
        return nodes[-1]

    def reduced(self, producer: Node) -> Node:
        """The chunk step's reduction over the region's root on one block (without keepdims)."""
        params, dtype = self.reduction
        kept = tuple(d for i, d in enumerate(producer.shape) if i not in params.axes)
        return expr.make("reduce", (producer,), params, kept, dtype)

    def _chunk_step(self, arrays: list) -> np.ndarray:
        params, _ = self.reduction
        axes = params.axes
        producer = self.build(arrays)
        keepdims = tuple(1 if i in axes else d for i, d in enumerate(producer.shape))
        result = runtime.evaluate_one(self.reduced(producer)).reshape(keepdims)
        if not is_arg_reduction(params.name):
            return result
        # The combine step compares the blocks' winning values: evaluate the region again, at the winning
        # positions only (it is elementwise, so the inputs' elements there are all it needs).
        shape = producer.shape
        if params.axis is None:
            where = np.unravel_index(int(result.reshape(())), shape)
            picked = [np.broadcast_to(a, shape)[where].reshape(keepdims) for a in arrays]
        else:
            picked = [np.take_along_axis(np.broadcast_to(a, shape), result, axis=axes[0]) for a in arrays]
        values = runtime.evaluate_one(self.build(picked))
        out = np.empty(keepdims, partial_dtype(producer.dtype))
        out["value"] = np.asarray(values).reshape(keepdims)
        out["index"] = result
        return out

    def __dask_tokenize__(self):
        # Constants by value key (tells -0.0 from 0.0 and NaN payloads apart); everything else by repr.
        slots = tuple((s[0], expr.value_key(s[1]), s[2]) if s[0] == VALUE else s for s in self.slots)
        return ("lazyarr.BlockProgram", repr((slots, self.input_dtypes, self.reduction, self.num_threads)))


@dataclass(frozen=True)
class ArgCombine:
    """The combine step of argmin/argmax: given the blocks' (value, index) partials along the reduced axis
    (or, for axis=None, the whole grid of blocks), the index NumPy would return.

    Every block's partial is its first winner (first NaN, else first extreme) in the array's own order, so the
    array's first winner is the first winner among the partials taken in that order; NumPy's own argmin /
    argmax over them decides, so NaN and complex ordering are NumPy's."""
    name: str
    axis: int | None     # the reduced axis; None: over all axes, indices into the flattened array
    chunks: tuple        # the producer's chunks: all axes for axis=None, else the reduced axis's
    shape: tuple         # the producer's shape

    def __call__(self, partials: np.ndarray) -> np.ndarray:
        pick = REDUCTIONS[self.name].numpy
        values, local = partials["value"], partials["index"]
        if self.axis is not None:
            starts = np.cumsum((0,) + self.chunks[:-1])
            along = [1] * partials.ndim
            along[self.axis] = -1
            index = local + starts.reshape(along)
            best = pick(values, axis=self.axis, keepdims=True)
            return np.take_along_axis(index, best, axis=self.axis).squeeze(self.axis)
        # Blocks in C order of the flattened array are not in grid order: order the candidates by their
        # flat index in the whole array first.
        grid = np.indices(partials.shape).reshape(partials.ndim, -1)  # each block's position in the grid
        extents = [np.asarray(c)[g] for c, g in zip(self.chunks, grid)]  # each block's shape, per axis
        starts = [np.cumsum((0,) + c[:-1])[g] for c, g in zip(self.chunks, grid)]
        remaining = local.reshape(-1)
        flat = np.zeros(remaining.shape, np.intp)
        for axis in range(partials.ndim):
            inner = np.prod(extents[axis + 1:], axis=0, dtype=np.intp) if axis + 1 < partials.ndim else 1
            position = remaining // inner  # this axis's index within the block (C order)
            remaining = remaining % inner
            flat = flat * self.shape[axis] + starts[axis] + position
        order = np.argsort(flat, kind="stable")
        return np.asarray(flat[order][pick(values.reshape(-1)[order])], dtype=np.intp)
