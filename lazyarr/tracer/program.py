"""What ``@lazyarr.fuse`` keeps per signature: a *program* that replays the plan of a traced graph.

The graph a trace returns (``_trace_graph``) is planned once (``schedule.plan``). The program remembers, for
each planned step, everything a call would otherwise recompute: which kernel (its compiled entry point, looked
up in the kernel cache once), which argument slots feed it in which order and view, how to allocate its
outputs, and which constants come from the call's numbers. A cached call is then: bind arguments to slots,
allocate, call each entry (``_trace_kernels``).

Steps the program does not run itself (reductions, and any step type added later) are run by
``runtime.run_steps`` with the call's arrays bound to the placeholder leaves, so whatever the scheduler plans
works.
"""
from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np

from lazyarr.compiler import source_map as codegen
from lazyarr import config
from lazyarr.graph import expr
from lazyarr.graph import reference as interp
from lazyarr.runtime import evaluate as runtime, launch
from lazyarr.tracer.traced import Traced, leaf_origin, replay_view, view_offset
from lazyarr.tracer.signature import rebuilt  # (s15) dataclass results
from lazyarr.tracer.calls import converter, direct_call, map_op
from lazyarr.tracer.calls import offsets_op  # (#15)
from lazyarr.runtime import after_blas  # (#15 postblas)
from lazyarr.runtime import blas_output  # (s16 blas) a product into a kept buffer
from lazyarr.runtime import scratch  # (s16 watch) big results watched
from lazyarr.compiler.layout import offsets_layout  # (#15)
from lazyarr.tracer.scalars import Static, replay
from lazyarr.tracer.scalar_runs import compile_runs  # (programs #15)
from lazyarr.tracer.scalar_chains import ChainStep, fold_chains  # (s13 gofast)
from lazyarr.tracer.scalar_vector import vectorise_runs  # (s13 gofast)
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import realise
from lazyarr.graph.ops import write_stage  # (s18) write stages in place
from lazyarr.compiler.fingerprint import VERSION
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, SliceWrite, Stage, gather_tables
from lazyarr.compiler.rowfuse import RowKernel  # (#15 logreg3)
from lazyarr.tracer.lifetimes import SLOT_ONLY, output_slots, with_releases, writable_as, written_in_place
from lazyarr.tracer.scalar_ufuncs import ScalarUfuncs, element_index, scalar_ufunc

MISS = object()  # a program's answer when the call's numbers leave the classes it was traced for


class Program:
    """A traced plan, made runnable for every call of one signature."""

    __slots__ = ("tail", "prepare", "views", "records", "mapped", "ops", "outputs", "single",
                 "static_args", "static_values", "run", "fast", "notes")

    def run_steps(self, flat: tuple):
        v = [*flat, *self.tail]
        for i, prepare in self.prepare:
            v[i] = prepare(v[i])
        for slot, source, offset, dtype, shape, strides in self.views:
            # (programs #15) an element's view is indexed: `offset` is its index (see scalar_ufuncs.element_index)
            v[slot] = v[source][offset] if type(offset) is tuple else \
                replay_view(v[source], offset, dtype, shape, strides)
        numbers = cv = ()
        if self.records:
            numbers = replay(self.records, flat)
            if numbers is None:
                return MISS
            cv = [make(numbers[t]) for t, make in self.mapped]
        for op in self.ops:
            op(v, cv)
        if self.single is not None:
            slot, scalar = self.single
            return v[slot][()] if scalar else v[slot]
        return _output(self.outputs, v, flat, numbers, cv)


def _output(spec, v, flat, numbers, cv):
    kind = spec[0]
    if kind == "slot":
        value = v[spec[1]]
        return value[()] if spec[2] else value
    if kind == "arg":
        return flat[spec[1]]
    if kind == "arg_scalar":
        return flat[spec[1]][()]
    if kind == "number":
        return numbers[spec[1]]
    if kind == "mapped":
        return cv[spec[1]]
    if kind == "const":
        return spec[1]
    if kind == "copy":  # (s15) a second LazyArray object of an output's value: its own array
        return _output(spec[1], v, flat, numbers, cv).copy()
    if kind == "byteorder":  # (s16 sweepd) NumPy's result keeps an argument's non-native byte order
        return _output(spec[1], v, flat, numbers, cv).astype(spec[2])
    items = [_output(s, v, flat, numbers, cv) for s in spec[2]]
    if kind == "dict":
        return dict(zip(spec[1], items))
    if kind == "obj":
        return rebuilt(spec[1], items)
    make = spec[1]
    return make(*items) if hasattr(make, "_fields") else make(items)


class Builder:
    """Turns a trace into a Program while running its first call (layouts are decided on real arrays)."""

    def __init__(self, traced: Traced, n_args: int):
        self.traced = traced
        self.n_args = n_args
        self.slots: dict[int, int] = {}
        self.tail: list = []
        self.views: list = []
        self.mapped: list = []           # (traced number, converter) per constant value a call computes
        self.mapped_index: dict = {}
        self.ops: list = []
        self.constants: set[int] = set()  # slots holding the same array on every call
        self.fresh: dict[int, int] = {}   # constant slot -> the slot of its per-call copy (an output)
        self.const_slots: dict[int, int] = {}  # id(a NumPy array the function returned) -> its slot
        self.reads: list[set[int]] = []   # per op, the slots it reads (releasing intermediates)
        self.follows_blas = False  # (#15 postblas) the step being added directly follows a BLAS product

    # -- slots --------------------------------------------------------------------------------------------
    def _new_slot(self, value=None) -> int:
        self.tail.append(value)
        return self.n_args + len(self.tail) - 1

    def slot(self, node: Node, v: list) -> int:
        """The slot holding `node`'s value; leaves get theirs on first use."""
        s = self.slots.get(id(node))
        if s is not None:
            return s
        if node.op != LEAF:
            raise AssertionError(f"lazyarr.fuse: {node!r} is used before it is computed")
        origin = leaf_origin(node, self.traced)
        if origin is None:
            data = self.traced.constant(node)
            s = self._new_slot(data)
            self.constants.add(s)
            v.append(data)
        elif id(node) in self.traced.leaves:
            s = origin
        else:
            s = self._new_slot()
            view = (origin, view_offset(node, self.traced, origin), node.dtype, node.shape, node.data.strides)
            index = element_index(v[origin], view[1], node.dtype) if not node.shape else None  # (programs #15)
            view = view if index is None else (origin, index) + view[2:]
            self.views.append((s, *view))
            v.append(v[origin][index] if index is not None else replay_view(v[origin], *view[1:]))
        self.slots[id(node)] = s
        return s

    def result_slot(self, node, v: list, value) -> int:
        s = self._new_slot()
        v.append(value)
        self.slots[node.nid if type(node) is _NodeId else id(node)] = s
        return s

    def number(self, const: Node, form: str):
        """Index into a call's computed constants for a const made from a traced number, else None."""
        t = self.traced.const_map.get(id(const))
        if t is None:
            return None
        key = (t, const.dtype, form)
        j = self.mapped_index.get(key)
        if j is None:
            j = self.mapped_index[key] = len(self.mapped)
            self.mapped.append((t, converter(const.dtype, form)))
        return j

    # -- steps --------------------------------------------------------------------------------------------
    def add(self, step, v: list, cv: list) -> None:
        self.cv = cv
        # (#15) The slots read, taken before the op is built too: building gives each output a new slot, and a
        # kernel whose output node is also one of its inputs (seen with a scatter into a gathered array) then
        # rebinds that node, so reads taken only after it named the new slot and the input's was released
        # before this op read it (in-kernel gathers under fuse hit it: test_writes_through_lazy_integer_index_arrays).
        reads = self._step_reads(step) if type(step) in (MapKernel, Stage, SliceWrite) else set()
        if type(step) is MapKernel:
            op = self._map(step, v)
        elif type(step) is Stage:
            op = self._stage(step, v)
        elif type(step) is SliceWrite:
            op = self._slice_write(step, v)
        else:
            # (it reads its values by id: any bound slot; a reduction only those _bound_slots binds, #15 logreg3)
            self.reads.append({s for _, s in _bound_slots(step, self.slots)})
            self.ops.append(self._delegate(step, v))
            return
        self._refresh(cv, v)
        op(v, cv)
        if type(op) is ScalarUfuncs and op.joined(self.ops):  # (programs #15) its reads join the last op's
            self.reads[-1] |= reads | self._step_reads(step)
            return
        self.reads.append(reads | self._step_reads(step))
        self.ops.append(op)

    # -- releasing intermediates (liveness) -----------------------------------------------------------------
    def _step_reads(self, step) -> set[int]:
        """The slots a map kernel, stage or slice write reads."""
        nodes = list(getattr(step, "inputs", ()))
        if type(step) is not MapKernel:
            nodes += [a for a in step.node.args if a.op != CONST]
        return {self.slots[id(n)] for n in nodes if id(n) in self.slots}

    def _refresh(self, cv: list, v: list) -> None:
        """Compute constants registered since the last step (first call only)."""
        while len(cv) < len(self.mapped):
            t, make = self.mapped[len(cv)]
            cv.append(make(self.first_numbers[t]))

    def _map(self, k: MapKernel, v: list, region: int | None = None):
        """A map kernel's per-call op; `region` (a SliceWrite): the slot of the view its output is written into."""
        shape = k.shape
        in_slots = [self.slot(n, v) for n in k.inputs]
        arrays = [v[s] for s in in_slots]
        layout, order = runtime.layout_of(arrays + ([v[region]] if region is not None else []), shape)
        out_dtypes = tuple(n.dtype for n in k.outputs)
        size = math.prod(shape)
        parallel = size >= config.parallel_threshold()
        moved = after_blas.moved_bytes(arrays, []) + size * sum(dt.itemsize for dt in out_dtypes)  # (#15 postblas)
        parallel = parallel and not after_blas.serial(self.follows_blas, moved)
        ndim = len(shape)
        if (layout == "nd" and region is None and not any(id(n) in self.aliases for n in k.outputs)
                and offsets_layout(arrays, shape)):  # (#15) windows of C arrays, new outputs
            return self._offsets_map(k, v, in_slots, shape, out_dtypes, parallel, size)
        key = launch.map_key(k.key, layout, ndim, parallel, out_dtypes)

        def source():
            return codegen.kernel_source(k, layout, ndim, parallel, out_dtypes, VERSION,
                                         comment=launch.describe(k))

        ins = [(s, launch.view(a, layout, order, shape)) for s, a in zip(in_slots, arrays)]
        consts, fills = self._kernel_consts(k)
        out_slots = [self.result_slot(n, v, None) for n in k.outputs]
        out_views = [launch.view(np.empty(shape, dt, order=order), layout, order, shape) for dt in out_dtypes]
        compiled = launch.quick_compiled(k, layout, out_dtypes, parallel) if size else None  # #14 quick tier
        if compiled is None:
            compiled = launch.kernel_for(key, source, k) if size else None
        into = [writable_as(v, self.aliases.get(id(n)), order, dt) for n, dt in zip(k.outputs, out_dtypes)] \
            if self.aliases else None
        if region is not None:
            out_views, into = [launch.view(v[region], layout, order, shape)], [region]
        op = map_op(compiled, key, source, k, ins, consts, fills, out_slots, out_views, shape, out_dtypes,
                    order, parallel, size, into if into and any(a is not None for a in into) else None)
        if (not shape and region is None and not (into and any(a is not None for a in into))  # (s13 gofast)
                and len(out_slots) == 1 and not fills):
            op.chain_step = ChainStep(k, tuple(in_slots), tuple(consts), out_slots[0], out_dtypes[0],
                                      compiled is not None and compiled.dispatcher is None)
        return op

    def _kernel_consts(self, k) -> tuple[list, list]:
        """Kernel `k`'s constant arguments, and (argument index, number slot) for those bound per call."""
        consts, fills = [], []
        for c in k.consts:
            j = self.number(c, "kernel")
            if j is not None:
                fills.append((len(consts), j))
            consts.append(launch.const_arg(c))
        return consts, fills

    def _offsets_map(self, k: MapKernel, v: list, in_slots: list, shape: tuple, out_dtypes: tuple, parallel: bool,
                     size: int):
        """(#15) A map kernel whose inputs are windows of C arrays (compiler/layout.py, ``offs``)."""
        ndim = len(shape)

        def kernels(layout: str):
            def source():
                return codegen.kernel_source(k, layout, ndim, parallel, out_dtypes, VERSION,
                                             comment=launch.describe(k))
            compiled = launch.kernel_for(launch.map_key(k.key, layout, ndim, parallel, out_dtypes), source, k)
            return None if compiled is None else (launch.entry(compiled, parallel), compiled)

        consts, fills = self._kernel_consts(k)
        out_slots = [self.result_slot(n, v, None) for n in k.outputs]
        return offsets_op(kernels, k, in_slots, consts, fills, out_slots, shape, out_dtypes, size)

    def _stage(self, step: Stage, v: list):
        node = step.node
        sources = []
        for a in node.args:
            if a.op == CONST:
                j = self.number(a, "value")
                sources.append(("m", j) if j is not None else ("k", np.asarray(a.data, dtype=a.dtype)))
            else:
                sources.append(("s", self.slot(a, v)))
        out = self.result_slot(node, v, None)
        fast = scalar_ufunc(node, sources, out)  # (programs #15)
        if fast is not None:
            return fast

        if node.op == "numpy" and node.params.name == "setitem" and sources[0][0] == "s":
            return _setitem_op(node, sources, out)
        if write_stage(node) is not None and sources[0][0] == "s":  # (s18) np.put, x[idx] -= v, ufunc.at, ...
            return _write_op(node, sources, out)

        def op(v, cv):
            args = [v[x] if kind == "s" else cv[x] if kind == "m" else x for kind, x in sources]
            v[out] = blas_output.apply(node, args)  # (s16 blas) interp.apply's value; a product into a kept buffer

        return op

    def _slice_write(self, step: SliceWrite, v: list):
        """(assignment and writes) ``x[key] = v``: per call, a copy of x, then v's kernel writing into the
        key's region of the copy (its layout decided with that view, once)."""
        x_slot = self.slot(step.node.args[0], v)
        canonical = dict(step.node.params.kwargs)["key"]
        key = realise(canonical)
        target = self.result_slot(step.node, v, None)
        region = self._new_slot()
        v.append(None)
        # (written in place) `with_releases` sets it when this op reads x last and the kernel does not read x's
        # slot: then, each call where x's array is held by its slot alone (no view of it in another slot: a
        # view's base is the array), the kernel writes into x itself, as NumPy's ``x[key] = v`` does. A chain
        # of writes (a stencil loop) then keeps one buffer per array hot in cache instead of cycling copies.
        in_place = [False]
        kernel_reads_x = x_slot in {self.slot(n, v) for n in step.inputs}
        # (s16 sweepnp) ``x[key] += w``: the kernel reads x's old values through the view ``x[key]`` (a getitem
        # stage's slot), at the very elements it writes, so writing into x is safe where those views die here
        # too (`with_releases` checks); each view then holds x once more (its base). Without this every
        # ``C[i, :i+1] += ...`` of a row loop copied all of C (syrk, symm, cholesky, lu: O(n^2) per write).
        same_region = tuple(self.slot(n, v) for n in step.inputs if _views_region(n, step.node.args[0], canonical))

        def copy(v, cv):
            x = v[x_slot]
            if in_place[0] and runtime.only_one_holder(x, SLOT_ONLY + _views_alone(v, same_region, x)) \
                    and runtime.laid_out_as_its_copy(x):  # (s20: later kernels' layouts were fixed on the copy)
                v[target] = x
            else:
                v[target] = runtime.copy_outside(x, canonical)
            del x
            v[region] = v[target][key]

        copy(v, None)
        kernel = self._map(step, v, region)

        def op(v, cv):
            copy(v, cv)
            kernel(v, cv)
            v[region] = None  # the region's view held the copy: without it, a dead copy goes back to the pool

        op.writes_over = None if kernel_reads_x else (x_slot, in_place, same_region)
        return op

    def _delegate(self, step, v: list):
        """A step this module does not run itself: the runtime runs it, with the call's values bound by id. It
        runs once here to learn which values it produces; the op is returned with the first call done."""
        mapped = [c for c in _step_consts(step) if id(c) in self.traced.const_map]
        rebind = None
        if mapped:
            if type(step) is not ReduceKernel:
                records, const_map = self.traced.scalars.records, self.traced.const_map
                raise Static(frozenset().union(*[records[const_map[id(c)]].roots for c in mapped]))
            rebind = _Rebind(step, [(c, self.number(c, "value")) for c in mapped])
        for n in _step_leaves(step):
            self.slot(n, v)
        bound = _bound_slots(step, self.slots)  # (#15 logreg3)
        follows_blas = self.follows_blas  # (#15 postblas)

        def run(v, cv):
            env = {nid: v[s] for nid, s in bound}
            if rebind is None:
                runtime.run_steps([step], [], env, follows_blas=follows_blas)
            else:
                runnable = rebind.step(cv)
                runtime.run_steps([runnable], [], env, follows_blas=follows_blas)
                env[id(step.node)] = env.pop(id(runnable.node))
            return env

        self._refresh(self.cv, v)
        env = run(v, self.cv)
        produced = [(nid, self.result_slot(_NodeId(nid), v, value)) for nid, value in env.items()
                    if nid not in self.slots]

        def op(v, cv):
            env = run(v, cv)
            for nid, s in produced:
                v[s] = env[nid]

        return op

    # -- outputs ------------------------------------------------------------------------------------------
    def output_spec(self, tree, v: list):
        kind = tree[0]
        if kind == "node":
            node = self.traced.roots[tree[1]]
            if id(node) in self.traced.leaves:
                if node.ndim == 0 and not tree[2]:  # (s15) ``z[()]`` of a 0-d argument: NumPy's scalar
                    return ("arg_scalar", self.traced.leaves[id(node)])
                return ("arg", self.traced.leaves[id(node)])
            if node.op == CONST:
                j = self.number(node, "value")
                return ("mapped", j) if j is not None else ("const", np.asarray(node.data, node.dtype)[()])
            return ("slot", self.fresh_slot(self.slot(node, v), v), node.ndim == 0 and not tree[2])
        if kind == "copy":
            return ("copy", self.output_spec(tree[1], v))
        if kind == "byteorder":
            return ("byteorder", self.output_spec(tree[1], v), tree[2])
        if kind == "seq":
            return ("seq", tree[1], [self.output_spec(t, v) for t in tree[2]])
        if kind == "dict" or kind == "obj":
            return (kind, tree[1], [self.output_spec(t, v) for t in tree[2]])
        if kind == "const" and isinstance(tree[1], np.ndarray):  # a NumPy array the function made or held
            s = self.const_slots.get(id(tree[1]))
            if s is None:
                s = self.const_slots[id(tree[1])] = self._new_slot(tree[1])
                self.constants.add(s)
                v.append(tree[1])
            return ("slot", self.fresh_slot(s, v), False)
        return tree  # ("number", i) and ("const", value)

    def fresh_slot(self, s: int, v: list) -> int:
        """An output slot that holds a new array on every call: a constant's is copied per call (the same
        constant returned twice is one copy, as NumPy returns one object), so a caller who writes into a result
        changes neither the next call's result nor the program. The first call's copy is made here."""
        if s not in self.constants:
            return s
        if s not in self.fresh:
            out = self.fresh[s] = self._new_slot()
            v.append(None)

            def op(v, cv):
                v[out] = v[s].copy(order="K")

            op(v, None)
            self.reads.append({s})
            self.ops.append(op)
        return self.fresh[s]


def build(traced: Traced, flat: tuple, prepared: list, prepare: list, first_numbers: list, static_args: tuple,
          static_values: tuple):
    """(Program, the first call's result) for a trace, running the call as the program is made."""
    from lazyarr.compiler.schedule import plan
    b = Builder(traced, len(flat))
    b.first_numbers = first_numbers
    v = list(prepared)
    cv: list = []
    steps = plan(traced.roots)
    b.aliases = written_in_place(steps, traced, v)
    for i, step in enumerate(steps):
        b.follows_blas = i > 0 and after_blas.is_blas(steps[i - 1])  # (#15 postblas)
        b.add(step, v, cv)
    outputs = b.output_spec(traced.out_tree, v)
    b._refresh(cv, v)
    # (s13 gofast) runs of 0-d map kernels of one structure, each feeding the next: one looping kernel
    b.ops, b.reads, b.views = fold_chains(b.ops, b.reads, b.views, output_slots(outputs) | b.constants, v)
    b.ops, b.reads, b.views = vectorise_runs(b.ops, b.reads, b.views, output_slots(outputs) | b.constants, v, cv,
                                             ScalarUfuncs)  # (s13 gofast) a chain and its free work as arrays
    p = Program()
    p.tail = tuple(b.tail)
    p.prepare = prepare
    p.views = b.views
    p.records = traced.scalars.records
    p.mapped = b.mapped
    p.notes = [op.note for op in b.ops if hasattr(op, "note")]  # (s13 gofast) what explain() adds
    keep = output_slots(outputs) | {view[0] for view in b.views}
    ops = compile_runs(b.ops, b.reads, keep, ScalarUfuncs)  # (programs #15) 0-d ufunc runs as one function
    p.ops = with_releases(ops, b.reads, keep, len(flat), b.constants)
    p.outputs = outputs
    p.single = (outputs[1], outputs[2]) if outputs[0] == "slot" else None
    p.static_args, p.static_values = static_args, static_values
    p.run = direct_call(p, len(flat)) or p.run_steps
    if p.single is not None and not p.single[1] and p.single[0] >= len(flat) and big_result(v[p.single[0]]):
        p.run = watching(p.run)  # (s16 watch)
    p.fast = None if static_args else p.run
    return p, _output(outputs, v, flat, first_numbers, cv)


def big_result(value) -> bool:
    """(s16 watch) A fresh array big enough that a new one of its size is mapped in page by page each call."""
    return type(value) is np.ndarray and value.base is None and value.nbytes >= scratch.WATCH_MIN_BYTES


def watching(run):
    """(s16 watch) `run`, its result watched (``scratch.watch``): once the caller drops it, the next call's
    kernel writes into it instead of faulting in fresh pages (go_fast's 128 MB ``a + trace``)."""
    def run_watched(flat):
        value = run(flat)
        if value is not MISS:
            scratch.watch(value)
        return value
    return run_watched





class _NodeId:
    """A value the runtime produced that only its id names (an output of a delegated step)."""
    __slots__ = ("nid",)

    def __init__(self, nid: int):
        self.nid = nid


class _Rebind:
    """A reduction step whose constants include traced numbers: per set of values, a copy of the step whose
    nodes are rebuilt around new constants. Structure ids do not see values, so the copy has the same key
    and finds the same compiled kernel; the runtime runs it as it runs any reduction."""

    def __init__(self, step: ReduceKernel, mapped: list):
        self.original = step
        self.mapped = mapped  # (const node, index into the call's computed constants)
        self.last = None      # (values, step): one tuple, so threads never see one without the other

    def step(self, cv: list) -> ReduceKernel:
        values = tuple(cv[j].tobytes() for _, j in self.mapped)
        last = self.last
        if last is not None and last[0] == values:
            return last[1]
        k = self.original
        new = {id(c): expr.const(cv[j][()], c.dtype, weak=False) for c, j in self.mapped}
        for n in k.body:
            args = tuple(new.get(id(a), a) for a in n.args)
            if any(x is not y for x, y in zip(args, n.args)):
                new[id(n)] = expr.make(n.op, args, n.params, n.shape, n.dtype)
        outputs = tuple(new.get(id(n), n) for n in k.outputs)
        node = expr.make(k.node.op, outputs, k.node.params, k.node.shape, k.node.dtype)
        rebound = dataclasses.replace(k, consts=tuple(new.get(id(c), c) for c in k.consts),
                                      body=tuple(new.get(id(n), n) for n in k.body), outputs=outputs, node=node)
        self.last = (values, rebound)
        return rebound


def _step_consts(step) -> list[Node]:
    """Every constant a step of unknown type may read."""
    found = list(getattr(step, "consts", ()))
    for n in list(getattr(step, "body", ())) + [getattr(step, "node", None)]:
        if n is not None:
            found += [a for a in n.args if a.op == CONST]
    return found


# --- (#15 logreg3) a delegated reduction binds only the values it reads ----------------------------------------
def _bound_slots(step, slots: dict) -> list[tuple[int, int]]:
    """(node id, slot) of the values a delegated step reads from its environment. A reduce kernel reads its
    inputs and its gather tables only (runtime/evaluate.run_reduce), a row kernel its element and row inputs
    (evaluate.run_rows), so only those are bound: binding every slot of the program (as other steps still do)
    built a dict of all live values per call, ~50 us per reduction in a 20-step gradient-descent loop of 41
    reductions (logistic_regression, profiled)."""
    if type(step) is ReduceKernel:
        reads = {id(n) for n in step.inputs} | {id(t) for t in gather_tables(step)}
    elif type(step) is RowKernel:
        reads = {id(n) for n in step.inputs} | {id(n) for n, _ in step.row_inputs}
    else:
        return list(slots.items())
    return [(nid, s) for nid, s in slots.items() if nid in reads]
# --- end (#15 logreg3) ---


def _step_leaves(step) -> list[Node]:
    found = [n for n in getattr(step, "inputs", ()) if n.op == LEAF]
    found += [n for n, _ in getattr(step, "row_inputs", ()) if n.op == LEAF]  # a row kernel's per-row arrays
    node = getattr(step, "node", None)
    if node is not None:
        found += [a for a in node.args if a.op == LEAF]
    if hasattr(step, "body"):  # the whole arrays a kernel's in-kernel gathers read (compiler/schedule.gather_tables)
        found += [t for t in gather_tables(step) if t.op == LEAF]
    return found




def _views_region(n: Node, x: Node, key: tuple) -> bool:
    """(s16 sweepnp) Whether `n` is ``x[key]``: a getitem stage of x with the very key a slice write writes."""
    return (n.op == "numpy" and n.params.name == "getitem" and n.args[0] is x
            and dict(n.params.kwargs)["key"] == key)


_VIEW_ALONE = SLOT_ONLY - 1  # the references a view held by one slot alone has, seen from `_views_alone`


def _views_alone(v: list, slots: tuple, x) -> int:
    """(s16 sweepnp) How many of `slots` hold a view of x that nothing else holds (each is one more reference
    to x, through its base); 0 where any of them is held elsewhere too (then x is copied as before)."""
    n = 0
    for s in slots:
        w = v[s]
        if type(w) is np.ndarray and w.base is x:
            if sys.getrefcount(w) > _VIEW_ALONE:
                return 0
            n += 1
    return n


def _setitem_op(node: Node, sources: list, out: int):
    """(s16 sweepnp) ``x[key] = v`` with a basic key and a v no kernel computes (a BLAS product, a scalar): NumPy's
    write into a copy of x, or into x itself where this op reads x last and x's slot alone holds it (a view of x
    elsewhere, v's too, holds it once more), as `_slice_write` does. doitgen's ``A[r] = A[r] @ C4`` copied all
    of A for each r (O(nr) copies of A per call; cholesky's scalar writes O(n^2) copies)."""
    x_slot, key = sources[0][1], realise(dict(node.params.kwargs)["key"])
    rest = sources[1:]
    in_place = [False]

    def op(v, cv):
        args = [v[x] if kind == "s" else cv[x] if kind == "m" else x for kind, x in rest]
        x = v[x_slot]
        if in_place[0] and runtime.only_one_holder(x, SLOT_ONLY) and runtime.laid_out_as_its_copy(x):
            x[key] = args[0]
            v[out] = x
        else:
            v[out] = interp.apply(node, [x] + args)

    op.writes_over = (x_slot, in_place, ())
    return op


def _write_op(node: Node, sources: list, out: int):
    """(s18) Any other write stage (``x[idx] = v`` with index arrays or a mask that stays a scatter, np.put,
    np.place, np.putmask, ufunc.at, np.fill_diagonal, np.put_along_axis): its NumPy write into x itself under the
    same rule as `_setitem_op`, else into a copy of x from the scratch pool. cross_entropy's
    ``grad[np.arange(n), labels] -= 1.0`` copied the whole gradient into fresh pages on every call."""
    x_slot, rest = sources[0][1], sources[1:]
    write, kwargs = write_stage(node), dict(node.params.kwargs)
    in_place = [False]

    def op(v, cv):
        args = [v[x] if kind == "s" else cv[x] if kind == "m" else x for kind, x in rest]
        x = v[x_slot]
        if in_place[0] and runtime.only_one_holder(x, SLOT_ONLY) and runtime.laid_out_as_its_copy(x):
            write(x, *args, **kwargs)
            v[out] = x
        else:
            target = runtime.copy_for_write(x)
            del x
            write(target, *args, **kwargs)
            v[out] = target

    op.writes_over = (x_slot, in_place, ())
    return op
