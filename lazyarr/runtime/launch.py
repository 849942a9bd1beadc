"""The one launcher: how every compiled kernel is found, given its arguments and called.

compute() (``evaluate``), the small-call recipes (``recipes``) and ``@lazyarr.fuse``'s replay
(``tracer.calls``) differ only in what they decide once and what per call; what a launch *is* lives here:

- ``map_key``: a map kernel's cache key, the one all three look kernels up by;
- ``kernel_for`` (may compile) and ``kept`` (never compiles): the compiled kernel, or None, and then NumPy
  computes the call (``interpret``): while the kernel compiles in the background, or when Numba fails on it;
- ``arguments`` (per call), ``view`` and ``const_arg`` (decided once per program): float16 has no Numba type
  on the CPU, so its buffers travel as their uint16 bits and its constants as float32 (``compiler.layout``);
- ``entry``: the callable that launches a kernel, holding the launch lock when the kernel runs in parallel.
"""
from __future__ import annotations

import warnings

import numba
import numpy as np
from numba.np.ufunc import parallel as numba_parallel

from lazyarr import config
from lazyarr.compiler import cache, diskcache
from lazyarr.compiler.layout import BROADCAST, const_arg, contiguous, kernel_args as arguments, map_key, padded
from lazyarr.graph import reference as interp
from lazyarr.compiler.schedule import gather_tables, is_kernel_gather  # surface/gathers
from lazyarr.graph.dtypes import HALF
from lazyarr.graph.ops import ELEMENTWISE  # #14: the interpreter's in-place ufuncs
from lazyarr.kernels import threads
from lazyarr.compiler import llvm_tier  # #14 quick tier
from lazyarr.runtime import llvm_launch  # #14 quick tier

__all__ = ["arguments", "const_arg", "describe", "entry", "interpret", "interpret_values", "kept", "kernel_for",
           "map_key", "one_thread", "owner_of", "pick_kept", "pick_kernel", "quick_compiled", "view"]


# --- finding the kernel ---------------------------------------------------------------------------------

def kernel_for(key: tuple, make_source, k, count_interpreted: bool = True,
               instead: tuple | None = None) -> cache.Compiled | None:
    """The compiled kernel for `key` (`make_source()` is called only to compile it), or None to have NumPy
    compute this call: while it compiles in the background, or if Numba fails on it. That failure is a
    lazyarr bug, but the user gets NumPy's answer and a warning naming the kernel `k`, never a Numba
    traceback. The cache remembers the failure, so only the first call tries the compile and warns.
    `count_interpreted`: False when the caller has another kernel to run meanwhile (``pick_kernel``);
    `instead`: see ``cache.get``."""
    from numba.core.errors import NumbaError
    try:
        return cache.get(key, make_source, count_interpreted, instead)
    except NumbaError as exc:
        warnings.warn(f"lazyarr: could not compile the kernel for\n{describe(k)}\nNumPy computes it instead "
                      f"({type(exc).__name__}: {str(exc).splitlines()[0]})", RuntimeWarning, stacklevel=4)
        return None


# --- serial first (#14 compile latency) ------------------------------------------------------------------

# keys of parallel variants whose first call at a parallel size ran serially (or with NumPy, its serial variant
# or the parallel one queued for the background worker: ``_choose_on_worker``)
_ran_serially: set = set()


def pick_kernel(key_of, source_of, k, parallel: bool) -> tuple[cache.Compiled | None, bool]:
    """``kernel_for`` with serial-first and one-thread launches: (the kernel, whether it is the parallel
    variant). `key_of(p)` and `source_of(p)` give the key and the source maker of the variant with
    ``parallel=p``; `parallel`: whether the call's size asks for the parallel variant.

    Numba compiles a parallel kernel in 3-4x the CPU time of the same loop serial (``config.serial_first``),
    so a kernel's first call at a parallel size runs the serial variant, unless the parallel one is in memory
    or on disk (a load of milliseconds). Its next call at a parallel size compiles the parallel variant. When
    this Python thread's kernels run on one thread (``one_thread``), the serial variant runs every call: the
    same loop without the parallel launch. While the variant chosen compiles in the background, the other one
    (if loaded) runs the calls instead of NumPy. Both variants run the same loop body in the same order, so
    they give the same bits."""
    if parallel and _choose_on_worker(key_of):
        # #14: NumPy answers this call whichever variant is chosen; the worker checks the disk (which needs the
        # parallel variant's source) and loads that variant, or compiles the serial one; the next call at a
        # parallel size asks for the parallel variant, as after a serial first call
        _ran_serially.add(key_of(True))
        return kernel_for(key_of(False), source_of(False), k, instead=(key_of(True), source_of(True))), False
    # (s13 logreg) one_thread first: on one thread the serial variant runs anyway, and _serial_first would
    # render the parallel variant's source on every call to look it up on disk (it never loads it)
    want = parallel and not (one_thread() or _serial_first(key_of(True), source_of(True)))
    other = cache.loaded(key_of(not want))[1] if parallel else None
    compiled = kernel_for(key_of(want), source_of(want), k, count_interpreted=other is None)
    if compiled is None and other is not None:
        return other, not want
    return compiled, want


# (s16 lazyrt) ``pick_kernel``'s final answers: the variant a call's size and thread count ask for, in memory
_picks: dict = {}
MAX_PICKS = 256


def pick_kept(key_of, source_of, k, parallel: bool) -> tuple[cache.Compiled | None, bool]:
    """``pick_kernel``'s answer, kept while it is final: the variant wanted (parallel when the call's size asks
    for it and this thread's kernels run on more than one thread) is in memory, and it stays the answer while
    no kernel has left memory (``cache.generation``), as ``kept`` does for map kernels. A stage launched at every
    call of a lazy loop (``gemv_pair``: 20 a call of logistic_regression) then skips serial-first's checks, the
    lock and the cache's bookkeeping: one key and one dict lookup."""
    want = parallel and not one_thread()
    key = key_of(want)
    found = _picks.get(key)
    if found is not None and found[0] == cache.generation():
        cache.count_hit()
        return found[1], want
    compiled, ran_parallel = pick_kernel(key_of, source_of, k, parallel)
    if compiled is not None and ran_parallel == want:
        if len(_picks) >= MAX_PICKS:
            _picks.clear()
        _picks[key] = (cache.generation(), compiled)
    return compiled, ran_parallel


def one_thread() -> bool:
    """Whether this Python thread's parallel kernels would run on one thread (``NUMBA_NUM_THREADS=1``,
    ``la.num_threads(1)``, ``LAZYARR_NUM_THREADS=1``): then the serial variant is the better kernel, the same
    loop without the parallel launch's cost (scheduling, the gufunc wrapper, the launch lock; #14)."""
    if numba.config.NUMBA_NUM_THREADS == 1:
        return True
    if not threads.pool_started():  # (#14 bgfirst3) every thread's count is still the default: the quick tier's
        return threads.planned_num_threads() == 1  # launches (their own threads) never start Numba's pool
    threads.configure_threading_layer()  # launches Numba's pool once, after which its native getter exists
    # Numba's own ``get_num_threads`` takes a multiprocessing lock on every call (~5 us); its native getter,
    # the same per-thread value, costs a ctypes call. A Numba without it gets the public function.
    native = getattr(numba_parallel, "_get_num_threads", None)
    return (native() if native is not None else numba.get_num_threads()) == 1


def _choose_on_worker(key_of) -> bool:
    """Whether serial-first's choice for this call can be left to the background worker: background compilation
    on, and neither variant in memory, so NumPy answers the call whatever the choice. The choice needs the
    parallel variant's source (the disk cache is keyed by its hash), and generating it on the caller's thread
    cost the first answer up to ~0.2 s (the first vector kernel imports ``vecmath``; bench/latency.py)."""
    parallel_key = key_of(True)  # the cheap checks first: this runs on every call at a parallel size
    if parallel_key in _ran_serially or cache.loaded(parallel_key)[1] is not None:
        return False
    return (config.background_compile() and config.serial_first()
            and cache.loaded(key_of(False))[1] is None)


def _serial_first(parallel_key: tuple, make_parallel_source) -> bool:
    if not config.serial_first() or parallel_key in _ran_serially:
        return False
    if cache.loaded(parallel_key)[1] is not None or diskcache.recorded(make_parallel_source()):
        return False
    _ran_serially.add(parallel_key)  # a race lets two threads both run serially: harmless
    return True


_NONE = (None, None, None)


def kept(memo: dict, structure: tuple, layout: str, ndim: int, parallel: bool, out_dtypes: tuple):
    """The launching callable (``entry``) of a map kernel already in memory, or None; never compiles.

    `memo` is the caller's own dict of kernels found before, by (layout, ndim, parallel): each is reused while
    the cache generation that vouched for it holds (no kernel has left memory since), so a repeated call
    skips building its key and the cache's lock."""
    variant = (layout, ndim, parallel)
    generation, compiled, run = memo.get(variant, _NONE)
    if compiled is None or generation != cache.generation():
        generation, compiled = cache.loaded(map_key(structure, layout, ndim, parallel, out_dtypes))
        if compiled is None:
            return _kept_quick(memo, variant, generation, structure, layout, parallel, out_dtypes)
        run = entry(compiled, parallel)
        memo[variant] = (generation, compiled, run)  # the Compiled keeps the machine code alive
    cache.count_hit()
    return run


# --- #14 quick tier: a flat map kernel the quick tier compiled (runtime/llvm_launch.py) ---

def _kept_quick(memo: dict, variant: tuple, generation: int, structure: tuple, layout: str, parallel: bool,
                out_dtypes: tuple):
    """``kept``'s answer from the quick tier: the launching callable of its kernel in memory, or None."""
    quick = llvm_tier.loaded(structure, out_dtypes) if layout == "flat" and config.quick_tier() else None
    if quick is None:
        return None
    run = llvm_launch.caller(quick, parallel)
    memo[variant] = (generation, quick, run)
    cache.count_hit()
    return run


def quick_compiled(k, layout: str, out_dtypes: tuple, parallel: bool) -> cache.Compiled | None:
    """The quick tier's kernel for `k` as a ``Compiled`` whose entry takes a Numba map kernel's arguments
    (``@lazyarr.fuse``'s programs launch it as they launch Numba's), or None: Numba's kernel is needed."""
    if layout != "flat" or gather_tables(k) or not config.quick_tier():
        return None
    quick = llvm_tier.get(k, tuple(out_dtypes))
    if quick is None:
        return None
    return cache.Compiled(None, llvm_launch.caller(quick, parallel), quick.ir, "", quick.from_disk)
# --- end #14 quick tier ---


# --- calling it -----------------------------------------------------------------------------------------

def entry(compiled: cache.Compiled, parallel: bool):
    """The callable that launches `compiled` with its arguments: its entry point itself, or, for a parallel
    kernel, the entry point under the launch lock (concurrent launches abort under the workqueue layer)."""
    run = compiled.entry
    if not parallel:
        return run

    def locked(*args):
        with threads.launch_lock():
            run(*args)

    return locked


def view(a: np.ndarray, layout: str, order: str, shape: tuple):
    """How arrays like `a` are passed to a kernel of this layout, as ``arguments`` passes them, decided once
    for every later call (None: as they are)."""
    half = a.dtype == HALF
    if layout == "flat":
        if a.ndim == 1 and not half:
            return None
        if order == "C":
            return (lambda x: x.view(np.uint16).reshape(-1)) if half else (lambda x: x.reshape(-1))
        return (lambda x: x.view(np.uint16).T.reshape(-1)) if half else (lambda x: x.T.reshape(-1))
    if layout.startswith(BROADCAST) and (a.ndim != len(shape) or a.shape != shape):
        # (at its own shape, in C order: a small broadcast operand that is not is copied, layout.contiguous)
        ndim = len(shape)
        if half:
            return lambda x: padded(contiguous(x), ndim).view(np.uint16)
        return lambda x: padded(contiguous(x), ndim)
    if a.shape != shape and not layout.startswith(BROADCAST):
        if half:
            return lambda x: np.broadcast_to(x, shape).view(np.uint16)
        return lambda x: np.broadcast_to(x, shape)
    return (lambda x: x.view(np.uint16)) if half else None


# --- NumPy instead ----------------------------------------------------------------------------------------

def interpret(k, arrays: list, consts: list, outs: list) -> None:
    """Evaluate a kernel's nodes with NumPy into its output buffers, with `consts` as its constants' values."""
    values = interpret_values(k, arrays, consts)
    for node, o in zip(k.outputs, outs):
        np.copyto(o, values[id(node)], casting="unsafe")


def interpret_values(k, arrays: list, consts: list, tables: list = ()) -> dict:
    """id(node) -> NumPy value for the inputs, constants and outputs of a kernel (the reference evaluator, node
    by node; ``interpret_body``); `tables`: the values of the arrays its in-kernel gathers read (surface/gathers:
    ``schedule.gather_tables``)."""
    values = dict(zip(map(id, gather_tables(k)), tables))
    values.update(zip(map(id, k.inputs), arrays))
    values.update((id(c), np.asarray(x, dtype=c.dtype)) for c, x in zip(k.consts, consts))
    interpret_body(k.body, values, k.outputs)
    return values


# --- #14: the interpreter's temporaries, as NumPy's own expression evaluation treats them --------------------

def interpret_body(body, values: dict, outputs) -> None:
    """Evaluate `body`'s nodes with NumPy into `values` (id(node) -> value, holding their operands' values).

    A value no later node reads, and no output is, leaves `values` after its last reader; and a ufunc whose
    operand dies there writes into that operand's buffer when it has the result's dtype and shape, as NumPy's
    temporary elision does for ``2*a + 3*b*a - b``. Kept alive and freshly allocated, the temporaries cost the
    first answer of a background compile 2-4x NumPy's own time at 10^6 elements (page faults of new buffers)."""
    last = {id(a): i for i, node in enumerate(body) for a in node.args}
    keep = set(map(id, outputs))
    temporaries = {id(n) for n in body} - keep
    with np.errstate(all="ignore"):
        for i, node in enumerate(body):
            args = [values[id(a)] for a in node.args]
            dying = {id(a) for a in node.args if id(a) in temporaries and last[id(a)] == i}
            buffer = _reusable(node, args, dying, values) if dying else None
            if buffer is None:
                values[id(node)] = interp.apply(node, args)
            else:
                ufunc = ELEMENTWISE[node.op].ufunc
                ufunc(*[np.asarray(a).astype(dt, copy=False) for a, dt in zip(args, node.params.loop)], out=buffer)
                values[id(node)] = buffer
            for a in dying:
                del values[a]


def _reusable(node, args: list, dying: set, values: dict) -> np.ndarray | None:
    """A dying operand's buffer `node` can write its result into, or None: a plain ufunc whose loop takes and
    gives the node's dtype, an operand of the result's dtype and shape that no live value shares memory with
    (an input, a constant, an output, a view). The result's shape is its operands' broadcast: `node.shape` over
    whole arrays, a block's shape in ``runtime/blockwise``."""
    op = ELEMENTWISE.get(node.op)
    ufunc = op.ufunc if op is not None else None
    if ufunc is None or ufunc.nout != 1 or any(dt != node.dtype for dt in node.params.loop):
        return None
    if node.dtype.char * ufunc.nin + "->" + node.dtype.char not in ufunc.types:
        return None
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))  # node.shape, or a block's (runtime/blockwise)
    for a in node.args:
        buffer = values[id(a)]
        if (id(a) in dying and isinstance(buffer, np.ndarray) and buffer.flags.writeable
                and buffer.dtype == node.dtype and buffer.shape == shape
                and not any(np.may_share_memory(buffer, v) for key, v in values.items() if key not in dying)):
            return buffer
    return None


def describe(k) -> str:
    """A one-line-per-node listing of a kernel's graph: in generated source, explain() and compile warnings."""
    names = {id(n): f"t{j}" for j, n in enumerate(gather_tables(k))}  # surface/gathers: the arrays they read
    names.update({id(n): f"in{j}" for j, n in enumerate(k.inputs)})
    names.update({id(n): f"rin{j}" for j, (n, _) in enumerate(getattr(k, "row_inputs", ()))})  # row kernels
    names.update({id(n): f"c{j}" for j, n in enumerate(k.consts)})
    lines = []
    for j, n in enumerate(k.body):
        names[id(n)] = f"v{j}"
        args = ", ".join(names[id(a)] for a in n.args)
        op = "gather" if is_kernel_gather(n) else n.op  # surface/gathers
        lines.append(f"v{j} = {op}({args})  -> {n.dtype}")
    lines += [f"out{j} = {names[id(n)]}" for j, n in enumerate(k.outputs)]
    return "\n".join(lines)


def overlaps(out: np.ndarray, arrays: list[np.ndarray]) -> bool:
    """Whether writing `out` could change an input before it is read (the exact same view is safe)."""
    if _own_buffers(out, arrays):
        return False
    for a in arrays:
        if np.may_share_memory(out, a) and not (
            a.shape == out.shape and a.strides == out.strides
            and a.__array_interface__["data"][0] == out.__array_interface__["data"][0]
        ):
            return True
    return False


def _own_buffers(out: np.ndarray, arrays: list[np.ndarray]) -> bool:
    """Whether `out` and every input lie in different NumPy allocations, so no two can share memory: a few flag
    reads, where ``np.may_share_memory`` costs ~0.7 us per input on the small-call path (#14 small calls). An
    array's allocation is known when it owns its buffer (OWNDATA: NumPy allocated it for that array alone) or
    views one that does (NumPy keeps a view's base as the array owning the memory); else this says False and
    the caller checks the memory itself."""
    owner = owner_of(out)
    if owner is None:
        return False
    for a in arrays:
        other = owner_of(a)
        if other is None or other is owner:
            return False
    return True


def owner_of(a: np.ndarray):
    """The array whose own buffer holds `a`'s elements, or None when it is not known."""
    if a.flags.owndata:
        return a
    base = a.base
    return base if type(base) is np.ndarray and base.flags.owndata else None
