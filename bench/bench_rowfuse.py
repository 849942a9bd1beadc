"""Row fusion on and off (#14): bench_compilers' workloads timed with NumPy, the hand-written Numba kernel and
lazyarr with ``lazyarr.compiler.rowfuse.enabled`` True and False, interleaved in one process, 2 threads.

    python bench/bench_rowfuse.py ROUNDS NAME...   # NAME: a part of a bench_compilers workload name

Prints the median time of each contender and its ratio to NumPy's (only ratios within one run mean anything).
"""
import functools
import sys
import time

sys.path.insert(0, ".")
import numba  # noqa: E402
import numpy as np  # noqa: E402

import lazyarr as la  # noqa: E402
import lazyarr.compiler.rowfuse as rowfuse  # noqa: E402
from bench import bench_compilers as bc  # noqa: E402


def contenders(spec, arrays) -> dict:
    fns = {"numpy": lambda: spec.fn(np, *arrays), "handwritten": functools.partial(spec.handwritten, *arrays)}
    for flag in (False, True):
        rowfuse.enabled = flag
        f = la.fuse(functools.partial(spec.fn, np))
        f(*arrays)  # traced and planned now, with this setting
        fns[f"lazyarr.fuse rowfuse={'on' if flag else 'off'}"] = functools.partial(f, *arrays)

        def rebuilt(flag=flag):  # la.array plans every call: the setting is applied per call
            rowfuse.enabled = flag
            return spec.fn(np, *[la.array(x) for x in arrays]).compute()

        fns[f"lazyarr.array rowfuse={'on' if flag else 'off'}"] = rebuilt
    rowfuse.enabled = True
    return fns


def main(rounds: int, names: list[str]) -> None:
    numba.set_num_threads(2)
    la.set_num_threads(2)
    for spec in bc.specs():
        if not any(n in spec.name for n in names):
            continue
        arrays = spec.arrays(False)
        fns = contenders(spec, arrays)
        want = fns["numpy"]()
        for name, fn in fns.items():
            assert np.allclose(fn(), want, rtol=1e-10, atol=1e-10), name
        times = {k: [] for k in fns}
        for _ in range(rounds):
            for k, fn in fns.items():
                t = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t)
        base = np.median(times["numpy"])
        print(f"== {spec.name}")
        for k, v in times.items():
            print(f"  {k:28s} {np.median(v) * 1e3:8.1f} ms  x numpy {np.median(v) / base:.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
