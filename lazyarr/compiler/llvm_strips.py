"""Row kernels' ``strips`` loop on the quick tier (#14 quick rows): ``source_rows.strips_loop`` as LLVM IR.

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

import numpy as np
from llvmlite import ir

from lazyarr.compiler import llvm_map, llvm_rows, source_rows
from lazyarr.compiler.llvm_map import Unsupported, cast, memory_type
from lazyarr.compiler.llvm_math import Untranslatable
from lazyarr.compiler.llvm_reduce import Folder, Loops
from lazyarr.compiler.rowfuse import is_row_reshape

__all__ = ["scratch_rows", "strips_ir"]

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

    def build(self) -> ir.Module:
        k = self.k
        module = ir.Module(name="lazyarr_quick_strips")
        n_in, n_rin, n_c, n_out = len(k.inputs), len(k.row_inputs), len(k.consts), len(self.full_out)
        params = ([memory_type(n.dtype).as_pointer() for n in k.inputs] + [_I64] * (2 * n_in)
                  + [memory_type(n.dtype).as_pointer() for n, _ in k.row_inputs]
                  + [memory_type(n.dtype) for n in k.consts]
                  + [memory_type(k.body[i].dtype).as_pointer() for i in self.full_out] + [_I64] * (2 * n_out)
                  + [memory_type(k.body[i].dtype).as_pointer() for i in self.row_out]
                  + [_I8.as_pointer()] + [_I64] * 5)
        function = ir.Function(module, ir.FunctionType(ir.VoidType(), params), llvm_map.NAME)
        args = list(function.args)
        self.inputs, args = args[:n_in], args[n_in:]
        self.in_strides, args = [(args[2 * j], args[2 * j + 1]) for j in range(n_in)], args[2 * n_in:]
        self.row_inputs, args = args[:n_rin], args[n_rin:]
        consts, args = args[:n_c], args[n_c:]
        self.outs, args = args[:n_out], args[n_out:]
        self.out_strides, args = [(args[2 * j], args[2 * j + 1]) for j in range(n_out)], args[2 * n_out:]
        self.routs, args = args[:len(self.row_out)], args[len(self.row_out):]
        scratch, self.nrows, self.ncols, self.width, first, last = args
        scratch.add_attribute("noalias")
        entry = ir.IRBuilder(function.append_basic_block("entry"))
        self.loops = Loops(function, entry)
        self.consts = [llvm_rows.register(entry, a, n.dtype) for n, a in zip(k.consts, consts)]
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
