"""The quick tier's kernels (#14): a flat map kernel's IR (``llvm_map``) compiled to machine code with LLVM alone.

Kept in memory for the process (keyed as Numba's kernels are, by structure and output dtypes) and on disk
beside Numba's kernels (``diskcache.kernel_dir()``): ``lazyarr_q<hash>.o`` holds the object code, after the
SHA-256 of that code, so a damaged or truncated file is never linked (it is compiled again and rewritten).
The hash names the IR, lazyarr's kernel fingerprint (``fingerprint.VERSION``) and the target (``llvm_glue``):
a file written for another CPU, LLVM or lazyarr is never read. The function is named after the same hash, so
any number of kernels live in one engine.
"""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import queue
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import numpy as np

from lazyarr import config
from lazyarr.compiler import cache, diskcache, llvm_map
from lazyarr.compiler import llvm_reduce  # #14 quick-tier reductions
from lazyarr.compiler import llvm_math_map  # (#14 quick math)
from lazyarr.compiler import llvm_rows, llvm_strips  # (#14 quick rows)
from lazyarr.compiler.fingerprint import VERSION
from lazyarr.kernels import llvm_glue

__all__ = ["PENDING", "QuickKernel", "forget", "get", "get_soon", "info", "ir_for", "loaded", "start_aside",
           "wait_aside"]

PREFIX = diskcache.QUICK_PREFIX
MAX_REMEMBERED = 4096  # kernels (and refusals) remembered; beyond it the memo starts again


@dataclass(frozen=True)
class QuickKernel:
    """A loaded quick-tier kernel: its function's address, the dtypes of its constants, its IR."""
    address: int
    name: str
    const_dtypes: tuple
    n_inputs: int
    n_outputs: int
    ir: str
    from_disk: bool


_lock = threading.Lock()
_compile_lock = threading.Lock()  # one compile at a time, as Numba's; a kernel missed by two threads compiles once
_memo: dict[tuple, QuickKernel | None] = {}
_linked: dict[str, int] = {}  # function name -> address, for every object linked into this process's engine
_stats = {"compiles": 0, "disk_hits": 0, "refused": 0, "compile_seconds": 0.0}


def info() -> dict:
    """The tier's counters: compiles, disk_hits, refused (kernels left to Numba), compile_seconds."""
    with _lock:
        return dict(_stats)


def get(k, out_dtypes: tuple) -> QuickKernel | None:
    """The quick kernel for the flat map kernel `k` writing `out_dtypes` (or for the reduction kernel `k` with
    ``out_dtypes=llvm_reduce.spec(loop)``, or the row kernel `k` with ``llvm_rows.spec(loop)``), compiled or linked
    from disk on the first ask; or None: the kernel has something the tier does not compile exactly (Numba's
    kernel then runs). The callers check ``config.quick_tier()`` and the layout."""
    key = (k.key, out_dtypes)
    found = _memo.get(key, False)
    if found is not False:
        return found
    with _compile_lock:
        found = _memo.get(key, False)
        if found is False:
            found = _make(k, out_dtypes)
            with _lock:
                if len(_memo) >= MAX_REMEMBERED:
                    _memo.clear()  # the engine keeps the code; a kernel needed again is linked from disk
                _memo[key] = found
    return found


# --- background compilation (config.background_compile(), docs/quick_tier.md) ---
# With background compilation on, NumPy answers a call whose kernel is not ready yet (the first answer within
# NumPy's own time, docs/runtime.md). A quick kernel costs ~50-100 ms of LLVM in a fresh process, several
# times NumPy's time for a 10**6-element map, so it is made on a thread of its own while NumPy answers.
PENDING = "pending"  # get_soon's answer while the kernel is being made


class _Aside:
    """(#14 bgfirst2) A kernel to be made on the aside thread: whether the tier takes it is decided there too."""
    __slots__ = ("k", "out_dtypes", "key", "refused", "queued", "done")

    def __init__(self, k, out_dtypes: tuple, key: tuple, refused):
        self.k, self.out_dtypes, self.key, self.refused = k, out_dtypes, key, refused
        self.queued = False
        self.done = threading.Event()


_making: dict[tuple, _Aside] = {}  # kernels being made aside, by key
_aside_jobs: "queue.SimpleQueue" = queue.SimpleQueue()
_aside_thread: threading.Thread | None = None
_exiting = False  # set at exit: no aside thread is started after that


def get_soon(k, out_dtypes: tuple, refused=None):
    """The quick kernel if it is in memory (or None if the tier leaves `k` to Numba); else PENDING, with the
    kernel made (compiled or linked from disk) on the aside thread once the call has its answer. A failure there
    leaves `k` to Numba.

    (#14 bgfirst2) Whether the tier takes `k` is decided on that thread too (``llvm_reduce.check`` or the map's IR
    module: 0.25-0.5 ms of a first answer's CPU on the caller's thread, which NumPy answers either way); if it does
    not, `refused()` is called there: the caller's way to queue Numba's compile of `k`, as a call that learned of
    the refusal at once would have (its answer, NumPy's, is the same)."""
    key = (k.key, out_dtypes)
    found = _memo.get(key, False)
    if found is not False:
        return found
    with _lock:
        if key in _making:  # asked again while it is made (or checked): NumPy answers again
            return PENDING
        job = _making[key] = _Aside(k, out_dtypes, key, refused)
    cache.after_calls(lambda: _start(job))  # once the call has NumPy's answer: no GIL taken from it
    return PENDING


def _takes(k, out_dtypes: tuple) -> bool:
    """Whether the tier compiles the map `k`, decided cheaply; the rest is made on the thread that compiles it.
    (#14 quick math) With vector math, its loop with the C library's functions decides it (~ms): translating
    vecmath (~0.1-0.3 s of Python) is left to the thread. (#14 bgfirst) Otherwise its IR module alone: its text,
    ~0.7 ms of llvmlite's formatting even for a two-op loop (~70% of ``ir_for``), is not needed to decide."""
    if llvm_math_map.has_math(k):
        return llvm_math_map.accepts(k, out_dtypes)
    try:
        llvm_map.kernel_module(k, out_dtypes)
    except llvm_map.Unsupported:
        return False
    return True


def start_aside() -> None:
    """Start the thread that makes kernels aside, if it is not running (``import lazyarr`` calls this with the
    compile worker when background compilation is on). (#14 bgfirst2) One thread for the process, sleeping on its
    queue: a thread started per kernel made its first call wait in ``Thread.start`` until the new thread ran
    (0.1-4 ms of wall time at the end of the first answer, more on busy cores)."""
    global _aside_thread
    with _lock:
        if _aside_thread is None or not _aside_thread.is_alive():
            _aside_thread = threading.Thread(target=_serve_aside, name="lazyarr-quick-compile", daemon=True)
            _aside_thread.start()


def _start(job: _Aside) -> None:
    """Hand a kernel to the aside thread, once (its call's end and a wait may both ask)."""
    with _lock:
        if job.queued or _making.get(job.key) is not job:
            return
        job.queued = True
        if _exiting:  # (a plan job finishing at exit: no new thread then; the next process makes the kernel)
            _making.pop(job.key, None)
            job.done.set()
            return
        running = _aside_thread is not None and _aside_thread.is_alive()
    if not running:  # background compilation turned on after the import, or a forked child
        start_aside()
    _aside_jobs.put(job)


def _serve_aside() -> None:
    while True:
        job = _aside_jobs.get()
        if job is None:
            return
        _make_aside(job)


def _make_aside(job: _Aside) -> None:
    try:
        if _accepts(job.k, job.out_dtypes):
            get(job.k, job.out_dtypes)
        else:
            with _lock:
                _memo[job.key] = None
                _stats["refused"] += 1
            if job.refused is not None:
                with cache.not_counted():  # the call that asked was counted when NumPy answered it
                    job.refused()
    except Exception as error:  # never reaches a user: Numba's kernel serves `k` instead
        if config.debug():
            print(f"lazyarr: quick tier could not make a kernel aside ({error!r}); Numba's kernel runs",
                  file=sys.stderr)
        with _lock:
            _memo[job.key] = None
    finally:
        with _lock:
            _making.pop(job.key, None)
        job.done.set()


def wait_aside(timeout: float | None) -> bool:
    """Wait for the kernels being made aside; False if `timeout` seconds passed first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with _lock:
            jobs = list(_making.values())
        if not jobs:
            return True
        for job in jobs:
            _start(job)  # still waiting for its call to end: a wait inside that call would wait for itself
            if not job.done.wait(None if deadline is None else max(0.0, deadline - time.monotonic())):
                return False


@atexit.register
def _stop_aside() -> None:
    """At exit: drop the kernels not begun, let the one being made finish (its file is written whole anyway)."""
    global _exiting
    with _lock:
        _exiting = True
    thread = _aside_thread
    if thread is None or not thread.is_alive():
        return
    while True:
        try:
            job = _aside_jobs.get_nowait()
        except queue.Empty:
            break
        if job is not None:  # dropped: a wait at exit does not wait for it
            with _lock:
                _making.pop(job.key, None)
            job.done.set()
    _aside_jobs.put(None)
    thread.join(timeout=60)


cache.on_wait(wait_aside)
# --- end background compilation ---


def loaded(structure: tuple, out_dtypes: tuple) -> QuickKernel | None:
    """The quick kernel of this structure if one is in memory (never compiles: the small-call path)."""
    return _memo.get((structure, out_dtypes))


def ir_for(k, out_dtypes: tuple) -> str | None:
    """The IR text the tier compiles for `k` (explain()), or None if the tier leaves it to Numba."""
    try:
        if llvm_reduce.is_spec(out_dtypes):  # #14 quick-tier reductions: `out_dtypes` is llvm_reduce.spec(loop)
            return llvm_reduce.kernel_ir(k, out_dtypes)
        if llvm_rows.is_spec(out_dtypes):  # (#14 quick rows) a row kernel's `rows`, `strips` or `split` loop
            loop = out_dtypes[1]
            if loop in ("strips", "split"):
                return llvm_strips.strips_ir(k) if loop == "strips" else llvm_strips.split_ir(k)
            return llvm_rows.kernel_ir(k, out_dtypes)
        if llvm_math_map.has_math(k):  # (#14 quick math) sin, exp, log...: Numba's blocked loop with vecmath
            return llvm_math_map.kernel_ir(k, out_dtypes)
        return llvm_map.kernel_ir(k, out_dtypes)
    except llvm_map.Unsupported:
        return None


def _accepts(k, out_dtypes: tuple) -> bool:
    """Whether the tier compiles `k`, decided without its whole IR where that is cheaper (#14 quick-tier
    reductions: ``llvm_reduce.check``, a tenth of building the reduction's IR)."""
    if llvm_rows.is_spec(out_dtypes):  # (#14 quick rows) its nodes and folds once, with the C library's calls
        try:
            llvm_rows.check(k)  # every node and fold once (both loops compute the same nodes and folds)
        except llvm_map.Unsupported:
            return False
        return True
    if not llvm_reduce.is_spec(out_dtypes):
        return _takes(k, out_dtypes)
    try:
        llvm_reduce.check(k, out_dtypes)
    except llvm_map.Unsupported:
        return False
    return True


def _make(k, out_dtypes: tuple) -> QuickKernel | None:
    text = ir_for(k, out_dtypes)
    if text is None:
        with _lock:
            _stats["refused"] += 1
        return None
    digest = hashlib.sha256(f"{text}\0{VERSION}\0{llvm_glue.target_id()}".encode()).hexdigest()[:24]
    name = PREFIX + digest
    text = text.replace(f'@"{llvm_map.NAME}"', f'@"{name}"')
    if config.debug():
        print(f"lazyarr: quick tier kernel {name}\n{text}", file=sys.stderr)
    address = _linked.get(name)
    if address is not None:  # linked before ``forget``: the engine still holds it (it cannot be linked twice)
        return _kernel(k, out_dtypes, address, name, text, from_disk=False)
    start = time.perf_counter()
    path = os.path.join(diskcache.kernel_dir(), name + ".o")
    code = _read(path)
    from_disk = code is not None
    if code is None:
        code, _ = llvm_glue.object_code(text)
        if _write(path, code):
            diskcache.note_written(os.path.dirname(path), len(code) + 32, keep=name)
    else:
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: the size limit evicts the least recently used kernels first
    llvm_glue.load_object(code)
    address = _linked[name] = llvm_glue.function_address(name)
    seconds = time.perf_counter() - start
    with _lock:
        _stats["disk_hits" if from_disk else "compiles"] += 1
        if not from_disk:
            _stats["compile_seconds"] += seconds
    cache.count_quick(from_disk, seconds)
    return _kernel(k, out_dtypes, address, name, text, from_disk)


def _kernel(k, out_dtypes: tuple, address: int, name: str, text: str, from_disk: bool) -> QuickKernel:
    return QuickKernel(address, name, tuple(np.dtype(c.dtype) for c in k.consts), len(k.inputs),
                       len(out_dtypes), text, from_disk)


def _read(path: str) -> bytes | None:
    """The object code stored at `path` if its checksum holds, else None (missing, damaged, unreadable)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    digest, code = data[:32], data[32:]
    if len(data) <= 32 or hashlib.sha256(code).digest() != digest:
        return None
    return code


def _write(path: str, code: bytes) -> bool:
    """Store object code atomically (a reader sees the old file or the whole new one); a cache directory that
    cannot be written only costs the next process a compile. True when it was stored."""
    directory = os.path.dirname(path)
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".q", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(code).digest() + code)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except (OSError, UnboundLocalError):
            pass
        return False
    return True


# --- #14 small calls: the checked object files, shared with the kernels' entries (runtime/quick_entry.py) ---
read_object, write_object = _read, _write
# --- end #14 small calls ---


def forget() -> None:
    """Forget the kernels found so far (``clear_cache``): the next call links them again, or compiles them."""
    with _lock:
        _memo.clear()


cache.on_clear(forget)


def _reset_after_fork() -> None:
    global _lock, _compile_lock, _making, _aside_jobs, _aside_thread
    _lock, _compile_lock = threading.Lock(), threading.Lock()
    _making = {}  # the aside thread does not exist in the child: it starts its own when it needs one
    _aside_jobs, _aside_thread = queue.SimpleQueue(), None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
