"""Flat map kernels with transcendental functions on the quick tier (#14 quick math): Numba's blocked loop as
LLVM IR, with lazyarr's vector math translated by ``llvm_math``.

Numba's kernel of such a map (``source_map.blocked_loop``) runs blocks of ``BLOCK`` elements: each block first
with the vector functions (``V.sin`` ...: a value and an ok flag per element), storing the outputs, and, if some
element of the block was not ok, again with the C library's functions (``np.sin`` ...), overwriting the block.
This module emits the same loop for ``llvm_map``'s flat kernel (same block boundaries: multiples of ``BLOCK``
from element 0, so the runtime's chunks start on them: ``runtime/llvm_launch.ALIGN``), the same vector function
for each node (``source_map.vector_render``'s choice: ``vecmath32`` in float32 loops where it has the function,
else ``vecmath`` on float64 operands, else the C library), and the plain loop with the C library throughout
where Numba's kernel has one (``source_map.uses_vector_ops``: a node without a vector form keeps it scalar).
Every other node is ``llvm_map``'s, so the two tiers give the same bits.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from lazyarr.compiler import llvm_map, source_map
from lazyarr.compiler.llvm_math import Untranslatable, exact_call, has_exact, vector_call
from lazyarr.graph.ops import ELEMENTWISE, vector_template
from lazyarr.kernels import llvm_glue

__all__ = ["BLOCK", "accepts", "has_math", "kernel_ir"]

BLOCK = source_map.BLOCK
_I1, _I8, _I64 = ir.IntType(1), ir.IntType(8), ir.IntType(64)


def _is_math(node) -> bool:
    op = ELEMENTWISE.get(node.op)
    loop = getattr(node.params, "loop", None)
    return op is not None and bool(loop) and vector_template(op, np.dtype(loop[0])) is not None


def may_run_blocks(k) -> bool:
    """(session 18) Whether either tier's kernel of `k` may run a block twice (its fast pass, then the C library's):
    some node has a vector function for its loop. A superset of ``source_map.uses_vector_ops`` (which also asks that
    every node vectorise), ~0.2-0.6 us where that takes 5-9 us: asked for every new recipe (runtime/recipes.py)."""
    return any(_is_math(node) for node in k.body)


def has_math(k) -> bool:
    """Whether `k` has a node with a vector function (this module's kernels; ``llvm_map`` builds the rest)."""
    return any(node.op not in llvm_map.OPS and node.op not in ("cast", "where") and _is_math(node) for node in k.body)


def _exact(node):
    """The emitter of `node` with the C library (the exact pass), or None: the tier leaves it to Numba."""
    if not has_exact(node.op, len(node.args)):
        return None

    def emit(b, args, dt):
        return exact_call(b, node.op, args), dt
    return emit


def _vector_module(node) -> str | None:
    """"V", "V32" or None: the module of `node`'s vector function in this loop (``source_map``'s choice)."""
    loop_dtype = np.dtype(node.params.loop[0])
    return source_map.vector_module(vector_template(ELEMENTWISE[node.op], loop_dtype), loop_dtype)


def _first_pass_name(node) -> str | None:
    """The cheaper function of `node`'s first pass (``vecmath.FIRST_PASS``: float64 ``power_positive``), or None."""
    if node.op not in _vecmath_first_pass() or _exact(node) is None or _vector_module(node) != "V":
        return None
    return _vecmath_first_pass()[node.op]


def _vecmath_first_pass() -> dict:
    from lazyarr.kernels import vecmath  # imported with the first transcendental kernel, as llvm_math does
    return vecmath.FIRST_PASS


def _fast(flags: list, first: bool = False):
    """The emitter of the fast pass: each node's vector function (its ok flag appended to `flags`), or the C
    library where Numba's kernel calls it in the fast pass too (no vector function for this loop's dtype); `first`:
    the first of two fast passes, with each node's ``_first_pass_name`` where it has one."""
    def math(node):
        exact = _exact(node)
        if exact is None:
            return None
        module = _vector_module(node)
        if module is None:
            return exact
        name = (_first_pass_name(node) if first else None) or node.op

        def emit(b, args, dt):
            if module == "V" and dt != np.float64:  # vecmath on float64 operands, rounded once after
                args = [b.fpext(a, ir.DoubleType()) for a in args]
                dt = np.dtype(np.float64)
            value, ok = vector_call(b, module, name, args)
            flags.append(ok)
            return value, dt
        return emit
    return math


def kernel_ir(k, out_dtypes: tuple) -> str:
    """The module text of `k`'s flat loop (function ``llvm_map.NAME``), blocked as Numba's; raises
    ``llvm_map.Unsupported`` where the tier leaves `k` to Numba."""
    llvm_map.check(k, out_dtypes)
    try:
        if source_map.uses_vector_ops(k):
            return _blocked(k, out_dtypes)
        return _plain(k, out_dtypes)
    except Untranslatable as error:
        raise llvm_map.Unsupported(f"vector math: {error}") from error


def accepts(k, out_dtypes: tuple) -> bool:
    """Whether ``kernel_ir`` will take `k`, decided without translating vecmath (its plain loop, ~ms: the
    background compile's quick refusal). Every vecmath function of ``has_exact``'s ops translates (tests)."""
    try:
        llvm_map.check(k, out_dtypes)
        _plain(k, out_dtypes)
        return True
    except (llvm_map.Unsupported, Untranslatable):
        return False


def _signature(k, out_dtypes: tuple):
    module = ir.Module(name="lazyarr_quick")
    params = ([llvm_map.memory_type(n.dtype).as_pointer() for n in k.inputs]
              + [llvm_map.memory_type(n.dtype) for n in k.consts]
              + [llvm_map.memory_type(np.dtype(dt)).as_pointer() for dt in out_dtypes] + [_I64, _I64])
    function = ir.Function(module, ir.FunctionType(ir.VoidType(), params), llvm_map.NAME)
    return module, function


class _Body:
    """One element's loads, nodes and stores, at index `i` (the kernel's arguments already split)."""

    def __init__(self, k, out_dtypes: tuple, function, const_values: dict):
        n_in, n_const = len(k.inputs), len(k.consts)
        self.k, self.out_dtypes = k, out_dtypes
        self.inputs = function.args[:n_in]
        self.outputs = function.args[n_in + n_const:-2]
        self.const_values = const_values

    def emit(self, b: ir.IRBuilder, i, math) -> None:
        values = dict(self.const_values)
        for node, pointer in zip(self.k.inputs, self.inputs):
            values[id(node)] = _from_memory(b, b.load(b.gep(pointer, [i]), align=1), node.dtype)
        for node in self.k.body:
            values[id(node)] = llvm_map.node_value(b, node, [values[id(a)] for a in node.args], math)
        for node, pointer, dt in zip(self.k.outputs, self.outputs, self.out_dtypes):
            dt = np.dtype(dt)
            stored = llvm_map.cast(b, values[id(node)], node.dtype, dt)
            if dt.kind == "b":
                stored = b.zext(stored, _I8)
            b.store(stored, b.gep(pointer, [i]), align=1)


def _prologue(k, out_dtypes: tuple):
    module, function = _signature(k, out_dtypes)
    entry = function.append_basic_block("entry")
    b = ir.IRBuilder(entry)
    consts = function.args[len(k.inputs):len(k.inputs) + len(k.consts)]
    const_values = {id(node): _from_memory(b, arg, node.dtype) for node, arg in zip(k.consts, consts)}
    return module, function, b, _Body(k, out_dtypes, function, const_values)


def _counted_loop(function, b: ir.IRBuilder, start, end, name: str, body) -> ir.IRBuilder:
    """``for i in range(start, end): body(b, i)`` (at least one iteration: start < end); returns the builder
    positioned after the loop."""
    before = b.block
    loop, after = function.append_basic_block(name), function.append_basic_block(name + "_end")
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(_I64, name=name + "_i")
    i.add_incoming(start, before)
    body(b, i)
    following = b.add(i, ir.Constant(_I64, 1))
    i.add_incoming(following, b.block)
    b.cbranch(b.icmp_signed("<", following, end), loop, after)
    b.position_at_end(after)
    return b


def _plain(k, out_dtypes: tuple) -> str:
    """The loop with the C library's functions throughout (Numba's kernel has no blocks for `k`)."""
    module, function, b, body = _prologue(k, out_dtypes)
    lo, hi = function.args[-2:]
    work, done = function.append_basic_block("work"), function.append_basic_block("done")
    b.cbranch(b.icmp_signed("<", lo, hi), work, done)
    b.position_at_end(work)
    _counted_loop(function, b, lo, hi, "loop", lambda b, i: body.emit(b, i, _exact)).branch(done)
    b.position_at_end(done)
    b.ret_void()
    return str(module)


def _blocked(k, out_dtypes: tuple) -> str:
    """Blocks of BLOCK elements on multiples of BLOCK: the fast pass, then the exact pass if some flag was False.
    (session 17 pow64) Where a node has a cheaper first pass (``_first_pass_name``: float64 power for x > 0), the fast
    pass runs it first and, for a block where it was not all ok, again with every node's own vector function before the
    exact pass; a block that needed more than the first pass (a negative base, or a zero...: the C library) makes the
    following blocks of this call start with the second (``second``), but every ``RETRY_BLOCKS``-th block tries the
    first again: data with negative bases, or with a zero in every block, pays the first pass on 1 block in 16, and
    data with one special block goes back to the first pass within 16 blocks."""
    module, function, b, body = _prologue(k, out_dtypes)
    lo, hi = function.args[-2:]
    entry = b.block
    block, done = function.append_basic_block("block"), function.append_basic_block("done")
    b.cbranch(b.icmp_signed("<", lo, hi), block, done)
    b.position_at_end(block)
    start = b.phi(_I64, name="start")
    start.add_incoming(lo, entry)
    two_passes = any(_first_pass_name(node) for node in k.body if node.op in ELEMENTWISE)
    if two_passes:
        second = b.phi(_I1, name="second")  # this block starts with the second fast pass
        second.add_incoming(ir.Constant(_I1, 0), entry)
    next_boundary = b.add(b.and_(start, ir.Constant(_I64, -BLOCK)), ir.Constant(_I64, BLOCK))
    end = b.select(b.icmp_signed("<", next_boundary, hi), next_boundary, hi)
    exact, next_block = (function.append_basic_block(s) for s in ("exact", "next"))
    float64_data = any(np.dtype(dt) == np.float64 for dt in (*(n.dtype for n in k.inputs), *out_dtypes))
    if two_passes:
        first, full = function.append_basic_block("first"), function.append_basic_block("full")
        group = b.and_(start, ir.Constant(_I64, RETRY_BLOCKS * BLOCK - 1))
        retry = b.icmp_signed("<", group, ir.Constant(_I64, BLOCK))  # the first block of each group of RETRY_BLOCKS
        b.cbranch(b.select(retry, ir.Constant(_I1, 0), second), full, first)
        b.position_at_end(first)
        folded = _fast_loop(function, b, body, start, end, _fast, True, ("fast", "checked"), float64_data)
        first_checked = b.block
        b.cbranch(folded, next_block, full)
        b.position_at_end(full)
        folded = _fast_loop(function, b, body, start, end, _fast, False, ("full_fast", "full_checked"), float64_data)
        full_checked = b.block
    else:
        folded = _fast_loop(function, b, body, start, end, _fast, False, ("fast", "checked"), float64_data)
    b.cbranch(folded, next_block, exact)
    b.position_at_end(exact)
    _counted_loop(function, b, start, end, "exact", lambda b, j: body.emit(b, j, _exact)).branch(next_block)
    exact_end = b.block
    b.position_at_end(next_block)
    start.add_incoming(end, next_block)
    if two_passes:
        # the first pass sufficed: it stays first; the second pass ran: it is first from now on (until a retry). After
        # the exact pass too: a zero in every block (x**y of a ReLU's output) cost +12% with the first pass kept
        # (every block's C library time 39-40 -> 44-45 ms at 4*10**6, session 17 pow64)
        following = b.phi(_I1, name="second_next")
        following.add_incoming(ir.Constant(_I1, 0), first_checked)
        following.add_incoming(ir.Constant(_I1, 1), full_checked)
        following.add_incoming(ir.Constant(_I1, 1), exact_end)
        second.add_incoming(following, next_block)
    b.cbranch(b.icmp_signed("<", end, hi), block, done)
    b.position_at_end(done)
    b.ret_void()
    return str(module)


def _fast_loop(function, b: ir.IRBuilder, body, start, end, fast, first: bool, names: tuple, float64_data: bool):
    """The fast pass over [start, end) from `b`'s block (the first of two passes if `first`), interleaved as
    ``loop_hints`` says; returns the AND of every element's ok flags, `b` positioned after the loop (its block
    ``names[1]``, the loop's ``names[0]``)."""
    fast_entry = b.block
    loop, checked = function.append_basic_block(names[0]), function.append_basic_block(names[1])
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(_I64, name="i")
    i.add_incoming(start, fast_entry)
    all_ok = b.phi(_I1, name="all_ok")
    all_ok.add_incoming(ir.Constant(_I1, 1), fast_entry)
    flags: list = []
    body.emit(b, i, fast(flags, first))
    folded = all_ok
    for flag in flags:  # Numba's ``exact = exact & ok0 & ok1 ...``
        folded = b.and_(folded, flag)
    following = b.add(i, ir.Constant(_I64, 1))
    i.add_incoming(following, b.block)
    all_ok.add_incoming(folded, b.block)
    _interleaved(b.module, b.cbranch(b.icmp_signed("<", following, end), loop, checked), float64_data)
    b.position_at_end(checked)
    return folded


# The fast pass's vector functions are long dependent chains (a polynomial, then its reconstruction) and LLVM's
# cost model interleaves so large a loop body once: one vector of elements in flight per iteration, and the
# core waits on FMA latency. Four independent vectors per iteration measured 0-22% less time per element on
# AVX-512 (float32 power 1.52 -> 1.17 ns, log 0.46 -> 0.40, float64 tanh 1.54 -> 1.32) and up to 43% less
# with AVX2 code (LLVM's haswell target, float32 power 4.4 -> 2.5 ns); the same operations per element, so the
# same bits as Numba's kernel (docs/vecmath.md, "#14 on AVX-512"). The one slower kernel measured: float64
# arcsinh (2.1 -> 2.6 ns on AVX-512, 5.1 -> 4.1 with AVX2).
INTERLEAVE = 4


# (#14 tables) A fast loop that looks tables up by permutes (llvm_math.table_load, AVX-512) also asks for 16 lanes,
# two zmm per float64 operation: float64 power's kernel 2.59-2.70 -> 1.99-2.16 ns per element with its log's
# tables (LLVM's own choice, 8 lanes: 2.62), float32 power's about the same (docs/vecmath.md, "#14 tables").
WIDTH_WITH_LOOKUPS = 16
# (session 14) ... but over float64 data (float64 power), once its exp was table-driven and its selects gone, 8 lanes
# interleaved twice: 16 x 4 kept ~64 float64 vectors' worth of values and ten zmm of tables live, ~300 stack references
# per iteration; 1.99-2.21 -> 1.42-1.44 ns per element at 4*10**6 (NumPy's loop 1.42), 1.85 -> 1.46 at 4,096
# (bench/quick_loop_variants.py, load ~7.7). float32 power (float32 data, float64 lanes) keeps 16 x 4 (0.58 against
# 0.65-0.75 for 8 lanes or 2 vectors in flight).
WIDE_DATA_LOOKUPS = (8, 2)  # (lanes, interleave count)

# (session 17 pow64) In a kernel with two fast passes (``_blocked``), after a block that needed more than the first,
# the first pass is tried again on every RETRY_BLOCKS-th block only (block index a multiple of it)
RETRY_BLOCKS = 16


def loop_hints(module: ir.Module, float64_data: bool) -> tuple:
    """(lanes or None for LLVM's choice, interleave count) asked of the fast loop of `module` (float64_data: some
    input or output of the loop is float64)."""
    if not any(name.startswith(llvm_glue.LOOKUP_PREFIX) for name in module.globals):
        return None, INTERLEAVE
    return WIDE_DATA_LOOKUPS if float64_data else (WIDTH_WITH_LOOKUPS, INTERLEAVE)


def _interleaved(module: ir.Module, backedge, float64_data: bool) -> None:
    """Ask LLVM to interleave the loop that `backedge` closes, and for a number of lanes if it looks tables up, as
    ``loop_hints`` says (a loop ID: its first operand is itself, as LLVM requires)."""
    def option(name: str, value: int, bits: int = 32):
        return module.add_metadata([ir.MetaDataString(module, name), ir.Constant(ir.IntType(bits), value)])

    width, count = loop_hints(module, float64_data)
    options = [option("llvm.loop.interleave.count", count)]
    if width:
        options += [option("llvm.loop.vectorize.width", width), option("llvm.loop.vectorize.enable", 1, 1)]
    loop_id = module.add_metadata(options)
    loop_id.operands = (loop_id, *options)
    backedge.set_metadata("llvm.loop", loop_id)


def _from_memory(b: ir.IRBuilder, value, dt: np.dtype):
    """A value as stored (bool as a byte) -> its register form (bool as i1), as ``llvm_map`` reads it."""
    return b.icmp_unsigned("!=", value, ir.Constant(_I8, 0)) if dt.kind == "b" else value
