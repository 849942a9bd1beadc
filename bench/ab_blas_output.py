"""(s16 blas) One process, interleaved: NumPy, and lazy/fused calls under three settings: A (session 15: the
product by NumPy's own allocation, pool floor 4 MiB), B (the product into a kept buffer: runtime/blas_output.py),
C (B and the pool floor at 1 MiB). Each setting's first call after the switch is untimed. Medians and minima of
wall and process CPU, minor page faults per call (docs/after_blas.md, session 16).

    python bench/ab_blas_output.py NAME ROUNDS          # SETTINGS=AC to time A and C only
"""
import sys, os, time, gc, resource, statistics as st
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr and bench
from bench import harness
from bench.programs import PROGRAMS, modes
name = sys.argv[1]; rounds = int(sys.argv[2])
harness.configure_threads(2)
import lazyarr as la
from lazyarr.runtime import blas_output, scratch
from lazyarr.graph import reference
prog = PROGRAMS[name]; args = prog.setup(prog.default_size)
on_apply = blas_output.apply
SETTINGS = {"A": (False, 4 << 20), "B": (True, 4 << 20), "C": (True, 1 << 20)}
SETTINGS = {k: SETTINGS[k] for k in os.environ.get("SETTINGS", "ABC")}
def setting(s):
    on, floor = SETTINGS[s]
    blas_output.apply = on_apply if on else reference.apply
    scratch.MIN_BYTES = floor
    scratch.clear()
calls = {"fuse": modes.caller(prog, "fuse", la), "lazy": modes.caller(prog, "lazy", la)}
npcall = modes.caller(prog, "numpy")
for c in (*calls.values(), npcall):
    for _ in range(2): c(modes.fresh_copies(args) if prog.mutates else args)
res = {}
def timed(key, c):
    one = modes.fresh_copies(args) if prog.mutates else args
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    w0, c0 = time.perf_counter(), time.process_time()
    c(one)
    res.setdefault(key, []).append(((time.perf_counter() - w0) * 1e3, (time.process_time() - c0) * 1e3,
                                    resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0))
gc.disable()
for r in range(rounds):
    for s in SETTINGS:
        setting(s)
        for m, c in calls.items():
            c(modes.fresh_copies(args) if prog.mutates else args)
            timed(f"{m} {s}", c)
        timed("numpy", npcall)
gc.enable()
print(name, "load", [round(x, 2) for x in os.getloadavg()])
for k, v in sorted(res.items()):
    w = sorted(x[0] for x in v); c = sorted(x[1] for x in v)
    print(f"  {k:7s} wall min {w[0]:7.2f} med {st.median(w):7.2f}  cpu min {c[0]:7.2f} med {st.median(c):7.2f}  faults {st.median(x[2] for x in v):6.0f}")
