"""Row kernels' ``strips`` and ``split`` loops on the quick tier (#14 quick rows): ``source_rows.strips_loop`` and
``split_loop`` as LLVM IR (``split``: below).

Where a row kernel's rows are the contiguous axis (``(x - x.mean(0)) / x.std(0)`` of a C array, the reduced axis
short enough for a strip to stay in cache: ``runtime/rows.loop_of``), the Numba kernel runs strips of ``width``
rows: each pass streams down the reduced axis, updating the strip's accumulators (one per row, in memory order),
then computes the strip's row values, and the last pass writes the outputs. This module writes the same loop, so
both kernels give the same bits: each row's accumulator takes its values in column order without compensation
(``llvm_reduce.Folder`` for the "outer" loop, the op table's ufunc), the per-row values and element ops are
``llvm_map``'s, with the C library's functions (the Numba strips loop has no vector variants). Rows are
independent, so neither the strip width nor the thread that computes a strip changes a bit.

    void kernel(in0*, ..., i64 rs0, i64 cs0, ..., rin0*, ..., c0, ..., out0*, ..., i64 ors0, i64 ocs0, ...,
                rout0*, ..., i8* scratch, i64 nrows, i64 ncols, i64 width, i64 first, i64 last)

computes rows [first, last) in strips of `width` from `first`; element (r, c) of an array is ``r * rs + c * cs``
elements from its start (strides in elements, any sign, 0 for a broadcast); ``scratch`` holds
``scratch_rows(k)`` rows of ``width`` 8-byte elements for this call alone.
"""
from __future__ import annotations

from llvmlite import ir

from lazyarr.compiler import llvm_map, llvm_rows, source_rows
from lazyarr.compiler.llvm_map import Unsupported, cast, memory_type
from lazyarr.compiler.llvm_math import Untranslatable
from lazyarr.compiler.llvm_reduce import Folder, Loops
from lazyarr.compiler.rowfuse import is_row_reshape

__all__ = ["ITEMS", "TILES", "scratch_rows", "split_ir", "split_phases", "split_rows", "strips_ir"]

_I64 = ir.IntType(64)
_I8 = ir.IntType(8)


def scratch_rows(k) -> int:
    """Per-row arrays of one strip: one per row node (its values) and one per reduction (its accumulators)."""
    return sum(1 for n in k.body if id(n) in k.rows) + sum(1 for n in k.body if n.op == "reduce")


def strips_ir(k) -> str:
    """The module text of `k`'s ``strips`` loop (function ``llvm_map.NAME``); raises Unsupported."""
    try:
        return str(_Strips(k).build())
    except Untranslatable as error:
        raise Unsupported(f"vector math: {error}") from error


class _Strips:
    def __init__(self, k):
        self.k = k
        self.full_out, self.row_out = source_rows.outputs(k)
        llvm_rows.check_dtypes(k)
        self.math = llvm_rows.exact_math

    def _params(self, extra: list) -> list:
        """The arguments' types: arrays and their strides, row inputs, constants, outputs and their strides, row
        outputs, then `extra` (the loop's own)."""
        k = self.k
        n_in, n_out = len(k.inputs), len(self.full_out)
        return ([memory_type(n.dtype).as_pointer() for n in k.inputs] + [_I64] * (2 * n_in)
                + [memory_type(n.dtype).as_pointer() for n, _ in k.row_inputs]
                + [memory_type(n.dtype) for n in k.consts]
                + [memory_type(k.body[i].dtype).as_pointer() for i in self.full_out] + [_I64] * (2 * n_out)
                + [memory_type(k.body[i].dtype).as_pointer() for i in self.row_out] + extra)

    def _arguments(self, function: ir.Function) -> list:
        """Names the arguments of ``_params``; returns the loop's own."""
        k = self.k
        n_in, n_rin, n_c, n_out = len(k.inputs), len(k.row_inputs), len(k.consts), len(self.full_out)
        args = list(function.args)
        self.inputs, args = args[:n_in], args[n_in:]
        self.in_strides, args = [(args[2 * j], args[2 * j + 1]) for j in range(n_in)], args[2 * n_in:]
        self.row_inputs, args = args[:n_rin], args[n_rin:]
        self._const_args, args = args[:n_c], args[n_c:]
        self.outs, args = args[:n_out], args[n_out:]
        self.out_strides, args = [(args[2 * j], args[2 * j + 1]) for j in range(n_out)], args[2 * n_out:]
        self.routs, args = args[:len(self.row_out)], args[len(self.row_out):]
        return args

    def build(self) -> ir.Module:
        k = self.k
        module = ir.Module(name="lazyarr_quick_strips")
        function = ir.Function(module, ir.FunctionType(ir.VoidType(), self._params([_I8.as_pointer()] + [_I64] * 5)),
                               llvm_map.NAME)
        scratch, self.nrows, self.ncols, self.width, first, last = self._arguments(function)
        scratch.add_attribute("noalias")
        entry = ir.IRBuilder(function.append_basic_block("entry"))
        self.loops = Loops(function, entry)
        self.consts = [llvm_rows.register(entry, a, n.dtype) for n, a in zip(k.consts, self._const_args)]
        self.arrays = self._scratch(entry, scratch)
        start = function.append_basic_block("start")
        b = ir.IRBuilder(start)
        strip = self.loops.slot("s")
        b.store(first, strip)

        def one_strip(b):
            lo = b.load(strip)
            self._strip(b, lo, last)
            b.store(b.add(lo, self.width), strip)
        self.loops.while_(b, lambda b: b.icmp_signed("<", b.load(strip), last), one_strip)
        b.ret_void()
        entry.branch(start)
        return module

    def _scratch(self, b: ir.IRBuilder, scratch) -> dict:
        """("w" | "a", body index) -> a pointer to the strip's per-row values / accumulators, of their dtype."""
        k, pointers, slot = self.k, {}, 0
        for j, node in enumerate(k.body):
            if id(node) not in k.rows:
                continue
            kinds = [("w", node.dtype)]
            if node.op == "reduce":
                kinds.append(("a", self._folder(j).acc))
            for kind, dtype in kinds:
                offset = b.mul(self.width, ir.Constant(_I64, slot * llvm_rows.SCRATCH_ITEM))
                pointers[kind, j] = b.bitcast(b.gep(scratch, [offset]), memory_type(dtype).as_pointer())
                slot += 1
        return pointers

    def _folder(self, j: int) -> Folder:
        node = self.k.body[j]
        return Folder.of(node.params.name, node.args[0].dtype, node.dtype, "outer")  # no compensation (strided)

    # --- a strip -------------------------------------------------------------------------------------------

    def _strip(self, b: ir.IRBuilder, lo, last) -> None:
        """Rows [lo, min(lo + width, last)): ``source_rows.strips_loop``'s passes."""
        k, loops = self.k, self.loops
        end = b.add(lo, self.width)
        hi = b.select(b.icmp_signed("<", end, last), end, last)
        self.lo = lo

        def per_row(body):
            loops.range(b, "r", lo, hi, lambda b, r: body(b, r, b.sub(r, lo)))

        for j, node in enumerate(k.body):
            if id(node) not in k.rows:
                continue
            if node.op != "reduce":
                def row_value(b, r, q, j=j, node=node):
                    args = [self._row_value(b, ref, r, q) for ref in k.refs[j]]
                    value = args[0] if is_row_reshape(node) else llvm_map.node_value(b, node, args, self.math)
                    llvm_rows.store(b, value, node.dtype, self.arrays["w", j], q)
                per_row(row_value)
                continue
            folder, acc = self._folder(j), self.arrays["a", j]
            per_row(lambda b, r, q, folder=folder, acc=acc: llvm_rows.store(b, folder.start(), folder.acc, acc, q))

            def take(b, r, q, c, j=j, folder=folder, acc=acc, node=node):
                value = cast(b, self._element(b, [k.refs[j][0]], r, q, c)[0], node.args[0].dtype, folder.acc)
                old = llvm_rows.register(b, b.load(b.gep(acc, [q]), align=1), folder.acc)
                llvm_rows.store(b, folder.plain(b, old, value), folder.acc, acc, q)
            loops.range(b, "c", llvm_rows.zero(), self.ncols,
                        lambda b, c, take=take: loops.range(b, "r", lo, hi,
                                                            lambda b, r: take(b, r, b.sub(r, lo), c)))

            def final(b, r, q, j=j, folder=folder, acc=acc, node=node):
                value = llvm_rows.register(b, b.load(b.gep(acc, [q]), align=1), folder.acc)
                llvm_rows.store(b, cast(b, value, folder.acc, folder.result), node.dtype, self.arrays["w", j], q)
            per_row(final)
        if self.full_out:
            targets = [("v", i) for i in self.full_out]

            def write(b, r, q, c):
                for i, pointer, (rs, cs), v in zip(self.full_out, self.outs, self.out_strides,
                                                  self._element(b, targets, r, q, c)):
                    llvm_rows.store(b, v, k.body[i].dtype, pointer, b.add(b.mul(r, rs), b.mul(c, cs)))
            loops.range(b, "c", llvm_rows.zero(), self.ncols,
                        lambda b, c: loops.range(b, "r", lo, hi, lambda b, r: write(b, r, b.sub(r, lo), c)))
        for i, pointer in zip(self.row_out, self.routs):
            per_row(lambda b, r, q, i=i, pointer=pointer: llvm_rows.store(
                b, self._row_value(b, ("v", i), r, q), k.body[i].dtype, pointer, r))

    def _row_value(self, b: ir.IRBuilder, ref: tuple, r, q):
        """A row value of row r (strip position q): a row node's from the strip's array, a row input's, a const."""
        kind, j = ref
        if kind == "v":
            return llvm_rows.register(b, b.load(b.gep(self.arrays["w", j], [q]), align=1), self.k.body[j].dtype)
        if kind == "row":
            return llvm_rows.register(b, b.load(b.gep(self.row_inputs[j], [r]), align=1),
                                      self.k.row_inputs[j][0].dtype)
        return self.consts[j]

    def _element(self, b: ir.IRBuilder, targets: list, r, q, c) -> list:
        """The values of `targets` (refs) at element (r, c), children first."""
        k, memo = self.k, {}

        def value(ref):
            kind, j = ref
            if kind == "in":
                if ref not in memo:
                    rs, cs = self.in_strides[j]
                    pointer = b.gep(self.inputs[j], [b.add(b.mul(r, rs), b.mul(c, cs))])
                    memo[ref] = llvm_rows.register(b, b.load(pointer, align=1), k.inputs[j].dtype)
                return memo[ref]
            if kind != "v" or id(k.body[j]) in k.rows:
                return self._row_value(b, ref, r, q)
            if ref not in memo:
                memo[ref] = llvm_map.node_value(b, k.body[j], [value(a) for a in k.refs[j]], self.math)
            return memo[ref]

        return [value(t) for t in targets]


# --- split: the rows contiguous and the strided axis too long for a strip (``source_rows.split_loop``) -----------
# Every pass is a parallel loop over the whole array: work items of a contiguous range of the reduced axis (one of
# `nchunks`, a function of the shape alone) x a tile of rows. A reduction's items fold into per-chunk partials,
# folded in chunk order into the row values by a pass over the tiles; so a result depends on `nchunks`, never on
# the tile or the thread count. The passes need each other's results, so the kernel computes one pass (`phase`)
# over items [first, last) per call, and the runtime runs the phases in order, each over the threads.
#
#     void kernel(<as strips' arrays, constants and outputs>, i8* rowvals, i8* partials, i64 nrows, i64 ncols,
#                 i64 tile, i64 nchunks, i64 phase, i64 first, i64 last)
#
# `rowvals` holds one row of `nrows` 8-byte elements per row node, `partials` `nchunks * nrows` per reduction.

ITEMS, TILES = "items", "tiles"  # what a phase's work items are: chunk x tile, or tile


def split_phases(k) -> list[str]:
    """The kinds of the `split` kernel's phases, in the order the runtime runs them."""
    return [kind for _, _, kind in _phases(k)]


def split_rows(k) -> tuple[int, int]:
    """(rows of `nrows` in `rowvals`, rows of `nchunks * nrows` in `partials`)."""
    return sum(1 for n in k.body if id(n) in k.rows), sum(1 for n in k.body if n.op == "reduce")


def _phases(k) -> list[tuple]:
    full_out, row_out = source_rows.outputs(k)
    phases = []
    for j, node in enumerate(k.body):
        if id(node) not in k.rows:
            continue
        phases += [("partials", j, ITEMS), ("fold", j, TILES)] if node.op == "reduce" else [("row", j, TILES)]
    if full_out:
        phases.append(("out", None, ITEMS))
    if row_out:
        phases.append(("rout", None, TILES))
    return phases


def split_ir(k) -> str:
    """The module text of `k`'s ``split`` loop (function ``llvm_map.NAME``); raises Unsupported."""
    try:
        return str(_Split(k).build())
    except Untranslatable as error:
        raise Unsupported(f"vector math: {error}") from error


class _Split(_Strips):
    def build(self) -> ir.Module:
        k = self.k
        module = ir.Module(name="lazyarr_quick_split")
        function = ir.Function(module, ir.FunctionType(ir.VoidType(), self._params(extra=[_I8.as_pointer()] * 2
                                                                                          + [_I64] * 7)),
                               llvm_map.NAME)
        rowvals, partials, self.nrows, self.ncols, self.tile, self.nchunks, phase, first, last = \
            self._arguments(function)
        rowvals.add_attribute("noalias")  # the call's own rows: no input or output is there
        partials.add_attribute("noalias")
        entry = ir.IRBuilder(function.append_basic_block("entry"))
        self.loops = Loops(function, entry)
        self.consts = [llvm_rows.register(entry, a, n.dtype) for n, a in zip(k.consts, self._const_args)]
        self.ntiles = entry.sdiv(entry.sub(entry.add(self.nrows, self.tile), ir.Constant(_I64, 1)), self.tile)
        self.arrays, slot_w, slot_p = {}, 0, 0
        for j, node in enumerate(k.body):
            if id(node) not in k.rows:
                continue
            offset = entry.mul(self.nrows, ir.Constant(_I64, slot_w * llvm_rows.SCRATCH_ITEM))
            self.arrays["w", j] = entry.bitcast(entry.gep(rowvals, [offset]), memory_type(node.dtype).as_pointer())
            slot_w += 1
            if node.op == "reduce":
                per = entry.mul(entry.mul(self.nrows, self.nchunks), ir.Constant(_I64, llvm_rows.SCRATCH_ITEM))
                offset = entry.mul(per, ir.Constant(_I64, slot_p))
                self.arrays["p", j] = entry.bitcast(entry.gep(partials, [offset]),
                                                    memory_type(self._folder(j).acc).as_pointer())
                slot_p += 1
        start = function.append_basic_block("start")
        b = ir.IRBuilder(start)
        done = function.append_basic_block("done")
        switch = b.switch(phase, done)
        for number, (what, j, kind) in enumerate(_phases(k)):
            block = function.append_basic_block(f"phase{number}")
            switch.add_case(ir.Constant(_I64, number), block)
            b.position_at_end(block)
            self.loops.range(b, "item", first, last,
                             lambda b, i, what=what, j=j, kind=kind: self._item(b, what, j, kind, i))
            b.branch(done)
        b.position_at_end(done)
        b.ret_void()
        entry.branch(start)
        return module

    def _item(self, b: ir.IRBuilder, what: str, j, kind: str, i) -> None:
        """One work item of a phase: chunk c (ITEMS) of rows [lo, hi)."""
        k, loops = self.k, self.loops
        if kind == ITEMS:
            c = b.sdiv(i, self.ntiles)
            lo = b.mul(b.sub(i, b.mul(c, self.ntiles)), self.tile)
            c_lo = b.sdiv(b.mul(c, self.ncols), self.nchunks)
            c_hi = b.sdiv(b.mul(b.add(c, ir.Constant(_I64, 1)), self.ncols), self.nchunks)
        else:
            lo = b.mul(i, self.tile)
        end = b.add(lo, self.tile)
        hi = b.select(b.icmp_signed("<", end, self.nrows), end, self.nrows)

        def rows(b, body):
            loops.range(b, "r", lo, hi, body)

        def cells(body):
            loops.range(b, "col", c_lo, c_hi, lambda b, col: rows(b, lambda b, r: body(b, r, col)))

        if what == "partials":
            node, folder, part = k.body[j], self._folder(j), self.arrays["p", j]
            base = b.mul(c, self.nrows)
            rows(b, lambda b, r: llvm_rows.store(b, folder.start(), folder.acc, part, b.add(base, r)))

            def take(b, r, col):
                value = cast(b, self._element(b, [k.refs[j][0]], r, r, col)[0], node.args[0].dtype, folder.acc)
                at = b.add(base, r)
                old = llvm_rows.register(b, b.load(b.gep(part, [at]), align=1), folder.acc)
                llvm_rows.store(b, folder.plain(b, old, value), folder.acc, part, at)
            cells(take)
        elif what == "fold":
            node, folder, part = k.body[j], self._folder(j), self.arrays["p", j]

            def chunk(b, c):
                def fold(b, r):
                    old = llvm_rows.register(b, b.load(b.gep(part, [r]), align=1), folder.acc)
                    other = b.load(b.gep(part, [b.add(b.mul(c, self.nrows), r)]), align=1)
                    value = folder.plain(b, old, llvm_rows.register(b, other, folder.acc))
                    llvm_rows.store(b, value, folder.acc, part, r)
                rows(b, fold)
            loops.range(b, "chunk", ir.Constant(_I64, 1), self.nchunks, chunk)

            def final(b, r):
                value = llvm_rows.register(b, b.load(b.gep(part, [r]), align=1), folder.acc)
                llvm_rows.store(b, cast(b, value, folder.acc, folder.result), node.dtype, self.arrays["w", j], r)
            rows(b, final)
        elif what == "row":
            node = k.body[j]

            def row_value(b, r):
                args = [self._row_value(b, ref, r, r) for ref in k.refs[j]]
                value = args[0] if is_row_reshape(node) else llvm_map.node_value(b, node, args, self.math)
                llvm_rows.store(b, value, node.dtype, self.arrays["w", j], r)
            rows(b, row_value)
        elif what == "out":
            targets = [("v", i) for i in self.full_out]

            def write(b, r, col):
                for i, pointer, (rs, cs), v in zip(self.full_out, self.outs, self.out_strides,
                                                  self._element(b, targets, r, r, col)):
                    llvm_rows.store(b, v, k.body[i].dtype, pointer, b.add(b.mul(r, rs), b.mul(col, cs)))
            cells(write)
        else:
            for i, pointer in zip(self.row_out, self.routs):
                rows(b, lambda b, r, i=i, pointer=pointer: llvm_rows.store(
                    b, self._row_value(b, ("v", i), r, r), k.body[i].dtype, pointer, r))
