"""Numba's once-per-process start, done on a background thread that ``import lazyarr`` starts.

Before the first kernel a process compiles, Numba refreshes its CPU typing and target contexts
(``CompilerBase.__init__`` calls ``target_context.refresh()``): it imports ``numba.np.arraymath`` (whose BLAS
check imports ``scipy.linalg``), the ufunc tables, cffi support and third-party extensions, and installs every
registry of implementations. That takes ~0.25 s on a quiet machine. Done here, it overlaps with what the
program does before its first compile (reading data, waiting for I/O, a person typing); later refreshes only
install registrations made since, which is cheap. Kernels loaded from the disk cache do not need it
(``cache._build`` skips it), so it only pays for a process's first compile, and a compute issued while it
runs waits for it: that is why it is off in scripts (docs/runtime.md has the figures).

The rules that keep it safe:

- it holds Numba's global compiler lock, as a compile does, so it never runs beside a compile or a cache load;
- lazyarr's own compile path calls ``wait()`` first, so a ``compute()`` issued meanwhile waits for it instead
  of importing Numba's modules beside it in another thread;
- a fork waits for it (``os.register_at_fork``), so a child never inherits the compiler lock or an import lock
  that it held (a child forked mid-warm-up hangs on its first compile otherwise); it takes none of lazyarr's
  locks, so the order in which lazyarr's fork handlers run does not matter;
- the interpreter's exit waits for it (bounded), so it is never cut off mid-import;
- an error here is only remembered (``state()``, and printed with LAZYARR_DEBUG=1): the first compile then does
  the same refresh in the caller's thread, where a real failure raises as it would have without the warm-up;
- ``LAZYARR_WARMUP`` (``config.warmup``): on in interactive sessions by default, ``1``/``0`` to force it.

Its price: the thread holds the GIL for most of its ~0.25 s of work, so Python code the program runs in the
meantime is slowed by about that much; work that releases the GIL (I/O, sleeping, large NumPy operations) is not.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
import time
import warnings

import numpy as np

from lazyarr import config
from lazyarr.kernels import numba_glue

__all__ = ["also", "start", "wait", "state"]

# Generous: the work takes well under a second, but it waits for a compile another thread is running.
EXIT_TIMEOUT_S = 30.0

_thread: threading.Thread | None = None
_state = "off"  # off, running, done, or "failed: <exception>"
_seconds: float | None = None


def start() -> None:
    """Start the warm-up thread, once per process, if ``config.warmup()`` says so (called by ``import lazyarr``)."""
    global _thread, _state
    if _thread is not None:
        return
    try:
        enabled = config.warmup()
    except ValueError as exc:  # a typo in a setting must not break ``import lazyarr``
        warnings.warn(f"lazyarr: {exc}; the warm-up thread is off", RuntimeWarning, stacklevel=2)
        enabled = False
    if not enabled:
        return
    _state = "running"
    _thread = threading.Thread(target=_run, name="lazyarr-warmup", daemon=True)
    _thread.start()


def wait(timeout: float | None = None) -> bool:
    """Wait for the warm-up to end (True), or `timeout` seconds (False). True at once when it is off or done,
    and when called from the warm-up thread itself."""
    thread = _thread
    if thread is None or thread is threading.current_thread():
        return True
    thread.join(timeout)
    return not thread.is_alive()


def state() -> str:
    """``off``, ``running``, ``done in 0.253 s`` or ``failed: <the exception>``."""
    if _state == "done" and _seconds is not None:
        return f"done in {_seconds:.3f} s"
    return _state


# (#14 bgfirst) Work registered by upper layers (``also``), run after Numba's start: a first answer's own code
# (building a graph, NumPy over it) run once here, so a person's first expression does not pay for running it the
# first time in the process (~0.3-0.5 ms of a ~1 ms first answer at a serial size, docs/runtime.md).
_also: list = []


def also(work) -> None:
    """Have the warm-up thread call `work()` after Numba's start (register before ``start``). An error there is
    only printed with LAZYARR_DEBUG=1: the same code runs in the caller's thread later and raises there."""
    _also.append(work)


def _run_also() -> None:
    for work in _also:
        try:
            work()
        except Exception as exc:
            if config.debug():
                print(f"lazyarr: warm-up work {work!r} failed ({exc!r})", file=sys.stderr)


def _run() -> None:
    global _state, _seconds
    started = time.perf_counter()
    try:
        _refresh_numba()
        _run_also()  # (#14 bgfirst)
    except Exception as exc:
        # The first compile repeats the refresh in the caller's thread and raises there if this was real.
        _state = f"failed: {exc!r}"
        if config.debug():
            print(f"lazyarr: warm-up failed ({exc!r}); the first compile does Numba's start instead",
                  file=sys.stderr)
        return
    _seconds = time.perf_counter() - started
    _state = "done"


def _refresh_numba() -> None:
    # Numba's ufunc table first, under lazyarr's lock (#14): the refresh fills it too (``numba.np.npyimpl``), but
    # without that lock, and a graph built meanwhile could read it half filled; filled here, the first graph
    # built after the warm-up no longer pays for it (10-25 ms of imports on a first answer, docs/runtime.md)
    numba_glue.ufunc_loops(np.add)
    numba_glue.refresh_target()


def _wait_before_fork() -> None:
    # A fork in the middle of the warm-up would leave the child a compiler lock or a module's import lock held
    # by a thread it does not have. A thread that holds the compiler lock itself cannot wait for the warm-up
    # (which needs that lock); it forks mid-compile anyway, which no waiting here could make safe.
    if _thread is None or not _thread.is_alive():
        return
    if not numba_glue.global_compiler_lock.is_locked():  # held by this thread, that is
        wait()


@atexit.register
def _wait_at_exit() -> None:
    # A daemon thread stopped by the interpreter's finalisation mid-import can crash it; the work is short.
    wait(EXIT_TIMEOUT_S)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_wait_before_fork)
