"""Reductions on the quick tier (#14): full, last- and first-axis reductions as LLVM IR, in the Numba kernel's order.

A reduction whose producer is made of the quick tier's exact ops (``llvm_map.OPS``) over contiguous operands is
written as LLVM IR here, folding values in exactly the order the Numba kernel of the same graph folds them
(``compiler/source_reduce.py``), so both tiers give the same bits:

- the element op that folds a value into the accumulator is the reduction's ufunc (``REDUCTIONS[name].ufunc``:
  add, multiply, maximum, minimum, logical_or, logical_and) emitted by ``llvm_map.OPS``, so it wraps, propagates
  NaN and breaks ties as the map kernels and Numba's ``numpy_scalar`` do;
- float sums add ``LANES`` independent lanes over blocks of ``BLOCK`` elements, fold each block's lanes in a
  fixed tree and the block into the accumulator with Kahan compensation, and the last (< LANES) elements one
  by one with compensation: ``source_reduce.reduce_range``;
- ``full``: every axis of a flat (contiguous) operand reduced: chunks of ``chunk`` elements, one partial per
  chunk, partials folded in chunk order from the reduction's start value (``source_reduce.full_loop``). The
  chunk size is the runtime's constant, never the thread count, so the answer does not depend on threads;
- ``inner``: the trailing axes of C-contiguous operands reduced: each kept element folds its ``nr`` rows of
  ``dlast`` elements in order, each row through the lanes from its own start (``source_reduce.inner_loop``);
- ``outer``/``outer_split``: the first axis of 2-D C-contiguous operands reduced: each column folds its rows in
  order without compensation, or (``outer_split``) ``nchunks`` row ranges into partials folded in order
  (``source_reduce.outer_loop``/``outer_split_loop``; ``nchunks`` is a function of the shape alone).

The functions, named ``llvm_map.NAME``:

    full:  void kernel(in0*, ..., c0, ..., A* partials, R* out, i64 n, i64 chunk, i64 first, i64 last, i64 fold)
           computes the partials of chunks [first, last); then, if fold != 0, folds all partials into out[0]
    inner: void kernel(in0*, ..., c0, ..., R* out, i64 nr, i64 dlast, i64 first, i64 last)
           computes out[first:last]
    outer: void kernel(in0*, ..., c0, ..., A* partials, R* out, i64 m, i64 n, i64 nchunks, i64 c_first,
                       i64 c_last, i64 q_first, i64 q_last, i64 fold)
           (``outer_split`` too) for the columns [q_first, q_last) of an (n, m) operand: the partials of row
           ranges [c_first, c_last); then, if fold != 0, the partials folded in order into out[q]

A is the accumulator's dtype (float64 for float sums and products), R the result's. Anything else (arg
reductions, nanmax/nanmin, float -> int results, other loops and layouts) is ``Unsupported``: Numba compiles it.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from lazyarr.compiler import llvm_map
from lazyarr.compiler.llvm_map import Unsupported, cast, llvm_type, memory_type
from lazyarr.compiler.source_reduce import BLOCK, LANES
from lazyarr.graph.dtypes import HALF
from lazyarr.graph.ops import REDUCTIONS

__all__ = ["LOOPS", "OUTER", "SIZE_ARGS", "accumulator_dtype", "check", "is_spec", "kernel_ir", "spec"]

OUTER = ("outer", "outer_split")
LOOPS = ("full", "inner", *OUTER)
SIZE_ARGS = {"full": 5, "inner": 4, "outer": 8, "outer_split": 8}  # each loop's i64 arguments (module doc)
TILE = 2048  # columns a first-axis kernel folds at once: their partials (16 KB) stay in L1 while rows stream by
_I64 = ir.IntType(64)
_KIND = "reduce"


def spec(loop: str) -> tuple:
    """What the tier keys a reduction kernel by beside its structure (where a map kernel has its out dtypes)."""
    return (_KIND, loop)


def is_spec(out_dtypes: tuple) -> bool:
    return len(out_dtypes) == 2 and out_dtypes[0] == _KIND


def accumulator_dtype(k) -> np.dtype:
    """The dtype the kernel accumulates in (its partials' dtype)."""
    return np.dtype(REDUCTIONS[k.node.params.name].accumulator(k.outputs[0].dtype, k.node.dtype))


# --- the accumulator: how it starts and takes a value (source_reduce.Reducer) ------------------------------------

class Folder:
    """One reduction's accumulator in IR: its start value and its fold, from the op table."""

    def __init__(self, k, loop: str):
        self._setup(k.node.params.name, k.outputs[0].dtype, k.node.dtype, loop)

    @classmethod
    def of(cls, name: str, value: np.dtype, result: np.dtype, loop: str) -> "Folder":
        """(#14 quick rows) The accumulator of reduction `name` folding values of `value` into a `result`, without
        a reduce kernel (a row kernel's reductions, ``compiler/llvm_rows.py``)."""
        folder = cls.__new__(cls)
        folder._setup(name, value, result, loop)
        return folder

    def _setup(self, name: str, value: np.dtype, result: np.dtype, loop: str) -> None:
        red = REDUCTIONS.get(name)
        if red is None or red.arg or red.ufunc is None or red.float_start is not None:
            raise Unsupported(f"reduction {name}")
        self.red, self.value, self.result = red, np.dtype(value), np.dtype(result)
        self.acc = np.dtype(red.accumulator(self.value, self.result))
        for dt in (self.value, self.result, self.acc):
            if not llvm_map.supported_dtype(dt) or dt == HALF:
                raise Unsupported(f"{name} over {dt}")
        self.op = llvm_map.OPS.get(red.ufunc.__name__)
        if self.op is None:
            raise Unsupported(f"reduction {name}")
        # Along the first axis the Numba kernel adds row after row without compensation (source_reduce)
        self.compensated = red.compensated and self.acc.kind == "f" and loop not in OUTER
        self.type = llvm_type(self.acc)

    def start(self) -> ir.Constant:
        red, acc = self.red, self.acc
        if red.identity is not None:
            value = {"False": 0, "True": 1}.get(red.identity, red.identity)
            return ir.Constant(self.type, float(value) if acc.kind == "f" else int(value))
        if acc.kind == "f":
            return ir.Constant(self.type, -np.inf if red.maximises else np.inf)
        if acc.kind == "b":
            return ir.Constant(self.type, 0 if red.maximises else 1)
        info = np.iinfo(acc)
        return ir.Constant(self.type, int(info.min if red.maximises else info.max))

    def plain(self, b: ir.IRBuilder, acc, value):
        """The reduction's ufunc on (accumulator, value), both of the accumulator's dtype."""
        folded, dt = self.op(b, [acc, value], self.acc)
        return cast(b, folded, dt, self.acc)


class State:
    """The accumulator (and its Kahan compensation) in stack slots, which LLVM's mem2reg turns into registers."""

    def __init__(self, entry: ir.IRBuilder, folder: Folder, name: str):
        self.folder = folder
        self.acc = entry.alloca(folder.type, name=name)
        self.comp = entry.alloca(folder.type, name=name + "_c") if folder.compensated else None

    def init(self, b: ir.IRBuilder) -> None:
        b.store(self.folder.start(), self.acc)
        if self.comp is not None:
            b.store(ir.Constant(self.folder.type, 0.0), self.comp)

    def take(self, b: ir.IRBuilder, value) -> None:
        """Fold `value` in: Kahan-compensated for float sums. Once the sum is inf or NaN the compensation is
        reset to 0, so [inf, 1.0] sums to inf, as the Numba kernel (``Reducer.take``) does."""
        acc = b.load(self.acc)
        if self.comp is None:
            b.store(self.folder.plain(b, acc, value), self.acc)
            return
        zero = ir.Constant(self.folder.type, 0.0)
        y = b.fsub(value, b.load(self.comp))
        t = b.fadd(acc, y)
        finite = b.fcmp_ordered("==", b.fsub(t, t), zero)
        b.store(b.select(finite, b.fsub(b.fsub(t, acc), y), zero), self.comp)
        b.store(t, self.acc)


# --- loops -----------------------------------------------------------------------------------------------

class Loops:
    """Counted loops over stack-slot counters (``for var in range(lo, hi, step)``), emitted into one function."""

    def __init__(self, function: ir.Function, entry: ir.IRBuilder):
        self.function, self.entry = function, entry

    def slot(self, name: str, typ=_I64):
        return self.entry.alloca(typ, name=name)

    def range(self, b: ir.IRBuilder, name: str, lo, hi, body, step: int = 1) -> None:
        """`body(b, i)` for i in range(lo, hi, step)."""
        counter = self.slot(name)
        b.store(lo, counter)

        def step_once(b):
            body(b, b.load(counter))
            b.store(b.add(b.load(counter), ir.Constant(_I64, step)), counter)

        self.while_(b, lambda b: b.icmp_signed("<", b.load(counter), hi), step_once)

    def while_(self, b: ir.IRBuilder, condition, body) -> None:
        test, loop, done = (self.function.append_basic_block(s) for s in ("test", "body", "done"))
        b.branch(test)
        b.position_at_end(test)
        b.cbranch(condition(b), loop, done)
        b.position_at_end(loop)
        body(b)
        b.branch(test)
        b.position_at_end(done)


class Producer:
    """The producer's value at a flat index, cast to the accumulator's dtype (``llvm_map``'s node emission)."""

    def __init__(self, k, inputs: list, const_values: dict, folder: Folder):
        self.k, self.inputs, self.const_values, self.folder = k, inputs, const_values, folder

    def at(self, b: ir.IRBuilder, i):
        values = dict(self.const_values)
        for node, pointer in zip(self.k.inputs, self.inputs):
            values[id(node)] = _load(b, pointer, i, node.dtype)
        for node in self.k.body:
            values[id(node)] = llvm_map.node_value(b, node, [values[id(a)] for a in node.args])
        producer = self.k.outputs[0]
        return cast(b, values[id(producer)], producer.dtype, self.folder.acc)


def fold_range(b: ir.IRBuilder, loops: Loops, state: State, producer: Producer, lo, hi) -> None:
    """Fold the producer's values at [lo, hi) into `state`, in ``source_reduce.reduce_range``'s order."""
    folder = state.folder
    if not folder.compensated:
        loops.range(b, "i", lo, hi, lambda b, i: state.take(b, producer.at(b, i)))
        return
    # The lanes are one <LANES x double> value: each lane adds its own elements in order, exactly the Numba
    # kernel's eight scalars, and LLVM keeps the vector in registers (as eight scalars, its SLP vectoriser made
    # pairs of lanes and recomputed the producer for each pair).
    vector = ir.VectorType(folder.type, LANES)
    lanes = loops.slot("lanes", vector)
    j, e = loops.slot("j"), loops.slot("e")
    lanes_c, block_c = ir.Constant(_I64, LANES), ir.Constant(_I64, BLOCK)
    zero = ir.Constant(vector, 0.0)
    b.store(lo, j)

    def block(b):
        start = b.load(j)
        whole = b.sub(hi, b.srem(b.sub(hi, start), lanes_c))  # hi - (hi - j) % LANES
        end = b.add(start, block_c)
        b.store(b.select(b.icmp_signed("<", end, whole), end, whole), e)
        b.store(zero, lanes)

        def step(b, base):
            values = ir.Constant(vector, ir.Undefined)
            for offset in range(LANES):
                value = producer.at(b, b.add(base, ir.Constant(_I64, offset)))
                values = b.insert_element(values, value, ir.Constant(ir.IntType(32), offset))
            b.store(b.fadd(b.load(lanes), values), lanes)

        loops.range(b, "b", start, b.load(e), step, LANES)
        total = b.load(lanes)
        s = [b.extract_element(total, ir.Constant(ir.IntType(32), lane)) for lane in range(LANES)]
        total = b.fadd(b.fadd(b.fadd(s[0], s[1]), b.fadd(s[2], s[3])), b.fadd(b.fadd(s[4], s[5]), b.fadd(s[6], s[7])))
        state.take(b, total)
        b.store(b.load(e), j)

    loops.while_(b, lambda b: b.icmp_signed("<=", b.add(b.load(j), lanes_c), hi), block)
    loops.range(b, "t", b.load(j), hi, lambda b, i: state.take(b, producer.at(b, i)))


def _store(b: ir.IRBuilder, value, src: np.dtype, dst: np.dtype, pointer, index) -> None:
    stored = cast(b, value, src, dst)
    if dst.kind == "b":
        stored = b.zext(stored, memory_type(dst))
    b.store(stored, b.gep(pointer, [index]), align=1)


def _load(b: ir.IRBuilder, pointer, index, dt: np.dtype):
    return _register(b, b.load(b.gep(pointer, [index]), align=1), dt)


def _register(b: ir.IRBuilder, value, dt: np.dtype):
    """A value as stored (bool as a byte) -> its register form (bool as i1: any nonzero byte is True), as the
    map kernels read it."""
    return b.icmp_unsigned("!=", value, ir.Constant(memory_type(dt), 0)) if dt.kind == "b" else value


# --- the kernels -------------------------------------------------------------------------------------------

def _prepare(k, kernel_spec: tuple) -> tuple[str, Folder]:
    """(the loop, the accumulator) of a kernel the tier may compile; raises Unsupported for loops, dtypes and
    reductions it does not."""
    loop = kernel_spec[1]
    if loop not in LOOPS:
        raise Unsupported(f"loop {loop}")
    llvm_map.check(k, (k.node.dtype,))
    return loop, Folder(k, loop)


def check(k, kernel_spec: tuple) -> None:
    """Raise Unsupported exactly where ``kernel_ir`` would, at a fraction of its cost: the producer, the fold and
    the result's cast emitted once into a scratch function (the kernel emits the producer ~10 times, ~10 ms of
    Python; background compilation decides on the caller's thread whether the tier takes a kernel)."""
    _, folder = _prepare(k, kernel_spec)
    module = ir.Module(name="lazyarr_quick_check")
    params = [memory_type(n.dtype).as_pointer() for n in k.inputs] + [memory_type(n.dtype) for n in k.consts]
    function = ir.Function(module, ir.FunctionType(ir.VoidType(), params), llvm_map.NAME)
    b = ir.IRBuilder(function.append_basic_block("entry"))
    n_in = len(k.inputs)
    consts = {id(node): _register(b, arg, node.dtype) for node, arg in zip(k.consts, function.args[n_in:])}
    value = Producer(k, list(function.args[:n_in]), consts, folder).at(b, ir.Constant(_I64, 0))
    cast(b, folder.plain(b, folder.start(), value), folder.acc, folder.result)


def kernel_ir(k, kernel_spec: tuple) -> str:
    """The module text of `k`'s reduction loop (function ``llvm_map.NAME``); raises Unsupported."""
    loop, folder = _prepare(k, kernel_spec)
    module = ir.Module(name="lazyarr_quick_reduce")
    arrays = [memory_type(n.dtype).as_pointer() for n in k.inputs] + [memory_type(n.dtype) for n in k.consts]
    partials = [] if loop == "inner" else [memory_type(folder.acc).as_pointer()]
    params = arrays + partials + [memory_type(folder.result).as_pointer()] + [_I64] * SIZE_ARGS[loop]
    function = ir.Function(module, ir.FunctionType(ir.VoidType(), params), llvm_map.NAME)
    n_in, n_const = len(k.inputs), len(k.consts)
    entry_block = function.append_basic_block("entry")
    entry = ir.IRBuilder(entry_block)
    const_values = {id(node): _register(entry, arg, node.dtype)
                    for node, arg in zip(k.consts, function.args[n_in:n_in + n_const])}
    producer = Producer(k, list(function.args[:n_in]), const_values, folder)
    loops = Loops(function, entry)
    body = function.append_basic_block("start")
    b = ir.IRBuilder(body)
    rest = function.args[n_in + n_const:]
    if loop == "full":
        _full(b, loops, folder, producer, *rest)
    elif loop == "inner":
        _inner(b, loops, folder, producer, *rest)
    else:
        _outer(b, loops, folder, producer, *rest)
    b.ret_void()
    entry.branch(body)  # the stack slots all live in the entry block (mem2reg promotes only those)
    return str(module)


def _full(b, loops: Loops, folder: Folder, producer: Producer, partials, out, n, chunk, first, last, fold) -> None:
    """Chunk partials of [first, last), then (fold != 0) the partials folded in order into out[0]."""
    state = State(loops.entry, folder, "acc")

    def one_chunk(b, p):
        lo = b.mul(p, chunk)
        end = b.add(lo, chunk)
        hi = b.select(b.icmp_signed("<", end, n), end, n)
        state.init(b)
        fold_range(b, loops, state, producer, lo, hi)
        _store(b, b.load(state.acc), folder.acc, folder.acc, partials, p)

    loops.range(b, "p", first, last, one_chunk)
    with b.if_then(b.icmp_signed("!=", fold, ir.Constant(_I64, 0))):
        total = State(loops.entry, folder, "tot")
        total.init(b)
        nchunks = b.sdiv(b.sub(b.add(n, chunk), ir.Constant(_I64, 1)), chunk)
        loops.range(b, "q", ir.Constant(_I64, 0), nchunks,
                    lambda b, q: total.take(b, _load(b, partials, q, folder.acc)))
        _store(b, b.load(total.acc), folder.acc, folder.result, out, ir.Constant(_I64, 0))


def _inner(b, loops: Loops, folder: Folder, producer: Producer, out, nr, dlast, first, last) -> None:
    """out[o] for o in [first, last): its nr rows of dlast elements, row after row into one accumulator."""
    state = State(loops.entry, folder, "acc")

    def one_output(b, o):
        state.init(b)

        def one_row(b, r):
            lo = b.mul(b.add(b.mul(o, nr), r), dlast)
            fold_range(b, loops, state, producer, lo, b.add(lo, dlast))

        loops.range(b, "r", ir.Constant(_I64, 0), nr, one_row)
        _store(b, b.load(state.acc), folder.acc, folder.result, out, o)

    loops.range(b, "o", first, last, one_output)


# --- the first axis (``outer``/``outer_split``): 2-D operands, each column folded row after row ---------------

def _outer(b, loops: Loops, folder: Folder, producer: Producer, partials, out, m, n, nchunks, c_first, c_last,
           q_first, q_last, fold) -> None:
    """Columns [q_first, q_last) of an (n rows, m columns) C-contiguous operand: the partials of the row ranges
    [c_first, c_last) (range c: rows [c*n//nchunks, (c+1)*n//nchunks), folded from the start value into
    partials[c*m + q]), then (fold != 0) each column's partials folded in order into the first, into out[q].

    That is the Numba kernel's order (``outer``: one range; ``outer_split``: nchunks of them, a function of the
    shape alone). Each column has its own accumulator, so the tiles of TILE columns (whose partials stay in L1
    while the rows stream by) and the threads that compute them change no bit. The row ranges are the
    parallel work, as in the Numba kernel: each thread reads whole stretches of memory in order."""
    zero, one, width = ir.Constant(_I64, 0), ir.Constant(_I64, 1), ir.Constant(_I64, TILE)

    def row_range(b, c):
        lo, hi = b.sdiv(b.mul(c, n), nchunks), b.sdiv(b.mul(b.add(c, one), n), nchunks)
        base = b.mul(c, m)

        def tile(b, t0):
            end = b.add(t0, width)
            t1 = b.select(b.icmp_signed("<", end, q_last), end, q_last)
            loops.range(b, "q", t0, t1, lambda b, q: _store(b, folder.start(), folder.acc, folder.acc, partials,
                                                            b.add(base, q)))

            def row(b, r):
                first = b.mul(r, m)

                def column(b, q):
                    where = b.gep(partials, [b.add(base, q)])
                    value = producer.at(b, b.add(first, q))
                    _store(b, folder.plain(b, _register(b, b.load(where), folder.acc), value), folder.acc,
                           folder.acc, partials, b.add(base, q))
                loops.range(b, "q", t0, t1, column)
            loops.range(b, "r", lo, hi, row)
        loops.range(b, "tile", q_first, q_last, tile, TILE)

    loops.range(b, "c", c_first, c_last, row_range)
    with b.if_then(b.icmp_signed("!=", fold, zero)):
        total = State(loops.entry, folder, "tot")

        def column_total(b, q):
            b.store(_load(b, partials, q, folder.acc), total.acc)
            loops.range(b, "c", one, nchunks,
                        lambda b, c: total.take(b, _load(b, partials, b.add(b.mul(c, m), q), folder.acc)))
            _store(b, b.load(total.acc), folder.acc, folder.result, out, q)
        loops.range(b, "q", q_first, q_last, column_total)
