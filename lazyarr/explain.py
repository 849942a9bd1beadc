"""``explain()``: the graph, the steps it was cut into (and why), and each kernel's generated source."""
from __future__ import annotations

import numpy as np

from . import codegen, runtime
from .expr import CONST, LEAF, walk
from .schedule import MapKernel, plan


def graph_listing(roots) -> list[str]:
    names: dict[int, str] = {}
    lines = []
    for j, node in enumerate(walk(roots)):
        names[id(node)] = f"%{j}"
        if node.op == LEAF:
            desc = f"input  {node.dtype} {node.shape}"
        elif node.op == CONST:
            desc = f"scalar {node.dtype} = {node.data!r}"
        else:
            args = ", ".join(names[id(a)] for a in node.args)
            desc = f"{node.op}({args}) -> {node.dtype} {node.shape}"
        lines.append(f"  %{j} = {desc}")
    return lines


def explain(roots) -> str:
    out = ["graph:"] + graph_listing(roots)
    steps = plan(roots)
    out.append(f"schedule: {len(steps)} step(s), "
               f"{sum(isinstance(s, MapKernel) for s in steps)} fused kernel(s)")
    for i, step in enumerate(steps):
        if isinstance(step, MapKernel):
            out.append(f"step {i}: kernel over shape {step.shape}: {step.why}")
            out += ["    " + line for line in runtime.describe(step).splitlines()]
            out.append("  source (as compiled for the inputs' current layout):")
            out += ["    " + line for line in _source(step).splitlines()]
        else:
            out.append(f"step {i}: stage {step.node.op}: {step.why}")
    return "\n".join(out)


def _source(k: MapKernel) -> str:
    arrays = [runtime.value(n, {}) if n.op in (LEAF, CONST) else np.empty(n.shape, n.dtype) for n in k.inputs]
    layout, _ = runtime.layout_of(arrays, k.shape)
    from . import config, threads
    size = int(np.prod(k.shape))
    parallel = size >= config.parallel_threshold()
    text = codegen.kernel_source(k, layout, len(k.shape), parallel, tuple(n.dtype for n in k.outputs),
                                 runtime.VERSION, comment=runtime.describe(k))
    layer = threads.threading_layer()
    return f"# layout={layout} parallel={parallel} threading layer={layer}\n{text}"
