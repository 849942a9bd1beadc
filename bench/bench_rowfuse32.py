"""float32 row fusion (#14): float32 softmax, logsumexp, standardisation and layer norm with row fusion on and
off (off is the plan float32 got before reductions with different accumulator dtypes could share a row kernel),
NumPy alongside, interleaved in one process, 2 threads.

    python bench/bench_rowfuse32.py ROUNDS [ROWS COLS]

Prints median times and ratios to NumPy's (only ratios within one run mean anything) and the load average.
"""
import functools
import os
import sys
import time

sys.path.insert(0, ".")
import numba  # noqa: E402
import numpy as np  # noqa: E402

import lazyarr as la  # noqa: E402
import lazyarr.compiler.rowfuse as rowfuse  # noqa: E402
from tests.test_rowfuse import layernorm, logsumexp, softmax, standardise0  # noqa: E402


def contenders(fn, arrays) -> dict:
    fns = {"numpy": functools.partial(fn, *arrays)}
    for flag in (False, True):
        rowfuse.enabled = flag
        f = la.fuse(fn)
        f(*arrays)  # traced and planned now, with this setting
        fns[f"lazyarr.fuse rowfuse={'on' if flag else 'off'}"] = functools.partial(f, *arrays)
    rowfuse.enabled = True
    return fns


def main(rounds: int, shape: tuple) -> None:
    numba.set_num_threads(2)
    la.set_num_threads(2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    g, b = (rng.random(shape[1]) + 0.5).astype(np.float32), rng.random(shape[1]).astype(np.float32)
    for fn in (softmax, logsumexp, standardise0, layernorm):
        arrays = [x, g, b] if fn is layernorm else [x]
        fns = contenders(fn, arrays)
        want = fns["numpy"]()
        for name, f in fns.items():
            got = f()
            assert got.dtype == np.float32 and np.allclose(got, want, rtol=1e-5, atol=1e-5), name
        times = {k: [] for k in fns}
        for _ in range(rounds):
            for k, f in fns.items():
                t = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t)
        base = np.median(times["numpy"])
        print(f"== {fn.__name__} float32 {shape}")
        for k, v in times.items():
            print(f"  {k:24s} {np.median(v) * 1e3:8.2f} ms  x numpy {np.median(v) / base:.3f}")
        sys.stdout.flush()
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main(int(sys.argv[1]), tuple(int(a) for a in sys.argv[2:4]) if len(sys.argv) > 3 else (400, 3000))
