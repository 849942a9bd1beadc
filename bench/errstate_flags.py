"""(s16 lazyerr) Could lazy mode give NumPy's RuntimeWarnings (the default "warn" state) from the hardware flags?

For each small program: which floating-point categories NumPy reports (``np.errstate(all="call")``, one record per
ufunc call) and which flags the x86 status register holds after lazyarr computes the same program (cleared
before ``compute()``, read after, kernels already compiled, one thread at 1,000 elements so every kernel runs
on this thread). A flag NumPy does not report is *spurious*: warning from the flags would warn where NumPy does
not. Also the cost of the flag read itself, and of NumPy's re-run that a flag would have to trigger to find out
which operation set it. Results: docs/fuse.md, "Error state in lazy mode (session 16)".

    PYTHONPATH=. python bench/errstate_flags.py
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import time

import numpy as np

import lazyarr as la

_libm = ctypes.CDLL(ctypes.util.find_library("m"))
FLAGS = {"invalid": 0x01, "divide": 0x04, "over": 0x08, "under": 0x10}  # glibc's FE_* on x86-64
_ALL = sum(FLAGS.values())


def _flags_after(fn) -> set:
    _libm.feclearexcept(_ALL)
    fn()
    raised = _libm.fetestexcept(_ALL)
    return {name for name, bit in FLAGS.items() if raised & bit}


def _numpy_reports(fn) -> set:
    seen = set()
    old = np.seterrcall(lambda kind, flag: seen.update(
        name for name, bit in (("divide", 1), ("over", 2), ("under", 4), ("invalid", 8)) if flag & bit))
    try:
        with np.errstate(all="call"):
            fn()
    finally:
        np.seterrcall(old)
    return seen


def programs(n: int = 1000) -> dict:
    rng = np.random.default_rng(16)
    x = rng.standard_normal(n) * 3          # negatives and positives
    pos = np.abs(x) + 0.1
    unit = np.clip(x / 10, -1, 1)
    big = rng.uniform(-800, 800, n)
    y = np.where(rng.random(n) < 0.1, 0.0, x)
    f32 = x.astype(np.float32)

    nan = np.where(rng.random(n) < 0.05, np.nan, x)  # missing values

    def masked(f):
        def program(m):
            xs = m.array(x.copy())
            xs[xs > 0] = f(m, xs[xs > 0])
            return xs
        return program

    return {
        "exp(x), |x| < 15": lambda m: m.exp(m.array(x)),
        "exp(x), |x| < 800 (overflows)": lambda m: m.exp(m.array(big)),
        "log(pos)": lambda m: m.log(m.array(pos)),
        "sin(x) * cos(x)": lambda m: m.sin(m.array(x)) * m.cos(m.array(x)),
        "tanh(x)": lambda m: m.tanh(m.array(x)),
        "arcsin(unit)": lambda m: m.arcsin(m.array(unit)),
        "pos ** 2.5": lambda m: m.array(pos) ** 2.5,
        "log1p(pos)": lambda m: m.log1p(m.array(pos)),
        "exp(-x*x) (underflows)": lambda m: m.exp(-m.array(big) * m.array(big)),
        "float32 exp(x)": lambda m: m.exp(m.array(f32)),
        "float32 log(|x|+.1)": lambda m: m.log(m.abs(m.array(f32)) + np.float32(0.1)),
        "x / y (zeros in y)": lambda m: m.array(x) / m.array(y),
        "where(x > 0, log(x), 0)": lambda m: m.where(m.array(x) > 0, m.log(m.array(x)), 0.0),
        "x[x > 0] = log(x[x > 0])": masked(lambda m, v: m.log(v)),
        "x[x > 0] = sqrt(x[x > 0])": masked(lambda m, v: m.sqrt(v)),
        "x[x > 0] = 1 / x[x > 0]": masked(lambda m, v: 1.0 / v),
        "x[x > 0] = arccosh(x[x > 0] + 1)": masked(lambda m, v: m.arccosh(v + 1)),
        "exp(nan-holding x)": lambda m: m.exp(m.array(nan)),
        "sin(nan-holding x)": lambda m: m.sin(m.array(nan)),
        "log(abs(nan-holding x) + 1)": lambda m: m.log(m.abs(m.array(nan)) + 1),
        "maximum(nan-holding x, 0)": lambda m: m.maximum(m.array(nan), 0.0),
        "nan-holding x > 0": lambda m: m.array(nan) > 0,
        "nansum(nan-holding x)": lambda m: m.nansum(m.array(nan)),
        "sum(nan-holding x)": lambda m: m.array(nan).sum(),
        "sum((x - mean)**2)": lambda m: ((m.array(x) - m.array(x).mean()) ** 2).sum(),
        "logsumexp rows": lambda m: m.log(m.exp(m.array(x.reshape(10, -1))).sum(axis=1)),
    }


class _NumPy:
    """The same programs on NumPy: ``array`` is the identity."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def array(a):
        return a


def main() -> None:
    la.set_num_threads(1)
    npm = _NumPy()
    spurious_programs = 0
    rows = []
    for name, prog in programs().items():
        lazy = lambda: np.asarray(prog(la))  # noqa: E731
        with np.errstate(all="ignore"):
            lazy(), lazy(), lazy()  # compiled, recipes made, planned
        flags = _flags_after(lazy)
        wanted = _numpy_reports(lambda: prog(npm))
        spurious = flags - wanted
        missed = wanted - flags
        spurious_programs += bool(spurious - {"under"})
        rows.append(f"  {name:32s} NumPy reports {sorted(wanted)!s:28s} lazy flags {sorted(flags)!s:36s}"
                    + (f" spurious {sorted(spurious)}" if spurious else "")
                    + (f" missed {sorted(missed)}" if missed else ""))
    print(f"errstate_flags: 1,000 float64 elements (float32 where named), 1 thread, load {os.getloadavg()}")
    print("\n".join(rows))
    print(f"  programs with a spurious divide/over/invalid flag: {spurious_programs} of {len(rows)}")
    t0 = time.perf_counter()
    for _ in range(100_000):
        _libm.fetestexcept(_ALL)
    print(f"  fetestexcept through ctypes: {(time.perf_counter() - t0) * 10:.3f} us a call")
    _parallel()


def _parallel(n: int = 4_000_000) -> None:
    """A parallel kernel's flags stay in the status register of the thread that computed the lane: a zero
    divisor in the first element (the caller's chunk) and in the last (a worker's chunk), 2 threads."""
    la.set_num_threads(2)
    x = np.ones(n)
    for where in (0, -1):
        y = np.ones(n)
        y[where] = 0.0

        def program():
            return (la.array(x) / la.array(y) * 2).compute()

        with np.errstate(all="ignore"):
            program(), program(), program()
        seen = ["divide" in _flags_after(program) for _ in range(5)]
        print(f"  2 threads, {n:,} elements, zero divisor at [{where}]: the caller's divide flag in 5 calls {seen}")


if __name__ == "__main__":
    main()
