"""(s17, #15) A fused signature that runs slower than the function itself runs the function.

Issue #15: decorating a working NumPy function with ``@la.fuse`` never breaks it, and "the worst case is NumPy's
speed". A replayed program runs each step through a kernel launch or a NumPy stage called from Python (~10-25 us a
step), where NumPy runs a small step in ~0.2-5 us. So a program of many small steps (PolyBench's covariance at
n = 200: 200 row steps) replays far slower than the function: 35-40 ms against NumPy's 1 ms. No fusion
decision made at trace time can see that, because it depends on sizes, the machine and the load; a clock can.

The policy, per signature (and every guard variant of it, together): after the trace, the program's first replay
runs untimed (first execution of its code paths, empty buffer pools), the next ``TIMED_RUNS`` are timed, then the
function itself runs as plain NumPy on the caller's arguments ``NUMPY_RUNS`` times, timed. If NumPy's best time
is under ``FASTER`` times the program's best, the signature runs as plain NumPy from then on; otherwise the
program keeps running and the probe is over. Best times (minima), because load only ever adds time. Either way
every call gives NumPy's answer: a plain run is the function itself. What ``f.explain(...)`` shows
(``describe``) records the two times. ``f.cache_clear()`` forgets the verdicts.

Only calls with NumPy arguments are probed (LazyArray and dask arguments run lazily, as before). Calls that
trace (a guard that flips) are not timed. ``config.fuse_probe()`` (LAZYARR_FUSE_PROBE) turns it off: the tests
do, since which one runs depends on timing; tests/test_fuse_speed_probe.py turns it on.
"""
from __future__ import annotations

WARM_RUNS = 1
TIMED_RUNS = 2
NUMPY_RUNS = 2
FASTER = 0.85

# Calls of a signature, counting its first (the trace), until the probe has decided (bench_programs waits for it)
CALLS_TO_DECIDE = 1 + WARM_RUNS + TIMED_RUNS + NUMPY_RUNS


class Probe:
    """One signature's timings while it is probed; ``held`` keeps the fast entries its programs had, which stay
    off (the dispatcher times each call) until the verdict."""
    __slots__ = ("warm_left", "fused", "numpy", "held")

    def __init__(self):
        self.warm_left = WARM_RUNS
        self.fused: list[float] = []
        self.numpy: list[float] = []
        self.held: list = []  # (program, its fast entry)

    def hold(self, program) -> None:
        """Keep `program`'s fast entry aside while the probe runs, so each call comes through the dispatcher."""
        if program.fast is not None:
            self.held.append((program, program.fast))
            program.fast = None

    def release(self) -> None:
        """The fused program won: its fast entries back."""
        for program, fast in self.held:
            program.fast = fast
        self.held.clear()

    def runs_numpy_next(self) -> bool:
        """Whether this call is one of the plain NumPy runs (after the fused ones)."""
        return self.warm_left == 0 and len(self.fused) >= TIMED_RUNS

    def add_fused(self, seconds: float) -> None:
        if self.warm_left > 0:
            self.warm_left -= 1
        else:
            self.fused.append(seconds)

    def add_numpy(self, seconds: float) -> None:
        self.numpy.append(seconds)

    def verdict(self) -> bool | None:
        """None while measuring; True: run as plain NumPy; False: keep the fused program."""
        if len(self.numpy) < NUMPY_RUNS:
            return None
        return min(self.numpy) < FASTER * min(self.fused)

    def describe(self) -> str:
        fused, numpy = min(self.fused) * 1e3, min(self.numpy) * 1e3
        return f"best of {TIMED_RUNS} fused runs {fused:.3g} ms a call, best of {NUMPY_RUNS} NumPy runs {numpy:.3g} ms"
