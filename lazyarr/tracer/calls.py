"""Per-call closures of a ``@lazyarr.fuse`` program: how a map kernel's arguments are viewed, allocated and
passed to the callable that launches it (as ``runtime.run_map`` does per call, decided here once per
signature; both through ``runtime.launch``)."""
from __future__ import annotations

import math
import operator

import numpy as np

from lazyarr.runtime import launch
from lazyarr.runtime import scratch  # (#15 postblas)
from lazyarr.compiler import layout as layout_mod  # (#15) offsets_op
from lazyarr.tracer.scalars import converter as scalar_converter
from lazyarr.graph.dtypes import HALF


def converter(dtype: np.dtype, form: str):
    """Python number -> the constant a kernel ("kernel": float16 travels as float32) or NumPy ("value") takes."""
    typed = scalar_converter(dtype)
    if dtype == HALF and form == "kernel":
        return lambda x: np.float32(typed(x))
    if form == "value":
        return lambda x: np.asarray(typed(x), dtype=dtype)
    if dtype == np.float64:
        return lambda x: x if type(x) is float else typed(x)  # a Python float is a float64 already
    return typed


def map_op(compiled, key, source, k, ins, consts, fills, out_slots, out_views, shape, out_dtypes, order,
            parallel, size, into=None):
    """The per-call closure of one map kernel: allocate outputs, assemble arguments, launch. `into`: per
    output, the slot of a written argument the kernel writes straight into (lifetimes.written_in_place), or
    None to allocate."""
    empty = scratch.empty  # (#15 postblas) a dead buffer of the shape, kept from an earlier call, if any
    entry = launch.entry(compiled, parallel) if compiled is not None else None
    simple = (into is None and len(out_slots) == 1 and all(p is None for _, p in ins) and out_views[0] is None
              and not parallel and entry is not None)
    if simple:
        in_slots = [s for s, _ in ins]
        out_slot, dtype = out_slots[0], out_dtypes[0]
        consts = tuple(consts)

        if fills:
            def op(v, cv):
                c = _constants(consts, fills, cv)
                out = v[out_slot] = empty(shape, dtype, order)
                entry(*[v[s] for s in in_slots], *c, out)
        else:
            def op(v, cv):
                out = v[out_slot] = empty(shape, dtype, order)
                entry(*[v[s] for s in in_slots], *consts, out)

        op.direct = (entry, in_slots, consts, fills, out_slot, shape, dtype, order)
        op.compiled = compiled  # the dispatcher owns the machine code: the cache may let go of it (LRU)
        return op

    state = [entry, compiled]

    into = into or [None] * len(out_dtypes)

    def op(v, cv):
        outs = [empty(shape, dt, order) if a is None else v[a] for dt, a in zip(out_dtypes, into)]
        for s, o in zip(out_slots, outs):
            v[s] = o
        if size == 0:
            return
        run = state[0]
        if run is None:  # still compiling in the background (see runtime.run_map): NumPy runs this call
            compiled = launch.kernel_for(key, source, k)
            if compiled is None:
                launch.interpret(k, [v[s] for s, _ in ins], _constants(consts, fills, cv), outs)
                return
            run = launch.entry(compiled, parallel)
            state[:] = [run, compiled]
        args = [v[s] if p is None else p(v[s]) for s, p in ins]
        args += _constants(consts, fills, cv) if fills else consts
        args += [o if p is None else p(o) for o, p in zip(outs, out_views)]
        run(*args)

    return op


def _constants(consts, fills: list, cv: list) -> list:
    """A kernel's constants for one call: those made from the call's numbers filled in."""
    c = list(consts)
    for pos, j in fills:
        c[pos] = cv[j]
    return c


def direct_call(p, n_args: int):
    """The leanest call for the common program: one map kernel over the arguments, one array result, constants
    taken from number arguments without arithmetic on them."""
    if p.prepare or p.views or len(p.ops) != 1 or p.single is None or p.single[1]:
        return None
    if any(r.arg is None for r in p.records):
        return None
    direct = getattr(p.ops[0], "direct", None)
    if direct is None:
        return None
    entry, in_slots, consts, fills, out_slot, shape, dtype, order = direct
    if out_slot != p.single[0] or not in_slots or any(s >= n_args for s in in_slots):
        return None
    # (s16 watch) a result big enough to be watched (``program.watching``) is allocated where a dropped one can
    # be taken back; smaller ones straight from NumPy's allocator (the small call's few hundred nanoseconds)
    big = math.prod(shape) * np.dtype(dtype).itemsize >= scratch.WATCH_MIN_BYTES
    empty = scratch.empty if big else np.empty
    pick = operator.itemgetter(*in_slots, 0)  # a tuple even for one input: the extra item is dropped
    numbers = [(pos, p.records[p.mapped[j][0]].arg, p.mapped[j][1]) for pos, j in fills]
    if not numbers and list(in_slots) == list(range(n_args)):
        def run(flat):
            out = empty(shape, dtype, order)
            entry(*flat, *consts, out)
            return out
    elif not numbers:
        def run(flat):
            out = empty(shape, dtype, order)
            entry(*pick(flat)[:-1], *consts, out)
            return out
    else:
        def run(flat):
            c = list(consts)
            for pos, i, make in numbers:
                c[pos] = make(flat[i])
            out = empty(shape, dtype, order)
            entry(*pick(flat)[:-1], *c, out)
            return out

    return run


# --- (BLAS-bound programs, #15) map kernels over windows of C arrays (compiler/layout.py, ``offs``) -----------

def offsets_op(kernels, k, in_slots, consts, fills, out_slots, shape, out_dtypes, size):
    """The per-call closure of a map kernel of layout ``offs``: new C outputs, each input passed as its base
    with its offsets, found again per call. `kernels(layout)` -> (launch entry, compiled kernel), or None
    while it compiles in the background: the ``offs`` kernel, or the ``nd`` one for a call whose inputs are
    not windows this time (an argument that is itself a view of a buffer of another rank)."""
    empty, storage = scratch.empty, layout_mod.storage  # (#15 postblas)
    state = {}

    def op(v, cv):
        outs = [empty(shape, dt) for dt in out_dtypes]
        for s, o in zip(out_slots, outs):
            v[s] = o
        if size == 0:
            return
        arrays = [v[s] for s in in_slots]
        c = _constants(consts, fills, cv) if fills else list(consts)
        windows = [layout_mod.view_base(a) for a in arrays]
        layout = layout_mod.OFFSETS if all(w is not None for w in windows) else "nd"
        kernel = state.get(layout)
        if kernel is None:
            kernel = kernels(layout)
            if kernel is None:  # still compiling in the background: NumPy runs this call
                launch.interpret(k, arrays, c, outs)
                return
            state[layout] = kernel  # (entry, compiled): the dispatcher owns the machine code, kept here
        run = kernel[0]
        if layout == layout_mod.OFFSETS:
            ins = layout_mod.offsets_args(arrays, windows)
        else:
            ins = [storage(a) for a in arrays]
        run(*ins, *c, *[storage(o) for o in outs])

    return op
# --- end (BLAS-bound programs, #15) ---
