"""Compile latency (#14): the first call of a new expression in a fresh process with an empty kernel cache.

Each case runs in its own new interpreter with a new, empty ``LAZYARR_CACHE_DIR`` (warm-up thread off, as in
a script), which imports lazyarr, makes its data, and computes the expression once: that first compute()
pays Numba's start in the process and every compile the expression needs. Reported per case, as medians over
the rounds:

    cpu        CPU seconds of the first compute (``time.process_time``: every thread of the process). On a
               loaded machine this is the number to compare; wall time there mostly measures the neighbours.
    wall       wall seconds of the same call.
    compiles   kernels compiled by it (``la.cache_info()``).
    numpy      NumPy's own time for the same expression in the same process (wall, best of 3, once no compile
               runs beside it).
    background the first compute with LAZYARR_BACKGROUND_COMPILE=1 (NumPy answers while Numba compiles),
               wall, and its ratio to NumPy's time: the target is <= 1.5x; then its CPU time (process_time)
               against NumPy's (best of 3), the steadier ratio on a loaded machine; `caller`: the calling
               thread's own CPU (``time.thread_time``), without the compile threads' share of the call's window.
    bg+warm-up the same with an interactive session's defaults: the warm-up thread on too, and done before the
               first compute (a person typing after the import), so Numba's ufunc table is filled.
    np 1st     (#14 bgfirst2) NumPy's own *first* call of the expression in a fresh process (wall, then CPU):
               the same process start as the bg one (lazyarr imported, data made), then NumPy over the arrays
               before anything else ran. ``numpy`` above is NumPy's best of 3 in a warm process (its allocator
               already holds the temporaries' memory, its dispatch caches are filled); a first answer is compared
               with both (docs/runtime.md, "fifth round").

    python bench/latency.py                    # every case, 3 rounds (~3-4 minutes on 2 busy cores)
    python bench/latency.py --rounds 1 --only softmax
    python bench/bench_runtime.py --latency    # the same
    python bench/latency.py --tree /tmp/main   # the lazyarr of another checkout (before/after comparisons)
    python bench/latency.py --background-only --no-warm-up   # the bg column alone (seconds, not minutes)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# name -> (statements over the arrays a, b (1-D) and x (2-D) that leave the result in r, whether it is 2-D). `M`
# is the module: the lazyarr side runs them on la.array inputs with M = numpy (its functions dispatch to
# lazyarr), NumPy on the arrays themselves.
CASES = {
    "transcendental": ("r = a * 5 + M.sin(b) * a", False),
    "arithmetic": ("r = 2 * a + 3 * b * a - b", False),
    "full reduction": ("r = ((a - b) ** 2).sum()", False),
    "axis reduction": ("r = (x * 2).sum(axis=1)", True),
    "softmax rows": ("e = M.exp(x - x.max(axis=1, keepdims=True)); r = e / e.sum(axis=1, keepdims=True)", True),
    # (#14 quick rows) the other row-fused programs of the issue, over the last axis of a C array
    "logsumexp rows": ("m = x.max(axis=1); r = M.log(M.exp(x - m[:, None]).sum(axis=1)) + m", True),
    "layer norm rows": ("mu = x.mean(axis=1, keepdims=True); v = ((x - mu) ** 2).mean(axis=1, keepdims=True); "
                        "r = (x - mu) / M.sqrt(v + 1e-5) * 1.5 + 0.25", True),
    "standardise rows": ("r = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)", True),
    # the strided axis (`strips` loop, rowfuse.md): the first 400 rows, so a strip of the reduced axis fits its
    # cache budget at 1000x1000 too (a longer axis 0 runs the `split` loop)
    "standardise columns": ("y = x[:400]; r = (y - y.mean(axis=0)) / y.std(axis=0)", True),
    # the whole 1000x1000 (parallel size): axis 0 too long for a strip, the `split` loop (20x50: strips again)
    "standardise long columns": ("r = (x - x.mean(axis=0)) / x.std(axis=0)", True),
}
# (elements, 2-D shape): above and below the default parallel threshold (2**15).
SIZES = {"parallel": (10**6, (1000, 1000)), "serial": (1000, (20, 50))}

CHILD = textwrap.dedent(
    r"""
    import json, sys, time
    w0, c0 = time.perf_counter(), time.process_time()
    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import cache, warmup
    out = {"import_wall": time.perf_counter() - w0, "import_cpu": time.process_time() - c0}
    warmup.wait()  # at once unless LAZYARR_WARMUP=1 (the bg+warm-up case)
    expr, two_d, n, rows, cols = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rng = np.random.default_rng(0)
    a, b, x = rng.random(n), rng.random(n), rng.random((rows, cols))

    def run(M, a, b, x):
        names = {"M": M, "a": a, "b": b, "x": x}
        exec(expr, names)
        return names["r"]

    if sys.argv[6] == "numpy-first":  # NumPy's own first call in this fresh process, before anything else
        w, c = time.perf_counter(), time.process_time()
        run(np, a, b, x)
        out["np_first"], out["np_first_cpu"] = time.perf_counter() - w, time.process_time() - c
        print("RESULT " + json.dumps(out))
        sys.exit(0)

    def lazy():
        return np.asarray(run(np, la.array(a), la.array(b), la.array(x)))

    w, c, t = time.perf_counter(), time.process_time(), time.thread_time()
    first = lazy()
    out["wall"], out["cpu"], out["thread_cpu"] = time.perf_counter() - w, time.process_time() - c, time.thread_time() - t
    info = la.cache_info()
    out["compiles"], out["interpreted"] = info.compiles, info.interpreted
    expected = run(np, a, b, x)
    # (#14 quick rows) atol: x - mean(x) cancels, so a value near 0 carries the row's rounding, not its own
    np.testing.assert_allclose(first, expected, rtol=1e-12, atol=1e-12 * float(np.max(np.abs(expected))))
    cache.wait_for_compiles(300)  # first: NumPy's time is not measured beside a background compile
    times, cpus = [], []
    for _ in range(3):
        w, c = time.perf_counter(), time.process_time()
        run(np, a, b, x)
        times.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    out["numpy"], out["numpy_cpu"] = min(times), min(cpus)
    w = time.perf_counter()
    lazy()
    out["second_wall"] = time.perf_counter() - w
    print("RESULT " + json.dumps(out))
    """
)


def child(case: str, size: str, background: bool, warm: bool = False, numpy_first: bool = False) -> dict:
    """One fresh process with an empty cache computing `case` at `size` (`numpy_first`: timing NumPy's first call
    of it instead)."""
    expr, two_d = CASES[case]
    n, (rows, cols) = SIZES[size]
    directory = tempfile.mkdtemp(prefix="lazyarr-latency-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYARR_")}
    env.update(LAZYARR_CACHE_DIR=directory, LAZYARR_WARMUP="1" if warm else "0",
               LAZYARR_BACKGROUND_COMPILE="1" if background else "0",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])))
    argv = [sys.executable, "-c", CHILD, expr, "1" if two_d else "0", str(n), str(rows), str(cols),
            "numpy-first" if numpy_first else "lazyarr"]
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"latency child {case}/{size} failed:\n{proc.stderr[-3000:]}")
    return json.loads(next(ln[7:] for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")))


def measure(rounds: int, only: str | None = None, background: bool = True, compile_first: bool = True,
            warm_up: bool = True) -> dict:
    """{case/size: {field: median}, ...}; the cases' order reversed every other round (drifting load then
    biases no case). `compile_first` False skips the processes that compile before answering (the bg columns
    only); `warm_up` False skips the bg+warm-up processes."""
    names = [(c, s) for c in CASES for s in SIZES if not only or only in f"{c}/{s}"]
    samples: dict[str, list[dict]] = {}
    for r in range(rounds):
        for case, size in (names if r % 2 == 0 else names[::-1]):
            sample = child(case, size, background=False) if compile_first else {}
            if background:
                bg = child(case, size, background=True)
                sample.update(bg_wall=bg["wall"], bg_cpu=bg["cpu"], bg_numpy=bg["numpy"],
                              bg_numpy_cpu=bg["numpy_cpu"], bg_thread_cpu=bg.get("thread_cpu", bg["cpu"]))
                first = child(case, size, background=True, numpy_first=True)
                sample.update(np_first=first["np_first"], np_first_cpu=first["np_first_cpu"])
            if background and warm_up:
                warm = child(case, size, background=True, warm=True)
                sample.update(warm_wall=warm["wall"], warm_cpu=warm["cpu"], warm_numpy=warm["numpy"],
                              warm_numpy_cpu=warm["numpy_cpu"])
            samples.setdefault(f"{case}/{size}", []).append(sample)
    result = {}
    for name, group in samples.items():
        fields = group[0].keys()
        result[name] = {f: statistics.median(s[f] for s in group) for f in fields}
        result[name]["rounds"] = len(group)
    return result


def format_table(result: dict) -> str:
    header = (f"{'case':<26}{'cpu':>8}{'wall':>8}{'compiles':>9}{'numpy':>10}{'2nd call':>10}"
              f"{'bg wall':>10}{'bg/numpy':>9}{'bg cpu':>9}{'/np cpu':>8}{'caller':>8}{'bg+warm':>10}{'/numpy':>8}"
              f"{'np 1st':>10}{'cpu':>8}{'bg/1st':>7}{'cpu':>6}")
    lines = ["first compute in a fresh process, empty cache (medians; cpu = process_time, all threads)", header]
    for name, v in result.items():
        bg = (f"{v['bg_wall'] * 1e3:>8.1f}ms{v['bg_wall'] / v['bg_numpy']:>8.1f}x"
              f"{v['bg_cpu'] * 1e3:>7.1f}ms{v['bg_cpu'] / max(v['bg_numpy_cpu'], 1e-6):>7.1f}x"
              f"{v['bg_thread_cpu'] * 1e3:>6.2f}ms" if "bg_wall" in v else "")
        warm = (f"{v['warm_wall'] * 1e3:>8.1f}ms{v['warm_wall'] / v['warm_numpy']:>7.1f}x" if "warm_wall" in v
                else " " * 18)
        first = (f"{v['cpu']:>7.2f}s{v['wall']:>7.2f}s{v['compiles']:>9.0f}"
                 f"{v['numpy'] * 1e3:>8.2f}ms{v['second_wall'] * 1e3:>8.2f}ms" if "cpu" in v
                 else f"{'-':>8}{'-':>8}{'-':>9}{v['bg_numpy'] * 1e3:>8.2f}ms{'-':>10}")
        np1 = (f"{v['np_first'] * 1e3:>8.2f}ms{v['np_first_cpu'] * 1e3:>6.2f}ms"
               f"{v['bg_wall'] / v['np_first']:>6.1f}x{v['bg_cpu'] / max(v['np_first_cpu'], 1e-6):>5.1f}x"
               if "np_first" in v else "")
        lines.append(f"{name:<26}{first}{bg}{warm}{np1}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="fresh processes per case (median; default 3)")
    p.add_argument("--only", default=None, help="only the cases whose 'case/size' name contains this text")
    p.add_argument("--no-background", action="store_true", help="skip the background-compilation processes")
    p.add_argument("--background-only", action="store_true",
                   help="only the bg and bg+warm-up columns (no compile-first processes; numpy from the bg one)")
    p.add_argument("--no-warm-up", action="store_true", help="skip the bg+warm-up processes")
    p.add_argument("--json", type=Path, default=None, help="also write the medians to this JSON file")
    p.add_argument("--tree", type=Path, default=None,
                   help="measure the lazyarr of this checkout instead (e.g. `git archive main | tar -x -C DIR`)")
    args = p.parse_args(argv)
    if args.tree:
        global REPO_ROOT
        REPO_ROOT = args.tree.resolve()
    result = measure(args.rounds, args.only, background=not args.no_background,
                     compile_first=not args.background_only, warm_up=not args.no_warm_up)
    print(format_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
