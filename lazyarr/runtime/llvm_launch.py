"""Calling quick-tier kernels (#14, ``compiler/llvm_tier.py``): through ctypes, in chunks on a thread pool.

A quick kernel computes elements [lo, hi) of a flat loop. Below the parallel threshold, or when this Python
thread's kernels run on one thread (``launch.one_thread``), one call does all of them. Above it, the loop is
cut into one chunk per thread (``threads.planned_num_threads()``: so ``la.set_num_threads`` and
``la.num_threads`` apply, and Numba's own thread pool, which these chunks do not use, is not started): ctypes releases the GIL for the call, so the chunks run side by side on a small
pool of Python threads, and the caller runs the first chunk itself. Every element is computed by the same
instructions whichever thread computes it, so the chunking never changes a bit.

Fork safety: the pool's threads do not exist in a child; it starts a pool of its own when it needs one.
"""
from __future__ import annotations

import ctypes
import math
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np  # #14 quick-tier reductions: partials

from lazyarr import config
from lazyarr.compiler import cache, llvm_tier
from lazyarr.compiler import llvm_reduce  # #14 quick-tier reductions
from lazyarr.compiler import llvm_math_map  # (#14 quick math)
from lazyarr.compiler import llvm_rows, llvm_strips, source_rows  # (#14 quick rows)
from lazyarr.kernels import threads
from lazyarr.runtime import quick_entry  # #14 small calls

__all__ = ["PENDING", "caller", "explained", "launches", "run_map"]

_CTYPES = {"?": ctypes.c_uint8, "b": ctypes.c_int8, "h": ctypes.c_int16, "i": ctypes.c_int32,
           "l": ctypes.c_int64, "q": ctypes.c_int64, "B": ctypes.c_uint8, "H": ctypes.c_uint16,
           "I": ctypes.c_uint32, "L": ctypes.c_uint64, "Q": ctypes.c_uint64, "f": ctypes.c_float,
           "d": ctypes.c_double}
_PYTHON = {"b": int, "i": int, "u": int, "f": float}  # what ctypes takes for a constant of each kind

_functions: dict[str, object] = {}  # kernel name -> its ctypes function
_serial_calls: dict = {}  # (s13 logreg) kernel name -> its serial call (``caller``)
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


PENDING = "pending"  # run_map's answer while the kernel is made aside (background compilation): NumPy answers


def _quick_kernel(k, key, refused=None):
    """The quick kernel of `k` (`key`: its output dtypes, or a reduction's spec); PENDING while it is made aside
    under background compilation (NumPy answers this call; `refused()` is called there if the tier leaves `k` to
    Numba: ``llvm_tier.get_soon``), False when the tier leaves `k` to Numba."""
    kernel = llvm_tier.get_soon(k, key, refused) if config.background_compile() else llvm_tier.get(k, key)
    if kernel is llvm_tier.PENDING:
        cache.count_interpreted()
        return PENDING
    return False if kernel is None else kernel


def run_map(k, arrays: list, outs: list, consts: list, parallel: bool, one_thread=None,
            refused=None, kept: dict | None = None) -> bool | str:
    """Compute the flat map kernel `k` (its arrays and outputs all of one shape and contiguous in one order)
    with the quick tier: True if it did, False if Numba's kernel must (tier off, an op or dtype it does not
    compile exactly, an array not in the kernel's own dtype), PENDING if background compilation is on and the
    kernel is being made (the caller computes NumPy's answer). `parallel`: in chunks on several threads (the
    caller's choice, as for Numba's kernels), unless `one_thread()` says this thread's kernels run on one
    (``launch.one_thread``: asked only when the kernel runs; it no longer starts Numba's thread pool either,
    #14 bgfirst3).

    (s16 lazyrt) `kept`: the memo of the kept plan `k` belongs to (``runtime/plans.KeptSteps``), or None. Such a
    plan runs at every call of a lazy program, as a fused program's kernels do: its kernel is kept there (the
    tier's lookup hashes `k`'s whole structure key, ~5 us) and its serial calls go through the C entry (``hot``:
    made once per signature of arrays and constants, ~3 us less per call than ctypes)."""
    if not config.quick_tier():
        return False
    for node, a in zip(k.inputs, arrays):
        if a.dtype != node.dtype:
            return False
    if _zero_d_math(k, outs):
        return False
    out_dtypes = tuple(o.dtype for o in outs)
    found = kept.get(k) if kept is not None else None
    if found is not None and found[0] == out_dtypes:
        kernel = found[1]
    else:
        kernel = _quick_kernel(k, out_dtypes, refused)
        if kernel is PENDING or kernel is False:
            return kernel
        if kept is not None:
            kept[k] = (out_dtypes, kernel)  # (a kernel object keeps its machine code: the tier's memo may drop it)
    hot = kept is not None
    caller(kernel, parallel and not (one_thread is not None and one_thread()), hot=hot)(*arrays, *consts, *outs)
    _launched[0] += 1
    return True


_launched = [0]  # run_map's launches (the small-call path's, through ``caller``, are not counted: its cost)


def _zero_d_math(k, arrays: list) -> bool:
    """(#14 quick math) A 0-d map with vector math stays on Numba, whose 0-d kernel calls the C library: a
    blocked loop inlining a polynomial per node for one element made loop-built graphs of 0-d views ~10x slower
    to compile (tests/test_big_graphs.py)."""
    return bool(arrays) and arrays[0].ndim == 0 and llvm_math_map.has_math(k)


def launches() -> int:
    """How many kernels ``run_map`` ran on the quick tier in this process (tests: which tier ran)."""
    return _launched[0]


def explained(k, layout: str, arrays: list, parallel: bool) -> str | None:
    """What explain() shows for a map kernel the quick tier runs (its IR), or None if Numba's kernel runs."""
    if layout != "flat" or not config.quick_tier() or any(a.dtype != n.dtype for n, a in zip(k.inputs, arrays)):
        return None
    if _zero_d_math(k, arrays):  # (#14 quick math)
        return None
    text = llvm_tier.ir_for(k, tuple(n.dtype for n in k.outputs))
    if text is None:
        return None
    return (f"# layout=flat parallel={parallel} quick tier: LLVM IR compiled without Numba, in chunks on "
            f"threads when parallel (docs/quick_tier.md)\n{text}")


def caller(kernel, parallel: bool, hot: bool = True):
    """A callable taking the kernel's arrays (flat), constants and outputs, as a Numba map kernel's entry
    point takes them: computes the whole loop (`parallel`: in chunks on the pool).

    (#14 small calls) A serial call goes through the kernel's C entry (``quick_entry``: a builtin, ~0.3 us
    where the ctypes call costs ~3 us) when it can be made. `hot` False (a first ``compute()``, whose latency
    counts): only an entry already made; the recipes and ``@la.fuse``, which call a kernel again and again,
    make it (linked from disk, or ~25 ms the first time for each signature of arrays and constants)."""
    if not parallel:
        entry = quick_entry.entry_for(kernel) if hot else quick_entry.made_for(kernel)
        if entry is not None:
            return entry
    function = _function(kernel)
    n_in = kernel.n_inputs
    converts = [_PYTHON[dt.kind] for dt in kernel.const_dtypes]
    n_const = len(converts)
    if not parallel:
        # (s13 logreg) made once per kernel: a lazy loop's asks call the same small maps every time (``hot``
        # False), and building the call (a template and exec) cost more than the call itself
        call = _serial_calls.get(kernel.name)
        if call is None:
            call = _serial_calls[kernel.name] = _serial_call(function, n_in, converts, kernel.n_outputs)
        return call

    def call_in_chunks(*args):
        outs = args[n_in + n_const:]
        pointers = [pointer(a) for a in args[:n_in]]
        values = [convert(c) for convert, c in zip(converts, args[n_in:n_in + n_const])]
        _in_chunks(function, [*pointers, *values, *[output_pointer(o) for o in outs]], outs[0].size,
                   _chunk_for(args[:n_in], outs))

    return call_in_chunks


# (#14 small calls) The serial call is the small-call path's whole launch, so it is written out for its exact
# arguments (no slicing, no lists: ~1 us less per call on a busy machine than the generic loop above).
SERIAL_CALL = """\
def call({params}):
    function({arguments}, 0, {first_out}.size)
"""


def _serial_call(function, n_in: int, converts: list, n_out: int):
    ins = [f"in{j}" for j in range(n_in)]
    consts = [f"c{j}" for j in range(len(converts))]
    outs = [f"out{j}" for j in range(n_out)]
    arguments = ([f"pointer({x})" for x in ins] + [f"convert{j}({c})" for j, c in enumerate(consts)]
                 + [f"output_pointer({o})" for o in outs])
    source = SERIAL_CALL.format(params=", ".join(ins + consts + outs), arguments=", ".join(arguments),
                                first_out=outs[0])
    namespace = {"function": function, "pointer": pointer, "output_pointer": output_pointer,
                 **{f"convert{j}": convert for j, convert in enumerate(converts)}}
    exec(source, namespace)  # a fixed template over argument names: nothing of the user's is in it
    return namespace["call"]


# (#14 small calls) An array's data address, looked up by the array object: ``a.ctypes.data`` builds a ctypes
# helper object per call (~0.5-3 us, more than the rest of a 1,000-element call), and the small-call path hands
# the same arrays to every call. A weak reference tells a live array from a new one at a reused id. Only views
# are remembered (a leaf's data is a view of the user's array): ``ndarray.resize``, the one way a live array's
# buffer moves, applies to an array owning its buffer, and can move it without changing its size (resized
# away and back), so such an array's address is read every call.
_addresses: dict[int, tuple] = {}
MAX_ADDRESSES = 256


def pointer(a) -> int:
    """The address of `a`'s first element."""
    known = _addresses.get(id(a))
    if known is not None and known[0]() is a:
        return known[1]
    address = a.ctypes.data
    if a.base is None:  # (#14 small calls) it owns its buffer: resize may move it
        return address
    if len(_addresses) >= MAX_ADDRESSES:
        _addresses.clear()
    try:
        _addresses[id(a)] = (weakref.ref(a), address)
    except TypeError:  # no weak references to it: looked up every call
        pass
    return address


_NO_BYTES = ctypes.c_char * 0


def output_pointer(o):
    """An output's address as ctypes takes it: outputs are mostly new arrays (``np.empty`` per call), which the
    lookup above would miss; a zero-length ctypes view of the buffer costs a third of ``o.ctypes.data``, and
    is a C-contiguous writable buffer (anything else: its address, as for inputs)."""
    try:
        return _NO_BYTES.from_buffer(o)
    except (TypeError, ValueError, BufferError):
        return pointer(o)


def _function(kernel):
    found = _functions.get(kernel.name)
    if found is None:
        argtypes = ([ctypes.c_void_p] * kernel.n_inputs + [_CTYPES[dt.char] for dt in kernel.const_dtypes]
                    + [ctypes.c_void_p] * kernel.n_outputs + [ctypes.c_int64, ctypes.c_int64])
        found = _functions[kernel.name] = ctypes.CFUNCTYPE(None, *argtypes)(kernel.address)
    return found


# Chunks shorter than this are not worth a thread's wake-up (~10-50 us): fewer chunks are used instead.
MIN_CHUNK = 1 << 14
ALIGN = 64  # chunk boundaries on whole cache lines of every array (64 elements of any dtype >= 1 byte)
# (#14 quick math) and on the vector-math blocks (llvm_math_map.BLOCK, a multiple of 64): a block is recomputed
# with the C library as a whole, as in Numba's kernel, so no chunk may cut one
ALIGN = llvm_math_map.BLOCK


# (s12 lazymandel #15) A map of 1-2 byte elements (bool masks: mandelbrot's ``active &= ~escaped``) moves so few
# bytes an element that a chunk of MIN_CHUNK elements is over in ~1 us, far less than a thread's wake-up: a
# 250,000-element ``a & ~b`` took 9 us on one thread and 28-32 us in two chunks, 1,000,000 34 us against
# 53-57 us (min/median of 200 calls, load ~3.6; bench/README.md's table in docs/fuse_programs.md, s12). Such a
# kernel's chunks hold at least MIN_NARROW_CHUNK elements (its arrays 512 KB or more each).
MIN_NARROW_CHUNK = 1 << 19


def _chunk_for(inputs, outs) -> int:
    """The least elements a chunk of this call holds: MIN_NARROW_CHUNK when no array has elements over 2 bytes."""
    for a in (*inputs, *outs):
        if a.itemsize > 2:
            return MIN_CHUNK
    return MIN_NARROW_CHUNK


def _in_chunks(function, args: list, size: int, min_chunk: int = MIN_CHUNK) -> None:
    n = min(threads.planned_num_threads(), max(1, size // min_chunk))  # (bgfirst3: no Numba pool)
    if n == 1:
        function(*args, 0, size)
        return
    step = -(-size // n)
    step += -step % ALIGN
    bounds = [(lo, min(lo + step, size)) for lo in range(0, size, step)]
    pending = _submitted(_thread_pool(len(bounds) - 1), function, [(*args, lo, hi) for lo, hi in bounds[1:]])
    function(*args, *bounds[0])
    for future in pending:
        future.result()


def _thread_pool(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _pool_size = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lazyarr-quick"), workers
        return _pool


def _submitted(pool: ThreadPoolExecutor, function, calls: list) -> list:
    """(s17 exitsegv) The pool's futures of `function(*call)` for each call; a call the pool refuses is run on
    this thread at once (the same instructions: the same bits). A pool refuses work once the interpreter is
    shutting down: a daemon thread still launching kernels while the main thread exits got ``RuntimeError:
    cannot schedule new futures after interpreter shutdown``, a traceback at exit (10 of 20 processes of
    ``tools/exit_stress.py bg_daemon``); and once ``_thread_pool`` has replaced it by a bigger one, which another
    thread may still be submitting to."""
    pending = []
    for call in calls:
        try:
            pending.append(pool.submit(function, *call))
        except RuntimeError:
            function(*call)
    return pending


def _forget_pool_in_child() -> None:
    global _pool, _pool_size, _pool_lock
    _pool, _pool_size, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


# --- #14 quick-tier reductions: full, last- and first-axis reductions (compiler/llvm_reduce.py) ------------
# A full reduction's partials are per chunk of the runtime's constant chunk size (a first-axis one's per row
# range, a function of the shape), not per thread, so the chunks can be shared among threads in any way: the
# answer is the Numba kernel's whatever the thread count.

def run_reduce(k, loop: str, views: list, consts: list, extra: list, result, parallel: bool,
               one_thread=None, refused=None) -> bool | str:
    """Compute the reduction kernel `k` into `result` (a new C-contiguous array) with the quick tier: True if it
    did, False if Numba's kernel must, PENDING while it is made aside (``run_map``). `loop`, `views` and
    `extra` are the runtime's choice for Numba's kernel (``evaluate._reduce_layout``); ``_takes`` says which
    the tier computes."""
    if not _takes(k, loop, views):
        return False
    spec = llvm_reduce.spec(loop)
    kernel = _quick_kernel(k, spec, refused)
    if kernel is PENDING or kernel is False:
        return kernel
    threads_wanted = parallel and not (one_thread is not None and one_thread())
    function = _reduce_function(kernel, loop)
    args = [*(pointer(v) for v in views), *(convert(c) for convert, c in zip(_converts(kernel), consts))]
    if loop == "full":
        _full_reduce(function, args, k, extra, result, threads_wanted)
    elif loop == "inner":
        _inner_reduce(function, args, extra, result, threads_wanted)
    else:
        _outer_reduce(function, args, k, loop, extra, result, threads_wanted)
    _reduced[0] += 1
    return True


_reduced = [0]


def reductions() -> int:
    """How many reductions ``run_reduce`` ran on the quick tier in this process (tests: which tier ran)."""
    return _reduced[0]


def explained_reduce(k, loop: str, array_layout: str, views: list, parallel: bool) -> str | None:
    """What explain() shows for a reduction the quick tier runs (its IR), or None if Numba's kernel runs."""
    if array_layout not in ("C", "F") or not _takes(k, loop, views):
        return None
    text = llvm_tier.ir_for(k, llvm_reduce.spec(loop))
    if text is None:
        return None
    return (f"# loop={loop} layout=C parallel={parallel} quick tier: LLVM IR compiled without Numba, in the "
            f"Numba kernel's order (docs/quick_tier.md)\n{text}")


def _takes(k, loop: str, views: list) -> bool:
    """Whether the tier computes this reduction: its loop is one of the tier's, over views in the kernel's own
    dtypes that are C-contiguous (full, inner), or the F-contiguous (columns, rows) views of a C-contiguous
    2-D operand (the first axis: outer, outer_split)."""
    if not config.quick_tier() or loop not in llvm_reduce.LOOPS:
        return False
    if loop in llvm_reduce.OUTER:
        laid_out = all(v.ndim == 2 and v.flags.f_contiguous for v in views)
    else:
        laid_out = all(v.flags.c_contiguous for v in views)
    return laid_out and all(v.dtype == n.dtype for n, v in zip(k.inputs, views))


def _converts(kernel) -> list:
    return [_PYTHON[dt.kind] for dt in kernel.const_dtypes]


def _reduce_function(kernel, loop: str):
    found = _functions.get(kernel.name)
    if found is None:
        partials = [] if loop == "inner" else [ctypes.c_void_p]
        argtypes = ([ctypes.c_void_p] * kernel.n_inputs + [_CTYPES[dt.char] for dt in kernel.const_dtypes]
                    + partials + [ctypes.c_void_p] + [ctypes.c_int64] * llvm_reduce.SIZE_ARGS[loop])
        found = _functions[kernel.name] = ctypes.CFUNCTYPE(None, *argtypes)(kernel.address)
    return found


def _parts(work: int, elements: int, parallel: bool) -> list[tuple[int, int]]:
    """[lo, hi) ranges of `work` units (chunks or rows) for the threads: one per thread, each at least
    MIN_CHUNK elements' worth, in order."""
    n = min(threads.planned_num_threads(), max(1, elements // MIN_CHUNK), work) if parallel else 1  # (bgfirst3)
    n = max(n, 1)
    return [(work * p // n, work * (p + 1) // n) for p in range(n)]


def _on_threads(function, args: list, parts: list[tuple[int, int]], tail: tuple = ()) -> None:
    """function(*args, lo, hi, *tail) for each part, the first on this thread, the others on the pool."""
    if len(parts) == 1:
        function(*args, *parts[0], *tail)
        return
    pending = _submitted(_thread_pool(len(parts) - 1), function, [(*args, lo, hi, *tail) for lo, hi in parts[1:]])
    function(*args, *parts[0], *tail)
    for future in pending:
        future.result()


def _full_reduce(function, args: list, k, extra: list, result, parallel: bool) -> None:
    n, chunk = extra
    nchunks = -(-n // chunk)
    partials = np.empty(nchunks, llvm_reduce.accumulator_dtype(k))
    head = [*args, partials.ctypes.data, output_pointer(result.reshape(-1)), n, chunk]
    parts = _parts(nchunks, n, parallel)
    if len(parts) == 1:
        function(*head, 0, nchunks, 1)  # the partials and their fold in one call
        return
    _on_threads(function, head, parts, (0,))
    function(*head, 0, 0, 1)


def _inner_reduce(function, args: list, extra: list, result, parallel: bool) -> None:
    kept, dlast = result.size, extra[-1]  # extra: the views' dims, kept axes first (result.size > 0 here)
    nr = math.prod(extra[:-1]) // kept
    head = [*args, output_pointer(result.reshape(-1)), nr, dlast]
    _on_threads(function, head, _parts(kept, kept * nr * dlast, parallel))
def _outer_reduce(function, args: list, k, loop: str, extra: list, result, parallel: bool) -> None:
    """The first axis: the threads share the row ranges (``outer_split``) or, with one range, the columns."""
    m, n = extra[0], extra[1]  # extra: the views' dims (columns, rows), the tile, and (outer_split) nchunks
    nchunks = extra[3] if loop == "outer_split" else 1
    partials = np.empty(nchunks * m, llvm_reduce.accumulator_dtype(k))
    head = [*args, partials.ctypes.data, output_pointer(result.reshape(-1)), m, n, nchunks]
    if nchunks == 1:
        columns = _parts(m, m * n, parallel)
        _on_threads(lambda *a: function(*a[:-2], 0, 1, *a[-2:], 1), head, columns)
        return
    ranges = _parts(nchunks, m * n, parallel)
    if len(ranges) == 1:
        function(*head, 0, nchunks, 0, m, 1)
        return
    _on_threads(lambda *a: function(*a, 0, m, 0), head, ranges)
    function(*head, 0, 0, 0, m, 1)


# --- end #14 quick-tier reductions ---


# --- (#14 quick rows) row kernels' `rows` and `strips` loops (compiler/llvm_rows.py, llvm_strips.py) -------------
# Each row is computed whole by one call, so the rows can be shared among threads in any way (the Numba kernel
# hands out tasks of 8 rows, or strips): every row's bits are the same on any thread. Each part gets scratch of
# its own.

def run_rows(k, loop: str, shape: tuple, views: list, row_views: list, consts: list, outs: list, row_outs: list,
             parallel: bool, one_thread=None, extra: list = (), refused=None) -> bool | str:
    """Compute the row kernel `k` with its `loop` ("rows": the reduced axis contiguous; "strips" and "split": the
    rows contiguous, with `extra` the loop's sizes, ``rows.loop_args``) of `shape` (rows, reduced length) from its
    2-D element `views` and 1-D `row_views` into the 2-D `outs` and 1-D `row_outs` (as ``rows.allocate`` makes
    them): True if the tier did, False if Numba's row kernel must, PENDING while it is made aside (`refused()` is
    then called aside if the tier leaves `k` to Numba, as for ``run_map``)."""
    if not _takes_rows(k, loop, views, outs):
        return False
    kernel = _quick_kernel(k, llvm_rows.spec(loop), refused)
    if kernel is PENDING or kernel is False:
        return kernel
    nrows, ncols = shape
    function = _rows_function(kernel, k, loop)
    row_views = [np.ascontiguousarray(v) for v in row_views]  # (a broadcast row value: rows elements, once)
    strides = [v.strides[0] // v.itemsize for v in views] if loop == "rows" else _element_strides(views)
    args = [*(pointer(v) for v in views), *strides, *(pointer(v) for v in row_views),
            *(convert(c) for convert, c in zip(_converts(kernel), consts)), *(output_pointer(o) for o in outs),
            *([] if loop == "rows" else _element_strides(outs)), *(output_pointer(o) for o in row_outs)]
    threads_wanted = parallel and not (one_thread is not None and one_thread())
    if loop == "split":
        _split_phases(function, args, k, nrows, ncols, *extra, threads_wanted)
    else:
        unit = extra[0] if loop == "strips" else 1  # rows per strip: the threads get whole strips
        per_part = llvm_strips.scratch_rows(k) * unit if loop == "strips" else llvm_rows.scratch_rows(k) * ncols
        parts = [(lo * unit, min(hi * unit, nrows)) for lo, hi in _parts(-(-nrows // unit), nrows * ncols,
                                                                         threads_wanted)]
        scratch = np.empty((len(parts), max(1, per_part) * llvm_rows.SCRATCH_ITEM), np.uint8)
        _in_parallel(function, [(*args, scratch[p].ctypes.data, nrows, ncols, *extra, lo, hi)
                                for p, (lo, hi) in enumerate(parts)])
    _rows_run[0] += 1
    return True


def _in_parallel(function, calls: list) -> None:
    """function(*call) for each call, the first on this thread, the others on the pool; returns when all have."""
    if len(calls) == 1:
        function(*calls[0])
        return
    pending = _submitted(_thread_pool(len(calls) - 1), function, calls[1:])
    function(*calls[0])
    for future in pending:
        future.result()


def _split_phases(function, args: list, k, nrows: int, ncols: int, tile: int, nchunks: int, parallel: bool) -> None:
    """The `split` kernel's phases in order, each over its work items (chunk x tile, or tile) shared among the
    threads: a phase reads what the one before wrote (the partials, the row values)."""
    rowvals, partials = llvm_strips.split_rows(k)
    row_values = np.empty(max(1, rowvals * nrows) * llvm_rows.SCRATCH_ITEM, np.uint8)
    partial = np.empty(max(1, partials * nchunks * nrows) * llvm_rows.SCRATCH_ITEM, np.uint8)
    head = [*args, row_values.ctypes.data, partial.ctypes.data, nrows, ncols, tile, nchunks]
    ntiles = -(-nrows // tile)
    for phase, kind in enumerate(llvm_strips.split_phases(k)):
        items = ntiles * (nchunks if kind == llvm_strips.ITEMS else 1)
        parts = _parts(items, nrows * ncols * items // (ntiles * nchunks), parallel)
        _in_parallel(function, [(*head, phase, lo, hi) for lo, hi in parts])


_rows_run = [0]


def row_kernels() -> int:
    """How many row kernels ``run_rows`` ran on the quick tier in this process (tests: which tier ran)."""
    return _rows_run[0]


def _element_strides(arrays: list) -> list[int]:
    """(row stride, column stride) of each 2-D array, in elements."""
    return [s // a.itemsize for a in arrays for s in a.strides]


def _takes_rows(k, loop: str, views: list, outs: list) -> bool:
    """Whether the tier computes this row kernel's call: tier on, a loop of the tier, every element view in the
    kernel's dtype at strides of whole elements (``rows``: its columns contiguous, its rows at any stride, 0 for
    a broadcast; the outputs C-contiguous)."""
    if not config.quick_tier() or loop not in llvm_rows.LOOPS:
        return False
    for node, v in zip(k.inputs, views):
        if v.dtype != node.dtype or v.ndim != 2 or any(s % v.itemsize for s in v.strides):
            return False
        if loop == "rows" and v.shape[1] > 1 and v.strides[1] != v.itemsize:
            return False
    if loop == "rows":
        return all(o.flags.c_contiguous for o in outs)
    return all(o.ndim == 2 and not any(s % o.itemsize for s in o.strides) for o in outs)


def explained_rows(k, loop: str, views: list, parallel: bool) -> str | None:
    """What explain() shows for a row kernel the quick tier runs (its IR), or None if Numba's kernel runs."""
    if not _takes_rows(k, loop, views, []):
        return None
    text = llvm_tier.ir_for(k, llvm_rows.spec(loop))
    if text is None:
        return None
    return (f"# loop={loop} parallel={parallel} quick tier: LLVM IR compiled without Numba, row by row in the "
            f"Numba row kernel's order, rows shared among threads when parallel (docs/quick_tier.md)\n{text}")


def _rows_function(kernel, k, loop: str):
    found = _functions.get(kernel.name)
    if found is None:
        full_out, row_out = source_rows.outputs(k)
        per_array = 1 if loop == "rows" else 2  # strides: the rows' (rows), the rows' and the columns' (the others)
        # after the row outputs: scratch, nrows, ncols, first, last (rows); width too (strips); rowvals, partials,
        # nrows, ncols, tile, nchunks, phase, first, last (split)
        buffers, sizes = {"rows": (1, 4), "strips": (1, 5), "split": (2, 7)}[loop]
        argtypes = ([ctypes.c_void_p] * len(k.inputs) + [ctypes.c_int64] * (per_array * len(k.inputs))
                    + [ctypes.c_void_p] * len(k.row_inputs) + [_CTYPES[dt.char] for dt in kernel.const_dtypes]
                    + [ctypes.c_void_p] * len(full_out) + [ctypes.c_int64] * ((per_array - 1) * 2 * len(full_out))
                    + [ctypes.c_void_p] * (len(row_out) + buffers) + [ctypes.c_int64] * sizes)
        found = _functions[kernel.name] = ctypes.CFUNCTYPE(None, *argtypes)(kernel.address)
    return found
# --- end #14 quick rows ---
