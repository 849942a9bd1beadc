"""RowKernel -> Python source for ``numba.njit``: reductions along one axis and their broadcast use, row by row.

The runtime hands the kernel every array as a 2-D view (rows, reduced axis): ``in{j}[r, c]`` for the values
read per element, ``rin{j}[r]`` for those read once per row, ``out{j}[r, c]`` and ``rout{j}[r]`` for the
results. Two loop shapes, picked from the memory order of the views:

- ``rows``: the reduced axis is the contiguous one (``softmax(x, axis=1)`` of a C array). Tasks of a few rows
  in parallel; each row runs one pass per reduction (the row stays in L1/L2 between passes), computes its
  per-row values, then writes its outputs. Float sums use the reduce kernels' ``inner`` summation (8 lanes
  per block of 128, blocks Kahan-compensated), so a row-fused sum equals the reduce kernel's bit for bit.
  Costly values are computed once per row (scratch rows), with the vectorised variants first (``rows_loop``).
- ``strips``: the rows are the contiguous axis (``x - x.mean(0)`` of a C array). Strips of `width` rows in
  parallel; each pass streams down the reduced axis, updating `width` accumulators per step in memory
  order, as the ``outer`` reduce loop does (and as NumPy does along a strided axis: element after element).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lazyarr.compiler.blocks import Block, as_comment, prange_loop
from lazyarr.compiler.rowfuse import RowKernel, is_row_reshape
from lazyarr.compiler.source_map import (MODULE_TEMPLATE, array_type, cast, ctor, render, scalar_type, store,
                                         unsigned, uses_vector_ops, vector_render)
from lazyarr.compiler.source_reduce import BLOCK, Reducer, reduce_range
from lazyarr.graph.ops import ELEMENTWISE


class _Names:
    """Variable names of one kernel's values. Row values are scalars ``w{i}`` (``rows``: computed in place;
    ``strips``: loaded from the strip's array ``_w{i}``), element values ``v{i}{suffix}``."""

    def __init__(self, k: RowKernel):
        self.k = k

    def of(self, ref: tuple, suffix: str) -> str:
        kind, j = ref
        if kind == "v":
            return f"w{j}" if id(self.k.body[j]) in self.k.rows else f"v{j}{suffix}"
        return {"in": f"x{j}{suffix}", "row": f"y{j}", "c": f"c{j}"}[kind]


def _closure(k: RowKernel, targets: list[tuple], loaded=frozenset()) -> tuple[list[int], list[int], set]:
    """(full body nodes, element inputs, row values) needed to compute `targets` (refs) at one element; the
    full nodes in `loaded` count as available (read back from the row's scratch, see ``rows_loop``)."""
    nodes, inputs, rows = set(), set(), set()
    stack = list(targets)
    while stack:
        kind, j = stack.pop()
        if kind == "in":
            inputs.add(j)
        elif kind == "row" or (kind == "v" and id(k.body[j]) in k.rows):
            rows.add((kind, j))
        elif kind == "v" and j not in nodes:
            nodes.add(j)
            if j not in loaded:
                stack.extend(k.refs[j])
    return sorted(nodes), sorted(inputs), rows


def element_lines(k: RowKernel, targets: list[tuple], index: str, suffix: str = "", loaded=frozenset(),
                  saved=frozenset(), column: str = "", fast: bool = False) -> list[str]:
    """Load the element inputs at `index` and evaluate the full nodes `targets` need, children first. Nodes
    in `loaded` are read from their scratch row ``_sc{j}`` at `column`, those in `saved` written to it. With
    `fast`, ops that have a vectorisable variant (kernels/vecmath.py) use it and fold its ok flag into ``_ok``."""
    names = _Names(k)
    nodes, inputs, _ = _closure(k, targets, loaded)
    lines = [f"x{j}{suffix} = in{j}[{unsigned(index)}]" for j in inputs]
    for j in nodes:
        if j in loaded:
            lines.append(f"v{j}{suffix} = _sc{j}[np.uint64({column})]")
            continue
        node = k.body[j]
        args = [names.of(r, suffix) for r in k.refs[j]]
        variant = vector_render(node, args) if fast else None
        if variant is not None and _below_row_max(k, j):
            variant = "V.exp_nonpositive(" + variant[len("V.exp("):]  # (#14 jaxgap) no overflow check
        if variant is None:
            lines.append(f"v{j}{suffix} = {render(node, args)}")
        else:
            narrow = f"v{j}{suffix}_" if node.dtype == np.float64 else f"{ctor(node.dtype)}(v{j}{suffix}_)"
            lines += [f"v{j}{suffix}_, ok{j}{suffix} = {variant}", f"v{j}{suffix} = {narrow}",
                      f"_ok = _ok & ok{j}{suffix}"]
        if j in saved:
            lines.append(f"_sc{j}[np.uint64({column})] = v{j}{suffix}")
    return lines


# --- (#14 jaxgap) exp of x - max(x) -------------------------------------------------------------------------
def _below_row_max(k: RowKernel, j: int) -> bool:
    """Whether body node `j` is a float64 ``exp(a - m)`` with m this kernel's row max of the same `a`
    (softmax, logsumexp): its argument is <= 0 or NaN, so ``V.exp_nonpositive`` may compute it (same bits)."""
    node = k.body[j]
    if node.op != "exp" or node.params.loop[0] != np.float64:
        return False
    diff = node.args[0]
    if diff.op != "subtract" or diff.dtype != np.float64 or any(a.dtype != np.float64 for a in diff.args):
        return False
    a, m = diff.args
    while is_row_reshape(m):
        m = m.args[0]
    return (m.op == "reduce" and m.params.name == "max" and m.args[0] is a and id(m) in k.rows
            and any(n is m for n in k.body))
# --- end #14 jaxgap ---


def _row_line(k: RowKernel, j: int) -> str:
    """The value of row node `j` (not a reduction) from the row values it reads."""
    names = _Names(k)
    node = k.body[j]
    args = [names.of(r, "") for r in k.refs[j]]
    return args[0] if is_row_reshape(node) else render(node, args)


def _reducer(k: RowKernel, j: int, compensated: bool) -> Reducer:
    node = k.body[j]
    return Reducer(node.params.name, node.args[0].dtype, node.dtype, compensated=compensated)


def _outputs(k: RowKernel) -> tuple[list[int], list[int]]:
    """Body indices of (full outputs, row outputs), in the order of the kernel's `out{j}` / `rout{j}`."""
    position = {id(n): i for i, n in enumerate(k.body)}
    indices = [position[id(n)] for n in k.outputs]
    return ([i for i in indices if id(k.body[i]) not in k.rows],
            [i for i in indices if id(k.body[i]) in k.rows])


# --- rows: the reduced axis is contiguous ----------------------------------------------------------------

# Rows per parallel task: each task allocates its scratch rows once.
ROWS_PER_TASK = 8


def _scratch(k: RowKernel) -> set[int]:
    """Full nodes worth keeping in a scratch row: computed by a non-inline op (exp, log, a scipy.special
    call, ...) in one reduction pass and read again by a later pass. ``softmax`` computes each ``exp`` once,
    where recomputing it in the write pass would double the kernel's work."""
    passes = [list(k.refs[j][:1]) for j, n in enumerate(k.body) if n.op == "reduce"]
    full_out, _ = _outputs(k)
    passes.append([("v", i) for i in full_out])
    first: dict[int, int] = {}
    keep = set()
    for p, targets in enumerate(passes):
        for j in _closure(k, targets)[0]:
            if j in first and first[j] < p and not _inline(k.body[j]):
                keep.add(j)
            first.setdefault(j, p)
    return keep


def _staged(k: RowKernel) -> set[int]:
    """Reductions whose producer has a non-inline op (body indices): staged through a row of their own."""
    return {j for j, n in enumerate(k.body) if n.op == "reduce" and k.refs[j][0][0] == "v"
            and not all(_inline(k.body[i]) for i in _closure(k, list(k.refs[j][:1]))[0])}


def _inline(node) -> bool:
    op = ELEMENTWISE.get(node.op)
    return op is not None and op.inline


def _vector_ops(k: RowKernel) -> bool:
    """Whether the element work has an op with a vectorisable variant and nothing that keeps the loops scalar
    (the map kernels' rule, ``source_map.uses_vector_ops``)."""
    return uses_vector_ops(_Elements(tuple(n for n in k.body if id(n) not in k.rows)))


class _Elements(NamedTuple):
    body: tuple  # what ``uses_vector_ops`` reads of a kernel


def rows_loop(k: RowKernel, parallel: bool) -> list[str | Block]:
    """Each row once with the vectorised variants (when the kernel has any), and again with the exact ones
    only if some element's ok flag came back False. The row's passes are pure until its writes, which the
    second run overwrites, so a row computed twice gives what the exact run gives."""
    body = row_body(k, fast=False)
    if _vector_ops(k):
        body = _two_pass_row(row_body(k, fast=False), row_body(k, fast=True))
    return [prange_loop("_task", f"(nrows + {ROWS_PER_TASK - 1}) // {ROWS_PER_TASK}", [
        *[f"_sc{j} = np.empty(ncols, {ctor(k.body[j].dtype)})" for j in sorted(_scratch(k))],
        *[f"_sp{j} = np.empty(ncols, {ctor(k.body[j].args[0].dtype)})" for j in sorted(_staged(k))],
        *[f"_mxl{j} = np.empty({MAX_LANES}, {ctor(r.acc)})" for j, r in _extrema(k)],
        Block(f"for r in range(_task * {ROWS_PER_TASK}, min(_task * {ROWS_PER_TASK} + {ROWS_PER_TASK}, nrows)):",
              body),
    ], parallel)]


# --- (#14 rowlat) one row body for the vectorised and the exact run -----------------------------------------
# The exact rerun used to be a second copy of the whole row body under ``if not _ok:``, and Numba types and
# lowers every line of it again (softmax: ~45% of the compile's call sites). The row now runs in a loop of at
# most two passes, the second with ``_exact`` set; only the innermost loops whose lines differ between the two
# runs (those calling a vector variant) appear twice, under ``if _exact:`` outside the loop, so each copy is
# the loop it was (the vectorised one still vectorises) and the max pass, sums, refolds and writes are typed once.
def _two_pass_row(exact: list, fast: list) -> list[str | Block]:
    """The row as the loop ``for _pass in range(2)`` over the merge of its `exact` and `fast` bodies (or, were
    they ever to differ outside their loops, the two bodies one after the other, as before)."""
    merged = _merge_runs(exact, fast)
    if merged is None:
        return ["_ok = True", *fast, Block("if not _ok:", exact)]
    return [
        "_exact = False",
        Block("for _pass in range(2):", [
            "_ok = True",
            *merged,
            Block("if _ok:", ["break"]),
            "_exact = True",
        ]),
    ]


def _merge_runs(exact: list, fast: list) -> list[str | Block] | None:
    """One body for two of the same shape: equal lines once, blocks with the same head merged item by item
    where their bodies pair up (the same lines and heads), and a block whose own lines differ as both, chosen
    by ``_exact`` (the two bodies differ only in the lines of the element ops that have a vector variant).
    None where they differ outside a block."""
    if len(exact) != len(fast):
        return None
    merged: list[str | Block] = []
    for e, f in zip(exact, fast):
        if isinstance(e, str) and e == f:
            merged.append(e)
        elif isinstance(e, Block) and isinstance(f, Block) and e.head == f.head and _pairs_up(e.body, f.body):
            inner = _merge_runs(e.body, f.body)
            if inner is None:
                return None
            merged.append(Block(e.head, inner))
        elif isinstance(e, Block) and isinstance(f, Block):
            merged += [Block("if _exact:", [e]), Block("else:", [f])]
        else:
            return None
    return merged


def _pairs_up(exact: list, fast: list) -> bool:
    """Whether two bodies have the same lines and block heads, item for item (their blocks may differ)."""
    return len(exact) == len(fast) and all(
        (isinstance(e, str) and e == f) or (isinstance(e, Block) and isinstance(f, Block) and e.head == f.head)
        for e, f in zip(exact, fast))
# --- end #14 rowlat ---


def row_body(k: RowKernel, fast: bool) -> list[str | Block]:
    """One row: its passes, its row values, its writes."""
    full_out, row_out = _outputs(k)
    scratch = _scratch(k)
    loaded: set[int] = set()
    # (#14 rowlat) the row's index cast once (``_ur``), not at every load and store: fewer calls to type
    body: list[str | Block] = ["_ur = np.uint64(r)", *[f"y{j} = rin{j}[_ur]" for j in range(len(k.row_inputs))]]
    for j, node in enumerate(k.body):
        if id(node) not in k.rows:
            continue
        if node.op != "reduce":
            body.append(f"w{j} = {_row_line(k, j)}")
            continue
        r = _reducer(k, j, compensated=True)
        producer = k.refs[j][0]
        saved = frozenset(set(_closure(k, [producer], loaded)[0]) & scratch - loaded)

        dtype = node.args[0].dtype
        if j in _staged(k) and r.compensated:
            body += [*r.init(), *_staged_blocks(k, j, r, frozenset(loaded), saved, fast), f"w{j} = {r.final()}"]
            loaded |= saved
            continue
        if j in _staged(k):
            # The producer has a non-inline op: computed into the row `_sp{j}` by a loop of its own (one copy
            # of exp's polynomial that vectorises), then folded from there.
            lines = element_lines(k, [producer], "_ur, c", "", frozenset(loaded), saved, "c", fast)
            body.append(Block("for c in range(ncols):", lines + [f"_sp{j}[np.uint64(c)] = {_Names(k).of(producer, '')}"]))

            def values(column: str, suffix: str, j=j, dtype=dtype):
                return [], f"_sp{j}[np.uint64({column})]", dtype
        else:
            def values(column: str, suffix: str, producer=producer, dtype=dtype, loaded=frozenset(loaded),
                       saved=saved):
                lines = element_lines(k, [producer], f"_ur, {column}", suffix, loaded, saved, column, fast)
                return lines, _Names(k).of(producer, suffix), dtype

        fold = [*r.init(), *reduce_range(None, r, "c", "0", "ncols", lambda e: e, lambda e: e, values)]
        body += [*(_compare_only_extremum(r, values, fold, f"_mxl{j}") if _is_float_extremum(r) else fold),
                 f"w{j} = {r.final()}"]
        loaded |= saved
    if full_out:
        targets = [("v", i) for i in full_out]
        stores = [f"out{n}[_ur, np.uint64(c)] = {store(f'v{i}', k.body[i].dtype, k.body[i].dtype)}"
                  for n, i in enumerate(full_out)]
        body.append(Block("for c in range(ncols):",
                          element_lines(k, targets, "_ur, c", "", frozenset(loaded), frozenset(), "c", fast)
                          + stores))
    body += [f"rout{n}[_ur] = {store(f'w{i}', k.body[i].dtype, k.body[i].dtype)}"
             for n, i in enumerate(row_out)]
    return body


# --- (#14 lse2) a row's float max/min without NaN tests in its dependency chain ---------------------------
MAX_LANES = 16  # independent lanes of a float max/min pass


def _is_float_extremum(r: Reducer) -> bool:
    return r.name in ("max", "min") and not r.is_arg and np.dtype(r.acc).kind == "f"


def _extrema(k: RowKernel) -> list[tuple[int, Reducer]]:
    """(body index, reducer) of the kernel's float max/min reductions: each has a lane array per task."""
    found = [(j, _reducer(k, j, compensated=True)) for j, n in enumerate(k.body) if n.op == "reduce"]
    return [(j, r) for j, r in found if _is_float_extremum(r)]


def _compare_only_extremum(r: Reducer, values, fold: list, lanes: str) -> list[str | Block]:
    """A float max (min) pass as one compare and select per element, NaN noted on the side, where
    ``S.float_maximum`` tests both operands for NaN in the loop's chain. (#14 s13 lse) In MAX_LANES independent
    lanes (the task's array `lanes`: element c goes to lane c % MAX_LANES), then the lanes folded: one chain of
    compares cost ~0.4 ns an element (the latency of a scalar max); the group's loop vectorises, and its
    producer is written once (16 scalar lanes, each with its own copy, made Numba's compile of a softmax 0.8 s
    longer). The plain compare differs from NumPy's rule only when a NaN was seen or for ties of -0.0 and 0.0
    (any order of compares gives the same maximum otherwise: the quick tier folds the last elements after its
    lanes), so a NaN or zero result runs `fold`, the ordinary pass, again: the same bits."""
    better = ">" if r.name == "max" else "<"
    lane = f"{lanes}[np.uint64(_i)]"
    lines, name, dtype = values("_g + _i", "")
    v = cast(name, dtype, r.acc)
    return [
        f"{lanes}[:] = {r.start()}",
        "_nan = False",
        "_g = 0",
        Block("while _g < ncols:", [
            Block(f"for _i in range(min({MAX_LANES}, ncols - _g)):",
                  [*lines, f"{lane} = {v} if {v} {better} {lane} else {lane}", f"_nan = _nan | ({v} != {v})"]),
            f"_g += {MAX_LANES}",
        ]),
        f"_mx = {r.start()}",
        Block(f"for _i in range({MAX_LANES}):", [f"_mx = {lane} if {lane} {better} _mx else _mx"]),
        "acc = _mx",
        Block("if _nan or acc == 0:", fold),
    ]
# --- end #14 lse2 ---


def _staged_blocks(k: RowKernel, j: int, r: Reducer, loaded: frozenset, saved: frozenset, fast: bool
                   ) -> list[str | Block]:
    """The pass of a float sum `j` whose producer has a non-inline op, one lanes' block (BLOCK elements) at a
    time: the producer into ``_sp{j}`` by a loop of its own with a constant trip count (one copy of exp's
    polynomial, which vectorises with no remainder), then the block's lanes and its Kahan step while it is
    in L1; the elements after the last whole block staged too and summed as ``reduce_range`` sums a short
    last block (its whole groups of LANES through the lanes, then one by one). Every addition is the unstaged
    loop's (``reduce_range`` over the row), in its order (bit for bit). (#14 rowjax: staging the whole row,
    then summing it, cost ~7% more of a logsumexp row, measured.)"""
    producer, dtype = k.refs[j][0], k.body[j].args[0].dtype
    value = _Names(k).of(producer, "")

    def at(column: str) -> list[str]:
        return element_lines(k, [producer], f"_ur, {column}", "", loaded, saved, column, fast)

    def staged(column: str, suffix: str):
        return [], f"_sp{j}[np.uint64({column})]", dtype

    # (#14 s13 lse) The elements after the last whole block are staged too (#14 lse2: so their exps vectorise)
    # and summed by the same ``reduce_range`` as a whole block, as it sums a row's short last block: its whole
    # groups of LANES through the lanes, the last < LANES one by one. They were all added one by one with
    # compensation (a 2500-long row: 68 dependent Kahan steps, ~12% of a logsumexp row's time); one copy of
    # the sum's lines for both kinds of block keeps Numba's compile as it was.
    return [
        "_vlo = 0",
        Block("while _vlo < ncols:", [
            Block(f"if _vlo + {BLOCK} <= ncols:", [
                Block(f"for _i in range({BLOCK}):", at("_vlo + _i") + [f"_sp{j}[np.uint64(_i)] = {value}"]),
                *_prefetch_next_row(k),
                f"_n = {BLOCK}",
            ]),
            Block("else:", [
                Block("for c in range(_vlo, ncols):", at("c") + [f"_sp{j}[np.uint64(c - _vlo)] = {value}"]),
                "_n = ncols - _vlo",
            ]),
            *reduce_range(None, r, "_i", "0", "_n", lambda e: e, lambda e: e, staged),
            "_vlo += _n",
        ]),
    ]


# --- (#14 lse2) the next row's cache lines, asked for while this row computes -----------------------------
CACHE_LINE = 64  # bytes


def _prefetch_next_row(k: RowKernel) -> list[str | Block]:
    """After each staged block, ask for the lines of the next row's same block in every element input: the
    row's compute-bound exp then overlaps the next row's read from memory, which its first pass (a max, bound
    by memory) would otherwise wait for (``kernels/prefetch.py``; measured 15-18% off a logsumexp row,
    docs/rowfuse.md). Column `_vlo + _q` is inside the row: the block is whole."""
    lines = []
    for j, node in enumerate(k.inputs):
        step = max(1, CACHE_LINE // np.dtype(node.dtype).itemsize)
        lines.append(Block(f"for _q in range(0, {BLOCK}, {step}):", [f"PF.prefetch(in{j}, r + 1, _vlo + _q)"]))
    return [Block("if r + 1 < nrows:", lines)] if lines else []
# --- end #14 lse2 ---


# --- strips: the rows are contiguous ---------------------------------------------------------------------

def _per_row(lines: list, row_values: set) -> Block:
    """A loop over the strip's rows with the row values `lines` read loaded as scalars first."""
    loads = []
    for kind, j in sorted(row_values):
        loads.append(f"y{j} = rin{j}[np.uint64(r)]" if kind == "row" else f"w{j} = _w{j}[_uq]")
    return Block("for r in range(_lo, _hi):", ["_uq = np.uint64(r - _lo)", *loads, *lines])


def strips_loop(k: RowKernel, parallel: bool) -> list[str | Block]:
    full_out, row_out = _outputs(k)
    body: list[str | Block] = ["_lo = _s * width", "_hi = min(_lo + width, nrows)"]
    body += [f"_w{j} = np.empty(width, {ctor(n.dtype)})" for j, n in enumerate(k.body) if id(n) in k.rows]
    for j, node in enumerate(k.body):
        if id(node) not in k.rows:
            continue
        if node.op != "reduce":
            _, _, rows = _closure(k, list(k.refs[j]))
            body.append(_per_row([f"_w{j}[_uq] = {_row_line(k, j)}"], rows))
            continue
        r = _reducer(k, j, compensated=False)
        producer = k.refs[j][0]
        _, _, rows = _closure(k, [producer])
        acc = f"_a{j}"
        body += [
            f"{acc} = np.empty(width, {ctor(r.acc)})",
            _per_row([f"{acc}[_uq] = {r.start()}"], set()),
            Block("for c in range(ncols):", [_per_row(
                element_lines(k, [producer], "r, c")
                # (#15) the value in the accumulator's dtype, as the reduce kernels fold it: a count of a bool
                # mask (wrapping_add(int64, bool)) failed to type, and NumPy computed the whole kernel
                + r.take(cast(_Names(k).of(producer, ""), node.args[0].dtype, r.acc), "c", at="[_uq]", arrays=acc),
                rows)]),
            _per_row([f"_w{j}[_uq] = {r.final(at='[_uq]', arrays=acc)}"], set()),
        ]
    if full_out:
        targets = [("v", i) for i in full_out]
        _, _, rows = _closure(k, targets)
        stores = [f"out{n}[np.uint64(r), np.uint64(c)] = {store(f'v{i}', k.body[i].dtype, k.body[i].dtype)}"
                  for n, i in enumerate(full_out)]
        body.append(Block("for c in range(ncols):", [_per_row(element_lines(k, targets, "r, c") + stores, rows)]))
    for n, i in enumerate(row_out):
        body.append(_per_row([f"rout{n}[np.uint64(r)] = {store(f'_w{i}[_uq]', k.body[i].dtype, k.body[i].dtype)}"],
                             set()))
    return [prange_loop("_s", "(nrows + width - 1) // width", body, parallel)]


# --- split (#15 covcos): the rows are contiguous and a strip would not stay in cache ----------------------
# `x - x.mean(0)` of a tall C array: a strip of `width` rows streams `width` contiguous elements from each of
# the reduced axis's `ncols` steps, which neither stays in cache between passes (256 x 6000 float64 is 12 MB)
# nor streams memory well (a short run per step: measured 2-5x slower per pass than reading rows whole). Here
# every pass is a parallel loop over the whole array in memory order instead: work items of `nchunks`
# contiguous ranges of the reduced axis x tiles of `tile` rows; a reduction's items fold into per-chunk
# partials, folded in chunk order (so a result depends on the shape, through `nchunks`, never on the thread
# count or the tile), the row values follow per row, and the output pass writes in the order it reads.

def _split_rows(lines: list, row_values: set) -> Block:
    """A loop over the tile's rows with the row values `lines` read loaded as scalars first."""
    loads = [f"y{j} = rin{j}[np.uint64(r)]" if kind == "row" else f"w{j} = _w{j}[np.uint64(r)]"
             for kind, j in sorted(row_values)]
    return Block("for r in range(_lo, _hi):", [*loads, *lines])


def _split_items(body: list, parallel: bool, chunked: bool = True) -> Block:
    """A parallel loop over the work items (chunk `_c` x tile [_lo, _hi)), or over the tiles alone."""
    head = ["_c = _i // _ntiles", "_lo = (_i - _c * _ntiles) * tile"] if chunked else ["_lo = _i * tile"]
    return prange_loop("_i", "nchunks * _ntiles" if chunked else "_ntiles",
                       [*head, "_hi = min(_lo + tile, nrows)", *body], parallel)


def _split_reduction(k: RowKernel, j: int, parallel: bool) -> list[str | Block]:
    """Reduction `j`: each item folds its rows' stretch of the chunk into `_p{j}`'s chunk row, then the tiles
    fold the chunks in order into the row value `_w{j}`."""
    node = k.body[j]
    r = _reducer(k, j, compensated=False)
    producer = k.refs[j][0]
    _, _, rows = _closure(k, [producer])
    acc, part = f"_a{j}", f"_p{j}"
    fold = r.take(f"{part}[_uv]", at="[_uq]", arrays=part)
    return [
        f"{part} = np.empty(nchunks * nrows, {ctor(r.acc)})",
        _split_items([
            f"{acc} = np.empty(tile, {ctor(r.acc)})",
            Block("for r in range(_lo, _hi):", ["_uq = np.uint64(r - _lo)", f"{acc}[_uq] = {r.start()}"]),
            Block("for c in range(_c * ncols // nchunks, (_c + 1) * ncols // nchunks):", [_split_rows(
                ["_uq = np.uint64(r - _lo)", *element_lines(k, [producer], "r, c"),
                 *r.take(cast(_Names(k).of(producer, ""), node.args[0].dtype, r.acc), "c", at="[_uq]", arrays=acc)],
                rows)]),
            Block("for r in range(_lo, _hi):",
                  [f"{part}[np.uint64(_c * nrows + r)] = {acc}[np.uint64(r - _lo)]"]),
        ], parallel),
        _split_items([
            Block("for _c in range(1, nchunks):", [Block("for r in range(_lo, _hi):", [
                "_uq = np.uint64(r)", "_uv = np.uint64(_c * nrows + r)", *fold])]),
            Block("for r in range(_lo, _hi):",
                  ["_uq = np.uint64(r)", f"_w{j}[_uq] = {r.final(at='[_uq]', arrays=part)}"]),
        ], parallel, chunked=False),
    ]


def split_loop(k: RowKernel, parallel: bool) -> list[str | Block]:
    full_out, row_out = _outputs(k)
    body: list[str | Block] = ["_ntiles = (nrows + tile - 1) // tile"]
    body += [f"_w{j} = np.empty(nrows, {ctor(n.dtype)})" for j, n in enumerate(k.body) if id(n) in k.rows]
    for j, node in enumerate(k.body):
        if id(node) not in k.rows:
            continue
        if node.op == "reduce":
            body += _split_reduction(k, j, parallel)
            continue
        _, _, rows = _closure(k, list(k.refs[j]))
        body.append(_split_items([_split_rows([f"_w{j}[np.uint64(r)] = {_row_line(k, j)}"], rows)], parallel,
                                 chunked=False))
    if full_out:
        targets = [("v", i) for i in full_out]
        _, _, rows = _closure(k, targets)
        stores = [f"out{n}[np.uint64(r), np.uint64(c)] = {store(f'v{i}', k.body[i].dtype, k.body[i].dtype)}"
                  for n, i in enumerate(full_out)]
        body.append(_split_items([Block("for c in range(_c * ncols // nchunks, (_c + 1) * ncols // nchunks):",
                                        [_split_rows(element_lines(k, targets, "r, c") + stores, rows)])], parallel))
    for n, i in enumerate(row_out):
        body.append(Block("for r in range(nrows):", [
            f"rout{n}[np.uint64(r)] = {store(f'_w{i}[np.uint64(r)]', k.body[i].dtype, k.body[i].dtype)}"]))
    return body


EXTRA_ARGS = {"rows": [], "strips": ["width"], "split": ["tile", "nchunks"]}  # (#15 covcos) per loop shape
LOOPS = {"rows": rows_loop, "strips": strips_loop, "split": split_loop}


def kernel_source(k: RowKernel, mode: str, layout: str, parallel: bool, version: str, comment: str = "") -> str:
    """The whole module text of a row kernel for `mode` ("rows", "strips" or "split") and array `layout` ("C", "F",
    "A")."""
    full_out, row_out = _outputs(k)
    extra = ["nrows", "ncols"] + EXTRA_ARGS[mode]
    params = ([f"in{j}" for j in range(len(k.inputs))] + [f"rin{j}" for j in range(len(k.row_inputs))]
              + [f"c{j}" for j in range(len(k.consts))] + extra
              + [f"out{j}" for j in range(len(full_out))] + [f"rout{j}" for j in range(len(row_out))])
    sig = ([array_type(n.dtype, 2, layout, True) for n in k.inputs]
           + [array_type(n.dtype, 1, "A", True) for n, _ in k.row_inputs]
           + [scalar_type(n.dtype) for n in k.consts] + ["types.int64"] * len(extra)
           + [array_type(k.body[i].dtype, 2, layout, False) for i in full_out]
           + [array_type(k.body[i].dtype, 1, "C", False) for i in row_out])
    loop = LOOPS[mode](k, parallel)
    text = Block(None, loop).render(level=1)
    return MODULE_TEMPLATE.format(
        version=version, comment=as_comment(comment) if comment else "#",
        extra_imports=("import lazyarr.kernels.scipy_bridge as SB\n" if "SB." in text else "")
        + ("import lazyarr.kernels.vecmath as V\n" if "V." in text else "")
        + ("import lazyarr.kernels.vecmath32 as V32\n" if "V32." in text else "")  # perf (#14): float32 rows
        + ("import lazyarr.kernels.prefetch as PF\n" if "PF.prefetch(" in text else ""),  # (#14 lse2)
        signature=", ".join(sig), parallel=parallel, params=", ".join(params), body=text,
    )


# --- (#14 quick rows) what the quick tier's row kernel (compiler/llvm_rows.py) shares with this one ---------
# The same passes, scratch rows and vector variants, so both kernels fold the same values in the same order.
closure, outputs, scratch_nodes, staged_nodes = _closure, _outputs, _scratch, _staged
vector_ops, below_row_max, is_float_extremum = _vector_ops, _below_row_max, _is_float_extremum
# --- end #14 quick rows ---
