"""Row kernels on the quick tier (#14 quick rows): the ``rows`` loop of ``compiler/source_rows.py`` as LLVM IR.

A row kernel (``compiler/rowfuse.py``: softmax, logsumexp, layer norm, ``x - x.mean(1, keepdims=True)``) whose
reduced axis is the contiguous one runs row by row: each reduction is a pass over the row, then the row's
values, then its outputs. This module writes that loop for the quick tier, pass for pass as
``source_rows.row_body`` writes it for Numba, so both kernels give the same bits:

- the same passes, scratch rows (``scratch_nodes``: a non-inline value such as softmax's ``exp`` computed in
  one pass and read back by a later one) and staged producers (``staged_nodes``: a sum of ``exp(...)`` computed
  a block of ``BLOCK`` at a time into a row of its own, then summed; the elements after the last whole block
  staged and summed as a short last block, as ``source_rows._staged_blocks`` does);
- float sums through ``llvm_reduce.fold_range`` (8 lanes per block of 128, Kahan-compensated blocks: the
  ``inner`` reduce kernel's order), other folds through ``llvm_reduce.Folder`` (the op table's ufunc: NaN
  propagates, ties and wrapping as NumPy); a float max/min as one compare and select per element with NaN
  noted aside, and the ordinary fold again for a NaN or zero result (``source_rows._compare_only_extremum``);
- the row first with the vector variants of ``kernels/vecmath*.py`` (translated by ``llvm_math``; softmax's
  ``exp(x - max)`` as ``exp_nonpositive`` where ``source_rows.below_row_max`` says so), and, only if some
  element's ok flag is False, the whole row again with the C library's functions (``llvm_math.exact_call``),
  overwriting its outputs; row values (``log(s) + m``, ``sqrt(v + eps)``) always with the C library;
- a software prefetch of the next row's lines after each staged block (``kernels/prefetch.py``'s request).

The function, named ``llvm_map.NAME``:

    void kernel(in0*, ..., i64 rs0, ..., rin0*, ..., c0, ..., out0*, ..., rout0*, ..., i8* scratch,
                i64 nrows, i64 ncols, i64 first, i64 last)

computes rows [first, last). Element input j's row r starts ``rs_j`` elements after row r-1's (0 for an input
broadcast over the rows: layer norm's ``g``), its columns are contiguous; row inputs and outputs are contiguous;
``scratch`` holds ``scratch_rows(k)`` rows of ``ncols`` 8-byte elements for this call alone (one per thread).
Anything else (a node without an LLVM translation: cbrt, complex, scipy.special) is ``Unsupported``: the Numba
row kernel runs it. The ``strips`` and ``split`` loops are ``compiler/llvm_strips.py``'s.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from lazyarr.compiler import llvm_map, source_map, source_rows
from lazyarr.compiler.llvm_map import Unsupported, cast, memory_type
from lazyarr.compiler.llvm_math import Untranslatable, exact_call, has_exact, vector_call
from lazyarr.compiler.llvm_reduce import Folder, Loops, State, fold_range
from lazyarr.compiler.rowfuse import is_row_reshape
from lazyarr.compiler.source_reduce import BLOCK
from lazyarr.graph.ops import ELEMENTWISE, vector_template

__all__ = ["LOOPS", "check", "check_dtypes", "exact_math", "is_spec", "kernel_ir", "register", "scratch_rows", "spec",
           "store", "zero"]

_I1, _I8, _I32, _I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
_F64 = np.dtype(np.float64)
SCRATCH_ITEM = 8  # bytes per scratch element, whatever the row's dtype: one layout for every kernel
_KIND = "rows"


LOOPS = ("rows", "strips", "split")  # the row kernels' loops on the tier (``llvm_strips``: strips and split)


def spec(loop: str = "rows") -> tuple:
    """What the tier keys a row kernel by beside its structure (where a map kernel has its out dtypes)."""
    return (_KIND, loop)


def is_spec(out_dtypes: tuple) -> bool:
    return len(out_dtypes) == 2 and isinstance(out_dtypes[0], str) and out_dtypes[0] == _KIND


def scratch_rows(k) -> int:
    """Rows of scratch one call needs: one per scratch node and one per staged reduction. Asked on every call
    (``llvm_launch.run_rows``): remembered by the kernel's structure, which decides both (s13 lse: working them
    out was ~25% of a small ``@la.fuse`` logsumexp call's Python time)."""
    found = _scratch_rows.get(k.key)
    if found is None:
        if len(_scratch_rows) >= 1024:
            _scratch_rows.clear()
        found = _scratch_rows[k.key] = len(source_rows.scratch_nodes(k)) + len(source_rows.staged_nodes(k))
    return found


_scratch_rows: dict[tuple, int] = {}


def check(k) -> None:
    """Raise Unsupported exactly where ``kernel_ir`` (or ``llvm_strips.strips_ir``) would, at a fraction of its
    cost: every node emitted once, with the C library's calls, into a scratch function, each reduction's fold
    once (~0.2 ms, where the whole exact kernel took ~1.5 ms: background compilation decides on the caller's
    thread whether the tier takes the kernel, while NumPy answers the call). The vecmath translation, which could
    refuse too, runs on the compile thread: a failure there leaves the kernel to Numba."""
    check_dtypes(k)
    module = ir.Module(name="lazyarr_quick_check")
    operands = [n for n in k.inputs] + [n for n, _ in k.row_inputs] + list(k.consts)
    function = ir.Function(module, ir.FunctionType(ir.VoidType(), [memory_type(n.dtype) for n in operands]),
                           llvm_map.NAME)
    b = ir.IRBuilder(function.append_basic_block("entry"))
    given = [register(b, a, n.dtype) for n, a in zip(operands, function.args)]
    n_in, n_rin = len(k.inputs), len(k.row_inputs)
    places = {"in": given[:n_in], "row": given[n_in:n_in + n_rin], "c": given[n_in + n_rin:]}
    values: list = []
    for j, node in enumerate(k.body):
        args = [values[i] if kind == "v" else places[kind][i] for kind, i in k.refs[j]]
        if node.op == "reduce":
            folder = Folder.of(node.params.name, node.args[0].dtype, node.dtype, "inner")
            folded = folder.plain(b, folder.start(), cast(b, args[0], node.args[0].dtype, folder.acc))
            values.append(cast(b, folded, folder.acc, folder.result))
        elif is_row_reshape(node):
            values.append(args[0])
        else:
            values.append(llvm_map.node_value(b, node, args, exact_math))
    b.ret_void()


def kernel_ir(k, kernel_spec: tuple) -> str:
    """The module text of `k`'s ``rows`` loop (function ``llvm_map.NAME``); raises Unsupported."""
    if not is_spec(kernel_spec) or kernel_spec[1] != "rows":
        raise Unsupported(f"row kernel spec {kernel_spec}")
    try:
        return str(_Emitter(k).build())
    except Untranslatable as error:
        raise Unsupported(f"vector math: {error}") from error


class _Values:
    """A function of ``fold_range``'s producer shape: the value to fold at column i, in the accumulator dtype."""

    def __init__(self, at, folder: Folder):
        self._at, self.folder = at, folder

    def at(self, b: ir.IRBuilder, i):
        value, dtype = self._at(b, i)
        return cast(b, value, dtype, self.folder.acc)


class _Emitter:
    """One row kernel's function: its arguments, its row loop, each pass of a row."""

    def __init__(self, k):
        self.k = k
        self.full_out, self.row_out = source_rows.outputs(k)
        self.scratch = source_rows.scratch_nodes(k)
        self.staged = source_rows.staged_nodes(k)
        self.vector = source_rows.vector_ops(k)
        self.nonpositive = {id(n) for j, n in enumerate(k.body) if source_rows.below_row_max(k, j)}
        check_dtypes(k)

    # --- the function and its arguments --------------------------------------------------------------------

    def build(self) -> ir.Module:
        k = self.k
        module = ir.Module(name="lazyarr_quick_rows")
        n_in, n_rin, n_c = len(k.inputs), len(k.row_inputs), len(k.consts)
        params = ([memory_type(n.dtype).as_pointer() for n in k.inputs] + [_I64] * n_in
                  + [memory_type(n.dtype).as_pointer() for n, _ in k.row_inputs]
                  + [memory_type(n.dtype) for n in k.consts]
                  + [memory_type(k.body[i].dtype).as_pointer() for i in self.full_out + self.row_out]
                  + [_I8.as_pointer()] + [_I64] * 4)
        function = ir.Function(module, ir.FunctionType(ir.VoidType(), params), llvm_map.NAME)
        args = list(function.args)
        self.inputs, args = args[:n_in], args[n_in:]
        self.strides, args = args[:n_in], args[n_in:]
        self.row_inputs, args = args[:n_rin], args[n_rin:]
        consts, args = args[:n_c], args[n_c:]
        self.outs, args = args[:len(self.full_out)], args[len(self.full_out):]
        self.routs, args = args[:len(self.row_out)], args[len(self.row_out):]
        scratch, self.nrows, self.ncols, first, last = args
        scratch.add_attribute("noalias")  # the call's own rows: no input or output is there
        entry = ir.IRBuilder(function.append_basic_block("entry"))
        self.loops = Loops(function, entry)
        self.consts = [register(entry, a, n.dtype) for n, a in zip(k.consts, consts)]
        self.rows_of = self._scratch_pointers(entry, scratch)
        self.ok = entry.alloca(_I1, name="ok")
        start = function.append_basic_block("start")
        b = ir.IRBuilder(start)
        self.loops.range(b, "r", first, last, self._row)
        b.ret_void()
        entry.branch(start)  # the stack slots all live in the entry block (mem2reg promotes only those)
        return module

    def _scratch_pointers(self, b: ir.IRBuilder, scratch) -> dict:
        """("sc" | "sp", body index) -> a pointer to its scratch row, of its dtype."""
        k, pointers = self.k, {}
        rows = [("sc", j, k.body[j].dtype) for j in sorted(self.scratch)]
        rows += [("sp", j, k.body[j].args[0].dtype) for j in sorted(self.staged)]
        for slot, (kind, j, dtype) in enumerate(rows):
            offset = b.mul(self.ncols, ir.Constant(_I64, slot * SCRATCH_ITEM))
            pointers[kind, j] = b.bitcast(b.gep(scratch, [offset]), memory_type(dtype).as_pointer())
        return pointers

    # --- a row ---------------------------------------------------------------------------------------------

    def _row(self, b: ir.IRBuilder, r) -> None:
        """The row's passes with the vector variants, and again with the C library if some ok flag was False
        (the row writes nothing but its outputs, which the second run overwrites)."""
        self.r = r
        self.bases = [b.gep(p, [b.mul(r, s)]) for p, s in zip(self.inputs, self.strides)]
        self.out_bases = [b.gep(p, [b.mul(r, self.ncols)]) for p in self.outs]
        self.y = [register(b, b.load(b.gep(p, [r]), align=1), n.dtype)
                  for p, (n, _) in zip(self.row_inputs, self.k.row_inputs)]
        if not self.vector:
            self._passes(b, fast=False)
            return
        b.store(ir.Constant(_I1, 1), self.ok)
        self._passes(b, fast=True)
        with b.if_then(b.not_(b.load(self.ok))):
            self._passes(b, fast=False)

    def _passes(self, b: ir.IRBuilder, fast: bool) -> None:
        """``source_rows.row_body``: each row node in order (a reduction is a pass over the row), then the
        full outputs' pass, then the row outputs."""
        k, w, loaded = self.k, {}, set()
        for j, node in enumerate(k.body):
            if id(node) not in k.rows:
                continue
            if node.op != "reduce":
                args = [self._row_value(ref, w) for ref in k.refs[j]]
                w[j] = args[0] if is_row_reshape(node) else llvm_map.node_value(b, node, args, self._math(False))
                continue
            folder = Folder.of(node.params.name, node.args[0].dtype, node.dtype, "inner")
            producer = k.refs[j][0]
            saved = frozenset(set(source_rows.closure(k, [producer], loaded)[0]) & self.scratch - loaded)
            state = State(self.loops.entry, folder, f"acc{j}")
            frozen = frozenset(loaded)
            dtype = node.args[0].dtype
            if j in self.staged and folder.compensated:
                self._staged_blocks(b, j, state, frozen, saved, fast, w)
            else:
                if j in self.staged:
                    self._stage_row(b, j, frozen, saved, fast, w)
                    pointer = self.rows_of["sp", j]

                    def value(b, c, pointer=pointer, dtype=dtype):
                        return register(b, b.load(b.gep(pointer, [c]), align=1), dtype), dtype
                else:
                    def value(b, c, producer=producer, loaded=frozen, saved=saved, dtype=dtype):
                        return self._element(b, [producer], c, loaded, saved, fast, w)[0], dtype
                self._fold(b, state, _Values(value, folder), fast)
            w[j] = cast(b, b.load(state.acc), folder.acc, folder.result)
            loaded |= saved
        if self.full_out:
            targets = [("v", i) for i in self.full_out]

            def write(b, c):
                values = self._element(b, targets, c, frozenset(loaded), frozenset(), fast, w)
                for base, i, v in zip(self.out_bases, self.full_out, values):
                    store(b, v, k.body[i].dtype, base, c)
            self.loops.range(b, "c", zero(), self.ncols, write)
        for pointer, i in zip(self.routs, self.row_out):
            store(b, w[i], k.body[i].dtype, pointer, self.r)

    def _row_value(self, ref: tuple, w: dict):
        kind, j = ref
        if kind == "v":
            return w[j]
        return self.y[j] if kind == "row" else self.consts[j]

    # --- folds -------------------------------------------------------------------------------------------

    def _fold(self, b: ir.IRBuilder, state: State, values: _Values, fast: bool) -> None:
        folder = state.folder
        if folder.red.ufunc.__name__ in ("maximum", "minimum") and folder.acc.kind == "f":
            # the lanes in the row's first run only: the exact rerun is rare, and a second copy of the lanes'
            # loops cost ~10 ms more of LLVM's time on a softmax's first call (the same bits either way)
            self._extremum(b, state, values, source_rows.MAX_LANES if fast or not self.vector else 1)
            return
        state.init(b)
        fold_range(b, self.loops, state, values, zero(), self.ncols)

    def _extremum(self, b: ir.IRBuilder, state: State, values: _Values, lanes_n: int) -> None:
        """``source_rows._compare_only_extremum``: ``m = v if v > m else m`` with NaN noted aside, in `lanes_n`
        independent lanes (a vector) over the row's whole groups of `lanes_n`, then the lanes folded, then the
        elements after the last group one by one; a NaN or zero result (where the plain compare may differ from
        NumPy's rule: NaN payloads, the sign of a zero tie) runs the ordinary fold again."""
        folder = state.folder
        larger = folder.red.ufunc.__name__ == "maximum"
        relation = ">" if larger else "<"
        vector = ir.VectorType(folder.type, lanes_n)
        lanes = self.loops.slot("mxl", vector)
        nan_lanes = self.loops.slot("nanl", ir.VectorType(_I1, lanes_n))
        best, nan = self.loops.slot("mx", folder.type), self.loops.slot("nan", _I1)
        b.store(ir.Constant(vector, [folder.start().constant] * lanes_n), lanes)
        b.store(ir.Constant(ir.VectorType(_I1, lanes_n), [0] * lanes_n), nan_lanes)
        group = self.loops.slot("g")
        b.store(zero(), group)
        width = ir.Constant(_I64, lanes_n)

        def step(b):
            base = b.load(group)
            v = ir.Constant(vector, ir.Undefined)
            for lane in range(lanes_n):
                v = b.insert_element(v, values.at(b, b.add(base, ir.Constant(_I64, lane))), ir.Constant(_I32, lane))
            m = b.load(lanes)
            b.store(b.select(b.fcmp_ordered(relation, v, m), v, m), lanes)
            b.store(b.or_(b.load(nan_lanes), b.fcmp_unordered("!=", v, v)), nan_lanes)
            b.store(b.add(base, width), group)

        self.loops.while_(b, lambda b: b.icmp_signed("<=", b.add(b.load(group), width), self.ncols), step)
        # the lanes' max (min) and whether one saw a NaN, by LLVM's reductions: any order gives the maximum of
        # values without NaN (a -0.0 and 0.0 tie is redone below), and a NaN seen sends the row to the fold
        suffix = f"v{lanes_n}{'f64' if folder.type == ir.DoubleType() else 'f32'}"
        b.store(b.call(_declared(b.module, f"llvm.vector.reduce.{'fmax' if larger else 'fmin'}.{suffix}",
                                 folder.type, [vector]), [b.load(lanes)]), best)
        b.store(b.call(_declared(b.module, f"llvm.vector.reduce.or.v{lanes_n}i1", _I1, [nan_lanes.type.pointee]),
                       [b.load(nan_lanes)]), nan)

        def one(b, c):
            v, m = values.at(b, c), b.load(best)
            b.store(b.select(b.fcmp_ordered(relation, v, m), v, m), best)
            b.store(b.or_(b.load(nan), b.fcmp_unordered("!=", v, v)), nan)

        self.loops.range(b, "c", b.load(group), self.ncols, one)
        result = b.load(best)
        b.store(result, state.acc)
        again = b.or_(b.load(nan), b.fcmp_ordered("==", result, ir.Constant(folder.type, 0.0)))
        with b.if_then(again):
            state.init(b)
            fold_range(b, self.loops, state, values, zero(), self.ncols)

    def _stage_row(self, b, j: int, loaded: frozenset, saved: frozenset, fast: bool, w: dict) -> None:
        """The producer of reduction `j` into its scratch row, by a loop of its own (one copy of exp's
        polynomial, which vectorises), for a fold that is not a compensated sum."""
        pointer, dtype = self.rows_of["sp", j], self.k.body[j].args[0].dtype

        def one(b, c):
            v = self._element(b, [self.k.refs[j][0]], c, loaded, saved, fast, w)[0]
            store(b, v, dtype, pointer, c)
        self.loops.range(b, "c", zero(), self.ncols, one)

    def _staged_blocks(self, b, j: int, state: State, loaded: frozenset, saved: frozenset, fast: bool,
                       w: dict) -> None:
        """``source_rows._staged_blocks``: per whole block of BLOCK, the producer into the staged row, then the
        block's lanes and its Kahan step; the elements after the last whole block staged, then folded by the
        same ``fold_range`` (as it folds a short last block: lanes, then the last < LANES one by one)."""
        k, loops = self.k, self.loops
        producer, dtype = k.refs[j][0], k.body[j].args[0].dtype
        pointer, folder = self.rows_of["sp", j], state.folder
        block = ir.Constant(_I64, BLOCK)
        vlo = loops.slot("vlo")
        b.store(zero(), vlo)
        state.init(b)

        def stage(b, count, offset):
            """Columns [offset, offset + count) into the staged row's [0, count)."""
            def one(b, i):
                v = self._element(b, [producer], b.add(offset, i), loaded, saved, fast, w)[0]
                store(b, v, dtype, pointer, i)
            loops.range(b, "i", zero(), count, one)

        def staged(b, i):
            return register(b, b.load(b.gep(pointer, [i]), align=1), dtype), dtype

        count = loops.slot("n")

        def one_block(b):
            """A whole block (constant trip count) or the row's last elements, staged, then folded."""
            base = b.load(vlo)
            with b.if_else(b.icmp_signed("<=", b.add(base, block), self.ncols)) as (whole, last):
                with whole:
                    stage(b, block, base)
                    self._prefetch_next_row(b, base)
                    b.store(block, count)
                with last:
                    stage(b, b.sub(self.ncols, base), base)
                    b.store(b.sub(self.ncols, base), count)
            fold_range(b, loops, state, _Values(staged, folder), zero(), b.load(count))
            b.store(b.add(base, b.load(count)), vlo)

        loops.while_(b, lambda b: b.icmp_signed("<", b.load(vlo), self.ncols), one_block)

    def _prefetch_next_row(self, b: ir.IRBuilder, column) -> None:
        """The next row's cache lines of this block, in every element input (``source_rows._prefetch_next_row``:
        the next row arrives while this one's exps compute). A prefetch never faults and changes no value."""
        if not self.k.inputs:
            return
        following = b.add(self.r, ir.Constant(_I64, 1))
        with b.if_then(b.icmp_signed("<", following, self.nrows)):
            function = _prefetch_function(b.module)
            for pointer, stride, node in zip(self.inputs, self.strides, self.k.inputs):
                step = max(1, source_rows.CACHE_LINE // np.dtype(node.dtype).itemsize)
                row = b.gep(pointer, [b.add(b.mul(following, stride), column)])
                for q in range(0, BLOCK, step):
                    address = b.bitcast(b.gep(row, [ir.Constant(_I64, q)]), _I8.as_pointer())
                    b.call(function, [address, ir.Constant(_I32, 0), ir.Constant(_I32, 3), ir.Constant(_I32, 1)])

    # --- one element ---------------------------------------------------------------------------------------

    def _element(self, b: ir.IRBuilder, targets: list, c, loaded: frozenset, saved: frozenset, fast: bool,
                 w: dict) -> list:
        """The values of `targets` (refs) at column `c` of the row: element inputs loaded, full nodes computed
        children first (those in `loaded` read from their scratch row, those in `saved` written to it)."""
        k, memo, inputs = self.k, {}, {}
        math = self._math(fast)

        def value(ref):
            kind, j = ref
            if kind == "in":
                if j not in inputs:
                    pointer = b.gep(self.bases[j], [c])
                    inputs[j] = register(b, b.load(pointer, align=1), k.inputs[j].dtype)
                return inputs[j]
            if kind != "v" or id(k.body[j]) in k.rows:
                return self._row_value(ref, w)
            if j in memo:
                return memo[j]
            node = k.body[j]
            if j in loaded:
                v = register(b, b.load(b.gep(self.rows_of["sc", j], [c]), align=1), node.dtype)
            else:
                v = llvm_map.node_value(b, node, [value(r) for r in k.refs[j]], math)
                if j in saved:
                    store(b, v, node.dtype, self.rows_of["sc", j], c)
            memo[j] = v
            return v

        return [value(t) for t in targets]

    def _math(self, fast: bool):
        """The emitter of a node without an ``llvm_map.OPS`` entry (None: the tier leaves the kernel to Numba):
        the C library's function, or with `fast` its vector variant where ``source_map.vector_render`` has one
        (``exp_nonpositive`` for ``exp(x - max(x))``), its ok flag ANDed into the row's."""
        def emit_for(node):
            if not has_exact(node.op, len(node.args)):
                return None
            if not fast:  # (asking for a vector variant imports vecmath: only the translating run does)
                return exact_math(node)
            loop_dtype = np.dtype(node.params.loop[0])
            template = vector_template(ELEMENTWISE[node.op], loop_dtype)
            module = source_map.vector_module(template, loop_dtype) if template is not None else None
            if module is None:
                return exact_math(node)
            name = template[len("V."):template.index("(")]
            if id(node) in self.nonpositive:
                name = "exp_nonpositive"

            def emit(b, args, dt):
                if module == "V" and dt != _F64:  # vecmath on float64 operands, rounded once after
                    args = [b.fpext(a, ir.DoubleType()) for a in args]
                    dt = _F64
                value, ok = vector_call(b, module, name, args)
                b.store(b.and_(b.load(self.ok), ok), self.ok)
                return value, dt
            return emit
        return emit_for


def check_dtypes(k) -> None:
    """Raise Unsupported unless every array, constant and value of the row kernel `k` has a dtype of the tier and
    its only NumPy stages are row reshapes."""
    llvm_map.check(k, tuple(n.dtype for n in k.outputs))
    for node, _ in k.row_inputs:
        if not llvm_map.supported_dtype(node.dtype):
            raise Unsupported(f"dtype {node.dtype}")
    for n in k.body:
        if n.op == "numpy" and not is_row_reshape(n):
            raise Unsupported(n.op)


def exact_math(node):
    """``llvm_map.node_value``'s emitter of a node without an ``OPS`` entry: the C library's function, as the Numba
    kernel calls it (None: the tier leaves the kernel to Numba)."""
    if not has_exact(node.op, len(node.args)):
        return None
    return lambda b, args, dt: (exact_call(b, node.op, args), dt)


def zero():
    return ir.Constant(_I64, 0)


def register(b: ir.IRBuilder, value, dt: np.dtype):
    """A value as stored (bool as a byte) -> its register form (bool as i1), as ``llvm_map`` reads it."""
    return b.icmp_unsigned("!=", value, ir.Constant(_I8, 0)) if np.dtype(dt).kind == "b" else value


def store(b: ir.IRBuilder, value, dt: np.dtype, pointer, index) -> None:
    stored = b.zext(value, _I8) if np.dtype(dt).kind == "b" else value
    b.store(stored, b.gep(pointer, [index]), align=1)


def _declared(module: ir.Module, name: str, result, params: list) -> ir.Function:
    """The function `name` of `module` (an LLVM intrinsic), declared on first use."""
    found = module.globals.get(name)
    if found is None:
        found = ir.Function(module, ir.FunctionType(result, params), name)
    return found


def _prefetch_function(module: ir.Module) -> ir.Function:
    """``llvm.prefetch`` as Numba's prefetch intrinsic declares it: (address, 0 = read, 3 = every cache level,
    1 = data cache)."""
    return _declared(module, "llvm.prefetch.p0i8", ir.VoidType(), [_I8.as_pointer()] + [_I32] * 3)
