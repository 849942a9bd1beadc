"""One ufunc per thread across cache levels: lazyarr's ``compute()`` against NumPy's loop at sizes in L1, L2, L3 and
beyond, each with a fresh output and with ``out=`` a reused buffer, and the page faults each call pays (session 18
f32mem, #14: is a row bound by arithmetic or by memory? docs/vecmath.md).

For each size: CPU time (``time.process_time``) and wall time per element, the minimum over ROUNDS interleaved
rounds (numpy fresh, numpy out=, lazyarr fresh, lazyarr out=, in turn), each round enough calls for >= ~30 ms; minor
page faults per call from ``resource.getrusage`` over the same calls. Inputs as bench/bench_ufuncs.py's DOMAINS.

    python bench/ufunc_size_sweep.py [ROUNDS] [NAME_DTYPE ...]   # e.g. 5 tanh_float32 arctan2_float32 power_float32
    UFUNC_SWEEP_SIZES=4000,65536 python bench/ufunc_size_sweep.py 5 tanh_float32
"""
from __future__ import annotations

import os
import resource
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr

import numba  # noqa: E402

import lazyarr as la  # noqa: E402
from bench.bench_ufuncs import DOMAINS  # noqa: E402

SIZES = [int(s) for s in os.environ.get("UFUNC_SWEEP_SIZES", "4000,65536,1000000,4000000,16000000").split(",")]


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def contenders(name: str, dtype: str, n: int) -> dict:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    args = [rng.uniform(lo, hi, n).astype(dtype) for lo, hi in DOMAINS[name]]
    np_fn, la_fn = getattr(np, name), getattr(la, name)
    np_out, la_out = np.empty(n, dtype), np.empty(n, dtype)
    np_out[:] = 0  # touched: its pages are mapped before the first timed call
    la_out[:] = 0
    calls = {
        "numpy": lambda: np_fn(*args),
        "numpy out=": lambda: np_fn(*args, out=np_out),
        "lazyarr": lambda: la_fn(*[la.array(x) for x in args]).compute(),
        "lazyarr out=": lambda: la_fn(*[la.array(x) for x in args]).compute(out=la_out),
    }
    first = calls["numpy"]()
    for label, call in calls.items():  # compile and warm; every contender the same result within 2 ULP
        got = call()
        assert np.allclose(got, first, rtol=4e-7, atol=0, equal_nan=True), (name, dtype, n, label)
    return calls


def measure(name: str, dtype: str, n: int, rounds: int) -> dict:
    calls = contenders(name, dtype, n)
    reps = max(2, int(6e7 // n))  # >= ~30 ms a round at ~0.5 ns per element
    best = {label: [float("inf"), float("inf"), 0.0] for label in calls}
    for _ in range(rounds):
        for label, call in calls.items():
            f0, c0, w0 = _faults(), time.process_time(), time.perf_counter()
            for _ in range(reps):
                call()
            c1, w1, f1 = time.process_time(), time.perf_counter(), _faults()
            b = best[label]
            b[0] = min(b[0], (c1 - c0) / (reps * n) * 1e9)
            b[1] = min(b[1], (w1 - w0) / (reps * n) * 1e9)
            b[2] = (f1 - f0) / reps
    return best


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    names = sys.argv[2:] or ["tanh_float32", "arctan2_float32", "power_float32"]
    numba.set_num_threads(1)
    la.set_num_threads(1)  # lazyarr per thread, as bench_ufuncs.py
    print(f"ns per element (CPU / wall, min of {rounds}), minor faults per call; load {os.getloadavg()}")
    for item in names:
        name, dtype = item.rsplit("_", 1)
        print(f"{item}")
        print(f"  {'n':>9}" + "".join(f"{label:>26}" for label in ("numpy", "numpy out=", "lazyarr", "lazyarr out="))
              + f"{'ratio CPU':>11}{'ratio out=':>11}")
        for n in SIZES:
            best = measure(name, dtype, n, rounds)
            cells = "".join(f"{c:>9.3f} /{w:>6.3f} f{f:>7.0f}" for c, w, f in best.values())
            print(f"  {n:>9}{cells}{best['lazyarr'][0] / best['numpy'][0]:>11.3f}"
                  f"{best['lazyarr out='][0] / best['numpy out='][0]:>11.3f}", flush=True)
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()
