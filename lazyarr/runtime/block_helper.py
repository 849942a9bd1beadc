"""A second thread for NumPy's first answer in blocks (#14): the caller and one helper take blocks in turn.

While a kernel compiles in the background, ``runtime/blockwise`` computes its call with NumPy, block by block.
NumPy's loops release the GIL, and the compile worker is idle during the call (its compile is held until the
call returns: ``cache.holding_compiles``), so a second core would be idle too. Here the caller and a helper
thread take the blocks from one shared list, each the next one not yet taken, until none is left: the caller
never waits for a block the helper has not started, so a helper busy with another caller's blocks, or slow to
be scheduled, costs nothing but its own share. Which thread computes a block changes nothing in its value.

The helper is started once, with the compile worker (``import lazyarr`` with background compilation on: a
thread started inside a call makes that call wait until the new thread runs, 5-9 ms on a busy machine), and
only when the process may use two CPUs and neither ``NUMBA_NUM_THREADS`` nor ``LAZYARR_NUM_THREADS`` is 1.
A call asks it only when a CPU is idle at that moment (``_cpu_idle_now``): on busy cores two threads sharing
the GIL were slower than one. Without it, or in a forked child (which has no helper), the caller computes
every block itself.
"""
from __future__ import annotations

import itertools
import os
import queue
import threading

import numba
import numpy as np

# Fewer blocks than this are computed by the caller alone: a hand-off and the idle-CPU check cost 10-80 us, a
# block ~10-40 us.
MIN_BLOCKS = 8

LOADAVG = "/proc/loadavg"  # Linux: its fourth field is "running/total" threads of the machine

_tasks: "queue.SimpleQueue" = queue.SimpleQueue()
_helper: threading.Thread | None = None
_start_lock = threading.Lock()
_helped = 0  # blocks the helper computed in this process (the tests count them)


def start() -> None:
    """Start the helper thread if the process may use two CPUs (idempotent)."""
    global _helper
    with _start_lock:
        if _helper is None and _two_cpus_allowed():
            _helper = threading.Thread(target=_serve, name="lazyarr-blocks", daemon=True)
            _helper.start()
    if _helper is not None and _loadavg[1] < 0:
        try:  # (#14 bgfirst4) the idle-CPU check's file, opened once here rather than in a first answer
            _open_loadavg()
        except OSError:
            pass


def running() -> bool:
    return _helper is not None and _helper.is_alive()


def blocks_helped() -> int:
    """How many blocks the helper thread has computed in this process."""
    return _helped


def each(compute, blocks: list) -> None:
    """Call `compute(block)` for every block, on this thread and the helper (if it runs); NumPy's floating-point
    errors ignored on both, as over the whole arrays. An exception from either is raised here, after the
    helper has finished the block it was computing."""
    if len(blocks) < MIN_BLOCKS or not running() or not _cpu_idle_now():
        with np.errstate(all="ignore"):
            for block in blocks:
                compute(block)
        return
    share = _Share(compute, blocks)
    _tasks.put(share)
    share.work()
    share.wait()


class _Share:
    """The blocks of one call, each taken by whichever thread asks first. Per block a thread pays one
    ``next`` on a shared counter (atomic under the GIL); the helper's start and end are the only locked steps."""
    __slots__ = ("compute", "blocks", "counter", "error", "lock", "helper_began", "closed", "helper_done")

    def __init__(self, compute, blocks: list):
        self.compute, self.blocks = compute, blocks
        self.counter = itertools.count()
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.helper_began = self.closed = False
        self.helper_done = threading.Event()

    def work(self) -> int:
        """Compute blocks until none is left (or one failed: then no more are taken); how many it computed."""
        blocks, compute, done = self.blocks, self.compute, 0
        with np.errstate(all="ignore"):  # NumPy 2's error state is per thread: the helper sets its own
            while self.error is None and (i := next(self.counter)) < len(blocks):
                try:
                    compute(blocks[i])
                except BaseException as exc:  # noqa: BLE001 - re-raised by the caller in ``wait``
                    self.error = exc if self.error is None else self.error
                    break
                done += 1
        return done

    def help(self) -> None:
        """The helper's share: nothing if the caller has already finished (it then does not wait)."""
        global _helped
        with self.lock:
            if self.closed:
                return
            self.helper_began = True
        try:
            _helped += self.work()  # only the helper thread writes it
        finally:
            self.helper_done.set()

    def wait(self) -> None:
        """Until the helper has finished its blocks (if it began); then the first error, if any."""
        with self.lock:
            self.closed = True
            began = self.helper_began
        if began:
            try:
                self.helper_done.wait()
            except BaseException as exc:  # an interrupt here: the helper takes no further block
                self.error = exc if self.error is None else self.error
                raise
        if self.error is not None:
            raise self.error


def _serve() -> None:
    while True:
        _tasks.get().help()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _two_cpus_allowed() -> bool:
    one = os.environ.get("LAZYARR_NUM_THREADS", "").strip() == "1"
    return _cpus() >= 2 and numba.config.NUMBA_NUM_THREADS >= 2 and not one


def _cpu_idle_now() -> bool:
    """Whether fewer threads are runnable on the machine right now than this process has CPUs (Linux's
    /proc/loadavg counts them, this one included). Measured on 2 busy cores (load ~7): with no idle CPU the
    helper made the blocks' median 5x slower, not faster, since whichever thread holds the GIL is descheduled
    for a time slice while the other waits for it; ~15 us a call. Elsewhere: the 1-minute load average."""
    try:  # (#14 bgfirst2) os calls, not open(): no io objects (first call 60 -> 31 us, then 11 -> 7 us)
        runnable = int(_read_loadavg().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        _loadavg[:] = [None, -1]  # (a descriptor closed behind lazyarr's back: opened again next time)
        try:
            return os.getloadavg()[0] < _cpus() - 0.5
        except (AttributeError, OSError):
            return False
    return runnable < _cpus()


def _read_loadavg() -> bytes:
    """The file's text by one ``pread`` on a descriptor kept open (the kernel makes /proc/loadavg afresh at offset
    0). (#14 bgfirst4) Opened and closed per call, the path lookup and the two extra system calls were most of
    the check: a process's first check 40-44 us, later ones 7.5 us, against 6 and 1.5 us for the pread."""
    path, fd = _loadavg
    if path != LOADAVG or fd < 0:  # not opened by ``start``, or LOADAVG pointed elsewhere since (tests)
        fd = _open_loadavg()
    return os.pread(fd, 256, 0)


def _open_loadavg() -> int:
    with _start_lock:
        old = _loadavg[1]
        if old >= 0:
            _loadavg[:] = [None, -1]
            os.close(old)
        fd = os.open(LOADAVG, os.O_RDONLY)
        _loadavg[:] = [LOADAVG, fd]
        return fd


_loadavg: list = [None, -1]  # [path, descriptor] of the kept /proc/loadavg


def _forget_helper_in_child() -> None:
    # the helper thread does not exist in a forked child: its blocks are computed by the caller alone
    global _helper, _tasks, _start_lock
    _helper, _tasks, _start_lock = None, queue.SimpleQueue(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper_in_child)
