"""Per-element cost of the vector functions in ``log1p(exp(-abs(a-b))) + tanh(a)*arctan(b)`` (#14 rowjax): a plain
``@njit`` loop over 1,024 float64 (in L1) calling each ``kernels/vecmath.py`` function, and the whole
expression in one loop, one thread, CPU time, min and median of ROUNDS interleaved rounds.

    python bench/bench_vecmath_parts.py ROUNDS

Only ratios within one run mean anything on a shared machine; exp is the yardstick.
"""
import os
import sys
import time

sys.path.insert(0, ".")
import numba  # noqa: E402
import numpy as np  # noqa: E402

import lazyarr.kernels.vecmath as V  # noqa: E402

_loop_jit = numba.njit(cache=False, nogil=True, error_model="numpy", boundscheck=False)


def _over(fn):
    @_loop_jit
    def loop(x, out):
        ok = True
        for i in range(x.size):
            value, good = fn(x[i])
            ok &= good
            out[i] = value
        return ok
    return loop


@_loop_jit
def _whole(a, b, out):
    ok = True
    for i in range(a.size):
        e, ok1 = V.exp(-abs(a[i] - b[i]))
        lg, ok2 = V.log1p(e)
        t, ok3 = V.tanh(a[i])
        q, ok4 = V.arctan(b[i])
        ok &= ok1 & ok2 & ok3 & ok4
        out[i] = lg + t * q
    return ok


def main(rounds: int, n: int = 1024, calls: int = 2000) -> None:
    rng = np.random.default_rng(0)
    a, b, out = rng.random(n), rng.random(n), np.empty(n)
    cases = {"exp": (_over(V.exp), (-a, out)), "log1p": (_over(V.log1p), (a, out)),
             "tanh": (_over(V.tanh), (a, out)), "arctan": (_over(V.arctan), (b, out)), "whole": (_whole, (a, b, out))}
    for fn, args in cases.values():
        fn(*args)
    times = {k: [] for k in cases}
    for _ in range(rounds):
        for name, (fn, args) in cases.items():
            start = time.process_time()
            for _ in range(calls):
                fn(*args)
            times[name].append((time.process_time() - start) / (n * calls) * 1e9)
    for name, t in times.items():
        print(f"{name:8s} {min(t):6.2f} ns/element min, {np.median(t):6.2f} median")
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
