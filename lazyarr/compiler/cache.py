"""Compiled kernels: in memory (bounded LRU), then on disk, then compiled; optionally in the background.

Numba cannot cache functions built with ``exec``. So each kernel's source is written to a file named by the
hash of its text (``diskcache``), imported as a module registered in ``sys.modules``, and compiled with
``cache=True``: Numba then stores the machine code beside that file, and a second process with the same
expression loads it instead of compiling (``_build``: without starting Numba's compiler, which only a compile
needs). Files are checked before Numba sees them; a cache directory that cannot be written degrades to
compiling in a private temporary directory, with a warning, never to a crash.

One compile runs at a time per process (Numba holds a global compiler lock anyway). A kernel several threads
miss at once is compiled once; the others wait for it. With background compilation on
(``config.background_compile()``), a miss queues the compile on a worker thread and ``get`` returns None at
once: the runtime then computes that call with NumPy. A fork waits for a running compile to finish, so the
child never inherits a lock held halfway through one.
"""
from __future__ import annotations

import atexit
import importlib.util
import os
import queue
import sys
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from numba.core.errors import NumbaError

# threads first: its at-fork handler must be registered before ours, so that ours runs first (Python runs
# "before" handlers in reverse order): a fork waits for a running job, which may be configuring the threading
# layer, before it takes the configuration lock.
from lazyarr.kernels import threads
from lazyarr import config
from lazyarr.compiler import diskcache
from lazyarr.compiler import warmup
from lazyarr.kernels import numba_glue
from lazyarr.kernels import llvm_glue  # (s12 fusemandel)

__all__ = ["cache_info", "clear_cache", "get", "loaded", "wait_for_compiles", "set_background_compile"]

set_background_compile = config.set_background_compile


@dataclass(frozen=True)
class CacheInfo:
    hits: int  # calls served from memory
    misses: int  # calls that were not
    compiles: int  # kernels compiled by Numba in this process
    disk_hits: int  # kernels Numba loaded from its disk cache instead of compiling
    compile_seconds: float  # time spent in those compiles
    currsize: int  # kernels in memory now
    maxsize: int  # config.memory_cache_size()
    interpreted: int = 0  # calls NumPy computed because their kernel was compiling in the background
    failed: int = 0  # kernels Numba refused to compile: each is tried once, NumPy computes all their calls


@dataclass
class Compiled:
    """A ready kernel: the Numba dispatcher, its one overload's entry point and the source it came from."""
    dispatcher: object
    entry: object
    source: str
    path: str
    from_disk: bool


class _Job:
    """A kernel being compiled: in a caller's thread, or on the background worker (`instead`: see ``get``)."""
    __slots__ = ("event", "compiled", "background", "instead")

    def __init__(self, background: bool, instead: tuple | None = None, event: threading.Event | None = None):
        self.event = threading.Event() if event is None else event
        self.compiled: Compiled | None = None
        self.background = background
        self.instead = instead


_lock = threading.Lock()  # memory, stats, jobs; never held while compiling
_compile_lock = threading.RLock()  # held for each compile, and by a fork that waits for one
_memory: "OrderedDict[tuple, Compiled]" = OrderedDict()
_jobs: dict[tuple, _Job] = {}
_failed: set = set()  # background compiles that raised: the next call compiles in its own thread and raises
# Keys whose compile Numba refused (a NumbaError: a lazyarr bug, as the code is generated). Compiling them again
# would fail again at the same cost (up to a second each), so `get` answers None for them at once and the
# caller computes the call with NumPy; the first failure alone raises, so its caller warns once.
_unbuildable: set = set()
_generation = 0  # bumped whenever a kernel leaves memory (see loaded())
_stats = {"hits": 0, "misses": 0, "compiles": 0, "disk_hits": 0, "compile_seconds": 0.0, "interpreted": 0,
          "failed": 0}
_queue: "queue.SimpleQueue" = queue.SimpleQueue()
_worker: threading.Thread | None = None


def cache_info() -> CacheInfo:
    with _lock:
        return CacheInfo(currsize=len(_memory), maxsize=config.memory_cache_size(), **_stats)


def get(key: tuple, make_source, count_interpreted: bool = True, instead: tuple | None = None) -> Compiled | None:
    """The kernel for `key` (`make_source()` is called only to compile it), or None: compiling in the
    background, or Numba failed on it before (see ``_unbuildable``); compute this call another way
    (`count_interpreted`: that way is NumPy, counted in ``cache_info().interpreted``).

    `instead`: (key, make_source) of a kernel to load in this one's place if its compile is recorded on disk
    (serial first, #14: the parallel variant). Only a background job uses it: the worker generates its source
    and checks the disk, so the call that queued it generates no source and touches no file; the job then ends
    with that kernel in memory under its own key and none under `key`. A caller's own compile ignores it."""
    with _lock:
        hit = _memory.get(key)
        if hit is not None:
            _memory.move_to_end(key)
            _stats["hits"] += 1
            return hit
        _stats["misses"] += 1
    while True:
        background = config.background_compile()
        with _lock:
            hit = _memory.get(key)
            if hit is not None:
                _memory.move_to_end(key)
                return hit
            if key in _unbuildable:  # also a thread that waited for the compile that failed
                return None
            job = _jobs.get(key)
            owner = job is None
            if owner:
                use_worker = background and key not in _failed
                _failed.discard(key)
                job = _jobs[key] = _Job(use_worker, instead if use_worker else None)
                if use_worker:
                    _submit(key, make_source, job)
            if background and job.background:
                _stats["interpreted"] += count_interpreted and not _planning.active  # (#14 bgfirst)
                return None
        if owner:
            return _compile_job(key, make_source, job)
        with _waiting_for_worker(job):
            job.event.wait()  # another thread compiles it; if that failed, go round and fail here too
        if job.compiled is not None:
            return job.compiled


def loaded(key: tuple) -> tuple[int, Compiled | None]:
    """(generation, the kernel for `key` if it is in memory, else None); never compiles. A caller may keep
    the kernel while ``generation()`` still returns that generation: no kernel has left memory since."""
    with _lock:
        hit = _memory.get(key)
        if hit is not None:
            _memory.move_to_end(key)
        return _generation, hit


def generation() -> int:
    return _generation


def count_hit() -> None:
    """A call served by a kernel a caller kept (see ``loaded``). Not locked, like functools' own counters:
    this is on the fastest path, and a count lost to a thread switch only makes cache_info() a hit short."""
    _stats["hits"] += 1


# --- #14 quick tier (compiler/llvm_tier.py): its compiles and disk loads count in cache_info() too ----------

def count_quick(from_disk: bool, seconds: float) -> None:
    """A quick-tier kernel compiled (or linked from disk) instead of a Numba kernel: counted as one, so
    ``cache_info()`` tells how many kernels a call made, whichever compiler made them."""
    with _lock:
        if from_disk:
            _stats["disk_hits"] += 1
        else:
            _stats["compiles"] += 1
            _stats["compile_seconds"] += seconds


def count_interpreted() -> None:
    """A call NumPy computed while its quick-tier kernel was being made aside (``cache_info().interpreted``)."""
    if _planning.active:  # (#14 bgfirst) a plan job's run: its call was counted when NumPy answered it
        return
    with _lock:
        _stats["interpreted"] += 1


_forget_also: list = []  # callables clear_memory() calls: the quick tier's memo forgets its kernels too


def on_clear(forget) -> None:
    """Have ``clear_memory()`` (and so ``clear_cache()``) call `forget()` as well."""
    _forget_also.append(forget)


_start_later: list = []  # callables started when no call is inside holding_compiles() (the quick tier's threads)


def after_calls(start) -> None:
    """Call `start()` now if no call is inside ``holding_compiles()``, else when the last one ends: the quick
    tier's compile thread would take the GIL from a call computing NumPy's answer, as the worker would."""
    with _quiet:
        if _holding and not _overdue():
            _start_later.append(start)
            return
    start()


_wait_also: list = []  # callables wait_for_compiles() calls: the quick tier's compiles started aside


def on_wait(wait) -> None:
    """Have ``wait_for_compiles(timeout)`` also wait on `wait(timeout)` (which returns False on a timeout)."""
    _wait_also.append(wait)
# --- end #14 quick tier ---------------------------------------------------------------------------------------


def _compile_job(key: tuple, make_source, job: _Job) -> Compiled:
    try:
        compiled = _compile(make_source)
    except BaseException as exc:
        with _lock:
            if isinstance(exc, NumbaError):  # not an interrupt or a full disk: trying again cannot help
                _unbuildable.add(key)
                _stats["failed"] += 1
            if _jobs.get(key) is job:
                del _jobs[key]
        job.event.set()
        raise
    _finish(key, job, compiled)
    job.event.set()
    return compiled


def _finish(key, job, compiled) -> None:
    """Keep a freshly loaded kernel and retire the job that produced it (sync and background paths)."""
    with _lock:
        _remember(key, compiled)
        if _jobs.get(key) is job:
            del _jobs[key]
    job.compiled = compiled


def _remember(key: tuple, compiled: Compiled) -> None:
    """Into the memory LRU (under _lock). An evicted kernel's module leaves sys.modules too, so its machine
    code can be freed; computing it again loads it from disk."""
    _memory[key] = compiled
    _memory.move_to_end(key)
    limit = config.memory_cache_size()
    while len(_memory) > limit:
        _, old = _memory.popitem(last=False)
        _bump_generation()
        name = os.path.splitext(os.path.basename(old.path))[0]
        if getattr(sys.modules.get(name), "kernel", None) is old.dispatcher:
            del sys.modules[name]


def wait_for_compiles(timeout: float | None = None) -> bool:
    """Wait until no kernel is compiling in the background; False if `timeout` seconds passed first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        # (#14 quick tier) waited each round: a plan job (#14 bgfirst) waited for below may start a quick kernel
        for wait in _wait_also:
            if not wait(None if deadline is None else max(0.0, deadline - time.monotonic())):
                return False
        with _lock:
            pending = [job for job in _jobs.values() if job.background]
        if not pending:
            return True
        for job in pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            with _waiting_for_worker(job):
                if not job.event.wait(left):
                    return False


def _bump_generation() -> None:
    global _generation
    _generation += 1


def clear_memory() -> None:
    with _compile_lock, _lock:
        _bump_generation()
        _unbuildable.clear()  # worth another try, e.g. after a Numba upgrade in a long session
        for compiled in _memory.values():
            sys.modules.pop(os.path.splitext(os.path.basename(compiled.path))[0], None)
        _memory.clear()
        for forget in _forget_also:  # #14 quick tier
            forget()


def clear_cache() -> None:
    """Forget every compiled kernel: in memory, the kernel files, and Numba's cache files for them."""
    with _compile_lock:
        clear_memory()
        for name in [n for n in sys.modules if n.startswith(diskcache.PREFIX)]:
            del sys.modules[name]
        diskcache.clear()


# --- the background worker -----------------------------------------------------------------------------------

# While a call computes NumPy's answer, a compile beside it takes the GIL from it: each NumPy operation on a
# large array releases the GIL, the compiling thread takes it, and the caller gets it back only after the
# interpreter's switch interval (5 ms). So the worker starts its next compile only when no call is inside
# ``holding_compiles`` (the runtime wraps each planned compute in it), or when some thread waits for a
# background job (it would otherwise wait for itself). A compile already running is not interrupted.
_quiet = threading.Condition()
_holding = 0  # calls inside holding_compiles()
_waiting = 0  # threads waiting for a background job


def holding_compiles():
    """Context manager: background compiles queued meanwhile start when the block ends (#14)."""
    return _Hold()


# (s15) Calls overlapping without a gap (several Python threads calling lazyarr) would hold compiles for ever:
# every call answered by NumPy, no kernel ever made (8 threads: 960 of 960 calls, 0 compiles). A stretch of calls
# holding compiles lasts at most this long before the compiles queued meanwhile start anyway.
# One long call alone still holds them to its end (its compile would only slow its own answer).
MAX_HOLD_S = 0.25
_busy_since = 0.0  # when _holding last went from 0 to 1
_calls_in_stretch = 0  # calls begun since then


def _overdue() -> bool:
    """(under _quiet) Overlapping calls have held compiles without a break for longer than MAX_HOLD_S."""
    return _holding > 0 and _calls_in_stretch > 1 and time.monotonic() - _busy_since > MAX_HOLD_S


def _release_held() -> None:
    """(under _quiet) Start what the calls held: the worker's jobs and the quick tier's threads."""
    _hand_over_deferred()
    later, _start_later[:] = list(_start_later), []
    for start in later:  # (#14 quick tier)
        start()
    _quiet.notify_all()


class _Hold:
    __slots__ = ()

    def __enter__(self):
        global _holding, _busy_since, _calls_in_stretch
        with _quiet:
            if _holding == 0:
                _busy_since, _calls_in_stretch = time.monotonic(), 0
            elif (_deferred or _start_later) and _overdue():
                _release_held()
            _holding += 1
            _calls_in_stretch += 1

    def __exit__(self, *exc):
        global _holding
        with _quiet:
            _holding -= 1
            if _holding == 0 or ((_deferred or _start_later) and _overdue()):
                _release_held()


class _waiting_for_worker:
    """Around a wait for `job`: if the worker does it, let it start even while calls hold it."""
    __slots__ = ("counts",)

    def __init__(self, job: _Job):
        self.counts = job.background

    def __enter__(self):
        global _waiting
        if self.counts:
            with _quiet:
                _waiting += 1
                _hand_over_deferred()  # the job may still wait for a call to end: it would wait for itself
                _quiet.notify_all()

    def __exit__(self, *exc):
        global _waiting
        if self.counts:
            with _quiet:
                _waiting -= 1


# #14: once the calls are done, the compile waits this long more: the call that queued it still has to hand its
# answer back (return through lazyarr, and at a prompt print it), and a compile that takes the GIL meanwhile
# makes it wait a switch interval (5 ms) each time it releases the GIL: 5-13 ms measured on a first answer.
HANDOFF_GRACE_S = 0.05


def _wait_until_quiet() -> None:
    def quiet():
        return _holding == 0 or _waiting > 0 or _overdue()
    with _quiet:
        while not _quiet.wait_for(quiet, timeout=MAX_HOLD_S):
            pass  # (s15) wait_for's own check is made on notify only: look at the clock again
        if _waiting == 0 and not _overdue():  # a thread waiting for the job ends the grace at once
            _quiet.wait_for(lambda: _waiting > 0, timeout=HANDOFF_GRACE_S)
            while not _quiet.wait_for(quiet, timeout=MAX_HOLD_S):  # a call begun meanwhile: once, not again
                pass


# #14: jobs queued inside a call, handed to the worker when no call holds compiles (or a thread waits for one).
# Handed over at once, the put wakes the worker, which asks for the GIL and so takes it from the call within a
# switch interval, and gives it back only after the OS runs the caller again: a few ms on a busy machine.
_deferred: list = []


def _submit(key, make_source, job: _Job) -> None:
    """Queue a compile for the worker (under _lock): now, or when the calls holding compiles end."""
    with _quiet:
        _deferred.append((key, make_source, job))
        if _holding == 0 or _waiting > 0 or _overdue():
            _hand_over_deferred()


def _hand_over_deferred() -> None:
    """Put the deferred jobs on the worker's queue, starting the worker if needed (under _quiet)."""
    if not _deferred:
        return
    for item in _deferred:
        _queue.put(item)
    _deferred.clear()
    _start_worker()


def _start_worker() -> None:
    # under _quiet, so that two threads never start two workers
    global _worker
    if _worker is None or not _worker.is_alive():
        _worker = threading.Thread(target=_work, name="lazyarr-compiler", daemon=True)
        _worker.start()


def start_worker() -> bool:
    """Start the background worker now if background compilation is on (``import lazyarr`` calls this, #14);
    whether it is on.

    Started by a process's first miss instead, ``Thread.start`` makes that call wait until the new thread runs:
    5-9 ms of its first answer on a busy machine (the worker then sleeps on its queue, using nothing)."""
    try:
        enabled = config.background_compile()
    except ValueError:  # a typo in the setting: the first call that reads it raises
        return False
    if enabled:
        with _quiet:
            _start_worker()
    return enabled


def _work() -> None:
    while True:
        item = _queue.get()
        if item is None:
            return
        key, make_source, job = item
        _wait_until_quiet()
        if key[0] is PLAN:  # (#14 bgfirst)
            _run_plan_job(key, make_source, job)
            continue
        if job.instead is not None and _load_instead(*job.instead):
            _retire(key, job)
            continue
        try:
            compiled = _compile(make_source)
        except Exception as exc:
            if config.debug():
                print(f"lazyarr: background compile failed ({exc!r}); the next call compiles in its own "
                      "thread and raises there", file=sys.stderr)
            with _lock:
                _failed.add(key)
                if _jobs.get(key) is job:
                    del _jobs[key]
        else:
            _finish(key, job, compiled)
        job.event.set()


def _load_instead(key: tuple, make_source) -> bool:
    """On the worker: whether the kernel for `key` takes the place of the job's own (see ``get``'s `instead`):
    it is in memory, or its compile is recorded on disk (then it is loaded here, unless another job for it
    will load it). False if it is not on disk or anything fails: the job's own kernel is then compiled, as if
    `instead` had not been asked for."""
    with _lock:
        if key in _memory:
            return True
        pending = key in _jobs
    try:
        if pending:
            return diskcache.recorded(make_source())
        compiled = _compile(make_source, only_if_recorded=True)
    except Exception as exc:
        if config.debug():
            print(f"lazyarr: loading a kernel in another's place failed ({exc!r}); compiling the other",
                  file=sys.stderr)
        return False
    if compiled is None:
        return False
    with _lock:
        _remember(key, compiled)
    return True


# --- #14 bgfirst: a first answer's planning, done on the worker (runtime/serial_first.py) -----------------------
# A new expression at a serial size is answered by NumPy over its raw graph, without a plan; the plan, and with
# it the queueing of the kernels' compiles, is this job: the worker runs `plan_and_run()` (the runtime's full
# path, its NumPy answer discarded) once the calls are done, as it starts compiles. Its kernels' jobs are queued
# by that run and compiled after it; ``wait_for_compiles`` waits for the plan job, then for them.
PLAN = object()  # marks a plan job's key: (PLAN, a number of its own)


class _Planning(threading.local):
    active = False  # this thread is running a plan job (its NumPy answers are not counted: its call was)


_planning = _Planning()
_plan_jobs = [0]


class not_counted:
    """Context manager: NumPy answers on this thread meanwhile are not counted in ``cache_info().interpreted``
    (the quick tier's aside thread queueing Numba's compile of a kernel it refused: its call was counted)."""
    __slots__ = ("before",)

    def __enter__(self):
        self.before, _planning.active = _planning.active, True

    def __exit__(self, *exc):
        _planning.active = self.before


# (s18 bgbuild) The plan job's Event made ahead: at import, then by the worker after each plan job. A
# threading.Event is a Condition over a Lock whose making raises and catches three AttributeErrors: ~5-8 us of a
# first answer's hand-over, spent off the caller's thread this way.
_spare_events: list = [threading.Event()]


def plan_later(plan_and_run) -> None:
    """Have the worker call `plan_and_run()` when no call holds compiles (see above); errors are dropped (the
    next call of that expression plans in its own thread and raises there, as without this job)."""
    try:
        event = _spare_events.pop()
    except IndexError:
        event = None
    job = _Job(background=True, event=event)
    with _lock:
        _plan_jobs[0] += 1
        key = (PLAN, _plan_jobs[0])
        _jobs[key] = job
        _submit(key, plan_and_run, job)


def _run_plan_job(key: tuple, plan_and_run, job: _Job) -> None:
    _planning.active = True
    try:
        plan_and_run()
    except Exception as exc:
        if config.debug():
            print(f"lazyarr: planning a first answer's kernels failed ({exc!r}); the next call plans in its own "
                  "thread", file=sys.stderr)
    finally:
        _planning.active = False
        _retire(key, job)
        if not _spare_events:
            _spare_events.append(threading.Event())  # (s18 bgbuild) the next plan job's, made here
# --- end #14 bgfirst ----------------------------------------------------------------------------------------------


def _retire(key: tuple, job: _Job) -> None:
    """End a background job without a kernel for its key (another kernel took its place)."""
    with _lock:
        if _jobs.get(key) is job:
            del _jobs[key]
    job.event.set()


@atexit.register
def _stop_worker() -> None:
    """At exit: drop queued compiles, let the running one finish (its files are then complete)."""
    worker = _worker
    _deferred.clear()
    if worker is None or not worker.is_alive():
        return
    while True:
        try:
            _queue.get_nowait()
        except queue.Empty:
            break
    _queue.put(None)
    worker.join(timeout=60)


def _before_fork() -> None:
    _compile_lock.acquire()
    _lock.acquire()


def _after_fork_in_parent() -> None:
    _lock.release()
    _compile_lock.release()


def _after_fork_in_child() -> None:
    # The worker thread does not exist here, and neither do other threads' compiles: forget their jobs (their
    # keys are simply missed again) and start from fresh locks.
    global _lock, _compile_lock, _queue, _worker, _jobs, _quiet, _holding, _waiting, _deferred
    _lock, _compile_lock = threading.Lock(), threading.RLock()
    _queue, _worker, _jobs = queue.SimpleQueue(), None, {}
    _quiet, _holding, _waiting, _deferred = threading.Condition(), 0, 0, []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


# --- compiling or loading one kernel -------------------------------------------------------------------------

def _compile(make_source, only_if_recorded: bool = False) -> Compiled | None:
    # `only_if_recorded`: None instead of compiling when the source's compile is not recorded on disk.
    # The whole job holds _compile_lock, not only Numba's part: a fork waits for it, so that a child never
    # inherits a lock (lazyarr's, Numba's, an import's) that a half-done job held in another thread.
    # Numba's once-per-process start may be running on the warm-up thread: wait for it rather than import
    # Numba's modules beside it (and the compile would wait for Numba's lock it holds anyway).
    warmup.wait()
    with _compile_lock:
        threads.configure_threading_layer()  # before Numba's first parallel compile picks a layer itself
        source = make_source()
        if only_if_recorded and not diskcache.recorded(source):
            return None
        if config.debug():
            print(f"lazyarr: compiling kernel\n{source}", file=sys.stderr)
        return _load(source)


def _load(source: str) -> Compiled:
    """Import the kernel's module, then load its machine code from Numba's verified disk cache entry or compile
    it (then the entry is recorded)."""
    name = diskcache.module_name(source)
    module = sys.modules.get(name)
    if module is not None:  # another key with the same text: reuse it
        return _wrap(module, source, from_disk=False)
    with diskcache.open_entry(source) as entry:
        start = time.perf_counter()
        try:
            module, from_disk = _import_and_build(entry.path, try_disk=entry.had_numba_files)
        except Exception as exc:
            if not entry.had_numba_files:
                raise
            warnings.warn(f"lazyarr: Numba could not load its cache entry for kernel {name} ({exc!r}); "
                          "deleting it and compiling again", RuntimeWarning, stacklevel=2)
            diskcache.wipe_numba_files(entry.directory, name)
            module, from_disk = _import_and_build(entry.path, try_disk=False)
        elapsed = time.perf_counter() - start
        if from_disk:
            diskcache.touch(entry)
        else:
            written = diskcache.record(entry, _numba_dir(module.kernel, entry))
    with _lock:
        if from_disk:
            _stats["disk_hits"] += 1
        else:
            _stats["compiles"] += 1
            _stats["compile_seconds"] += elapsed
    if not from_disk:
        diskcache.note_written(entry.directory, written, keep=name)
    return _wrap(module, source, from_disk)


def _import_and_build(path: str, try_disk: bool):
    """(the kernel's module, whether its machine code came from the disk cache)."""
    module = _import(path)
    try:
        from_disk = _build(module.kernel, module.SIGNATURE, try_disk, getattr(module, "SLP_VECTORIZE", False))
    except BaseException:
        sys.modules.pop(module.__name__, None)
        raise
    return module, from_disk


def _build(dispatcher, signature, try_disk: bool, slp: bool = False) -> bool:
    """Give the kernel's dispatcher its one overload, from the disk cache if it can (True), else compiled.

    Numba's own route to its disk cache (``Dispatcher.compile`` -> ``Cache.load_overload``) first refreshes
    the target context: ~0.3 s in a new process, mostly imports (``numba.np.arraymath`` and, through its BLAS
    check, ``scipy.linalg``) of implementations that only a *compile* needs. Loading machine code needs only
    the runtime (NRT) symbols, so a warm process loads its kernels with just those and leaves the refresh to its
    first compile, if it ever has one (``CompilerBase`` refreshes before compiling). If that quick load fails in
    any way, Numba's full route runs, so the worst case is the old cost, never a missing kernel.
    """
    with numba_glue.global_compiler_lock:  # as Dispatcher.compile: no other thread compiles or loads meanwhile
        from_disk = try_disk and _load_without_refresh(dispatcher, signature)
        if not from_disk:
            _fill_ufunc_table()
            with llvm_glue.many_memory_checks():  # (s12 fusemandel) kernels with many arrays vectorise too
                with numba_glue.slp_vectorize(slp):  # (s13 logreg) a kernel module's SLP_VECTORIZE = True
                    dispatcher.compile(signature)
            from_disk = sum(dispatcher.stats.cache_hits.values()) > 0
        dispatcher.disable_compile()  # one signature, as eager njit(SIGNATURE): a mismatch raises, never compiles
    return from_disk


def _fill_ufunc_table() -> None:
    # #14: the graph builder answers most of its "can Numba lower this ufunc loop?" questions without Numba's
    # ufunc table now (api/build._numba_has_loop), so the table may still be empty when a compile starts. Numba's
    # refresh fills it without lazyarr's lock, and a graph built meanwhile on another thread could read it half
    # filled; filled here first, under that lock (as the warm-up does), it never is. Nothing extra: the refresh
    # imports the same modules.
    numba_glue.ufunc_loops(np.add)


def _load_without_refresh(dispatcher, signature) -> bool:
    """The quick disk-cache load (see ``_build``); False sends the caller down Numba's full route."""
    try:
        return numba_glue.load_cached_overload(dispatcher, signature)
    except Exception as exc:  # Numba's full route decides, and raises for real if it must
        if config.debug():
            print(f"lazyarr: quick cache load failed ({exc!r}); using Numba's", file=sys.stderr)
        return False


def _wrap(module, source: str, from_disk: bool) -> Compiled:
    dispatcher = module.kernel
    sig = next(iter(dispatcher.overloads))
    return Compiled(dispatcher, dispatcher.overloads[sig].entry_point, source, module.__file__, from_disk)


def _numba_dir(dispatcher, entry) -> str:
    cache = getattr(dispatcher, "_cache", None)
    return getattr(cache, "cache_path", None) or os.path.join(entry.directory, "__pycache__")


def _import(path: str):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: Numba's cache locates the function through its module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
