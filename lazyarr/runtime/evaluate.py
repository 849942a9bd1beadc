"""Run a plan: pick each kernel's layout class (``kernel_args``), prepare views, allocate outputs, launch.

A single small elementwise root seen before skips planning altogether (``recipes``). Kernels are found and
called through ``launch``, as the other two ways in do.
"""
from __future__ import annotations

import math
import sys

import numpy as np

from lazyarr.compiler import cache
from lazyarr.compiler import source_map as codegen
from lazyarr.compiler import source_reduce as codegen_reduce
from lazyarr import config
from lazyarr.graph import reference as interp
from lazyarr.runtime import external
from lazyarr.runtime import launch, recipes
from lazyarr.kernels import threads
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import GENERATORS, is_arg_reduction
from lazyarr.graph.ops import is_elementwise  # (programs #15)
from lazyarr.compiler.layout import flat as _flat, layout_of, storage as _storage
from lazyarr.compiler.layout import map_layout, reduce_broadcast  # (#15)
from lazyarr.compiler.fingerprint import VERSION
from lazyarr.compiler.llvm_math_map import may_run_blocks  # (s18) out= aliasing a blocked kernel
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, ScanKernel, SliceWrite, Stage, plan
from lazyarr.compiler.schedule import gather_tables  # surface/gathers
from lazyarr.compiler import source_scan as codegen_scan
from lazyarr.graph.ops import outside, realise
from lazyarr.graph.ops import write_stage  # (s18) write stages in place
from lazyarr.runtime.launch import describe
from lazyarr.compiler.rowfuse import RowKernel
from lazyarr.runtime import rows
from lazyarr.runtime import blockwise  # #14: NumPy's first answer in blocks
from lazyarr.runtime import numpy_rows  # (#15 covcos)
from lazyarr.runtime import after_blas  # (#15 postblas)
from lazyarr.runtime import scratch  # (#15 postblas)
from lazyarr.runtime import blas_output  # (s16 blas) a product into a kept buffer
from lazyarr.runtime import llvm_launch  # #14 quick tier
from lazyarr.runtime import serial_first  # #14 bgfirst
from lazyarr.runtime import inplace  # (s12 lazymandel)
from lazyarr.runtime import plans  # (s13 lazycall) any graph's plan reused by structure





# (s12 lazymandel) api/realise.py's stand-ins (a registry it fills: runtime does not import api). A written
# array's old history reads a buffer realise may since have overwritten with a later value (its ownership
# rule), so no graph may compute such a history again: every ask reads the leaf it stands for instead.
REWRITES: list = []


def register_rewrite(rewrite) -> None:
    """Set the rewrite every ``evaluate`` applies to its roots first (``api/realise.stand_ins``)."""
    REWRITES[:] = [rewrite]


def evaluate(roots: list[Node], out: np.ndarray | None = None, into: dict | None = None,
             rewritten: bool = False) -> list[np.ndarray]:
    """Values of `roots` as NumPy arrays (0-d arrays for 0-d roots); `out` receives the single root.
    (s12 lazymandel) `into`: {root index: (leaf, writable buffer of that leaf)}, roots whose value may be stored
    into their input's buffer (``runtime/inplace.py``; a value stored there is that buffer); `rewritten`: the
    caller applied the stand-ins (``REWRITES``) already."""
    if REWRITES and not rewritten:
        roots = REWRITES[0](roots)
    # Graphs with leaves whose data is not in memory (dask arrays) are run by the module that handles them.
    handler = external.loaded and external.involved(roots)
    if handler:
        return handler.evaluate(roots, out)
    if len(roots) == 1:
        return [evaluate_one(roots[0], out)]
    if scalar_graph(roots):  # (programs #15)
        return _scalar_values(roots, out)
    sig = recipes.signature_of(roots) if out is None else None  # (mandel2 #15) a tuple planned before
    if sig is not None:
        values = inplace.run(roots, sig, into) if into else None  # (s12 lazymandel)
        if values is None:
            values = recipes.run_many(roots, sig)
        if values is not None:
            return values
    if sig is not None:
        steps = plan(roots)
        values = run_steps(steps, roots, {}, out)
        recipes.learn_many(roots, sig, steps)
        return values
    steps, planned, env = plans.steps_for(roots, plan)  # (s13 lazycall)
    return run_steps(steps, planned, env, out)


def evaluate_one(root: Node, out: np.ndarray | None = None) -> np.ndarray:
    """The value of one root (written into `out` if given): through its recipe if it has one (``recipes``),
    else planned and run."""
    sig = recipes.signature(root)
    if sig is not None:
        value = recipes.run(root, sig, out)
        if value is not None:
            return value
    handler = external.loaded and external.involved((root,))
    if handler:
        return handler.evaluate([root], out)[0]
    if scalar_graph([root]):  # (programs #15)
        return _scalar_values([root], out)[0]
    if out is None:  # (#14 bgfirst) a new expression at a serial size: NumPy answers, the worker plans
        first = serial_first.answer(root, lambda: _plan_and_run(root, sig))
        if first is not None:
            return first
    return _plan_and_run(root, sig, out)


def _plan_and_run(root: Node, sig, out: np.ndarray | None = None) -> np.ndarray:
    if sig is None:  # (s13 lazycall) not a recipe's graph: a plan kept for its structure, or one kept now
        steps, planned, env = plans.steps_for([root], plan)
        return run_steps(steps, planned, env, out)[0]
    steps = plan([root])
    value = run_steps(steps, [root], {}, out)[0]
    recipes.learn(root, sig, steps)
    return value


# --- (programs #15) scalar graphs -----------------------------------------------------------------------------
def scalar_graph(roots: list[Node]) -> bool:
    """Whether every node under `roots` is a 0-d leaf, constant or elementwise op: Python-scalar work (a loop
    of ``trace += np.tanh(a[i, i])``). Planning it cuts it into 64-node 0-d kernels, each too small to
    compile, run op by op anyway after a plan that cost more than the ops (100 ms for 768 nodes, measured)."""
    if any(r.shape for r in roots) or all(r.op in (LEAF, CONST) for r in roots):
        return False
    stack, seen = list(roots), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.shape or not (node.op in (LEAF, CONST) or is_elementwise(node.op)):
            return False
        stack.extend(node.args)
    return True


def _scalar_values(roots: list[Node], out: np.ndarray | None) -> list[np.ndarray]:
    """The values of a scalar graph from NumPy's evaluator, node by node (the kernels' oracle)."""
    values = interp.evaluate(roots)
    if out is not None:
        np.copyto(out, values[0], casting="same_kind")
        values[0] = out
    return values
# --- end programs #15 ---


def run_steps(steps: list, roots: list[Node], env: dict, out: np.ndarray | None = None,
              follows_blas: bool = False) -> list[np.ndarray]:
    """Run planned steps. `env` may hold bindings (id(leaf) -> array) that stand in for leaves' own data:
    ``@lazyarr.fuse`` plans once on placeholder leaves and binds each call's arrays this way. `follows_blas`:
    the step run before the first one was a BLAS product (``after_blas``; fuse runs its steps one by one)."""
    # (s16 lazyrt) the environment's settings read once for the whole compute (config.reading_once)
    with cache.holding_compiles(), config.reading_once():  # a compile queued here starts when this call ends
        return _run_steps(steps, roots, env, out, follows_blas)


def _run_steps(steps: list, roots: list[Node], env: dict, out: np.ndarray | None,
               first_follows_blas: bool = False) -> list[np.ndarray]:
    # A buffer Numba cannot write (non-native byte order) gets the result by copy at the end.
    direct = out is not None and out.dtype.isnative and out.dtype.kind in "biufc"
    out_buffers = {id(roots[0]): out} if direct else {}
    dying, follows = _order_facts(steps, roots)
    kept = getattr(steps, "memo", None)  # (s16 lazyrt) a kept plan's: its kernels' launches found once
    bound = set(env)  # (a value this run produced: in env now, and not one of the leaves bound before it ran)
    for i, step in enumerate(steps):
        follows_blas = follows[i] if i else first_follows_blas  # (#15 postblas)
        if isinstance(step, RowKernel):
            run_rows(step, env, follows_blas)
        elif isinstance(step, ScanKernel):  # (surface/reductions)
            run_scan(step, env)
        elif isinstance(step, ReduceKernel):
            run_reduce(step, env, follows_blas)
        elif isinstance(step, SliceWrite):  # (assignment and writes)
            x = step.node.args[0]
            run_slice_write(step, env, follows_blas,
                            in_place=id(x) in env and id(x) not in bound and id(x) in dying.get(i, ())
                            and dying_here_only(x, env))
        elif isinstance(step, MapKernel):
            run_map(step, env, out_buffers, follows_blas, kept)
        elif write_stage(step.node) is not None:  # (s18) ``x[key] = v`` and kin: into x itself where x dies here
            x = step.node.args[0]
            run_write(step, env, in_place=id(x) in env and id(x) not in bound and id(x) in dying.get(i, ())
                      and dying_here_only(x, env))
        else:
            run_stage(step, env)
        dead = dying.get(i)
        if dead:
            # (#15 postblas) dead big buffers nothing else holds are kept for the next allocation of their shape
            scratch.recycle([env.pop(nid) for nid in dead if nid in env and nid not in bound])
    results = [value(r, env) for r in roots]
    if out is not None and results[0] is not out:
        np.copyto(out, results[0], casting="same_kind")
        results[0] = out
    for node, r in zip(roots, results):  # (s16 watch) a big result this run made, once its caller drops it,
        # serves the next allocation of its shape instead of fresh pages (``scratch.watch``)
        # (not the caller's `out`: a buffer the user gave is theirs)
        if type(r) is np.ndarray and r.nbytes >= scratch.WATCH_MIN_BYTES and r is not out and node.op != LEAF \
                and id(node) not in bound:
            scratch.watch(r)
    return results


def _order_facts(steps: list, roots: list[Node]) -> tuple[dict, list]:
    """(``_dying``, whether each step follows a BLAS product): facts of the steps' order alone, so a kept plan's
    (``plans.KeptSteps``) are found once and kept with it (s16 lazyrt: ~60 us a call of lazy logistic_regression)."""
    memo = getattr(steps, "memo", None)
    facts = memo.get("order") if memo is not None else None
    if facts is None or facts[0] is not roots:
        dying = _dying(steps, roots) if len(steps) > 1 else {}  # (releasing intermediates)
        follows = [False] + [after_blas.is_blas(s) for s in steps[:-1]]
        facts = (roots, dying, follows)
        if memo is not None:
            memo["order"] = facts
    return facts[1], facts[2]


def _dying(steps: list, roots: list[Node]) -> dict[int, list[int]]:
    """(releasing intermediates) step index -> ids of the values no later step reads and no root is: a
    compute drops each value this run produced after its last reader, so a chain of steps (a time-stepping
    loop of writes) reuses freed buffers instead of faulting in fresh pages for every step."""
    last: dict[int, int] = {}
    for i, step in enumerate(steps):
        node = getattr(step, "node", None)
        read = list(step.inputs) if hasattr(step, "inputs") else []
        read += [n for n, _ in getattr(step, "row_inputs", ())]
        read += list(node.args) if node is not None else []
        if getattr(step, "body", None) is not None:  # (s21) the arrays a kernel's gathers read are read too
            read += gather_tables(step)
        for n in read:
            last[id(n)] = i
    keep = {id(r) for r in roots}
    dying: dict[int, list[int]] = {}
    for nid, i in last.items():
        if nid not in keep:
            dying.setdefault(i, []).append(nid)
    return dying


def value(node: Node, env: dict) -> np.ndarray:
    if node.op == LEAF:
        return env.get(id(node), node.data)
    if node.op == CONST:
        return np.asarray(node.data, dtype=node.dtype)
    return env[id(node)]


def run_rows(k: RowKernel, env: dict, follows_blas: bool = False) -> None:
    """(row fusion) A row kernel over its inputs' values; `follows_blas`: see ``after_blas``."""
    rows.run(k, [value(n, env) for n in k.inputs], [value(a, env) for a, _ in k.row_inputs], env, follows_blas)


def run_stage(step: Stage, env: dict) -> None:
    env[id(step.node)] = blas_output.apply(step.node, [value(a, env) for a in step.node.args])  # (s16 blas)


def run_write(step: Stage, env: dict, in_place: bool = False) -> None:
    """(s18) A write stage (``x[key] = v`` with a v no kernel writes, index arrays or a mask, np.put, np.place,
    np.putmask, ufunc.at, np.fill_diagonal, np.put_along_axis): NumPy's write on x's buffer when `in_place` (x is
    this run's own value, dead after this step and held by nothing else: no view of it, the written values'
    included), else on a copy of x whose contiguous buffer comes from the scratch pool. The stage's own rule
    (``ops._updated``) copies x into fresh pages every time: lazy wave_1d's ``u_next[0] = 0.0; u_next[-1] = 0.0``
    copied its 8 MB array twice a step (0.5 ms each, half the call), where NumPy and the fused program write two
    elements; cross_entropy's ``grad[np.arange(n), labels] -= 1.0`` copied the whole gradient."""
    node = step.node
    x = value(node.args[0], env)
    args = [value(a, env) for a in node.args[1:]]
    target = x if in_place else copy_for_write(x)
    del x
    write_stage(node)(target, *args, **dict(node.params.kwargs))
    env[id(node)] = target


def copy_for_write(x: np.ndarray) -> np.ndarray:
    """(s18) A copy of x in x's layout for a write stage to write into: a contiguous x's from the scratch pool
    (a dead value's buffer, not fresh pages), any other as NumPy's ``np.array(x, copy=True, order="K")``."""
    if x.ndim and (x.flags.c_contiguous or x.flags.f_contiguous):
        target = scratch.empty(x.shape, x.dtype, "C" if x.flags.c_contiguous else "F")
        np.copyto(target, x)
        return target
    return np.array(x, copy=True, order="K")


def run_slice_write(step: SliceWrite, env: dict, follows_blas: bool = False, in_place: bool = False) -> None:
    """(assignment and writes) ``x[key] = v``: copy x, then v's kernel writes into the key's region of the
    copy (a view: an n-d layout where the region is strided). `in_place`: x is this run's own value, dead after
    this step and held by nothing else (``dying_here_only``), so its buffer is the target when v's kernel reads
    none of it (what NumPy's ``x[key] = v`` does: no copy, and a chain of writes keeps one buffer hot in cache)."""
    node = step.node
    key = dict(node.params.kwargs)["key"]
    x = value(node.args[0], env)
    if in_place and not launch.overlaps(x, [env[id(n)] if n.op != LEAF or id(n) in env else n.data
                                            for n in step.inputs]):
        target = x
    else:
        target = copy_outside(x, key)
    del x
    region = target[realise(key)]
    run_map(step, env, {id(step.outputs[0]): region}, follows_blas)
    if env[id(step.outputs[0])] is not region:  # (the kernel could not write into it: copied)
        np.copyto(region, env[id(step.outputs[0])])
    env[id(node)] = target


def dying_here_only(x: Node, env: dict) -> bool:
    """Whether x's value (a value this run made, which no later step reads) is an array of its own that only
    `env` holds: no view of it alive (a view's base is the array, so it counts), no leaf, no user."""
    a = env.get(id(x))
    return only_one_holder(a, _ENV_ONLY + 1)  # (+ only_one_holder's own parameter)


def only_one_holder(a, count: int) -> bool:
    """Whether `a` is a writable array owning its memory (or, s18, a view of a base only it holds) that `count`
    references hold at most (the caller's container and names, measured by the caller as it holds `a`, plus this
    call's argument)."""
    if type(a) is not np.ndarray or not a.flags.writeable or sys.getrefcount(a) > count:
        return False
    if a.base is None:
        return a.flags.owndata
    # (s18) a view whose base nothing else holds, as a row kernel's output is (``np.moveaxis`` of the buffer it
    # made in the loop's memory order): writing through it writes memory no one else can see
    base = a.base
    return (type(base) is np.ndarray and base.base is None and base.flags.owndata
            and sys.getrefcount(base) <= _VIEW_ONLY)


def laid_out_as_its_copy(a: np.ndarray) -> bool:
    """(s20) Whether NumPy's copy of `a` in its memory order (``np.array(a, order="K")``, what a write stage's copy
    path makes) has `a`'s own strides: no reversed axis, no gap. A fused program fixes each later kernel's layout
    on its first call, where the write went into that copy; a replay writing into a reversed view instead
    (``x[...] = np.flip(x, 1); x[0] = ...``) handed those kernels an array laid out otherwise, and a flat kernel
    read the wrong elements."""
    step = a.itemsize
    for stride, n in sorted((s, n) for s, n in zip(a.strides, a.shape) if n > 1):
        if stride != step:
            return False
        step *= n
    return True


def _env_only_count() -> int:
    """The reference count ``dying_here_only`` sees for an array a dict alone holds (the dict, its local name,
    ``getrefcount``'s argument), measured once the same way rather than assumed for this Python."""
    env = {0: np.empty(1)}
    a = env.get(0)
    return sys.getrefcount(a)


_ENV_ONLY = _env_only_count()


def _view_only_count() -> int:
    """The reference count ``only_one_holder`` sees for a base that one view alone holds (the view, the local
    name, ``getrefcount``'s argument), measured as it is taken there."""
    view = np.empty(4)[1:]
    base = view.base
    return sys.getrefcount(base)


_VIEW_ONLY = _view_only_count()


def copy_outside(x: np.ndarray, key: tuple) -> np.ndarray:
    """A new array with x's layout holding x's values outside `key`'s region (which a kernel writes next)."""
    boxes = outside(key, x.shape)
    order = "C" if x.flags.c_contiguous else "F" if x.flags.f_contiguous else None
    # a contiguous x's copy: a buffer a dead value left in the pool, not fresh pages (a stencil loop's every
    # step copies x); a strided x's keeps its memory order ("K"), as NumPy's copy does
    target = np.empty_like(x, order="K") if order is None else scratch.empty(x.shape, x.dtype, order)
    if boxes is None:
        np.copyto(target, x)
        return target
    for box in boxes:
        target[box] = x[box]
    return target


def run_map(k: MapKernel, env: dict, out_buffers: dict, follows_blas: bool = False, kept: dict | None = None) -> None:
    """A map kernel into new outputs or the buffers `out_buffers` names; `follows_blas`: the plan's step before
    it is a BLAS product (a small kernel then runs serially: ``after_blas``); `kept`: the memo of the kept plan
    (``plans.KeptSteps``) `k` belongs to, where the quick tier keeps `k`'s kernel (``llvm_launch.run_map``)."""
    shape = k.shape
    arrays = [env[id(n)] if n.op != LEAF or id(n) in env else n.data for n in k.inputs]
    tables = [value(t, env) for t in gather_tables(k)]  # surface/gathers
    outs = [out_buffers.get(id(n)) for n in k.outputs] if out_buffers else None
    if outs is not None and any(o is not None and (launch.overlaps(o, arrays) or _shares(o, tables)
                                                   or recipes.narrow_alias(o, arrays, lambda: may_run_blocks(k)))
                                 for o in outs):  # (mandel2; s18: any exact alias of a blocked kernel)
        outs = None  # the result is copied into `out` afterwards
    if outs is None:
        out_dtypes = tuple(n.dtype for n in k.outputs)
        layout, order = map_layout(arrays, shape)  # (#15) with new outputs, strided windows may be offsets
        outs = [scratch.empty(shape, dt, order) for dt in out_dtypes]  # (#15 postblas)
    else:
        out_dtypes = tuple(n.dtype if o is None else o.dtype for n, o in zip(k.outputs, outs))
        layout, order = layout_of(arrays + [o for o in outs if o is not None], shape)
        outs = [scratch.empty(shape, dt, order) if o is None else o for o, dt in zip(outs, out_dtypes)]
    for n, o in zip(k.outputs, outs):
        env[id(n)] = o
    size = math.prod(shape)
    if size == 0:
        return
    ndim = len(shape)
    parallel = size >= config.parallel_threshold()
    parallel = parallel and not after_blas.serial(follows_blas, after_blas.moved_bytes(arrays, outs))  # (#15)

    def key_of(parallel: bool) -> tuple:
        return launch.map_key(k.key, layout, ndim, parallel, out_dtypes)

    def source_of(parallel: bool):
        return lambda: codegen.kernel_source(k, layout, ndim, parallel, out_dtypes, VERSION, comment=describe(k))

    # --- #14 quick tier: a flat map of exact ops runs as LLVM machine code made without Numba ---
    quick = layout == "flat" and not tables and llvm_launch.run_map(
        k, arrays, outs, [launch.const_arg(c) for c in k.consts], parallel, launch.one_thread,
        refused=lambda: launch.pick_kernel(key_of, source_of, k, parallel),  # (bgfirst2: the tier's "no", aside)
        kept=kept)
    if quick is llvm_launch.PENDING:  # made aside while NumPy answers (background compilation)
        _interpret_map(k, arrays, outs, env, out_buffers, tables)
        return
    if quick:
        return
    # --- end #14 quick tier ---
    compiled, parallel = launch.pick_kernel(key_of, source_of, k, parallel)
    if compiled is None:  # still compiling in the background: NumPy computes this call
        _interpret_map(k, arrays, outs, env, out_buffers, tables)
        return
    err = _gather_flag(tables)
    launch.entry(compiled, parallel)(*launch.arguments(arrays, outs, k.consts, layout, order, shape), *err)
    _raise_gather_error(k, arrays, tables, err)


# --- surface/gathers: in-kernel gathers (compiler/schedule.py) -----------------------------------------------

def _gather_flag(tables: list) -> list:
    """The kernel's error flag after its tables (nothing for a kernel without gathers)."""
    return [*tables, np.zeros(1, np.int64)] if tables else []


def _shares(out: np.ndarray, tables: list) -> bool:
    """Whether an output buffer shares memory with a table: a gather reads other positions than the one it
    writes, so even the same view is unsafe (``launch.overlaps`` allows that for inputs)."""
    return any(np.may_share_memory(out, t) for t in tables)


def _raise_gather_error(k, arrays: list, tables: list, err: list) -> None:
    """An index was out of range: NumPy's own IndexError, from NumPy gathering the same values (the kernel
    read element 0 instead and its output is discarded)."""
    if not err or not err[-1][0]:
        return
    launch.interpret_values(k, arrays, [c.data for c in k.consts], tables)  # raises NumPy's IndexError
    raise IndexError("lazyarr: an index is out of bounds in a gather")  # (NumPy's own check did not repeat it)
# --- end surface/gathers ---------------------------------------------------------------------------------------


def _interpret_map(k: MapKernel, arrays: list, outs: list, env: dict, out_buffers: dict, tables: list = ()) -> None:
    """NumPy's values of a map kernel's outputs. A value NumPy made of the output's dtype and shape becomes the
    output itself instead of being copied into the buffer allocated for the kernel: the first answer of a
    background compile (#14) saves a pass over the result. A buffer the caller gave (``out=``) is written.
    Cut into cache-sized blocks where the kernel allows it (``runtime/blockwise``), the outputs are written."""
    if not tables and blockwise.run_map(k, arrays, [c.data for c in k.consts], outs):  # #14
        return
    values = launch.interpret_values(k, arrays, [c.data for c in k.consts], tables)
    for n, o in zip(k.outputs, outs):
        v = values[id(n)]
        mine = isinstance(v, np.ndarray) and v.base is None and v.flags.writeable
        if mine and id(n) not in out_buffers and v.dtype == o.dtype and v.shape == o.shape:
            env[id(n)] = v
        else:
            np.copyto(o, v, casting="unsafe")


# --- reductions -----------------------------------------------------------------------------------------

CHUNK = 1 << 16  # elements per parallel chunk of a full reduction


def run_reduce(k: ReduceKernel, env: dict, follows_blas: bool = False) -> None:
    """A reduction with its producer fused; `follows_blas`: see ``run_map``."""
    node, shape = k.node, k.shape
    axes = node.params.axes
    arrays = [env[id(n)] if n.op != LEAF or id(n) in env else n.data for n in k.inputs]
    result = scratch.empty(node.shape, node.dtype)  # (#15 postblas)
    env[id(node)] = result
    size = math.prod(shape)
    if result.size == 0:
        return
    # nothing to read and nothing generated (surface/creation: a generator reads no input but is work): NumPy
    # gives the identity (empty input to min/max was refused)
    tables = [value(t, env) for t in gather_tables(k)]  # surface/gathers
    if size == 0 or not k.inputs and not tables and not any(n.op in GENERATORS for n in k.body):
        producer = np.empty(shape, k.outputs[0].dtype) if size == 0 else _producer_value(k, arrays)
        result[...] = interp.apply(node, [producer])
        return
    parallel = size >= config.parallel_threshold()
    moved = after_blas.moved_bytes(arrays, [result])
    if numpy_rows.applies(k, arrays):  # (#15 covcos) a bare argmax/argmin: NumPy's SIMD loop on row blocks
        # (s13 blasprog) it only reads, fast: a bigger budget right after a product (after_blas.SMALL_READ_BYTES)
        parallel = parallel and not after_blas.serial(follows_blas, moved, after_blas.SMALL_READ_BYTES)
        numpy_rows.run(k, arrays[0], result, not parallel)
        return
    parallel = parallel and not after_blas.serial(follows_blas, moved)  # (#15 postblas)
    loop, views, extra, ndim, kept, array_layout = _reduce_layout(node, arrays, shape, axes)
    # --- #14 quick-tier reductions: full, last- and first-axis reductions of exact ops, LLVM code without Numba ---

    def pick(parallel: bool):  # (Numba's kernel; `lanes` decided only here: a quick call does not need it)
        lanes = unit_lanes(loop, views, kept)
        return launch.pick_kernel(
            lambda parallel: (k.key, loop, ndim, array_layout, lanes, parallel),
            lambda parallel: lambda: _reduce_source(k, loop, ndim, kept, array_layout, parallel, lanes),
            k, parallel)

    quick = array_layout in ("C", "F") and not tables and llvm_launch.run_reduce(
        k, loop, views, [launch.const_arg(c) for c in k.consts], extra, result, parallel, launch.one_thread,
        refused=lambda: pick(parallel))  # (bgfirst2: the tier's "no" is learned aside; Numba's compile queued there)
    if quick is llvm_launch.PENDING:  # made aside while NumPy answers (background compilation)
        if not blockwise.run_reduce(k, arrays, [c.data for c in k.consts], result):
            result[...] = interp.apply(node, [_producer_value(k, arrays)])
        return
    if quick:
        return
    # --- end #14 quick-tier reductions ---
    compiled, parallel = pick(parallel)
    if compiled is None:  # still compiling in the background: NumPy computes this call
        # #14: in cache-sized blocks where the producer allows it (runtime/blockwise), else over whole arrays
        if tables or not blockwise.run_reduce(k, arrays, [c.data for c in k.consts], result):
            result[...] = interp.apply(node, [_producer_value(k, arrays, tables)])
        return
    out = _storage(result.reshape(-1))
    consts = [launch.const_arg(c) for c in k.consts]
    err = _gather_flag(tables)
    launch.entry(compiled, parallel)(*views, *consts, *extra, out, *err)
    _raise_gather_error(k, arrays, tables, err)


def _producer_value(k: ReduceKernel, arrays: list, tables: list = ()) -> np.ndarray:
    """What the reduction reduces, computed by NumPy, at the reduction's input shape: a producer without an
    array input (la.ones, a constant) interprets to a 0-d value, and NumPy must reduce the full shape."""
    value = launch.interpret_values(k, arrays, [c.data for c in k.consts], tables)[id(k.outputs[0])]
    return np.broadcast_to(value, k.shape)


def _reduce_source(k, loop, ndim, kept, array_layout, parallel, lanes: bool) -> str:
    return codegen_reduce.kernel_source(k, loop, ndim, kept, array_layout, parallel, VERSION, comment=describe(k),
                                        unit_lanes=lanes)


def unit_lanes(loop: str, views: list[np.ndarray], kept: int) -> bool:
    """Whether every input view steps by one element (or stays put: a broadcast) along the axis a reduction's
    innermost loop walks, so its producer's scratch loop vectorises (compiler/source_reduce.vector_producer)."""
    lane = kept - 1 if loop in ("outer", "outer_split") else -1
    return all(v.ndim == 0 or v.shape[lane] <= 1 or v.strides[lane] in (0, v.itemsize) for v in views)


def source_for(step, env: dict) -> str:
    """The kernel source `step` compiles to for the given input values (for explain())."""
    arrays = [value(n, env) if n.op == LEAF or id(n) in env else _stand_in(n) for n in step.inputs]
    if isinstance(step, RowKernel):
        return rows.source_for(step, arrays)
    size = math.prod(step.shape)
    parallel = size >= config.parallel_threshold()
    if isinstance(step, ScanKernel):  # (surface/reductions)
        views, _, in_layout, out_layout = _scan_views(step, arrays, np.empty(step.node.shape, step.node.dtype))
        return f"# loop=scan layout={in_layout} parallel={parallel}\n" + _scan_source(
            step, len(step.shape), in_layout, out_layout, parallel)
    computed = bool(step.inputs) and not (step.inputs[0].op == LEAF or id(step.inputs[0]) in env)
    if isinstance(step, ReduceKernel) and numpy_rows.applies(step, arrays, stand_in=computed):  # (#15 covcos)
        return "# " + numpy_rows.WHY.format(name=step.node.params.name, blocks=numpy_rows.blocks(step))
    if isinstance(step, ReduceKernel):
        loop, views, _, ndim, kept, array_layout = _reduce_layout(step.node, arrays, step.shape,
                                                                  step.node.params.axes)
        quick = None if gather_tables(step) else llvm_launch.explained_reduce(  # #14 quick-tier reductions
            step, loop, array_layout, views, parallel)
        if quick is not None:
            return quick
        lanes = unit_lanes(loop, views, kept)
        header = f"# loop={loop} layout={array_layout} unit_lanes={lanes} parallel={parallel}"
        return f"{header}\n{_reduce_source(step, loop, ndim, kept, array_layout, parallel, lanes)}"
    layout, _ = map_layout(arrays, step.shape)  # (#15)
    quick = llvm_launch.explained(step, layout, arrays, parallel) if not gather_tables(step) else None  # #14
    if quick is not None:
        return quick
    text = codegen.kernel_source(step, layout, len(step.shape), parallel, tuple(n.dtype for n in step.outputs),
                                 VERSION, comment=describe(step))
    return f"# layout={layout} parallel={parallel}\n{text}"


def _stand_in(node: Node) -> np.ndarray:
    """A C-contiguous-looking array of `node`'s shape and dtype over one element's memory: what an earlier
    step's result will look like, for choosing a layout, without allocating it (it is never read)."""
    one = np.empty(1, node.dtype)
    strides = [node.dtype.itemsize] * len(node.shape)
    for axis in range(len(node.shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * max(node.shape[axis + 1], 1)
    return np.lib.stride_tricks.as_strided(one, node.shape, strides, writeable=False)


def _reduce_layout(node: Node, arrays: list, shape: tuple, axes: tuple):
    """(loop shape, input views, size arguments, view rank, kept axes, array layout) for a reduction."""
    ndim = len(shape)
    is_arg = is_arg_reduction(node.params.name)
    if len(axes) == ndim:
        layout, order = layout_of(arrays, shape)
        if layout == "flat" and not (is_arg and order == "F"):
            return "full", [_flat(a, order) for a in arrays], [math.prod(shape), CHUNK], 1, 0, "C"
        full = [_storage(np.broadcast_to(a, shape)) for a in arrays]
        if ndim == 1:
            return "full", full, [shape[0], CHUNK], 1, 0, "A"
        return "full_nd", full, list(shape), ndim, 0, "C" if all(v.flags.c_contiguous for v in full) else "A"
    kept_axes = [a for a in range(ndim) if a not in axes]
    perm = kept_axes + list(axes)
    dims = [shape[a] for a in perm]
    # (#15 logreg3) an operand broadcast along an axis tries its own-shape views first: the full-shape views
    # built below would be "A" then (a zero stride), and building them cost ~25 us a call for nothing
    broadcast = any(a.shape != shape for a in arrays) and reduce_broadcast(arrays, shape, perm)
    if broadcast:
        array_layout, views = broadcast
    else:
        views = [_storage(np.broadcast_to(a, shape).transpose(perm)) for a in arrays]
        # Telling Numba the views are C- or F-contiguous lets it drop stride arithmetic and vectorise.
        array_layout = ("C" if all(v.flags.c_contiguous for v in views) else
                        "F" if all(v.flags.f_contiguous for v in views) else "A")
        if array_layout == "A":  # (#15) broadcast operands at their own shape (compiler/layout.reduce_broadcast)
            array_layout, views = reduce_broadcast(arrays, shape, perm) or (array_layout, views)
    if ndim - 1 in axes:
        return "inner", views, dims, ndim, len(kept_axes), array_layout
    kept, last = len(kept_axes), shape[ndim - 1]
    if math.prod(shape) >= config.parallel_threshold():  # serial kernels keep the tile loop
        nchunks = split_chunks(math.prod(dims[:kept]), math.prod(dims[kept:]))
        if nchunks > 1:  # narrow rows get accumulators of their own width
            return "outer_split", views, dims + [min(SPLIT_TILE, last), nchunks], ndim, kept, array_layout
    tile = max(16, min(1024, -(-last // (4 * threads.planned_num_threads()))))  # (bgfirst3)
    return "outer", views, dims + [-(-tile // 8) * 8], ndim, kept, array_layout


# The row split of `outer` reductions (docs/reductions.md has the measurements behind these numbers).
SPLIT_CHUNKS = 16  # row ranges at most: enough for 16 threads; a constant, so results never depend on the thread count
SPLIT_MIN_ROWS = 64  # rows per range at least: the partials' extra traffic (2 x chunks x kept) stays <= 3% of the input
SPLIT_MAX_PARTIALS = 1 << 20  # partial elements at most (8 MB of float64): beyond, the tile loop needs no extra memory
SPLIT_TILE = 4096  # columns per accumulator: 32 KB of float64 stays in L1/L2 while rows stream through it


def split_chunks(kept_size: int, reduced_size: int) -> int:
    """How many contiguous row ranges the `outer_split` loop cuts the reduced axes into; 1 means the `outer`
    tile loop. A function of the shape alone, so a given shape always sums in the same order."""
    nchunks = min(SPLIT_CHUNKS, reduced_size // SPLIT_MIN_ROWS, SPLIT_MAX_PARTIALS // max(kept_size, 1))
    return nchunks if nchunks >= 2 else 1


# --- scans (surface/reductions) ---------------------------------------------------------------------------

def run_scan(k: ScanKernel, env: dict) -> None:
    """A scan with its producer fused: inputs and output viewed with the scanned axis last."""
    node = k.node
    arrays = [env[id(n)] if n.op != LEAF or id(n) in env else n.data for n in k.inputs]
    result = np.empty(node.shape, node.dtype)
    env[id(node)] = result
    size = math.prod(k.shape)
    if size == 0:
        return
    if not k.inputs:  # constants only: NumPy scans the producer's value
        result[...] = interp.apply(node, [_producer_value(k, arrays)])
        return
    views, out, in_layout, out_layout = _scan_views(k, arrays, result)
    parallel = size >= config.parallel_threshold()
    ndim = len(k.shape)
    key = (k.key, "scan", ndim, in_layout, out_layout, parallel)
    compiled = launch.kernel_for(key, lambda: _scan_source(k, ndim, in_layout, out_layout, parallel), k)
    if compiled is None:  # still compiling in the background: NumPy computes this call
        result[...] = interp.apply(node, [_producer_value(k, arrays)])
        return
    consts = [launch.const_arg(c) for c in k.consts]
    launch.entry(compiled, parallel)(*views, *consts, *out.shape, out)


def _scan_views(k: ScanKernel, arrays: list, result: np.ndarray):
    """(input views, output view, their array layouts): every axis but the scanned one first, in order."""
    axis = k.node.params.axes[0]
    ndim = len(k.shape)
    perm = [a for a in range(ndim) if a != axis] + [axis]
    views = [_storage(np.broadcast_to(a, k.shape).transpose(perm)) for a in arrays]
    out = _storage(result.transpose(perm))
    in_layout = "C" if all(v.flags.c_contiguous for v in views) else "A"
    return views, out, in_layout, "C" if out.flags.c_contiguous else "A"


def _scan_source(k, ndim, in_layout, out_layout, parallel) -> str:
    return codegen_scan.kernel_source(k, ndim, in_layout, out_layout, parallel, VERSION, comment=describe(k))

