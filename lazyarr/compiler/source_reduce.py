"""ReduceKernel -> Python source for ``numba.njit``: a reduction with its producer fused into the loop.

The runtime hands the kernel its inputs as views whose axes are ordered (kept..., reduced...). Five loop
shapes cover every reduction:

- ``full``: every axis reduced, 1-D (raveled or strided): chunks of the range in parallel, partials combined.
- ``full_nd``: every axis reduced, n-d: rows (all axes but the last) in parallel, partials combined.
- ``inner``: the memory-innermost axis is reduced: kept elements in parallel, each reduced in one pass.
- ``outer``: the innermost axis is kept: tiles of it in parallel, each streaming the reduced axes row by row
  into a small accumulator array (so ``x.sum(axis=0)`` reads memory in order).
- ``outer_split``: as ``outer``, for many reduced rows: contiguous row ranges in parallel, each summing whole
  rows (or wide column tiles) into its own partial; the partials are folded in range order, so the result
  does not depend on which thread ran which range (``x.sum(axis=0)`` of a tall C array).

Float sums add 8 independent lanes per 128-element block and combine blocks with Kahan compensation: at least
as accurate as NumPy's pairwise summation, without a serial dependency chain.
"""
from __future__ import annotations

import numpy as np

from lazyarr.compiler.blocks import Block, as_comment, prange_loop
from lazyarr.compiler.source_map import zero  # (#14 rowlat)
from lazyarr.compiler.source_map import (MODULE_TEMPLATE, array_type, scalar_type, ctor, cast, store, uses_vector_ops,
                                         value_lines)
from lazyarr.compiler.source_map import table_params  # surface/gathers
from lazyarr.compiler.layout import reduce_array_layout  # (#15)
from lazyarr.graph.dtypes import HALF
from lazyarr.graph.ops import REDUCTIONS
from lazyarr.compiler.schedule import ReduceKernel

LANES = 8
BLOCK = 128



class Reducer:
    """The accumulator of one reduction: how it starts, takes a value, and ends."""

    def __init__(self, name: str, value: np.dtype, result: np.dtype, compensated: bool = True):
        self.name, self.value, self.result = name, value, result
        red = REDUCTIONS[name]
        self.acc = red.accumulator(value, result)
        self.is_arg = red.arg
        self.compensated = compensated and red.compensated and self.acc.kind in "fc"

    def start(self) -> str:
        red, acc = REDUCTIONS[self.name], self.acc
        if red.identity is not None:
            return zero(acc) if str(red.identity) == "0" else f"{ctor(acc)}({red.identity})"  # (#14 rowlat)
        lowest = red.maximises
        if red.float_start is not None and (acc.kind == "f" or acc == HALF):  # surface/gathers: nanmax/nanmin
            return f"{ctor(acc)}({red.float_start})"
        if acc.kind == "f" or acc == HALF:
            return f"{ctor(acc)}({'-' if lowest else ''}np.inf)"
        if acc.kind == "b":
            return "False" if lowest else "True"
        info = np.iinfo(acc)
        return f"{ctor(acc)}({info.min if lowest else info.max})"

    # The state is named by `at`: "" for scalars acc / acc_c (compensation) / acc_i (arg index) (or another
    # `state` name: a serial kernel's running total _tot), or "[_uq]" for elements of accumulator arrays:
    # per-tile _acc / _acc_c / _acc_i, or (`arrays="_part"`) the per-chunk partials _part / _part_i of the
    # row-split loop.
    @staticmethod
    def names(at: str, arrays: str = "_acc", state: str = "acc") -> tuple[str, str, str]:
        if not at:
            return state, f"{state}_c", f"{state}_i"
        return f"{arrays}{at}", f"{arrays}_c{at}", f"{arrays}_i{at}"  # `at` is an unsigned index, e.g. [_uq]

    def init(self, at: str = "", state: str = "acc") -> list[str]:
        acc, comp, idx = self.names(at, state=state)
        if self.is_arg:
            return [f"{acc} = {self.start()}", f"{idx} = np.int64(-1)"]
        lines = [f"{acc} = {self.start()}"]
        return lines + [f"{comp} = {zero(self.acc)}"] if self.compensated else lines

    def take(self, value: str, position: str = "", at: str = "", arrays: str = "_acc", state: str = "acc"
             ) -> list[str]:
        """Fold a value of the accumulator dtype into the state (Kahan-compensated for float sums)."""
        acc, comp, idx = self.names(at, arrays, state)
        if self.is_arg:
            return [f"{acc}, {idx} = S.{self.name}_update({acc}, {idx}, {value}, {position})"]
        if self.compensated:
            # (BLAS-bound programs, #15) Once the sum is inf (an inf term, or overflow), (_t - acc) - _y is NaN
            # or inf, and a NaN or inf compensation would turn the next term's sum into NaN: the sum of
            # [inf, 1.0] was NaN, not NumPy's inf. `(_t - _t) == 0` is False exactly for inf and NaN.
            return [f"_y = {value} - {comp}", f"_t = {acc} + _y",
                    f"{comp} = ((_t - {acc}) - _y) if (_t - _t) == 0 else {zero(self.acc)}", f"{acc} = _t"]
        update = REDUCTIONS[self.name].template(self.acc).format(acc=acc, v=value)
        return [f"{acc} = {ctor(self.acc)}({update})"]

    def final(self, at: str = "", arrays: str = "_acc") -> str:
        acc, _, idx = self.names(at, arrays)
        return idx if self.is_arg else cast(acc, self.acc, self.result)


def _unflatten(counter: str, names: list[str], dims: list[str]) -> list[str]:
    """Split a flat C-order counter into indices over `dims` (the last varies fastest).

    Each quotient is a new variable named after its index (index names are unique within a kernel), assigned
    once: Numba's parfor pass takes a copy of a prange index for the index itself and refuses a loop that
    reassigns it ("Overwrite of parallel loop index"), so no ``_rest = _rest // d`` chain."""
    if not names:
        return []
    lines, rest = [], counter
    for name, dim in list(zip(names, dims))[:0:-1]:
        lines += [f"{name} = {rest} % {dim}", f"_q{name} = {rest} // {dim}"]
        rest = f"_q{name}"
    return lines + [f"{names[0]} = {rest}"]


def loads_at(index: str, masks: list[str] | None) -> list[str] | None:
    """(#15) Each input's index in a kernel of layout ``bcast:`` (compiler/layout.reduce_broadcast): `index`'s
    parts on the axes the input has, 0 on those it is broadcast along (a loop-invariant load); None: `index`."""
    if masks is None:
        return None
    parts = [part.strip() for part in index.split(",")]
    return [", ".join(part if m == "1" else "0" for part, m in zip(parts, mask)) for mask in masks]


def _product(dims: list[str]) -> str:
    return " * ".join(dims) if dims else "1"


def reduce_range(k: ReduceKernel, r: Reducer, var: str, lo: str, hi: str, index, position, values=None,
                 masks: list[str] | None = None) -> list[str | Block]:
    """Lines that fold the producer's values for `var` in [lo, hi) into the state `acc`.
    `index(expr)` is the array index with `var` replaced by `expr`; `position(expr)` the arg position.
    `values(index, suffix)` -> (lines, name, dtype) computes the value to fold where it is not `k`'s producer
    (a row kernel's passes, compiler/source_rows.py). `masks`: the inputs' ``bcast:`` masks (``loads_at``)."""

    def value(expr: str, suffix: str) -> tuple[list[str], str]:
        if values is not None:
            lines, name, dtype = values(index(expr), suffix)
            return lines, cast(name, dtype, r.acc)
        producer = k.outputs[0]
        lines, names = value_lines(k, index(expr), suffix, at=loads_at(index(expr), masks))
        return lines, cast(names[id(producer)], producer.dtype, r.acc)

    if not r.compensated:
        lines, v = value(var, "")
        return [Block(f"for {var} in range({lo}, {hi}):", lines + r.take(v, position(var)))]
    # Float sums: 8 independent lanes per block of 128, blocks folded in with Kahan compensation.
    lanes, lane_lines = [f"_s{j}" for j in range(LANES)], []
    for j, lane in enumerate(lanes):
        lines, v = value(f"_b + {j}", f"_{j}")
        lane_lines += lines + [f"{lane} += {v}"]
    block_sum = f"(({lanes[0]} + {lanes[1]}) + ({lanes[2]} + {lanes[3]})) + " \
                f"(({lanes[4]} + {lanes[5]}) + ({lanes[6]} + {lanes[7]}))"
    tail, v_tail = value(var, "_t")
    # The last block may be short (a multiple of LANES): rows shorter than a block (a (n, 32) matrix's
    # `X @ w`) still go through the lanes, and only the last < LANES elements through the Kahan tail (one
    # compensated add per element, a dependency chain: ~5 ns an element, measured).
    return [
        f"_j = {lo}",
        Block(f"while _j + {LANES} <= {hi}:", [
            f"_e = min(_j + {BLOCK}, {hi} - ({hi} - _j) % {LANES})",
            *[f"{lane} = {zero(r.acc)}" for lane in lanes],
            Block(f"for _b in range(_j, _e, {LANES}):", lane_lines),
            f"_blk = {block_sum}",
            *r.take("_blk"),
            "_j = _e",
        ]),
        Block(f"for {var} in range(_j, {hi}):", tail + r.take(v_tail)),
    ]


# --- perf (#14): vector math in reduction producers ---
# A producer with a vectorisable op (exp, log1p, ...: kernels/vecmath.py) is computed SCRATCH elements at a time
# into a scratch array with the vector variants, in a loop of its own that LLVM vectorises (the lanes' loop
# below, with one copy of the polynomial per lane, does not), and again with the exact ones only if some
# element's ok flag came back False; the reduction then folds the scratch values as it folds the producer's.
# SCRATCH is a multiple of BLOCK, so the lanes' blocks, and so the result, are where they are without it.
SCRATCH = 1024


def vector_producer(k: ReduceKernel, unit_lanes: bool) -> bool:
    """Whether the producer goes through the vector variants: it has some (the map kernels' rule,
    ``uses_vector_ops``) and every input steps by one element (or is broadcast) along the loop the scratch
    fills (`unit_lanes`, runtime/evaluate.unit_lanes). Over strided lanes (column views such as
    ``pos[:, 0]``) that loop does not vectorise, and scalar vecmath is slower than libm (n-body's
    ``r2 ** -1.5`` in three axis sums: 2x slower than with libm's ``pow``, measured); over unit lanes of
    layout "A" (a 3-D array summed over axis 1) it pays (1.2-1.4x faster, measured)."""
    return unit_lanes and uses_vector_ops(k)


def producer_range(k: ReduceKernel, r: Reducer, var: str, lo: str, hi: str, index, position, length: str,
                   vector: bool, masks: list[str] | None = None) -> list[str | Block]:
    """``reduce_range`` over [lo, hi), through the vector variants when `vector` (``vector_producer``);
    `length` bounds the range's size (the scratch array is no longer than it)."""
    if not vector:
        return reduce_range(k, r, var, lo, hi, index, position, masks=masks)
    slot = f"_sv[np.uint64({var} - _vlo)]"
    fast, exact, flags = _scratch_fill(k, r, index(var), slot, masks)
    return [
        f"_sv = np.empty(min({SCRATCH}, {length}), {ctor(r.acc)})",
        Block(f"for _vlo in range({lo}, {hi}, {SCRATCH}):", [
            f"_vhi = min(_vlo + {SCRATCH}, {hi})",
            "_ok = True",
            Block(f"for {var} in range(_vlo, _vhi):", [*fast, f"_ok = _ok & {' & '.join(flags)}"]),
            Block("if not _ok:", [Block(f"for {var} in range(_vlo, _vhi):", exact)]),
            *reduce_range(k, r, var, "_vlo", "_vhi", lambda e: e, position,
                          values=lambda e, suffix: ([], f"_sv[np.uint64({e} - _vlo)]", r.acc)),
        ]),
    ]


def _scratch_fill(k: ReduceKernel, r: Reducer, index: str, slot: str, masks: list[str] | None = None
                  ) -> tuple[list[str], list[str], list[str]]:
    """(fast lines, exact lines, ok flags): the producer's value at `index`, as the accumulator's dtype, into
    `slot`, with the vector variants and with the exact ones."""
    producer, flags = k.outputs[0], []
    fast, names = value_lines(k, index, "", flags=flags, at=loads_at(index, masks))
    exact, exact_names = value_lines(k, index, "", at=loads_at(index, masks))
    return ([*fast, f"{slot} = {cast(names[id(producer)], producer.dtype, r.acc)}"],
            [*exact, f"{slot} = {cast(exact_names[id(producer)], producer.dtype, r.acc)}"], flags)
# --- end perf (#14) ---


def _partials(r: Reducer, count: str) -> tuple[list[str], list[str], list[str | Block]]:
    """(allocate partial results, store the state as partial `_p`, fold all partials into `acc`)."""
    alloc = [f"_part = np.empty({count}, {ctor(r.acc)})"]
    save = ["_part[_p] = acc"]
    if r.is_arg:
        alloc.append(f"_part_i = np.empty({count}, np.int64)")
        save.append("_part_i[_p] = acc_i")
    fold = r.init() + [Block(f"for _p in range({count}):", r.take("_part[_p]", "_part_i[_p]"))]
    return alloc, save, fold


# --- compile latency (#14): serial kernels fold their partials as they go ----------------------------------

def _running_partials(r: Reducer) -> tuple[list[str], list[str], list[str | Block]]:
    """``_partials`` for a serial loop: each partial is folded into a running total (``_tot``) as soon as it is
    made, in the same order with the same operations as the parallel variant's fold over its ``_part`` array,
    so both give the same bits. Without the array the kernel needs no ``np.empty``, whose implementation Numba
    compiles (~0.3 s CPU) in each process that meets it first in a reduction."""
    take = r.take("acc", "acc_i", state="_tot")  # the chunk's state (acc, acc_i) is the partial
    finish = ["acc = _tot"] + (["acc_i = _tot_i"] if r.is_arg else [])
    return r.init(state="_tot"), take, finish


def _partials_for(r: Reducer, count: str, parallel: bool):
    return _partials(r, count) if parallel else _running_partials(r)
# --- end compile latency (#14) ---


def full_loop(k: ReduceKernel, r: Reducer, parallel: bool, vector: bool) -> tuple[list[str], list[str | Block]]:
    """(extra parameters, body) for a reduction over a 1-D range: chunks in parallel."""
    alloc, save, fold = _partials_for(r, "_nchunks", parallel)  # #14: serial without the _part array
    body = [
        "_nchunks = (n + chunk - 1) // chunk",
        *alloc,
        prange_loop("_p", "_nchunks", [
            "_lo = _p * chunk",
            "_hi = min(_lo + chunk, n)",
            *r.init(),
            *producer_range(k, r, "i", "_lo", "_hi", lambda e: e, lambda e: e, "chunk", vector),
            *save,
        ], parallel),
        *fold,
        f"out0[0] = {store(r.final(), r.result, r.result)}",
    ]
    return ["n", "chunk"], body


def full_nd_loop(k: ReduceKernel, r: Reducer, parallel: bool, ndim: int, vector: bool, masks=None
                 ) -> tuple[list[str], list[str | Block]]:
    """Every axis of an n-d view reduced: one partial per row (all axes but the last)."""
    dims, idx = [f"d{a}" for a in range(ndim)], [f"i{a}" for a in range(ndim)]
    alloc, save, fold = _partials_for(r, "_rows", parallel)  # #14: serial without the _part array
    last = idx[-1]

    def index(expr):
        return ", ".join(idx[:-1] + [expr])

    body = [
        f"_rows = {_product(dims[:-1])}",
        *alloc,
        prange_loop("_p", "_rows", [
            *_unflatten("_p", idx[:-1], dims[:-1]),
            *r.init(),
            *producer_range(k, r, last, "0", dims[-1], index, lambda e: f"_p * {dims[-1]} + {e}", dims[-1], vector,
                            masks),
            *save,
        ], parallel),
        *fold,
        f"out0[0] = {store(r.final(), r.result, r.result)}",
    ]
    return dims, body


def inner_loop(k: ReduceKernel, r: Reducer, parallel: bool, kept: int, ndim: int, vector: bool, masks=None
              ) -> tuple[list[str], list[str | Block]]:
    """The innermost axis is reduced: each kept element in parallel reduces its own (contiguous) run."""
    dims, idx = [f"d{a}" for a in range(ndim)], [f"i{a}" for a in range(ndim)]
    last = idx[-1]

    def index(expr):
        return ", ".join(idx[:-1] + [expr])

    body = [
        f"_nk = {_product(dims[:kept])}",
        f"_nr = {_product(dims[kept:-1])}",
        prange_loop("_o", "_nk", [
            *_unflatten("_o", idx[:kept], dims[:kept]),
            *r.init(),
            Block("for _r in range(_nr):", [
                *_unflatten("_r", idx[kept:-1], dims[kept:-1]),
                *producer_range(k, r, last, "0", dims[-1], index, lambda e: f"_r * {dims[-1]} + {e}", dims[-1], vector,
                                masks),
            ]),
            f"out0[_o] = {store(r.final(), r.result, r.result)}",
        ], parallel),
    ]
    return dims, body


def _tile_header(tiles: str, kept: int, dims: list[str], idx: list[str]) -> list[str]:
    """Inside a loop over `_t`: which kept-outer index `_ko` and which columns [_lo, _hi) of the kept innermost
    axis tile `_t` covers (tiles of `tile` columns, `tiles` of them per kept-outer index)."""
    return [
        f"_ko = _t // {tiles}",
        f"_lo = (_t - _ko * {tiles}) * tile",
        "_hi = min(_lo + tile, _last)",
        *_unflatten("_ko", idx[:kept - 1], dims[:kept - 1]),
    ]


def _stream_rows(k: ReduceKernel, r: Reducer, kept: int, ndim: int, rows: tuple[str, ...], vector: bool,
                 masks: list[str] | None = None) -> list[str | Block]:
    """Reduce the reduced rows in `range(*rows)` of columns [_lo, _hi) into a private accumulator array `_acc`
    of `tile` elements, row by row: each row's tile is read in memory order and the column loop vectorises."""
    dims, idx = [f"d{a}" for a in range(ndim)], [f"i{a}" for a in range(ndim)]
    lane = idx[kept - 1]
    producer = k.outputs[0]
    lines, names = value_lines(k, ", ".join(idx), "", at=loads_at(", ".join(idx), masks))
    v = cast(names[id(producer)], producer.dtype, r.acc)
    arrays = [f"_acc = np.empty(tile, {ctor(r.acc)})"]
    if r.is_arg:
        arrays.append("_acc_i = np.empty(tile, np.int64)")
    if r.compensated:
        arrays.append(f"_acc_c = np.empty(tile, {ctor(r.acc)})")
    if vector:  # perf (#14): each row's tile through the vector variants first (producer_range)
        fast, exact, flags = _scratch_fill(k, r, ", ".join(idx), f"_sv[np.uint64({lane} - _lo)]", masks)
        arrays.append(f"_sv = np.empty(tile, {ctor(r.acc)})")
        row = [
            "_ok = True",
            Block(f"for {lane} in range(_lo, _hi):", [*fast, f"_ok = _ok & {' & '.join(flags)}"]),
            Block("if not _ok:", [Block(f"for {lane} in range(_lo, _hi):", exact)]),
            Block("for _q in range(_hi - _lo):", ["_uq = np.uint64(_q)", *r.take("_sv[_uq]", "_r", at="[_uq]")]),
        ]
    else:
        row = [Block(f"for {lane} in range(_lo, _hi):", [
            f"_uq = np.uint64({lane} - _lo)",
            *lines,
            *r.take(v, "_r", at="[_uq]"),
        ])]
    return [
        *arrays,
        Block("for _q in range(_hi - _lo):", ["_uq = np.uint64(_q)", *r.init(at="[_uq]")]),
        Block(f"for _r in range({', '.join(rows)}):", [*_unflatten("_r", idx[kept:], dims[kept:]), *row]),
    ]


def _outer_sizes(kept: int, dims: list[str]) -> list[str]:
    return [
        f"_last = {dims[kept - 1]}",
        "_ntiles = (_last + tile - 1) // tile",
        f"_nko = {_product(dims[:kept - 1])}",
        f"_nr = {_product(dims[kept:])}",
    ]


def outer_loop(k: ReduceKernel, r: Reducer, parallel: bool, kept: int, ndim: int, vector: bool, masks=None
              ) -> tuple[list[str], list[str | Block]]:
    """The innermost axis is kept: tiles of it in parallel, each streaming all reduced rows in order."""
    dims, idx = [f"d{a}" for a in range(ndim)], [f"i{a}" for a in range(ndim)]
    final = r.final(at="[_uq]")
    body = [
        *_outer_sizes(kept, dims),
        prange_loop("_t", "_nko * _ntiles", [
            *_tile_header("_ntiles", kept, dims, idx),
            *_stream_rows(k, r, kept, ndim, ("_nr",), vector, masks),
            Block("for _q in range(_hi - _lo):", [
                "_uq = np.uint64(_q)",
                f"out0[np.uint64(_ko * _last + _lo + _q)] = {store(final, r.result, r.result)}",
            ]),
        ], parallel),
    ]
    return dims + ["tile"], body


def outer_split_loop(k: ReduceKernel, r: Reducer, parallel: bool, kept: int, ndim: int, vector: bool,
                     masks=None) -> tuple[list[str], list[str | Block]]:
    """The innermost axis is kept and the reduced rows are many: `nchunks` contiguous row ranges x column tiles
    in parallel, each thread reading whole stretches of memory in order into a private accumulator; the
    per-chunk partials (nchunks x kept elements) are then folded in chunk order, whichever thread ran which
    chunk, so the result depends on the shape and `nchunks` only."""
    dims, idx = [f"d{a}" for a in range(ndim)], [f"i{a}" for a in range(ndim)]
    partials = [f"_part = np.empty(nchunks * _nk, {ctor(r.acc)})"]
    save = ["_part[_uv] = _acc[_uq]"]
    if r.is_arg:
        partials.append("_part_i = np.empty(nchunks * _nk, np.int64)")
        save.append("_part_i[_uv] = _acc_i[_uq]")
    # Balanced row ranges: chunk sizes differ by at most one row.
    chunk_rows = ("_c * _nr // nchunks", "(_c + 1) * _nr // nchunks")
    fold = r.take("_part[_uv]", "_part_i[_uv]", at="[_uq]", arrays="_part")
    final = r.final(at="[_uq]", arrays="_part")
    body = [
        *_outer_sizes(kept, dims),
        "_nk = _nko * _last",
        *partials,
        prange_loop("_w", "nchunks * _nko * _ntiles", [
            "_c = _w // (_nko * _ntiles)",
            "_t = _w - _c * (_nko * _ntiles)",
            *_tile_header("_ntiles", kept, dims, idx),
            *_stream_rows(k, r, kept, ndim, chunk_rows, vector, masks),
            "_base = _c * _nk + _ko * _last + _lo",
            Block("for _q in range(_hi - _lo):", ["_uq = np.uint64(_q)", "_uv = np.uint64(_base + _q)", *save]),
        ], parallel),
        prange_loop("_t", "_nko * _ntiles", [
            "_ko = _t // _ntiles",
            "_lo = _ko * _last + (_t - _ko * _ntiles) * tile",
            "_hi = min(_lo + tile, (_ko + 1) * _last)",
            Block("for _c in range(1, nchunks):", [
                Block("for _q in range(_lo, _hi):", ["_uq = np.uint64(_q)", "_uv = np.uint64(_c * _nk + _q)", *fold]),
            ]),
            Block("for _q in range(_lo, _hi):", [
                "_uq = np.uint64(_q)",
                f"out0[_uq] = {store(final, r.result, r.result)}",
            ]),
        ], parallel),
    ]
    return dims + ["tile", "nchunks"], body


def kernel_source(k: ReduceKernel, loop: str, ndim: int, kept: int, array_layout: str, parallel: bool,
                  version: str, comment: str = "", unit_lanes: bool = True) -> str:
    """The whole module text for one reduction kernel; `unit_lanes`: see ``vector_producer``."""
    node = k.node
    # Along a non-contiguous axis NumPy itself adds row after row; so do we (in float64), which keeps the
    # tile's accumulator loop free of a compensation chain and lets it vectorise.
    r = Reducer(node.params.name, k.outputs[0].dtype, node.dtype, compensated=loop not in ("outer", "outer_split"))
    vector = vector_producer(k, unit_lanes)
    array_layout, masks = reduce_array_layout(array_layout)  # (#15) broadcast operands at their own shape
    if loop == "full":
        extra, body = full_loop(k, r, parallel, vector)
    elif loop == "full_nd":
        extra, body = full_nd_loop(k, r, parallel, ndim, vector, masks)
    elif loop == "inner":
        extra, body = inner_loop(k, r, parallel, kept, ndim, vector, masks)
    elif loop == "outer_split":
        extra, body = outer_split_loop(k, r, parallel, kept, ndim, vector, masks)
    else:
        extra, body = outer_loop(k, r, parallel, kept, ndim, vector, masks)
    kdim = 1 if loop == "full" else ndim
    params = ([f"in{j}" for j in range(len(k.inputs))] + [f"c{j}" for j in range(len(k.consts))]
              + extra + ["out0"])
    sig = ([array_type(n.dtype, kdim, array_layout, True) for n in k.inputs]
           + [scalar_type(n.dtype) for n in k.consts] + ["types.int64"] * len(extra)
           + [array_type(node.dtype, 1, "C", False)])
    gather_names, gather_sig = table_params(k)  # surface/gathers: after the output
    params, sig = params + gather_names, sig + gather_sig
    text = Block(None, body).render(level=1)
    return MODULE_TEMPLATE.format(
        version=version, comment=as_comment(comment) if comment else "#",
        extra_imports=("import lazyarr.kernels.scipy_bridge as SB\n" if "SB." in text else "")
        + ("import lazyarr.kernels.vecmath as V\n" if "V." in text else "")
        + ("import lazyarr.kernels.vecmath32 as V32\n" if "V32." in text else ""),
        signature=", ".join(sig), parallel=parallel, params=", ".join(params), body=text,
    )

