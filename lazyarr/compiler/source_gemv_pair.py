"""(#15 logreg4) ``A.T @ g(A @ v)`` -> Python source for ``numba.njit``: one pass over A.

NumPy computes a logistic regression's gradient ``X.T @ (sigmoid(X @ w) - y)`` as two matrix-vector products,
reading X twice. For a matrix of short rows that is memory-bound work, so the kernel reads each row once:

    for each chunk of ROWS rows (in parallel):
        for each row i:  d = A[i] . v   (4 lanes)
                         w_i = g(d, operands[i]...)   (g's nodes, as a map kernel evaluates them)
                         partial[chunk] += w_i * A[i]
    out = partial[0] + partial[1] + ...   (in chunk order)

The summation order is fixed and does not depend on the thread count: a row's dot adds ``A[i, j] * v[j]`` into
lane ``j % 4`` (in j order), then ``(lane0 + lane1) + (lane2 + lane3)``, then the ``m % 4`` last products in
order; each chunk sums its rows in order into its own partial; the partials are added in chunk order. Four
independent chains let the core overlap the multiply-adds without LLVM's SLP vectoriser (Numba turns it off).
The result is a different rounding of NumPy's two BLAS calls, within the tolerance the matrix-vector products
already promise (docs/products.md, docs/gemv_pair.md).

`k` is g as a map kernel over the rows (``runtime/gemv_pair.pair_kernel``): its input 0 stands for the row's
dot, which the kernel computes instead of loading; its other inputs are g's array operands (one value per row)
and its constants g's scalars.
"""
from __future__ import annotations

import numpy as np

from lazyarr.compiler.blocks import Block, as_comment, prange_loop, sequence
from lazyarr.compiler.schedule import MapKernel
from lazyarr.compiler.source_map import MODULE_TEMPLATE, array_type, cast, ctor, scalar_type, value_lines

# Rows per chunk: the unit of parallel work and of the fixed summation order (never the thread count). A chunk
# of a 32-wide float64 matrix is 512 KiB, many chunks per thread at the sizes that run in parallel.
ROWS = 2048
LANES = 4


def chunks(rows: int) -> int:
    """How many partial sums a matrix of `rows` rows has (at least one, so an empty matrix sums to zeros)."""
    return max(1, -(-rows // ROWS))


def _row_dot(dtype: np.dtype) -> list[str | Block]:
    """`d` = row i of `a` dotted with `v`, in the documented lane order."""
    zero = f"{ctor(dtype)}(0)"
    lanes = [f"_s{l}" for l in range(LANES)]
    return [
        " = ".join(lanes) + f" = {zero}",
        Block(f"for _q in range(_m // {LANES}):", [
            f"_j = _q * {LANES}",
            *[f"{lane} += a[i, _j + {l}] * v[_j + {l}]" for l, lane in enumerate(lanes)],
        ]),
        f"d = ({lanes[0]} + {lanes[1]}) + ({lanes[2]} + {lanes[3]})",
        Block(f"for _j in range(_m - _m % {LANES}, _m):", ["d += a[i, _j] * v[_j]"]),
    ]


def _g_lines(k: MapKernel, dtype: np.dtype) -> tuple[list[str], str]:
    """g at row i, its input 0 being the dot `d` (not loaded: computed above). Returns (lines, value)."""
    lines, names = value_lines(k, "i")
    lines[0] = "x0 = d"  # value_lines loads the inputs first, in order: input 0 is the dot's stand-in
    root = k.outputs[0]
    return lines, cast(names[id(root)], root.dtype, dtype)


def kernel_source(k: MapKernel, dtype: np.dtype, a_layout: str, parallel: bool, version: str,
                  comment: str = "") -> str:
    """The module text: `kernel(a, v, in1.., c0.., parts, out)`; `parts` is (chunks, m) scratch."""
    operands = k.inputs[1:]
    params = (["a", "v"] + [f"in{j + 1}" for j in range(len(operands))] + [f"c{j}" for j in range(len(k.consts))]
              + ["parts", "out"])
    sig = ([array_type(dtype, 2, a_layout, True), array_type(dtype, 1, "A", True)]
           + [array_type(n.dtype, 1, "A", True) for n in operands]
           + [scalar_type(n.dtype) for n in k.consts]
           + [array_type(dtype, 2, "C", False), array_type(dtype, 1, "C", False)])
    g, weight = _g_lines(k, dtype)
    chunk = [
        f"_lo = _c * {ROWS}",
        "_hi = min(_lo + " + str(ROWS) + ", _n)",
        Block("for _j in range(_m):", [f"parts[_c, _j] = {ctor(dtype)}(0)"]),
        Block("for i in range(_lo, _hi):", [
            *_row_dot(dtype), *g, f"_w = {weight}",
            Block("for _j in range(_m):", ["parts[_c, _j] += _w * a[i, _j]"]),
        ]),
    ]
    body = sequence(
        "_n, _m = a.shape",
        prange_loop("_c", "parts.shape[0]", chunk, parallel),
        Block("for _j in range(_m):", [
            f"_t = {ctor(dtype)}(0)",
            Block("for _c in range(parts.shape[0]):", ["_t += parts[_c, _j]"]),
            "out[_j] = _t",
        ]),
    )
    text = body.render(level=1)
    extra = "import lazyarr.kernels.scipy_bridge as SB\n" if "SB." in text else ""
    return MODULE_TEMPLATE.format(
        version=version, comment=as_comment(comment) if comment else "#", extra_imports=extra,
        signature=", ".join(sig), parallel=parallel, params=", ".join(params), body=text)
