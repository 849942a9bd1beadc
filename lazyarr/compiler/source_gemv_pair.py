"""(#15 logreg4, s13 logreg) ``A.T @ g(A @ v)`` -> Python source for ``numba.njit``: one pass over A, in blocks.

NumPy computes a logistic regression's gradient ``X.T @ (sigmoid(X @ w) - y)`` as two matrix-vector products,
reading X twice. The kernel reads each row once, a block of rows at a time, so the block is still in L1 when
its second use comes, and each phase is a loop LLVM vectorises:

    for each chunk of ROWS rows (in parallel):
        for each block of BLOCK rows (fewer for wide rows: BLOCK_BYTES):
            d[r] = A[i] . v            for the block's rows   (`row_dots`: a vectorised reduction, below)
            w[r] = g(d[r], operands[i]...)                    (g's nodes with vector math, as a map kernel's
                                                                blocked loop: libm again where some lane is not ok)
            partial[chunk, :] += w[r] * A[i, :]   in column panels, each column's sum in row order
    out = partial[0] + partial[1] + ...   (in chunk order)

**Summation order.** A row's dot is `row_dots`, compiled with Numba's ``fastmath={'reassoc'}`` and nothing
else, so LLVM vectorises its reduction over the row (on AVX-512: 8 lanes, interleaved, then a tree): the order
is LLVM's for this row length, layout and machine, the same for every row, every run and every thread count
(a row's dot never depends on where the row sits in a chunk). The products' sum ``A.T @ w`` keeps the old
kernel's order exactly: each chunk adds its rows' contributions in row order into its own partial (a panel of
columns keeps one sum per column, in row order: SLP packs them side by side, it does not reassociate), the
partials are added in chunk order. The weights g are a map kernel's bits (vecmath where it is ok, the C library elsewhere). The result is a different rounding of
NumPy's two BLAS calls, within the tolerance the matrix-vector products promise (docs/products.md,
docs/gemv_pair.md).

`k` is g as a map kernel over the rows (``runtime/gemv_pair.pair_kernel``): its input 0 stands for the row's
dot, which the kernel reads from the block's scratch instead of an array; its other inputs are g's array
operands (one value per row) and its constants g's scalars.
"""
from __future__ import annotations

import numpy as np

from lazyarr.compiler.blocks import Block, as_comment, prange_loop, sequence
from lazyarr.compiler.schedule import MapKernel
from lazyarr.compiler.source_map import (MODULE_TEMPLATE, array_type, cast, ctor, scalar_type, uses_vector_ops,
                                         value_lines)

# Rows per chunk: the unit of parallel work and of the fixed summation order (never the thread count). A chunk
# of a 32-wide float64 matrix is 512 KiB, many chunks per thread at the sizes that run in parallel.
ROWS = 2048
# Rows per block: at most BLOCK, and at most BLOCK_BYTES of the matrix, so that the block stays in L1 (48 KiB
# on Zen 5) from its dots to its products: 128 rows of a 32-wide float64 matrix, 1 row of a 4096-wide one.
# Measured on 60,000 x 32 (one thread, min of 40): 64 rows 0.43-0.48 ms, 128 rows 0.42-0.43, 256 rows
# 0.48-0.51 (docs/gemv_pair.md, s13).
BLOCK = 128
BLOCK_BYTES = 32 * 1024
# Columns a panel of the products' loop keeps in registers over the block's rows: each column's sum a scalar
# chain in row order, the panel's chains side by side, which LLVM's SLP vectoriser packs into vector registers
# (the module asks for it: ``SLP_VECTORIZE``, compiler/cache.py). Measured on 60,000 x 32 (one thread, CPU time,
# min / median of 80 interleaved calls): the partial loaded and stored per 8 rows, 8 rows a statement (loop
# vectoriser): 0.41 / 0.59 ms; panels of 16: 0.34 / 0.51; of 32: 0.37 / 0.56 (docs/gemv_pair.md, s13).
PANELS = (16, 8)

# The dots of rows [lo, hi) into d[0:hi-lo]. `reassoc` lets LLVM vectorise the reduction over a row; it is the
# only fast-math flag, and only this function has it (g's arithmetic, vecmath's error-free steps included,
# must not be reassociated).
ROW_DOTS = '''
@numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False, fastmath={{"reassoc"}})
def row_dots(a, v, lo, hi, d):
    m = a.shape[1]
    for r in range(hi - lo):
        s = {zero}
        for j in range(m):
            s += a[np.uint64(lo + r), np.uint64(j)] * v[np.uint64(j)]
        d[np.uint64(r)] = s

'''


# The products' panels need LLVM's SLP vectoriser, which Numba keeps off: compiler/cache.py turns it on for a
# module that says so (kernels/numba_glue.slp_vectorize). It packs, never reassociates: the same bits.
SLP = "\nSLP_VECTORIZE = True\n"


def chunks(rows: int) -> int:
    """How many partial sums a matrix of `rows` rows has (at least one, so an empty matrix sums to zeros)."""
    return max(1, -(-rows // ROWS))


def scratch_shape(rows: int) -> tuple[int, int]:
    """The kernel's scratch: per chunk, one block's dots and one block's weights."""
    return chunks(rows), 2 * BLOCK


def _weights(k: MapKernel, dtype: np.dtype) -> list[str | Block]:
    """g for the block's rows: `ws[_c, BLOCK + r]` from the dot `ws[_c, r]` and g's operands at row i. With a
    vector op in g, the fast pass first and the C library's pass only where some lane was not ok."""
    def lines(flags):
        body, names = value_lines(k, "i", flags=flags)
        body[0] = "x0 = ws[_c, np.uint64(_r)]"  # input 0 stands for the dot: read from the scratch
        root = k.outputs[0]
        return ["i = _lo + _r", *body, f"ws[_c, np.uint64({BLOCK} + _r)] = {cast(names[id(root)], root.dtype, dtype)}"]

    exact = Block("for _r in range(_nb):", lines(None))
    if not uses_vector_ops(k):
        return [exact]
    flags: list[str] = []
    fast = lines(flags)
    return ["_ok = True", Block("for _r in range(_nb):", [*fast, f"_ok = _ok & {' & '.join(flags)}"]),
            Block("if not _ok:", [exact])]


def _products() -> list[str | Block]:
    """``parts[_c, :] += w_r * a[i, :]`` for the block's rows: the columns in panels of PANELS (then one at a
    time), each column's sum in row order, as the row-by-row loop adds it."""
    loops: list[str | Block] = ["_j = 0"]
    for width in PANELS:
        sums = [f"_t{c}" for c in range(width)]
        loops.append(Block(f"while _j + {width} <= _m:", [
            *[f"{t} = parts[_c, _j + {c}]" for c, t in enumerate(sums)],
            Block("for _r in range(_nb):", [
                f"_w = ws[_c, np.uint64({BLOCK} + _r)]",
                "_i = np.uint64(_lo + _r)",
                *[f"{t} += _w * a[_i, np.uint64(_j + {c})]" for c, t in enumerate(sums)],
            ]),
            *[f"parts[_c, _j + {c}] = {t}" for c, t in enumerate(sums)],
            f"_j += {width}",
        ]))
    loops.append(Block("while _j < _m:", [
        "_t0 = parts[_c, _j]",
        Block("for _r in range(_nb):", [f"_t0 += ws[_c, np.uint64({BLOCK} + _r)] * a[np.uint64(_lo + _r), np.uint64(_j)]"]),
        "parts[_c, _j] = _t0",
        "_j += 1",
    ]))
    return loops


def kernel_source(k: MapKernel, dtype: np.dtype, a_layout: str, parallel: bool, version: str,
                  comment: str = "", row_layout: str = "A") -> str:
    """The module text: `kernel(a, v, in1.., c0.., ws, parts, out)`; `ws` is ``scratch_shape``, `parts` is
    (chunks, m): both scratch. `v` is contiguous; `row_layout` is g's array operands' ("C": all contiguous,
    so g's loop vectorises)."""
    operands = k.inputs[1:]
    params = (["a", "v"] + [f"in{j + 1}" for j in range(len(operands))] + [f"c{j}" for j in range(len(k.consts))]
              + ["ws", "parts", "out"])
    sig = ([array_type(dtype, 2, a_layout, True), array_type(dtype, 1, "C", True)]
           + [array_type(n.dtype, 1, row_layout, True) for n in operands]
           + [scalar_type(n.dtype) for n in k.consts]
           + [array_type(dtype, 2, "C", False)] * 2 + [array_type(dtype, 1, "C", False)])
    zero = f"{ctor(dtype)}(0)"
    chunk = [
        f"_start = _c * {ROWS}",
        f"_stop = min(_start + {ROWS}, _n)",
        Block("for _j in range(_m):", [f"parts[_c, _j] = {zero}"]),
        Block("for _lo in range(_start, _stop, _rows):", [
            "_nb = min(_rows, _stop - _lo)",
            "row_dots(a, v, _lo, _lo + _nb, ws[_c])",
            *_weights(k, dtype),
            *_products(),
        ]),
    ]
    body = sequence(
        "_n, _m = a.shape",
        f"_rows = max(1, min({BLOCK}, {BLOCK_BYTES // dtype.itemsize} // max(1, _m)))  # rows a block",
        prange_loop("_c", "parts.shape[0]", chunk, parallel),
        Block("for _j in range(_m):", [
            f"_t = {zero}",
            Block("for _c in range(parts.shape[0]):", ["_t += parts[_c, _j]"]),
            "out[_j] = _t",
        ]),
    )
    text = body.render(level=1)
    extra = "import lazyarr.kernels.scipy_bridge as SB\n" if "SB." in text else ""
    if "V." in text:
        extra += "import lazyarr.kernels.vecmath as V\n"
    if "V32." in text:
        extra += "import lazyarr.kernels.vecmath32 as V32\n"
    return MODULE_TEMPLATE.format(
        version=version, comment=as_comment(comment) if comment else "#",
        extra_imports=extra + SLP + ROW_DOTS.format(zero=zero), signature=", ".join(sig), parallel=parallel,
        params=", ".join(params), body=text)
