"""Per-call closures of a ``@lazyarr.fuse`` program: how a map kernel's arguments are viewed, allocated and
passed to its compiled entry point (as ``runtime.run_map`` does per call, decided here once per signature)."""
from __future__ import annotations

import operator

import numpy as np

from lazyarr.compiler import cache
from lazyarr.graph import reference as interp
from lazyarr.kernels import threads
from lazyarr.tracer.scalars import converter as scalar_converter
from lazyarr.graph.dtypes import HALF
from lazyarr.compiler.schedule import MapKernel


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


def view(a: np.ndarray, layout: str, order: str, shape: tuple):
    """How an array of this program is passed to its kernel (None: as it is); decided once per program."""
    half = a.dtype == HALF
    if layout == "flat":
        if a.ndim == 1 and not half:
            return None
        if order == "C":
            return (lambda x: x.view(np.uint16).reshape(-1)) if half else (lambda x: x.reshape(-1))
        return (lambda x: x.view(np.uint16).T.reshape(-1)) if half else (lambda x: x.T.reshape(-1))
    if a.shape != shape:
        if half:
            return lambda x: np.broadcast_to(x, shape).view(np.uint16)
        return lambda x: np.broadcast_to(x, shape)
    return (lambda x: x.view(np.uint16)) if half else None


def map_op(compiled, key, source, k, ins, consts, fills, out_slots, out_views, shape, out_dtypes, order,
            parallel, size):
    """The per-call closure of one map kernel: allocate outputs, assemble arguments, call the entry."""
    empty = np.empty
    lock = threads.launch_lock
    entry = compiled.entry if compiled is not None else None
    simple = (len(out_slots) == 1 and all(p is None for _, p in ins) and out_views[0] is None
              and not parallel and entry is not None)
    if simple:
        in_slots = [s for s, _ in ins]
        out_slot, dtype = out_slots[0], out_dtypes[0]
        consts = tuple(consts)

        if fills:
            def op(v, cv):
                c = list(consts)
                for pos, j in fills:
                    c[pos] = cv[j]
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

    def op(v, cv):
        outs = [empty(shape, dt, order) for dt in out_dtypes]
        for s, o in zip(out_slots, outs):
            v[s] = o
        if size == 0:
            return
        run = state[0]
        if run is None:  # still compiling in the background (see runtime.run_map): NumPy runs this call
            compiled = cache.get(key, source)
            if compiled is None:
                _interpret(k, [v[s] for s, _ in ins], consts, fills, cv, outs)
                return
            state[:] = [compiled.entry, compiled]
            run = compiled.entry
        args = [v[s] if p is None else p(v[s]) for s, p in ins]
        if fills:
            c = list(consts)
            for pos, j in fills:
                c[pos] = cv[j]
            args += c
        else:
            args += consts
        args += [o if p is None else p(o) for o, p in zip(outs, out_views)]
        if parallel:
            with lock():
                run(*args)
        else:
            run(*args)

    return op


def _interpret(k: MapKernel, arrays: list, consts: list, fills: list, cv: list, outs: list) -> None:
    """NumPy evaluates a kernel's nodes (while it compiles), with this call's constants."""
    values = dict(zip(map(id, k.inputs), arrays))
    c = list(consts)
    for pos, j in fills:
        c[pos] = cv[j]
    values.update((id(n), np.asarray(x, dtype=n.dtype)) for n, x in zip(k.consts, c))
    with np.errstate(all="ignore"):
        for node in k.body:
            values[id(node)] = interp.apply(node, [values[id(a)] for a in node.args])
    for node, o in zip(k.outputs, outs):
        np.copyto(o, values[id(node)], casting="unsafe")


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
    empty = np.empty
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
