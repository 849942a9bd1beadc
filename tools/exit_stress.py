"""Stress lazyarr's interpreter exit: many short processes per scenario, each ending while lazyarr work is in
flight or just finished; counts the exit codes (139 / -11: a segfault at exit) and the processes whose stderr
has a traceback (an exception lazyarr let reach a thread), and keeps the first failure's output and stack.

``python tools/exit_stress.py [-n RUNS] [-j PARALLEL] [--gdb] [scenario ...]`` (docs/runtime.md, "Exit
(session 17, exitsegv)"). Each process runs with ``-X faulthandler`` and core dumps allowed, in a directory of
its own under ``--keep`` (default /tmp/lazyarr_exit_stress): the first crash of a scenario keeps its stderr (the
faulthandler stack of every Python thread) and, with ``--gdb``, ``gdb -batch -ex 'thread apply all bt'`` on its
core. ``--fresh-cache`` gives each process an empty kernel cache (compiles in flight at exit); otherwise the
environment's LAZYARR_CACHE_DIR is used.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each scenario: the code of one process. It prints "done" last, so a crash after it is a crash at exit.
# ENV: settings of a scenario's processes (before --env's).
ENV = {"bg_first": {"LAZYARR_BACKGROUND_COMPILE": "1"}, "bg_daemon": {"LAZYARR_BACKGROUND_COMPILE": "1"},
       "warmup": {"LAZYARR_WARMUP": "1"}, "daemon_serial": {"LAZYARR_NUM_THREADS": "1"},
       "daemon_numba": {"LAZYARR_QUICK_TIER": "0"}}
SCENARIOS = {
    # session 16's kernel-suite script (/work/notes/s16/exitcrash.py): BLAS-bound kernels fused, twice each
    "suite": """
import sys, numpy as np
sys.path.insert(0, "tools/sweeps")
import lazyarr as la, kernel_suite as ks
rng = np.random.default_rng(0)
for k in ks.KERNELS:
    if k.name in ("syrk", "doitgen", "cholesky", "gramschmidt", "gemm", "correlation"):
        for rep in range(2):
            args = k.make(rng, 40, k.dtypes[rep % 2])
            la.fuse(k.fn)(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
            x = la.array(args[0]); (x * 2 + 1).sum().compute()
""",
    # many small lazy expressions (serial quick-tier calls through the C entries, kept plans) then exit
    "entries": """
import numpy as np, lazyarr as la
rng = np.random.default_rng(0)
for dt in ("f8", "f4", "i8", "i4"):
    a = rng.random(1000).astype(dt); b = rng.random(1000).astype(dt)
    for i in range(30):
        f = la.fuse(lambda a, b, i=i: a * (i + 1) + b - i)
        for rep in range(3):
            f(a, b)
        (la.array(a) * 3 + la.array(b)).compute()
""",
    # many entries of many signatures (arrays in, constants, outputs), as a long lazy-mode sweep makes
    "many_entries": """
import numpy as np, lazyarr as la
rng = np.random.default_rng(0)
xs = [rng.random(1000) for _ in range(4)]
for n in range(1, 5):
    for c in (2.0, 3, None):
        for two in (False, True):
            def fn(*a, c=c, two=two):
                s = a[0] * 2
                for x in a[1:]:
                    s = s + x
                if c is not None:
                    s = s * c
                return (s, s - a[0]) if two else s
            f = la.fuse(fn)
            for _ in range(3):
                f(*xs[:n])
            (sum(la.array(x) for x in xs[:n]) * 5).compute()
""",
    # entries made amid many small objects that are freed before exit (a long run's heap): the memory the
    # entries' definitions lie in can be returned to the system at exit before the builtins are freed
    "entries_churn": """
import numpy as np, lazyarr as la
rng = np.random.default_rng(0)
xs = [rng.random(1000) for _ in range(4)]
junk = []
for n in range(1, 5):
    for c in (2.0, 3, None):
        junk.append([(i, str(i)) for i in range(100_000)])
        f = la.fuse(lambda *a, c=c: sum(a) * (c if c is not None else 1.5))
        for _ in range(3):
            f(*xs[:n])
        junk.append([[i] for i in range(100_000)])
del junk
""",
    # dask's threaded scheduler computing lazy expressions over dask arrays, then exit
    "dask": """
import numpy as np, dask.array as da, lazyarr as la
rng = np.random.default_rng(0)
x = rng.random((300, 200))
for c in ((100, 200), (1, 200), (150, 50)):
    d = la.array(da.from_array(x, chunks=c))
    for e in (d * 2 + 1, np.sin(d) + d, (d * d).sum(axis=0), d.mean(axis=1), np.exp(d) - d.T.T):
        e.compute(); e.to_dask().compute()
""",
    # background compilation: exit right after NumPy's first answers, compiles in flight (quick tier aside,
    # the compile worker, the blocks helper)
    "bg_first": """
import os, numpy as np, lazyarr as la
rng = np.random.default_rng(int.from_bytes(os.urandom(4), "little"))
a = rng.random(300_000); b = rng.random((500, 300))
for i in range(4):
    (la.array(a) * float(rng.random()) + np.sin(la.array(a))).compute()
    (la.array(b).sum(axis=0) + i).compute()
""",
    # a daemon thread launching parallel kernels (Numba's and the quick tier's) when the main thread exits
    "daemon_kernel": """
import threading, time, numpy as np, lazyarr as la
a = np.random.default_rng(0).random(2_000_000)
f = la.fuse(lambda a: np.sin(a) * 2 + a)
g = la.fuse(lambda a: (a * a).sum())
f(a); g(a)
def loop():
    while True:
        f(a); g(a); (la.array(a) + 1).compute()
threading.Thread(target=loop, daemon=True).start()
time.sleep(0.05)
""",
    # background compilation, the calls made from a daemon thread still running at exit
    "bg_daemon": """
import os, threading, time, numpy as np, lazyarr as la
from lazyarr.runtime import block_helper
block_helper._cpu_idle_now = lambda: True  # the helper takes blocks whatever the load (it would not on busy cores)
rng = np.random.default_rng(int.from_bytes(os.urandom(4), "little"))
a = rng.random(300_000)
def loop():
    i = 0
    while True:
        i += 1
        (la.array(a) * (i % 7 + 1) + np.cos(la.array(a))).compute()
        (la.array(a).reshape(600, 500).sum(axis=1) - i).compute()
threading.Thread(target=loop, daemon=True).start()
time.sleep(float(rng.random()) * 0.3)
print("blocks helped", block_helper.blocks_helped())
""",
    # the warm-up thread (Numba's start) still running at exit, a first kernel compiled meanwhile
    "warmup": """
import numpy as np, lazyarr as la
(la.array(np.arange(10.0)) * 2).compute()
""",
    # a daemon thread in serial kernels that release the GIL (the quick tier's C entry above RELEASE_GIL
    # elements, one thread) when the main thread exits: the thread is ended when it takes the GIL back
    "daemon_serial": """
import threading, time, os, numpy as np, lazyarr as la
a = np.random.default_rng(0).random(1_000_000)
(la.array(a) * 3.0 + 1.0).compute()
def loop():
    while True:
        (la.array(a) * 3.0 + 1.0).compute()  # a kept plan's serial call: the C entry
threading.Thread(target=loop, daemon=True).start()
time.sleep(0.02 + 0.1 * (os.getpid() % 7) / 7)
""",
    # the same with Numba's kernels (quick tier off)
    "daemon_numba": """
import threading, time, os, numpy as np, lazyarr as la
a = np.random.default_rng(0).random(1_000_000)
f = la.fuse(lambda a: np.sin(a) * 3.0 + 1.0)
g = la.fuse(lambda a: (a * 2).sum())
f(a); g(a)
def loop():
    while True:
        f(a); g(a)
threading.Thread(target=loop, daemon=True).start()
time.sleep(0.02 + 0.1 * (os.getpid() % 7) / 7)
""",
    # fuse calls in non-main threads (a pool), exit after they finish
    "thread_fuse": """
import numpy as np, lazyarr as la
from concurrent.futures import ThreadPoolExecutor
a = np.random.default_rng(0).random(400_000)
fs = [la.fuse(lambda a, i=i: np.exp(a) * i + a) for i in range(6)]
with ThreadPoolExecutor(3) as pool:
    list(pool.map(lambda f: [f(a) for _ in range(5)], fs))
""",
}


def run_one(name: str, code: str, work: str, env: dict, timeout: float) -> tuple[int, str, str]:
    os.makedirs(work, exist_ok=True)

    def allow_cores():  # (the core lands in `work` where kernel.core_pattern is a plain "core")
        hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))

    sweeps = repr(os.path.join(ROOT, "tools", "sweeps"))
    script = code.replace('"tools/sweeps"', sweeps) + '\nprint("done", flush=True)\n'
    try:
        p = subprocess.run([sys.executable, "-X", "faulthandler", "-c", script], cwd=work, env=env,
                           capture_output=True, text=True, timeout=timeout, preexec_fn=allow_cores)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", e.stdout or "", e.stderr or ""
        out = out.decode() if isinstance(out, bytes) else out
        err = err.decode() if isinstance(err, bytes) else err
    return rc, out, err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("-n", type=int, default=20, help="processes per scenario")
    ap.add_argument("-j", type=int, default=2, help="processes at once")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--keep", default="/tmp/lazyarr_exit_stress")
    ap.add_argument("--fresh-cache", action="store_true")
    ap.add_argument("--gdb", action="store_true")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the processes")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    given = dict(kv.split("=", 1) for kv in args.env)
    os.makedirs(args.keep, exist_ok=True)
    for name in args.scenarios:
        code = SCENARIOS[name]
        started = time.time()
        tally = collections.Counter()
        kept = None

        def task(i, name=name, code=code):
            e = {**env, **ENV.get(name, {}), **given}
            cache = None
            if args.fresh_cache:
                cache = e["LAZYARR_CACHE_DIR"] = tempfile.mkdtemp(prefix="la_exit_cache_")
            work = os.path.join(args.keep, f"{name}-{i}")
            try:
                return i, run_one(name, code, work, e, args.timeout)
            finally:
                if cache:
                    shutil.rmtree(cache, ignore_errors=True)

        with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
            for i, (rc, out, err) in pool.map(task, range(args.n)):
                printed = "done" in out
                traceback = "Traceback" in err  # an exception lazyarr let reach a thread at exit
                tally[(rc, printed, traceback)] += 1
                if (rc != 0 or traceback) and kept is None:
                    kept = os.path.join(args.keep, f"{name}-crash-{i}.txt")
                    with open(kept, "w") as f:
                        f.write(f"rc {rc}, printed done: {printed}\n--- stdout\n{out}\n--- stderr\n{err}\n")
                    core = os.path.join(args.keep, f"{name}-{i}", "core")
                    if os.path.exists(core):
                        dest = kept[:-4] + ".core"
                        shutil.move(core, dest)
                        if args.gdb:
                            bt = subprocess.run(["gdb", "-batch", "-ex", "thread apply all bt", sys.executable,
                                                 dest], capture_output=True, text=True).stdout
                            with open(kept, "a") as f:
                                f.write("--- gdb\n" + bt)
                shutil.rmtree(os.path.join(args.keep, f"{name}-{i}"), ignore_errors=True)
        summary = ", ".join(f"rc {rc}{'' if done else ' (before done)'}{' with a traceback' if tb else ''}: {c}"
                            for (rc, done, tb), c in sorted(tally.items(), key=str))
        print(f"{name}: {args.n} runs in {time.time() - started:.0f} s; {summary}"
              + (f"; first failure kept in {kept}" if kept else ""), flush=True)


if __name__ == "__main__":
    main()
