"""Lower a lazyarr graph over dask leaves to a dask array: one dask layer per fused region, not per op.

The graph is cut the way ``schedule.plan`` cuts it, at the nodes that are not elementwise:

- an elementwise region becomes one ``dask.array.blockwise`` layer whose tasks each run the whole region on
  one block with one fused kernel (``BlockProgram``). Its inputs are aligned as dask aligns an elementwise
  operation's: broadcast right-aligned, length-1 axes broadcast, different chunkings unified to a common one
  (``unify_chunks``), NumPy arrays cut into the same blocks;
- a reduction becomes a blockwise chunk step (the reduction fused with the region that produces its input,
  one partial per block, reduced axes kept as length 1) and a combine step: the dask reduction the op table
  names (``Reduction.combine``: dask's own ``sum``/``prod``/``min``/``max``/``any``/``all``) over the partials,
  or ``ArgCombine`` for an arg-reduction. mean, var and std are already sums and elementwise nodes in the graph
  (``reductions.py``), so they lower like any other;
- a NumPy stage (keepdims reshapes, transposes, indexing, matmul ...) becomes what its op table entry's
  ``dask`` lowering builds (a gather dask cannot do as NumPy does runs in one task);
- a subgraph with no dask leaf under it is computed by lazyarr in one task (a single-chunk dask array).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lazyarr.graph import expr
from lazyarr.dask.block import ArgCombine, BlockProgram, partial_dtype, runs_per_block
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import REDUCTIONS, STAGES, dask_scan

DASK = "dask"  # the op of a dask leaf (``dask_bridge.leaf``): .data holds the dask array


def _compute_node(node: Node) -> np.ndarray:
    from lazyarr.runtime import evaluate as runtime
    return runtime.evaluate([node])[0]  # (s12 lazymandel) evaluate: realise's stand-ins first


@dataclass
class Layer:
    """One dask layer the graph lowered to, for explain(): what it is, and the program its tasks run."""
    text: str
    program: BlockProgram | None = None
    pairs: tuple = ()  # blockwise's (array, index) arguments

    def first_block_root(self) -> Node:
        """The node one task builds, over placeholder arrays shaped like the first block of each input."""
        arrays = [np.zeros(tuple(c[0] for c in a.chunks), dtype)
                  for a, dtype in zip(self.pairs[::2], self.program.input_dtypes)]
        root = self.program.build(arrays)
        return root if self.program.reduction is None else self.program.reduced(root)


class Lowering:
    """Lowers nodes to dask arrays, each node once (shared subexpressions are one dask layer)."""

    def __init__(self, roots, num_threads: int | None = None):
        self.num_threads = num_threads
        self.lowered: dict[int, object] = {}
        self.on_dask: dict[int, bool] = {}  # id(node) -> whether a dask leaf is under it
        for node in expr.walk(list(roots)):
            self.on_dask[id(node)] = node.op == DASK or any(self.on_dask[id(a)] for a in node.args)
        self.layers: list[Layer] = []  # what each layer is, for explain()

    def array(self, node: Node):
        """The dask array computing `node`."""
        found = self.lowered.get(id(node))
        if found is None:
            found = self.lowered[id(node)] = without_empty_chunks(self._lower(node))
        return found

    def _lower(self, node: Node):
        if not self.on_dask[id(node)]:
            return self._local(node)
        if node.op == DASK:
            x = node.data
            return x if x.dtype == node.dtype else x.astype(node.dtype)
        if runs_per_block(node):
            return self._blockwise(node)
        if node.op == "reduce":
            return self._reduction(node)
        if node.op == "scan":  # (surface/reductions) dask's cumulative reduction
            name, axis = node.params.name, node.params.axes[0]
            self.layers.append(Layer(f"{name}.accumulate along axis {axis}: dask's cumreduction -> {node.dtype} "
                                     f"{node.shape}"))
            return dask_scan(self.array(node.args[0]), name, axis, node.dtype)
        if node.op == "numpy":
            name = node.params.name
            lower = STAGES[name].dask
            if lower is None:
                raise TypeError(f"lazyarr: np.{name} over a dask array is not supported (dask has no equivalent "
                                "lazyarr can use); compute the expression first, or use dask for that step")
            result = lower([self.array(a) for a in node.args], dict(node.params.kwargs))
            if result.shape != node.shape:  # lazyarr decided the shape at build time; dask must agree
                raise AssertionError(f"lazyarr: np.{name} on dask gave shape {result.shape}, not {node.shape}")
            self.layers.append(Layer(f"np.{name}: dask's own -> {node.dtype} {node.shape}"))
            return result if result.dtype == node.dtype else result.astype(node.dtype)
        raise TypeError(f"lazyarr: {node.op} over a dask array is not supported")

    def _local(self, node: Node):
        """A subgraph without dask leaves: a NumPy array as it is, anything else computed by lazyarr in one
        task (so to_dask() stays lazy)."""
        import dask
        import dask.array as da
        if node.op in (LEAF, CONST):
            return np.asarray(node.data, dtype=node.dtype)
        self.layers.append(Layer(f"{node.op}: no dask leaf under it, computed by lazyarr in one task -> "
                                 f"{node.dtype} {node.shape}"))
        delayed = dask.delayed(_compute_node, pure=True)(node)
        return da.from_delayed(delayed, node.shape, dtype=node.dtype, meta=np.empty((0,) * node.ndim, node.dtype))

    def _inputs(self, inputs: list[Node], ndim: int):
        """blockwise's (array, index) pairs for a region's inputs, aligned and unified as dask aligns an
        elementwise operation's operands: right-aligned axes, length-1 axes broadcast, common chunks."""
        from dask.array.core import unify_chunks
        pairs = []
        for n in inputs:
            pairs += [self.array(n), tuple(range(ndim - n.ndim, ndim))]
        chunks, arrays = unify_chunks(*pairs)
        return chunks, [x for a, ind in zip(arrays, pairs[1::2]) for x in (a, ind)]

    def _blockwise(self, root: Node):
        import dask.array as da
        program, inputs = BlockProgram.of(root, num_threads=self.num_threads)
        chunks, pairs = self._inputs(inputs, root.ndim)
        out_ind = tuple(range(root.ndim))
        result = da.blockwise(program, out_ind, *pairs, dtype=root.dtype, token="lazyarr",
                              new_axes=self._new_axes(root, chunks), concatenate=True,
                              meta=np.empty((0,) * root.ndim, root.dtype))
        self.layers.append(Layer(f"blockwise: {program.ops} op(s), one fused kernel per "
                                 f"block over {len(inputs)} input(s) -> {root.dtype} {root.shape}, "
                                 f"{result.npartitions} block(s) of chunks {short_chunks(result.chunks)}",
                                 program, tuple(pairs)))
        return result

    @staticmethod
    def _new_axes(root: Node, chunks: dict) -> dict | None:
        # Axes no input spans (leading length-1 axes a node was given): blockwise must be told their length.
        extra = {d: root.shape[d] for d in range(root.ndim) if d not in chunks}
        return extra or None

    def _reduction(self, node: Node):
        import dask.array as da
        name, axes = node.params.name, node.params.axes
        red = REDUCTIONS[name]
        producer = node.args[0]
        program, inputs = BlockProgram.of(producer, reduction=node, num_threads=self.num_threads)
        chunks, pairs = self._inputs(inputs, producer.ndim)
        ind = tuple(range(producer.ndim))
        new_axes = self._new_axes(producer, chunks)
        all_chunks = tuple(chunks.get(d) or (producer.shape[d],) for d in ind)
        dtype = partial_dtype(producer.dtype) if red.arg else node.dtype
        partials = da.blockwise(program, ind, *pairs, dtype=dtype, token="lazyarr-chunk",
                                adjust_chunks={d: 1 for d in axes}, new_axes=new_axes, concatenate=True,
                                meta=np.empty((0,) * producer.ndim, dtype))
        combine = "ArgCombine" if red.arg else f"dask's {red.combine}"
        self.layers.append(Layer(f"{name} over axes {axes}: one fused kernel per block ({partials.npartitions} "
                                 f"block(s) of chunks {short_chunks(all_chunks)}) gives partials "
                                 f"{short_chunks(partials.chunks)}, then {combine} combines them -> {node.dtype} "
                                 f"{node.shape}", program, tuple(pairs)))
        if red.arg:
            axis = None if node.params.axis is None else node.params.axis[0]
            arg_combine = ArgCombine(name, axis, all_chunks if axis is None else all_chunks[axis], producer.shape)
            out_ind = () if axis is None else tuple(d for d in ind if d != axis)
            return da.blockwise(arg_combine, out_ind, partials, ind, dtype=node.dtype, token="lazyarr-combine",
                                concatenate=True, meta=np.empty((0,) * len(out_ind), node.dtype))
        kwargs = {"dtype": node.dtype} if red.takes_dtype else {}
        result = getattr(da, red.combine)(partials, axis=axes, **kwargs)  # (da.nanmax has no method form)
        return result if result.dtype == node.dtype else result.astype(node.dtype)


def without_empty_chunks(x):
    """`x` with its empty blocks merged away on axes that are not empty (s16 sweepd). dask allows chunks of
    length 0 (``from_array(x, chunks=((0, 2, 1), ...))``, some slicings), but an empty block breaks what runs
    per block: a min/max/argmin/argmax chunk step has no identity to give for it (NumPy's ValueError for a
    non-empty array), and dask's own concatenation of such partials fails. Blocks are not split or joined
    otherwise, so this costs nothing where there is no empty chunk (the common case: one check of the chunks)."""
    import dask.array as da
    if not isinstance(x, da.Array) or not any(0 in c and sum(c) for c in x.chunks):
        return x
    return x.rechunk(tuple(tuple(n for n in c if n) if sum(c) else c for c in x.chunks))


def short_chunks(chunks: tuple) -> str:
    """Chunks as dask prints them, shortened for long axes."""
    parts = []
    for axis in chunks:
        parts.append(str(axis) if len(axis) <= 4 else f"({axis[0]}, {axis[1]}, ..., {axis[-1]}) x{len(axis)}")
    return "(" + ", ".join(parts) + ")"
