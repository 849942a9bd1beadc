"""Axis-0 centring (``x - x.mean(0)`` of a C array: a ``strips`` or ``split`` row kernel, runtime/rows.py)
against NumPy, the ordinary plan (a reduce kernel, then a map kernel) and strips of given widths, over shapes,
interleaved in one process (#15 covcos).

    python bench/bench_strips.py ROUNDS [ROWSxCOLS ...] [--widths 64,128,256] [--threads N]

Prints each contender's minimum and median time per shape (only ratios within one run mean anything).
"""
import statistics
import sys
import time

sys.path.insert(0, ".")
import numpy as np  # noqa: E402

import lazyarr as la  # noqa: E402
import lazyarr.compiler.rowfuse as rowfuse  # noqa: E402
import lazyarr.runtime.rows as rows  # noqa: E402

SHAPES = ["6000x750", "100000x64", "20000x200", "2000x4000", "3000x3000", "500x500", "200000x16"]


def contenders(x: np.ndarray, widths: list[int]) -> dict:
    fns = {"numpy": lambda: x - x.mean(0)}
    chosen_width, chosen_loop = rows.strip_width, rows.loop_of

    def lazy(rowfuse_on: bool, width=None):
        def run():
            rowfuse.enabled = rowfuse_on
            if width:  # strips of this width, whatever loop_of would pick
                rows.strip_width, rows.loop_of = (lambda k: width), (lambda k, views: rows.mode_of(views))
            try:
                X = la.array(x)
                return (X - X.mean(0)).compute()
            finally:
                rowfuse.enabled, rows.strip_width, rows.loop_of = True, chosen_width, chosen_loop
        return run

    fns["reduce+map"] = lazy(False)
    fns["rowkernel (chosen)"] = lazy(True)
    for w in widths:
        fns[f"strips w={w}"] = lazy(True, w)
    return fns


def main(argv: list[str]) -> None:
    threads = 2
    if "--threads" in argv:
        i = argv.index("--threads")
        threads = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    la.set_num_threads(threads)
    rounds = int(argv[0])
    widths = []
    if "--widths" in argv:
        i = argv.index("--widths")
        widths = [int(w) for w in argv[i + 1].split(",")]
        argv = argv[:i] + argv[i + 2:]
    shapes = argv[1:] or SHAPES
    rng = np.random.default_rng(0)
    for spec in shapes:
        shape = tuple(int(d) for d in spec.split("x"))
        x = rng.standard_normal(shape)
        fns = contenders(x, widths)
        want = fns["numpy"]()
        for name, fn in fns.items():
            assert np.allclose(fn(), want, rtol=1e-12, atol=1e-12), name
        times = {k: [] for k in fns}
        for _ in range(rounds):
            for name, fn in fns.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        base = statistics.median(times["numpy"])
        print(f"{spec}:")
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"  {name:22s} min {min(ts) * 1e3:8.2f} ms  median {med * 1e3:8.2f} ms  x NumPy {med / base:5.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
