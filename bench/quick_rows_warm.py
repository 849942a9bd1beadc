"""The quick tier's row kernels against the Numba row kernels, warm, alternating in one process (#14 quick rows).

Each workload is computed with the tier on and off in turn (``config.set_quick_tier``), the order swapped every
round, so both kernels see the same load; printed per kernel: wall and CPU time (``process_time``, all threads)
per ``compute()`` (min, first quartile, median over the rounds), and whether both gave the same bits.

    rows     bench_compilers.py's softmax, logsumexp and layer norm (4000x2500 float64: the `rows` loop)
    columns  standardisation and softmax over axis 0 of (400, 1000) and (256, 20000) C arrays (the `strips` loop)
             and of bench_compilers.py's 4000x2500 (the `split` loop)

    python bench/quick_rows_warm.py [threads] [rounds] [rows|columns]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

import lazyarr as la
from lazyarr import config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_compilers as bc  # noqa: E402  (the workloads' one definition)


def standardise0(xp, x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def softmax0(xp, x):
    e = xp.exp(x - x.max(axis=0))
    return e / e.sum(axis=0)


def workloads(which: str) -> dict:
    """name -> (function of (xp, *arrays), arrays)."""
    if which == "columns":
        found = {}
        for shape in [(400, 1000), (256, 20000), bc.SHAPE_FULL]:
            x = np.random.default_rng(1).random(shape)
            found[f"standardise0 {shape}"] = (standardise0, (x,))
            found[f"softmax0 {shape}"] = (softmax0, (x,))
        return found
    x = np.random.default_rng(1).random(bc.SHAPE_FULL)
    rng = np.random.default_rng(2)
    g, b = rng.random(x.shape[1]) + 0.5, rng.random(x.shape[1])
    return {"softmax": (bc.softmax, (x,)), "logsumexp": (bc.logsumexp, (x,)), "layernorm": (bc.layernorm, (x, g, b))}


def one_call(fn, args) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    np.asarray(fn(np, *[la.array(a) for a in args]))
    return time.perf_counter() - w, time.process_time() - c


def measure(fn, args, threads: int, rounds: int) -> tuple[dict, bool]:
    """{quick: ([wall], [cpu])} and whether the two kernels gave the same bits."""
    times = {True: ([], []), False: ([], [])}
    outs = {}
    with la.num_threads(threads):
        for quick in (True, False):  # compiled (or loaded) and warm before timing
            config.set_quick_tier(quick)
            outs[quick] = np.asarray(fn(np, *[la.array(a) for a in args]))
            one_call(fn, args)
        for i in range(rounds):
            for quick in ((True, False) if i % 2 == 0 else (False, True)):
                config.set_quick_tier(quick)
                wall, cpu = one_call(fn, args)
                times[quick][0].append(wall)
                times[quick][1].append(cpu)
    config.set_quick_tier(None)
    return times, np.array_equal(outs[True].view(np.uint8), outs[False].view(np.uint8))


def summary(values: list) -> str:
    v = sorted(values)
    return f"min {v[0] * 1e3:7.2f} q25 {v[len(v) // 4] * 1e3:7.2f} med {v[len(v) // 2] * 1e3:7.2f}"


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    which = sys.argv[3] if len(sys.argv) > 3 else "rows"
    print(f"threads {threads}, rounds {rounds}, load {os.getloadavg()} (ms per call)")
    for name, (fn, args) in workloads(which).items():
        times, same = measure(fn, args, threads, rounds)
        for quick, label in ((True, "quick"), (False, "numba")):
            wall, cpu = times[quick]
            print(f"{name:22s} {label} wall {summary(wall)}  cpu {summary(cpu)}")
        print(f"{name:22s} same bits: {same}")
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()
