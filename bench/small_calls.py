"""Small calls (#14): the issue's 1,000-element expression, per call, CPU time, lazyarr against numexpr.

    python bench/small_calls.py [n] [rounds]

`(la.array(a) * 2 + la.array(b)).compute()` with and without `out=`, the same arrays every call, against
`numexpr.evaluate("a*2+b")` (with and without `out=`), `@la.fuse` and NumPy; also the graph's building
alone. Each contender runs 3 x 2,000 calls per round, interleaved, min per call over the rounds, timed with
`time.thread_time`: on a shared machine the wall clock of a 15 us call varies 2x between rounds, this
thread's CPU time far less (numexpr runs a 1,000-element call on the calling thread).
"""
from __future__ import annotations

import os
import sys
import time
import timeit
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numexpr as ne
import numpy as np

import lazyarr as la


def contenders(n: int) -> dict:
    rng = np.random.default_rng(0)
    a, b, o = rng.random(n), rng.random(n), np.empty(n)

    @la.fuse
    def fused(a, b):
        return a * 2 + b

    return {
        "lazy": lambda: (la.array(a) * 2 + la.array(b)).compute(),
        "lazy out=": lambda: (la.array(a) * 2 + la.array(b)).compute(out=o),
        "numexpr": lambda: ne.evaluate("a*2+b", local_dict={"a": a, "b": b}),
        "numexpr out=": lambda: ne.evaluate("a*2+b", local_dict={"a": a, "b": b}, out=o),
        "la.fuse": lambda: fused(a, b),
        "building only": lambda: la.array(a) * 2 + la.array(b),
        "numpy": lambda: a * 2 + b,
    }


def main(n: int = 1000, rounds: int = 15, number: int = 2000) -> dict:
    ne.set_num_threads(2)
    fns = contenders(n)
    for fn in fns.values():
        fn(), fn(), fn()  # full path, recipe, remembered graph
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            t = min(timeit.repeat(fn, number=number, repeat=3, timer=time.thread_time)) / number
            best[name] = min(best[name], t * 1e6)
    print(f"n={n}, min CPU time per call over {rounds} rounds (us), load {os.getloadavg()}")
    for name, t in best.items():
        print(f"  {name:14s} {t:8.2f}")
    print(f"  lazy / numexpr {best['lazy'] / best['numexpr']:.2f}, lazy out= / numexpr out= "
          f"{best['lazy out='] / best['numexpr out=']:.2f}, la.fuse / numexpr {best['la.fuse'] / best['numexpr']:.2f}")
    return best


if __name__ == "__main__":
    main(*(int(v) for v in sys.argv[1:3]))
