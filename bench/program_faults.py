"""Per bench program: wall, CPU and minor page faults (getrusage) per call in numpy / fuse / lazy mode, medians
of 7 interleaved calls in one process. usage: python bench/program_faults.py NAME [NAME ...]"""
import gc, os, resource, sys, time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lazyarr as la
from bench.programs import PROGRAMS
from bench.programs.modes import caller
flt = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for name in sys.argv[1:]:
    p = PROGRAMS[name]
    args = p.setup(p.default_size)
    calls = {m: caller(p, m, la) for m in ("numpy", "fuse", "lazy")}
    for fn in calls.values(): fn(args); fn(args)
    res = {m: [] for m in calls}
    for _ in range(7):
        for m, fn in calls.items():
            gc.collect(); gc.disable()
            f0, w, c = flt(), time.perf_counter(), time.process_time()
            fn(args)
            res[m].append((time.perf_counter() - w, time.process_time() - c, flt() - f0)); gc.enable()
    med = lambda v, i: sorted(x[i] for x in v)[len(v) // 2]
    line = [f"{name:20s}"]
    for m, v in res.items():
        line.append(f"{m} {med(v,0)*1e3:6.1f}/{med(v,1)*1e3:6.1f} ms {med(v,2):5d} flt")
    print(" | ".join(line), flush=True)
