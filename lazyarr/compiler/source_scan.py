"""ScanKernel -> Python source for ``numba.njit``: a running reduction (cumsum, cumprod, ufunc.accumulate) with
its elementwise producer fused into the loop.

The runtime hands the kernel its inputs and its output as views whose axes are ordered (kept..., scanned), so
one loop shape serves every axis: the kept elements in parallel, each scanning its own line in order. The
running value has the result's dtype and starts as the line's first element, as NumPy's accumulate loop does,
so a float scan adds in NumPy's order and is bit-equal to it (``-0.0`` first elements included).
"""
from __future__ import annotations

from lazyarr.compiler.blocks import Block, as_comment, prange_loop
from lazyarr.compiler.schedule import ScanKernel
from lazyarr.compiler.source_map import MODULE_TEMPLATE, array_type, cast, ctor, scalar_type, store, value_lines
from lazyarr.graph.ops import SCANS


def _unflatten(counter: str, names: list[str], dims: list[str]) -> list[str]:
    """Split a flat C-order counter into indices over `dims`, each quotient assigned once (Numba refuses a
    parallel loop that reassigns its index's copies)."""
    if not names:
        return []
    lines, rest = [], counter
    for name, dim in list(zip(names, dims))[:0:-1]:
        lines += [f"{name} = {rest} % {dim}", f"_q{name} = {rest} // {dim}"]
        rest = f"_q{name}"
    return lines + [f"{names[0]} = {rest}"]


def scan_loop(k: ScanKernel, parallel: bool, ndim: int) -> tuple[list[str], list[str | Block]]:
    """(size parameters, body): every kept element in parallel scans its line along the last view axis."""
    node, producer = k.node, k.outputs[0]
    dims, idx = [f"d{a}" for a in range(ndim)], [f"i{a}" for a in range(ndim)]
    update = SCANS[node.params.name].template(node.dtype)
    acc_type = ctor(node.dtype)

    def value(position: str, suffix: str) -> tuple[list[str], str]:
        lines, names = value_lines(k, ", ".join(idx[:-1] + [position]), suffix)
        return lines, cast(names[id(producer)], producer.dtype, node.dtype)

    first_lines, first = value("0", "_f")
    next_lines, following = value(idx[-1], "")
    out_at = ", ".join(idx[:-1] + ["{}"])
    body = [
        f"_nk = {' * '.join(dims[:-1]) if ndim > 1 else '1'}",
        prange_loop("_o", "_nk", [
            *_unflatten("_o", idx[:-1], dims[:-1]),
            *first_lines,
            f"acc = {acc_type}({first})",
            f"out0[{out_at.format('0')}] = {store('acc', node.dtype, node.dtype)}",
            Block(f"for {idx[-1]} in range(1, {dims[-1]}):", [
                *next_lines,
                f"acc = {acc_type}({update.format(acc='acc', v=following)})",
                f"out0[{out_at.format(idx[-1])}] = {store('acc', node.dtype, node.dtype)}",
            ]),
        ], parallel),
    ]
    return dims, body


def kernel_source(k: ScanKernel, ndim: int, in_layout: str, out_layout: str, parallel: bool, version: str,
                  comment: str = "") -> str:
    """The whole module text for one scan kernel."""
    extra, body = scan_loop(k, parallel, ndim)
    params = [f"in{j}" for j in range(len(k.inputs))] + [f"c{j}" for j in range(len(k.consts))] + extra + ["out0"]
    sig = ([array_type(n.dtype, ndim, in_layout, True) for n in k.inputs]
           + [scalar_type(n.dtype) for n in k.consts] + ["types.int64"] * len(extra)
           + [array_type(k.node.dtype, ndim, out_layout, False)])
    text = Block(None, body).render(level=1)
    return MODULE_TEMPLATE.format(
        version=version, comment=as_comment(comment) if comment else "#",
        extra_imports="import lazyarr.kernels.scipy_bridge as SB\n" if "SB." in text else "",
        signature=", ".join(sig), parallel=parallel, params=", ".join(params), body=text,
    )
