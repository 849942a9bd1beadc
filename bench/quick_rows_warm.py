"""The quick tier's row kernels against the Numba row kernels, warm, alternating in one process (#14 quick rows).

bench_compilers.py's softmax, logsumexp and layer norm (4000x2500 float64), each computed with the tier on and
off in turn (``config.set_quick_tier``), the order swapped every round, so both see the same load; wall and CPU
time (``process_time``) per call, and whether both give the same bits.

    python bench/quick_rows_warm.py [threads] [rounds]
"""
import sys, time, os
import numpy as np, lazyarr as la
from lazyarr import config
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_compilers as bc
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
x = np.random.default_rng(1).random(bc.SHAPE_FULL)
rng = np.random.default_rng(2)
g, b = rng.random(x.shape[1]) + 0.5, rng.random(x.shape[1])
progs = {"softmax": (bc.softmax, (x,)), "logsumexp": (bc.logsumexp, (x,)), "layernorm": (bc.layernorm, (x, g, b))}
print("shape", x.shape, "threads", threads, "load", os.getloadavg())
for name, (fn, args) in progs.items():
    res = {True: ([], []), False: ([], [])}
    outs = {}
    with la.num_threads(threads):
        for quick in (True, False):  # compile / warm both
            config.set_quick_tier(quick); outs[quick] = np.asarray(fn(np, *[la.array(a) for a in args])); np.asarray(fn(np, *[la.array(a) for a in args]))
        for i in range(rounds):
            for quick in ((True, False) if i % 2 == 0 else (False, True)):
                config.set_quick_tier(quick)
                w, c = time.perf_counter(), time.process_time()
                np.asarray(fn(np, *[la.array(a) for a in args]))
                res[quick][0].append(time.perf_counter() - w); res[quick][1].append(time.process_time() - c)
    config.set_quick_tier(None)
    same = np.array_equal(outs[True].view(np.uint8), outs[False].view(np.uint8))
    def s(v): v = sorted(v); return f"min {v[0]*1e3:6.1f} q25 {v[len(v)//4]*1e3:6.1f} med {v[len(v)//2]*1e3:6.1f}"
    print(f"{name:10s} quick wall {s(res[True][0])} cpu {s(res[True][1])}")
    print(f"{name:10s} numba wall {s(res[False][0])} cpu {s(res[False][1])}  same bits: {same}")
print("load", os.getloadavg())
