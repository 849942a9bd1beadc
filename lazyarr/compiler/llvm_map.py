"""Flat map kernels as LLVM IR, built straight from the kernel's nodes (#14: the quick tier).

A flat map kernel (every array of the output's shape and contiguous, ``compiler/layout.py``) is one loop over
raveled buffers. For the ops whose results IEEE arithmetic and NumPy's integer rules fix exactly, this module
writes that loop as LLVM IR with ``llvmlite.ir``, the instructions Numba's own lowering emits for them (its
``ufunc_db`` and lazyarr's ``kernels/numpy_scalar`` overrides), so the two tiers give the same bits:

- arithmetic (+ - * /, negative, absolute, square), comparisons, logical and bitwise ops, ``where``, casts;
- maximum/minimum with NumPy's NaN rules (NaN propagates; ``numpy_scalar.float_maximum``) and fmax/fmin with
  Numba's (NaN avoided);
- sqrt, floor, ceil, trunc, rint: LLVM's intrinsics, exact by IEEE;
- integer floor_divide/remainder with NumPy's sign rules and its zero for a zero (or -1) divisor.

Anything else (transcendental functions, whose libm calls would differ in the last bits from the Numba kernels'
vector math; float -> int casts, undefined in LLVM where NumPy's are x86's; complex, float16, generators,
gathers) is ``Unsupported``, and the kernel compiles through Numba as before.

The function is ``void kernel(T0* in0, ..., c0, ..., U0* out0, ..., i64 lo, i64 hi)``: it computes elements
[lo, hi), so the runtime can run chunks on several threads. No fast-math flags: no FMA contraction. Loads and
stores claim no alignment (an unaligned view computes correctly; x86's vector loads take any address).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from lazyarr.graph.expr import CONST, LEAF

__all__ = ["Unsupported", "kernel_ir", "kernel_module", "supported_dtype"]

NAME = "kernel"  # the function's name in the IR; the tier renames it after the IR's hash (``llvm_tier``)

_I1 = ir.IntType(1)
_I8 = ir.IntType(8)
_I64 = ir.IntType(64)
_DTYPES = {np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                 np.uint32, np.uint64, np.float32, np.float64)}


class Unsupported(Exception):
    """The kernel has something this tier does not compile exactly: Numba compiles it."""


def supported_dtype(dt: np.dtype) -> bool:
    return dt in _DTYPES and dt.isnative


def llvm_type(dt: np.dtype) -> ir.Type:
    """A value's type in registers (bool as i1; in memory and as an argument it is i8)."""
    if dt.kind == "b":
        return _I1
    if dt.kind in "iu":
        return ir.IntType(8 * dt.itemsize)
    return ir.FloatType() if dt.itemsize == 4 else ir.DoubleType()


def memory_type(dt: np.dtype) -> ir.Type:
    return _I8 if dt.kind == "b" else llvm_type(dt)


# --- casts: NumPy's unsafe cast, as C (and Numba) convert ------------------------------------------------------

def cast(b: ir.IRBuilder, value, src: np.dtype, dst: np.dtype):
    if src == dst:
        return value
    if dst.kind == "b":
        return truth(b, value, src)
    if src.kind == "b":
        return b.zext(value, llvm_type(dst)) if dst.kind in "iu" else b.uitofp(value, llvm_type(dst))
    if src.kind in "iu" and dst.kind in "iu":
        if dst.itemsize < src.itemsize:
            return b.trunc(value, llvm_type(dst))
        if dst.itemsize == src.itemsize:
            return value
        return b.sext(value, llvm_type(dst)) if src.kind == "i" else b.zext(value, llvm_type(dst))
    if src.kind in "iu":  # -> float: rounds to nearest, as C's conversion
        return b.sitofp(value, llvm_type(dst)) if src.kind == "i" else b.uitofp(value, llvm_type(dst))
    if dst.kind == "f":
        return b.fptrunc(value, llvm_type(dst)) if dst.itemsize < src.itemsize else b.fpext(value, llvm_type(dst))
    # float -> int: fptosi is poison out of range, where NumPy gets x86's conversion (numpy_scalar handles it)
    raise Unsupported(f"cast {src} -> {dst}")


def truth(b: ir.IRBuilder, value, dt: np.dtype):
    """``value != 0`` (NaN is true, as in NumPy)."""
    if dt.kind == "b":
        return value
    if dt.kind == "f":
        return b.fcmp_unordered("!=", value, ir.Constant(value.type, 0.0))
    return b.icmp_unsigned("!=", value, ir.Constant(value.type, 0))


# --- the ops: each (builder, operand values at the loop dtype, the loop dtype) -> (value, its dtype) ------------

_BOOL = np.dtype(np.bool_)


def _kinds(dt: np.dtype, allowed: str, op: str) -> None:
    if dt.kind not in allowed:
        raise Unsupported(f"{op} on {dt}")


def _binary(int_op: str | None, float_op: str | None, bool_op: str | None = None):
    def emit(b, args, dt):
        name = {"f": float_op, "i": int_op, "u": int_op, "b": bool_op}[dt.kind]
        if name is None:
            raise Unsupported(f"{int_op or float_op} on {dt}")
        return getattr(b, name)(*args), dt
    return emit


def _negative(b, args, dt):
    _kinds(dt, "iuf", "negative")
    if dt.kind == "f":
        return b.fsub(ir.Constant(args[0].type, -0.0), args[0]), dt  # as Numba's real negate
    return b.neg(args[0]), dt


def _absolute(b, args, dt):
    x = args[0]
    if dt.kind == "f":
        return b.call(b.module.declare_intrinsic("llvm.fabs", [x.type]), [x]), dt
    if dt.kind == "i":  # abs(INT_MIN) wraps to INT_MIN, as in NumPy
        return b.select(b.icmp_signed("<", x, ir.Constant(x.type, 0)), b.neg(x), x), dt
    return x, dt


def _intrinsic(name: str):
    def emit(b, args, dt):
        _kinds(dt, "f", name)
        return b.call(b.module.declare_intrinsic(name, [args[0].type]), args), dt
    return emit


def _identity(b, args, dt):
    return args[0], dt


def _square(b, args, dt):
    _kinds(dt, "iuf", "square")
    return (b.fmul if dt.kind == "f" else b.mul)(args[0], args[0]), dt


def _extremum(larger: bool):
    """maximum/minimum: NaN propagates, the first NaN wins; on ties the second operand (numpy_scalar)."""
    def emit(b, args, dt):
        x, y = args
        if dt.kind == "b":
            return (b.or_ if larger else b.and_)(x, y), dt
        if dt.kind == "f":
            better = b.fcmp_ordered(">" if larger else "<", x, y)
            pick = b.select(better, x, y)
            pick = b.select(b.fcmp_unordered("uno", y, y), y, pick)
            return b.select(b.fcmp_unordered("uno", x, x), x, pick), dt
        compare = b.icmp_signed if dt.kind == "i" else b.icmp_unsigned
        return b.select(compare(">" if larger else "<", x, y), x, y), dt
    return emit


def _nan_avoiding(larger: bool):
    """fmax/fmin as Numba lowers them (np_real_fmax_impl): a NaN operand gives the other one."""
    def emit(b, args, dt):
        if dt.kind != "f":
            return _extremum(larger)(b, args, dt)
        x, y = args
        any_nan = b.fcmp_unordered("uno", x, y)
        if larger:
            nan_result = b.select(b.fcmp_unordered("uno", y, y), x, y)
            plain = b.select(b.fcmp_ordered(">=", x, y), x, y)
        else:
            nan_result = b.select(b.fcmp_unordered("uno", x, x), y, x)
            plain = b.select(b.fcmp_ordered("<=", x, y), x, y)
        return b.select(any_nan, nan_result, plain), dt
    return emit


def _compare(symbol: str):
    def emit(b, args, dt):
        if dt.kind == "f":  # ordered, but != is true for NaN
            fcmp = b.fcmp_unordered if symbol == "!=" else b.fcmp_ordered
            return fcmp(symbol, *args), _BOOL
        compare = b.icmp_signed if dt.kind == "i" else b.icmp_unsigned
        return compare(symbol, *args), _BOOL
    return emit


def _logical(name: str):
    def emit(b, args, dt):
        values = [truth(b, a, dt) for a in args]
        if name == "not":
            return b.not_(values[0]), _BOOL
        return getattr(b, name)(*values), _BOOL
    return emit


def _invert(b, args, dt):
    _kinds(dt, "iub", "invert")
    return b.not_(args[0]), dt


def _where(b, args, dt_cond, dt_value):
    return b.select(truth(b, args[0], dt_cond), args[1], args[2]), dt_value


def _floor_divide(b, args, dt):
    """numpy_scalar.int_floor_divide: 0 for a zero divisor, -a (wrapping) for -1, else the floored quotient.
    The divisor the instruction sees is never 0 or -1 (both undefined for LLVM's division, even if discarded)."""
    _kinds(dt, "iu", "floor_divide")
    x, y = args
    zero, one = ir.Constant(x.type, 0), ir.Constant(x.type, 1)
    if dt.kind == "u":
        is_zero = b.icmp_unsigned("==", y, zero)
        return b.select(is_zero, zero, b.udiv(x, b.select(is_zero, one, y))), dt
    special = b.or_(b.icmp_signed("==", y, zero), b.icmp_signed("==", y, ir.Constant(x.type, -1)))
    safe = b.select(special, one, y)
    q, r = b.sdiv(x, safe), b.srem(x, safe)
    adjust = b.and_(b.icmp_signed("!=", r, zero), b.icmp_signed("<", b.xor(r, safe), zero))
    q = b.select(adjust, b.sub(q, one), q)
    minus_x = b.sub(zero, x)
    return b.select(b.icmp_signed("==", y, zero), zero, b.select(special, minus_x, q)), dt


def _remainder(b, args, dt):
    """numpy_scalar.int_remainder: 0 for a zero (or -1) divisor, else the remainder with the divisor's sign."""
    _kinds(dt, "iu", "remainder")
    x, y = args
    zero, one = ir.Constant(x.type, 0), ir.Constant(x.type, 1)
    if dt.kind == "u":
        is_zero = b.icmp_unsigned("==", y, zero)
        return b.select(is_zero, zero, b.urem(x, b.select(is_zero, one, y))), dt
    special = b.or_(b.icmp_signed("==", y, zero), b.icmp_signed("==", y, ir.Constant(x.type, -1)))
    safe = b.select(special, one, y)
    r = b.srem(x, safe)
    adjust = b.and_(b.icmp_signed("!=", r, zero), b.icmp_signed("<", b.xor(r, safe), zero))
    r = b.select(adjust, b.add(r, safe), r)
    return b.select(special, zero, r), dt


# op name -> emitter; an op not here, or an emitter raising Unsupported for its dtype, leaves the kernel to Numba
OPS = {
    "add": _binary("add", "fadd", "or_"), "subtract": _binary("sub", "fsub"),
    "multiply": _binary("mul", "fmul", "and_"), "divide": _binary(None, "fdiv"),
    "negative": _negative, "positive": _identity, "absolute": _absolute, "fabs": _intrinsic("llvm.fabs"),
    "square": _square, "sqrt": _intrinsic("llvm.sqrt"), "floor": _intrinsic("llvm.floor"),
    "ceil": _intrinsic("llvm.ceil"), "trunc": _intrinsic("llvm.trunc"), "rint": _intrinsic("llvm.rint"),
    "maximum": _extremum(True), "minimum": _extremum(False), "fmax": _nan_avoiding(True),
    "fmin": _nan_avoiding(False),
    "equal": _compare("=="), "not_equal": _compare("!="), "less": _compare("<"), "less_equal": _compare("<="),
    "greater": _compare(">"), "greater_equal": _compare(">="),
    "logical_and": _logical("and_"), "logical_or": _logical("or_"), "logical_xor": _logical("xor"),
    "logical_not": _logical("not"),
    "bitwise_and": _binary("and_", None, "and_"), "bitwise_or": _binary("or_", None, "or_"),
    "bitwise_xor": _binary("xor", None, "xor"), "invert": _invert,
    "floor_divide": _floor_divide, "remainder": _remainder,
    "copy": _identity,
}


def node_value(b: ir.IRBuilder, node, operands: list, math=None):
    """One node's value (of llvm_type(node.dtype)) from its operands' values (each of its operand's dtype).
    `math`: the emitter of transcendental nodes (#14 quick math: ``llvm_math_map``; it returns None for an op it does not emit)."""
    if node.op == "cast":
        return cast(b, operands[0], node.args[0].dtype, node.dtype)
    if node.op == "where":
        loop = node.params.loop
        args = [cast(b, v, a.dtype, dt) for v, a, dt in zip(operands, node.args, loop)]
        value, dt = _where(b, args, loop[0], loop[1])
        return cast(b, value, dt, node.dtype)
    emit = OPS.get(node.op)
    if emit is None and math is not None:  # (#14 quick math) sin, exp, ...: llvm_math_map's emitter, or refused
        emit = math(node)
    if emit is None or getattr(node.params, "engine", "numba") != "numba":
        raise Unsupported(node.op)
    loop = node.params.loop
    if any(not supported_dtype(np.dtype(dt)) for dt in loop):
        raise Unsupported(f"{node.op} loop {loop}")
    # (#14 small calls) every op here computes in one dtype, loop[0]; a loop of mixed dtypes (NumPy 2's exact
    # int64-uint64 comparisons: `int64 > uint64(2**63 + 5)` is False everywhere) would be computed wrongly in it
    if any(dt != loop[0] for dt in loop[1:]):
        raise Unsupported(f"{node.op} mixed loop {loop}")
    args = [cast(b, v, a.dtype, dt) for v, a, dt in zip(operands, node.args, loop)]
    value, dt = emit(b, args, loop[0])
    return cast(b, value, dt, node.dtype)


# --- the kernel ---------------------------------------------------------------------------------------------

def check(k, out_dtypes: tuple) -> None:
    """Raise Unsupported unless every array, constant and value of `k` has a dtype of this tier."""
    if getattr(k, "alias", ()):  # (s12 lazymandel) an output stored into an input: Numba's kernel (inplace.py)
        raise Unsupported("an output stored into an input")
    for n in (*k.inputs, *k.consts, *k.body, *k.outputs):
        if not supported_dtype(n.dtype):
            raise Unsupported(f"dtype {n.dtype}")
    if any(not supported_dtype(np.dtype(dt)) for dt in out_dtypes):
        raise Unsupported(f"output dtypes {out_dtypes}")
    for n in k.body:
        if n.op in (LEAF, CONST) or not n.args:
            raise Unsupported(n.op)  # a generator (iota) or something else without operands


def kernel_ir(k, out_dtypes: tuple) -> str:
    """The module text of `k`'s flat loop (function ``NAME``); raises Unsupported (see the module doc)."""
    return str(kernel_module(k, out_dtypes))


# (#14 bgfirst) the module without its text: whether the tier takes `k` is known once it is built (~0.1-0.3 ms);
# its text (~0.7 ms more, llvmlite's formatting) is made only where the kernel is compiled (off a first answer)
def kernel_module(k, out_dtypes: tuple) -> ir.Module:
    """`k`'s flat loop as an llvmlite module (function ``NAME``); raises Unsupported (see the module doc)."""
    check(k, out_dtypes)
    module = ir.Module(name="lazyarr_quick")
    params = ([memory_type(n.dtype).as_pointer() for n in k.inputs] + [memory_type(n.dtype) for n in k.consts]
              + [memory_type(np.dtype(dt)).as_pointer() for dt in out_dtypes] + [_I64, _I64])
    function = ir.Function(module, ir.FunctionType(ir.VoidType(), params), NAME)
    n_in, n_const = len(k.inputs), len(k.consts)
    inputs = function.args[:n_in]
    consts = function.args[n_in:n_in + n_const]
    outputs = function.args[n_in + n_const:-2]
    lo, hi = function.args[-2:]
    entry, loop, done = (function.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    values = {}
    for node, arg in zip(k.consts, consts):  # loop-invariant: converted once, before the loop
        values[id(node)] = _from_memory(b, arg, node.dtype)
    b.cbranch(b.icmp_signed("<", lo, hi), loop, done)
    b.position_at_end(loop)
    i = b.phi(_I64, name="i")
    i.add_incoming(lo, entry)
    for node, pointer in zip(k.inputs, inputs):
        values[id(node)] = _from_memory(b, b.load(b.gep(pointer, [i]), align=1), node.dtype)
    for node in k.body:
        values[id(node)] = node_value(b, node, [values[id(a)] for a in node.args])
    for node, pointer, dt in zip(k.outputs, outputs, out_dtypes):
        dt = np.dtype(dt)
        stored = cast(b, values[id(node)], node.dtype, dt)
        if dt.kind == "b":
            stored = b.zext(stored, _I8)
        b.store(stored, b.gep(pointer, [i]), align=1)
    following = b.add(i, ir.Constant(_I64, 1))
    i.add_incoming(following, loop)
    b.cbranch(b.icmp_signed("<", following, hi), loop, done)
    b.position_at_end(done)
    b.ret_void()
    return module


def _from_memory(b: ir.IRBuilder, value, dt: np.dtype):
    """A value as stored (bool as a byte) -> its register form (bool as i1: any nonzero byte is True)."""
    return b.icmp_unsigned("!=", value, ir.Constant(_I8, 0)) if dt.kind == "b" else value
