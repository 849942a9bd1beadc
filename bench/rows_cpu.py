"""Warm row programs, CPU and wall time per call, for comparing two checkouts (#14 s13 lse).

bench_compilers.py's softmax, logsumexp and layer norm (4000x2500 float64, the `rows` loop) and standardisation
over axis 0 (the `split` loop), each as ``@la.fuse`` and lazy (``compute()``) calls at 1 and 2 threads: min,
first quartile and median over the rounds of wall and CPU time (``process_time``, all threads). Run it from two
checkouts in turn, alternating, so both see the same load:

    for i in 1 2 3; do (cd OLD && PYTHONPATH=$PWD python bench/rows_cpu.py 11); \
                       (cd NEW && PYTHONPATH=$PWD python bench/rows_cpu.py 11); done
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

import lazyarr as la

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_compilers as bc  # noqa: E402  (the workloads' one definition)


def workloads() -> dict:
    x = np.random.default_rng(1).random(bc.SHAPE_FULL)
    rng = np.random.default_rng(2)
    g, b = rng.random(x.shape[1]) + 0.5, rng.random(x.shape[1])
    return {"logsumexp": (bc.logsumexp, (x,)), "softmax": (bc.softmax, (x,)),
            "layernorm": (bc.layernorm, (x, g, b)), "standardise0": (bc.standardize, (x,))}


def summary(values: list) -> str:
    v = sorted(values)
    return f"{v[0] * 1e3:6.2f} {v[len(v) // 4] * 1e3:6.2f} {v[len(v) // 2] * 1e3:6.2f}"


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 11
    only = sys.argv[2:] or None
    print(f"{la.__file__}  rounds {rounds}  load {os.getloadavg()}  (ms: min q25 median)")
    for name, (fn, arrays) in workloads().items():
        if only and name not in only:
            continue
        fused = la.fuse(lambda *a, fn=fn: fn(np, *a))
        calls = {"fuse": lambda: fused(*arrays),
                 "lazy": lambda: fn(np, *[la.array(a) for a in arrays]).compute()}
        for threads in (1, 2):
            with la.num_threads(threads):
                times = {k: ([], []) for k in calls}
                for call in calls.values():
                    call()
                    call()
                for i in range(rounds):
                    for k in (list(calls) if i % 2 == 0 else list(calls)[::-1]):
                        w, c = time.perf_counter(), time.process_time()
                        calls[k]()
                        times[k][0].append(time.perf_counter() - w)
                        times[k][1].append(time.process_time() - c)
            for k, (wall, cpu) in times.items():
                print(f"{name:13s} {k} {threads} thread(s)  wall {summary(wall)}   cpu {summary(cpu)}")
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()
