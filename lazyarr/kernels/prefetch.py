"""A software prefetch of one element of a 2-D array, for row kernels (#14 lse2).

A row kernel (compiler/source_rows.py, ``rows`` loop) reads each row from memory in its first pass and then
computes on it from L1 (softmax's and logsumexp's exp). While it computes, nothing asks for the next row, so
the next row's first pass waits on memory. The staged exp loop therefore asks for the next row's cache lines,
a few per block of the current row, so that they arrive while the exp runs (measured: a logsumexp row 15-18%
faster, docs/rowfuse.md). A prefetch never faults and changes no value.
"""
from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, row, column):
    """Ask for the cache line holding ``array[row, column]`` (read, kept in all cache levels); no value."""
    if not (isinstance(array, types.Array) and array.ndim == 2
            and isinstance(row, types.Integer) and isinstance(column, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        aryty, rowty, colty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        indices = [context.cast(builder, args[1], rowty, types.intp),
                   context.cast(builder, args[2], colty, types.intp)]
        pointer = cgutils.get_item_pointer(context, builder, aryty, ary, indices)
        byte_pointer = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [byte_pointer] + [ir.IntType(32)] * 3)
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        # (address, 0 = read, 3 = keep in every cache level, 1 = data cache)
        builder.call(fn, [builder.bitcast(pointer, byte_pointer), ir.Constant(ir.IntType(32), 0),
                          ir.Constant(ir.IntType(32), 3), ir.Constant(ir.IntType(32), 1)])
        return context.get_dummy_value()

    return types.void(array, row, column), codegen
