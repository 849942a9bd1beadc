"""``explain()``: the graph, the steps it was cut into (and why), and each kernel's generated source."""
from __future__ import annotations

import weakref

import numpy as np

from lazyarr.runtime import evaluate as runtime
from lazyarr.runtime import external
from lazyarr.runtime import after_blas  # (#15 postblas)
from lazyarr.graph.expr import CONST, LEAF, walk
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, plan
from lazyarr.compiler.rowfuse import RowKernel


# (NumPy fallback) What a leaf holds when it is not a user's array: "computed by numpy.median (fallback)".
# Kept here, not on the node: nodes carry no runtime state, and the note lives only as long as its leaf.
# (@la.fuse) What a constant made from a traced Python number stands for: "traced number (argument 2), bound per
# call", instead of its stand-in value (a NaN with a payload, or an unlikely integer).
NOTES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def note(leaf, text: str) -> None:
    NOTES[leaf] = text


def graph_listing(roots) -> list[str]:
    names: dict[int, str] = {}
    lines = []
    for j, node in enumerate(walk(roots)):
        names[id(node)] = f"%{j}"
        if node.op == LEAF:
            desc = f"input  {node.dtype} {node.shape}" + (f": {NOTES[node]}" if node in NOTES else "")
        elif node.op == CONST:
            desc = f"scalar {node.dtype} = " + (NOTES[node] if node in NOTES else repr(node.data))
        else:
            args = ", ".join(names[id(a)] for a in node.args)
            desc = f"{node.op}({args}) -> {node.dtype} {node.shape}"
        lines.append(f"  %{j} = {desc}")
    return lines


def explain(roots) -> str:
    from lazyarr.kernels import threads
    handler = external.loaded and external.involved(roots)
    if handler:
        return handler.explain(roots)  # dask leaves: the graph runs per dask block
    out = ["graph:"] + graph_listing(roots)
    steps = plan(roots)
    kernels = sum(isinstance(s, (MapKernel, RowKernel)) for s in steps)
    out.append(f"schedule: {len(steps)} step(s), {kernels} fused kernel(s); threading layer "
               f"{threads.threading_layer()}, {threads.get_num_threads()} thread(s)")
    for i, step in enumerate(steps):
        if isinstance(step, RowKernel):
            names = ", ".join(n.params.name for n in step.reductions)
            out.append(f"step {i}: row kernel ({names}) over axis {step.axis} of {step.shape}: {step.why}")
        elif isinstance(step, ReduceKernel):
            node = step.node
            out.append(f"step {i}: kernel {node.params.name} over axes {node.params.axes} of {step.shape} -> "
                       f"{node.dtype} {node.shape}: {step.why}")
        elif isinstance(step, MapKernel):
            out.append(f"step {i}: kernel over shape {step.shape}: {step.why}")
        else:
            out.append(f"step {i}: stage {step.node.op}: {step.why}")
            continue
        blas_note = after_blas.explain_line(step, steps[i - 1]) if i else None  # (#15 postblas)
        if blas_note:
            out.append("  " + blas_note)
        out += ["    " + line for line in runtime.describe(step).splitlines()]
        out.append("  source (as compiled for the inputs' current layout):")
        out += ["    " + line for line in runtime.source_for(step, {}).splitlines()]
    return "\n".join(out)
