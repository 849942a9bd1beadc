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
from lazyarr.compiler.layout import BROADCAST, const_arg, kernel_args as arguments, map_key, padded
from lazyarr.graph import reference as interp
from lazyarr.compiler.schedule import gather_tables, is_kernel_gather  # surface/gathers
from lazyarr.graph.dtypes import HALF
from lazyarr.kernels import threads

__all__ = ["arguments", "const_arg", "describe", "entry", "interpret", "interpret_values", "kept", "kernel_for",
           "map_key", "one_thread", "pick_kernel", "view"]


# --- finding the kernel ---------------------------------------------------------------------------------

def kernel_for(key: tuple, make_source, k, count_interpreted: bool = True) -> cache.Compiled | None:
    """The compiled kernel for `key` (`make_source()` is called only to compile it), or None to have NumPy
    compute this call: while it compiles in the background, or if Numba fails on it. That failure is a
    lazyarr bug, but the user gets NumPy's answer and a warning naming the kernel `k`, never a Numba
    traceback. The cache remembers the failure, so only the first call tries the compile and warns.
    `count_interpreted`: False when the caller has another kernel to run meanwhile (``pick_kernel``)."""
    from numba.core.errors import NumbaError
    try:
        return cache.get(key, make_source, count_interpreted)
    except NumbaError as exc:
        warnings.warn(f"lazyarr: could not compile the kernel for\n{describe(k)}\nNumPy computes it instead "
                      f"({type(exc).__name__}: {str(exc).splitlines()[0]})", RuntimeWarning, stacklevel=4)
        return None


# --- serial first (#14 compile latency) ------------------------------------------------------------------

_ran_serially: set = set()  # keys of parallel variants whose first call at a parallel size ran serially


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
    want = parallel and not (_serial_first(key_of(True), source_of(True)) or one_thread())
    other = cache.loaded(key_of(not want))[1] if parallel else None
    compiled = kernel_for(key_of(want), source_of(want), k, count_interpreted=other is None)
    if compiled is None and other is not None:
        return other, not want
    return compiled, want


def one_thread() -> bool:
    """Whether this Python thread's parallel kernels would run on one thread (``NUMBA_NUM_THREADS=1``,
    ``la.num_threads(1)``, ``LAZYARR_NUM_THREADS=1``): then the serial variant is the better kernel, the same
    loop without the parallel launch's cost (scheduling, the gufunc wrapper, the launch lock; #14)."""
    if numba.config.NUMBA_NUM_THREADS == 1:
        return True
    threads.configure_threading_layer()  # launches Numba's pool once, after which its native getter exists
    # Numba's own ``get_num_threads`` takes a multiprocessing lock on every call (~5 us); its native getter,
    # the same per-thread value, costs a ctypes call. A Numba without it gets the public function.
    native = getattr(numba_parallel, "_get_num_threads", None)
    return (native() if native is not None else numba.get_num_threads()) == 1


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
            return None
        run = entry(compiled, parallel)
        memo[variant] = (generation, compiled, run)  # the Compiled keeps the machine code alive
    cache.count_hit()
    return run


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
    if layout.startswith(BROADCAST) and a.ndim != len(shape):
        ndim = len(shape)
        return (lambda x: padded(x, ndim).view(np.uint16)) if half else (lambda x: padded(x, ndim))
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
    """id(node) -> NumPy value for every node of a kernel (the reference evaluator, node by node); `tables`:
    the values of the arrays its in-kernel gathers read (surface/gathers: ``schedule.gather_tables``)."""
    values = dict(zip(map(id, gather_tables(k)), tables))
    values.update(zip(map(id, k.inputs), arrays))
    values.update((id(c), np.asarray(x, dtype=c.dtype)) for c, x in zip(k.consts, consts))
    with np.errstate(all="ignore"):
        for node in k.body:
            values[id(node)] = interp.apply(node, [values[id(a)] for a in node.args])
    return values


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
    for a in arrays:
        if np.may_share_memory(out, a) and not (
            a.shape == out.shape and a.strides == out.strides
            and a.__array_interface__["data"][0] == out.__array_interface__["data"][0]
        ):
            return True
    return False
