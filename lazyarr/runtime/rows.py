"""Run a row kernel (``compiler/rowfuse.py``): 2-D views of its arrays, its outputs, the loop shape, the launch.

Every array is seen as (rows, reduced axis): the reduced axis moved last and the others flattened into rows,
which is a view for C- and F-ordered arrays and for broadcast operands (NumPy copies in the rare case where it
cannot be one). The loop shape follows the memory order of the element inputs: ``rows`` when the reduced axis
is the contiguous one, ``strips`` when the rows are; outputs are allocated in the same order, so the kernel
writes them in the order it reads.
"""
from __future__ import annotations

import math

import numpy as np

from lazyarr import config
from lazyarr.compiler import source_rows
from lazyarr.compiler.fingerprint import VERSION
from lazyarr.compiler.layout import const_arg
from lazyarr.compiler.rowfuse import RowKernel
from lazyarr.kernels import threads
from lazyarr.runtime import launch
from lazyarr.runtime import after_blas, scratch  # (#15 postblas)
from lazyarr.runtime import llvm_launch  # (#14 quick rows)

# Rows per task of a `strips` kernel at most/least; each strip's passes stream the reduced axis over this many
# rows, sized so that a strip of the input (rows x reduced length) stays within about STRIP_BYTES of cache.
STRIP_BYTES = 1 << 20
STRIP_MIN, STRIP_MAX = 16, 512


def geometry(k: RowKernel) -> tuple[int, int]:
    """(rows, reduced length) of the kernel's 2-D view."""
    shape, axis = k.shape, k.axis
    return math.prod(d for i, d in enumerate(shape) if i != axis), shape[axis]


def element_view(a: np.ndarray, k: RowKernel) -> np.ndarray:
    rows, length = geometry(k)
    return np.moveaxis(np.broadcast_to(a, k.shape), k.axis, -1).reshape(rows, length)


def row_view(a: np.ndarray, shape: tuple, rows: int) -> np.ndarray:
    return np.broadcast_to(a, shape).reshape(rows)


def mode_of(views: list[np.ndarray]) -> str:
    """``rows`` if the first full-size view (else any) is contiguous along the reduced axis, else ``strips``."""
    full = [v for v in views if 0 not in v.strides] or views
    if not full:
        return "rows"
    v = full[0]
    return "rows" if v.shape[1] == 1 or abs(v.strides[1]) <= abs(v.strides[0]) or v.shape[0] == 1 else "strips"


def array_layout(views: list[np.ndarray], mode: str) -> str:
    if mode == "rows" and all(v.flags.c_contiguous for v in views):
        return "C"
    if mode in ("strips", "split") and all(v.flags.f_contiguous for v in views):
        return "F"
    return "A"


def allocate(k: RowKernel, node, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(the output array of `node`, the view the kernel writes)."""
    rows, length = geometry(k)
    if id(node) in k.rows:
        result = np.empty(node.shape, node.dtype)
        return result, result.reshape(rows)
    kept = tuple(d for i, d in enumerate(k.shape) if i != k.axis)
    if mode == "rows":  # the reduced axis last in memory
        buf = scratch.empty(kept + (length,), node.dtype)  # (#15 postblas) a dead buffer of this shape, if kept
        return np.moveaxis(buf, -1, k.axis), buf.reshape(rows, length)
    buf = scratch.empty((length,) + kept, node.dtype)  # the reduced axis first in memory
    return np.moveaxis(buf, 0, k.axis), buf.reshape(length, rows).T


# (#15) Rows a strip streams at least: each pass reads a strip's rows as one contiguous run per step down the
# reduced axis, and runs of 16 doubles (128 bytes) left the hardware prefetcher idle. Measured on the 2-core
# machine (`x - x.mean(0)`, min of 5): (6000, 750) 80 -> 59 ms, (100000, 64) 149 -> 90 ms, (20000, 200)
# 82 -> 35 ms; (2000, 4000) 81 -> 98 ms min but 136 -> 109 ms median (within that run's noise).
STRIP_STREAM = 256


def strip_width(k: RowKernel) -> int:
    """Rows per strip: enough for each strip to fit STRIP_BYTES, at least STRIP_STREAM for streaming, but no
    more than each thread's share, so that every thread gets a strip."""
    rows, length = geometry(k)
    itemsize = max([n.dtype.itemsize for n in k.inputs] or [8])
    width = STRIP_BYTES // max(1, length * itemsize * max(1, len(k.inputs)))
    share = -(-rows // max(1, threads.planned_num_threads()))  # (bgfirst3: no pool start)
    width = min(max(width, STRIP_STREAM), share)
    return max(STRIP_MIN, min(STRIP_MAX, width // 8 * 8))


# (#15 covcos) `split` instead of `strips` where a streaming strip would not fit its cache budget: every pass a
# parallel loop over the whole array in memory order (compiler/source_rows.split_loop). The reduced axis is cut
# into SPLIT_CHUNKS contiguous ranges at most (each at least SPLIT_MIN_COLS long; a function of the shape only,
# so results never depend on the thread count), the rows into tiles of SPLIT_TILE at most, and into more tiles
# where the chunks alone cannot give each thread several items.
SPLIT_CHUNKS = 16
SPLIT_MIN_COLS = 64
SPLIT_TILE = 4096


def strip_bytes(k: RowKernel) -> int:
    """Bytes of the element inputs per row of a strip (the reduced length times their item sizes)."""
    _, length = geometry(k)
    return length * max(1, sum(n.dtype.itemsize for n in k.inputs))


def loop_of(k: RowKernel, views: list[np.ndarray]) -> str:
    """``rows`` / ``strips`` by the memory order of the views (``mode_of``); ``strips`` becomes ``split`` when a
    strip of STRIP_STREAM rows would not fit STRIP_BYTES."""
    mode = mode_of(views)
    if mode == "strips" and strip_bytes(k) * STRIP_STREAM > STRIP_BYTES:
        return "split"
    return mode


def split_sizes(k: RowKernel) -> tuple[int, int]:
    """(tile, nchunks) of a `split` kernel."""
    rows, length = geometry(k)
    nchunks = max(1, min(SPLIT_CHUNKS, length // SPLIT_MIN_COLS))
    items = 4 * threads.planned_num_threads()
    tile = min(SPLIT_TILE, rows, max(8, -(-rows * nchunks // items)))
    return max(1, tile), nchunks


def loop_args(k: RowKernel, mode: str) -> list[int]:
    """The size arguments a loop shape takes after (rows, reduced length)."""
    if mode == "strips":
        return [strip_width(k)]
    if mode == "split":
        return list(split_sizes(k))
    return []


def run(k: RowKernel, arrays: list, row_arrays: list, env: dict, follows_blas: bool = False) -> None:
    """Compute the kernel's outputs from its element inputs `arrays` and row inputs `row_arrays` into `env`;
    `follows_blas`: the step before is a BLAS product (a small kernel runs serially: ``after_blas``)."""
    rows, length = geometry(k)
    views = [element_view(a, k) for a in arrays]
    mode = loop_of(k, views)
    outs = [allocate(k, n, mode) for n in k.outputs]
    for n, (result, _) in zip(k.outputs, outs):
        env[id(n)] = result
    out_views = [v for n, (_, v) in zip(k.outputs, outs) if id(n) not in k.rows]
    row_out_views = [v for n, (_, v) in zip(k.outputs, outs) if id(n) in k.rows]
    layout = array_layout(views + out_views, mode)
    parallel = math.prod(k.shape) >= config.parallel_threshold()
    moved = after_blas.moved_bytes(arrays + row_arrays, [result for result, _ in outs])  # (#15 postblas)
    parallel = parallel and not after_blas.serial(follows_blas, moved)
    row_views = [row_view(a, shape, rows) for a, (_, shape) in zip(row_arrays, k.row_inputs)]
    consts = [const_arg(c) for c in k.consts]
    # (#14 quick rows) the row loops on the quick tier (compiler/llvm_rows.py, llvm_strips.py): no Numba start, no
    # compile of a parallel variant; the same bits as the Numba kernel below
    def key_of(parallel: bool) -> tuple:  # the Numba row kernel's
        return "rows", k.key, mode, layout, parallel

    def source_of(parallel: bool):
        return lambda: source(k, mode, layout, parallel)

    quick = llvm_launch.run_rows(k, mode, (rows, length), views, row_views, consts, out_views, row_out_views,
                                 parallel, launch.one_thread, loop_args(k, mode),
                                 refused=lambda: launch.pick_kernel(key_of, source_of, k, parallel))  # (aside)
    if quick is llvm_launch.PENDING:  # made aside while NumPy answers (background compilation)
        _answer_with_numpy(k, arrays, row_arrays, env, outs)
        return
    if quick:
        return
    # #14: serial first and one-thread launches, as map and reduction kernels (both variants: the same bits)
    compiled, parallel = launch.pick_kernel(key_of, source_of, k, parallel)
    if compiled is None:  # compiling in the background (or Numba failed): NumPy computes this call
        _answer_with_numpy(k, arrays, row_arrays, env, outs)
        return
    extra = [rows, length] + loop_args(k, mode)
    launch.entry(compiled, parallel)(*views, *row_views, *consts, *extra, *out_views, *row_out_views)


def _answer_with_numpy(k: RowKernel, arrays: list, row_arrays: list, env: dict, outs: list) -> None:
    """This call's outputs computed by NumPy, while the kernel compiles in the background."""
    values = reference_values(k, arrays, row_arrays)
    for n, (result, _) in zip(k.outputs, outs):
        v = values[id(n)]  # #14: NumPy's own array of the output's dtype and shape is the output, not copied
        if isinstance(v, np.ndarray) and v.base is None and v.flags.writeable and v.dtype == result.dtype \
                and v.shape == result.shape and not any(np.may_share_memory(v, a) for a in arrays + row_arrays):
            env[id(n)] = v
        else:
            np.copyto(result, v, casting="unsafe")


def source(k: RowKernel, mode: str, layout: str, parallel: bool) -> str:
    return source_rows.kernel_source(k, mode, layout, parallel, VERSION, comment=launch.describe(k))


def source_for(k: RowKernel, arrays: list) -> str:
    """The source `k` compiles to for element inputs like `arrays` (for explain())."""
    views = [element_view(a, k) for a in arrays]
    mode = loop_of(k, views)
    layout = array_layout(views, mode)
    parallel = math.prod(k.shape) >= config.parallel_threshold()
    quick = llvm_launch.explained_rows(k, mode, views, parallel)  # (#14 quick rows)
    if quick is not None:
        return quick
    return f"# loop={mode} layout={layout} parallel={parallel}\n{source(k, mode, layout, parallel)}"


def reference_values(k: RowKernel, arrays: list, row_arrays: list) -> dict:
    """id(node) -> NumPy value of every node of the kernel (the reference evaluator, node by node)."""
    values = dict(zip(map(id, k.inputs), arrays))
    values.update((id(a), x) for (a, _), x in zip(k.row_inputs, row_arrays))
    values.update((id(c), np.asarray(c.data, dtype=c.dtype)) for c in k.consts)
    launch.interpret_body(k.body, values, k.outputs)  # #14: temporaries freed or reused, as NumPy does
    return values
