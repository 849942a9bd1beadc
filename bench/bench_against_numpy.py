"""NumPy, hand-written Numba and lazyarr (la.fuse, la.array) on bench_compilers workloads, 2 threads, interleaved.

    python bench/bench_against_numpy.py ROUNDS NAME...   # NAME: a part of a bench_compilers workload name

For comparing two versions of lazyarr (run once per checkout, PYTHONPATH set to it): ratios to NumPy's time.
"""
import functools, sys, time
import numpy as np, numba
import lazyarr as la
from bench import bench_compilers as bc
print("lazyarr from", la.__file__)
numba.set_num_threads(2); la.set_num_threads(2)
rounds = int(sys.argv[1]); names = sys.argv[2:]
for spec in bc.specs():
    if not any(n in spec.name for n in names):
        continue
    arrays = spec.arrays(False)
    f = la.fuse(functools.partial(spec.fn, np))
    fns = {"numpy": lambda: spec.fn(np, *arrays), "handwritten": functools.partial(spec.handwritten, *arrays),
           "lazyarr.fuse": functools.partial(f, *arrays),
           "lazyarr.array": lambda: spec.fn(np, *[la.array(x) for x in arrays]).compute()}
    want = fns["numpy"]()
    for name, fn in fns.items():
        assert np.allclose(fn(), want, rtol=1e-9, atol=1e-9), name
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            t = time.perf_counter(); fn(); times[k].append(time.perf_counter() - t)
    base = np.median(times["numpy"])
    print(f"== {spec.name}")
    for k, v in times.items():
        print(f"  {k:16s} {np.median(v)*1e3:8.1f} ms  x numpy {np.median(v)/base:.3f}")
    sys.stdout.flush()
