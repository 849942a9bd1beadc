"""The Dask bridge: lazy expressions over dask arrays, one fused lazyarr kernel per dask block.

    D = la.array(dask_array)          # a dask leaf: shape, dtype and chunks known, nothing computed
    e = la.sin(D) * 2 + N             # every operation, dtype rule and error of the NumPy path (build.py)
    e.to_dask()                       # a dask.array; each block is computed by one fused kernel
    e.compute()                       # numpy.ndarray, through dask's default scheduler

A dask array becomes a leaf-like node (op ``"dask"``) with the array's shape and dtype, so building is the
NumPy path's, unchanged. Running is dask's: ``_dask_lower`` turns the graph into dask layers (one per fused
region, reduction or NumPy stage) whose tasks run ``BlockProgram``s, and dask schedules them. lazyarr's
runtime hands any graph with a dask leaf here (``runtime/external.py``), for ``compute()``, ``la.compute``,
``np.asarray`` and ``explain()`` alike. See docs/dask.md.
"""
from __future__ import annotations

import copyreg
import math

import numpy as np

from lazyarr.graph import dtypes
from lazyarr.graph import expr
from lazyarr.dask.lower import DASK, Lowering, short_chunks
from lazyarr.graph.expr import Node


def leaf(x) -> Node:
    """The node for a dask array: the same dask array (same name) gives the same node."""
    import dask.array as da
    if not isinstance(x, da.Array):
        raise TypeError(f"lazyarr: lazyarr.array takes a dask.array.Array among dask collections, "
                        f"not {type(x).__name__}")
    if any(isinstance(d, float) and math.isnan(d) for d in x.shape):
        raise ValueError(f"lazyarr: the dask array has unknown chunk sizes (shape {x.shape}); call its "
                         "compute_chunk_sizes() first")
    if type(x._meta) is not np.ndarray:  # cupy, sparse, masked: lazyarr's kernels read plain NumPy blocks
        raise TypeError(f"lazyarr: the dask array's blocks are {type(x._meta).__module__}."
                        f"{type(x._meta).__name__}; lazyarr computes dask arrays of numpy.ndarray blocks")
    dt = dtypes.check_supported(x.dtype, "lazyarr.array's input (a dask array)")
    shape = tuple(int(d) for d in x.shape)
    key = (DASK, x.name, dt, shape)
    # Known to the graph by dtype and rank only, like a NumPy leaf, but never equal to one: no kernel or
    # launch recipe ever mistakes a dask leaf for an array in memory.
    return expr.external_leaf(DASK, (x.name,), shape, dt, x)


def wrap(x):
    from lazyarr.api.array import LazyArray
    return LazyArray(leaf(x))


def to_dask(node: Node, num_threads: int | None = None):
    """The dask array computing `node`; `num_threads`: lazyarr's threads inside each block's kernel."""
    import dask.array as da
    if num_threads is not None:
        from lazyarr.kernels.threads import check_count
        num_threads = check_count(num_threads)
    result = Lowering([node], num_threads).array(node)
    return result if isinstance(result, da.Array) else da.from_array(result)


def involves(roots) -> bool:
    """Whether a dask leaf is anywhere in the graph (``runtime`` asks before planning)."""
    return any(n.op == DASK for n in expr.walk(list(roots)))


def evaluate(roots, out: np.ndarray | None = None) -> list[np.ndarray]:
    """``runtime.evaluate`` for graphs with dask leaves: every root lowered together (shared layers are
    computed once) and computed by dask's current scheduler."""
    import dask
    lowering = Lowering(roots)
    values = dask.compute(*[lowering.array(r) for r in roots])
    results = []
    for root, value in zip(roots, values):
        value = np.asarray(value)
        if value.dtype != root.dtype:
            value = value.astype(root.dtype)
        assert value.shape == root.shape, (value.shape, root.shape)
        results.append(value)
    if out is not None:
        np.copyto(out, results[0], casting="same_kind")
        results[0] = out
    return results


def explain(roots) -> str:
    """The graph, the dask layers it lowers to, and the kernel source one block of each layer runs."""
    from lazyarr.kernels import threads
    from lazyarr.runtime.explain import explain as explain_numpy, graph_listing
    lowering = Lowering(roots)
    for r in roots:
        lowering.array(r)
    lines = ["graph:"] + graph_listing(roots)
    for j, node in enumerate(expr.walk(list(roots))):
        if node.op == DASK:
            lines[1 + j] = f"  %{j} = dask   {node.dtype} {node.shape} chunks {short_chunks(node.data.chunks)}"
    lines.append(f"runs per dask block: {len(lowering.layers)} dask layer(s); each block of a lazyarr layer is "
                 f"one fused kernel, scheduled by dask (lazyarr threads per block: "
                 f"{threads.get_num_threads()} unless to_dask(num_threads=...))")
    for i, layer in enumerate(lowering.layers):
        lines.append(f"layer {i}: {layer.text}")
        if layer.program is not None:
            lines.append("  one block runs (shown for the first block's shapes):")
            lines += ["    " + line for line in explain_numpy([layer.first_block_root()]).splitlines()]
    return "\n".join(lines)


def _reduce_node(node: Node):
    # A dask leaf pickles as its dask array (rebuilt by ``leaf`` in the new process); other nodes as they do.
    if node.op == DASK:
        return (leaf, (node.data,))
    return node.__reduce__()


copyreg.pickle(Node, _reduce_node)
