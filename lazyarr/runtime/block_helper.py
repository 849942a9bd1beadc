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
Without it, or in a forked child (which has no helper), the caller computes every block itself.
"""
from __future__ import annotations

import os
import queue
import threading

import numba
import numpy as np

# Fewer blocks than this are computed by the caller alone: a hand-off and the idle-CPU check cost 10-80 us, a
# block ~10-40 us.
MIN_BLOCKS = 8

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


def running() -> bool:
    return _helper is not None and _helper.is_alive()


def blocks_helped() -> int:
    """How many blocks the helper thread has computed in this process."""
    return _helped


def each(compute, blocks: list) -> None:
    """Call `compute(block)` for every block, on this thread and the helper (if it runs); NumPy's floating-point
    errors ignored on both, as over the whole arrays. An exception from either is raised here, after the
    helper has finished the block it was computing."""
    share = _Share(compute, blocks)
    if len(blocks) >= MIN_BLOCKS and running() and _cpu_idle_now():
        _tasks.put(share)
    share.work(helper=False)
    share.wait()


class _Share:
    """The blocks of one call, taken one at a time by whichever thread asks first."""
    __slots__ = ("compute", "blocks", "next", "busy", "error", "cond")

    def __init__(self, compute, blocks: list):
        self.compute, self.blocks = compute, blocks
        self.next = 0
        self.busy = 0  # blocks taken and not yet finished
        self.error: BaseException | None = None
        self.cond = threading.Condition(threading.Lock())

    def _take(self):
        with self.cond:
            if self.next >= len(self.blocks) or self.error is not None:
                return None
            self.next += 1
            self.busy += 1
            return self.blocks[self.next - 1]

    def _done(self, error: BaseException | None) -> None:
        with self.cond:
            self.busy -= 1
            if error is not None and self.error is None:
                self.error = error
            self.cond.notify_all()

    def work(self, helper: bool) -> None:
        """Compute blocks until none is left (or one failed: then no more are taken)."""
        global _helped
        with np.errstate(all="ignore"):  # NumPy 2's error state is per thread: the helper sets its own
            while (block := self._take()) is not None:
                try:
                    self.compute(block)
                except BaseException as exc:  # noqa: BLE001 - re-raised by the caller in ``wait``
                    self._done(exc)
                else:
                    _helped += helper  # only the helper thread writes it
                    self._done(None)

    def wait(self) -> None:
        """Until no block is being computed (none is left to take); then the first error, if any."""
        with self.cond:
            self.cond.wait_for(lambda: self.busy == 0)
            error = self.error
        if error is not None:
            raise error


def _serve() -> None:
    while True:
        _tasks.get().work(helper=True)


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
    try:
        with open("/proc/loadavg", "rb") as f:
            runnable = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0] < _cpus() - 0.5
        except (AttributeError, OSError):
            return False
    return runnable < _cpus()


def _forget_helper_in_child() -> None:
    # the helper thread does not exist in a forked child: its blocks are computed by the caller alone
    global _helper, _tasks, _start_lock
    _helper, _tasks, _start_lock = None, queue.SimpleQueue(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper_in_child)
