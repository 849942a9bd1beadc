"""Ufuncs per thread: lazyarr's kernel for one ufunc against NumPy's own (SIMD) loop, float64 and float32.

One thread for lazyarr (NumPy's ufunc loops are single-threaded), 4*10**6 elements (``--quick``: 10**5), inputs
drawn uniformly from a range inside each function's domain (DOMAINS; the same range for both dtypes, the
float32 inputs are the float64 ones rounded). For each function and dtype two contenders, interleaved:

    numpy      np.<f>(x)  (np.<f>(y, x) for arctan2, hypot, power)
    lazyarr    la.<f>(la.array(x)).compute()

The table's ratio is lazyarr's median time / NumPy's (<= 1: lazyarr at least as fast per thread); ``max ulp``
is the largest difference between the two results in units of the last place of NumPy's (a rough accuracy
signal only: NumPy's own result is not the correctly rounded one).

    python bench/bench_ufuncs.py                 # 1 thread, 4*10**6 -> bench/results/ufuncs.json
    python bench/bench_ufuncs.py --quick         # smoke test
    python bench/bench_ufuncs.py --only tan      # the workloads whose name contains "tan"
    python bench/bench_ufuncs.py --threads 2     # more lazyarr threads (no longer per thread)
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench import harness
from bench.harness import Workload, contender

SUITE = "ufuncs"
N_FULL, N_QUICK = 4 * 10**6, 10**5
DTYPES = ("float64", "float32")

# name -> the input range of each argument (low, high). Binary functions take (y, x) / (x1, x2).
DOMAINS = {
    "exp": [(-80, 80)], "expm1": [(-10, 10)], "exp2": [(-120, 120)],
    "log": [(1e-3, 1e3)], "log1p": [(-0.9, 1e3)], "log2": [(1e-3, 1e3)], "log10": [(1e-3, 1e3)],
    "sin": [(-10, 10)], "cos": [(-10, 10)], "tan": [(-1.5, 1.5)],
    "arcsin": [(-1, 1)], "arccos": [(-1, 1)], "arctan": [(-100, 100)], "arctan2": [(-10, 10), (-10, 10)],
    "sinh": [(-20, 20)], "cosh": [(-20, 20)], "tanh": [(-10, 10)],
    "arcsinh": [(-100, 100)], "arccosh": [(1, 100)], "arctanh": [(-0.999, 0.999)],
    "cbrt": [(-100, 100)], "power": [(0.1, 10), (-5, 5)], "hypot": [(-100, 100), (-100, 100)],
    "sqrt": [(0, 100)],
}


_ARGS: dict = {}  # workload name -> its inputs (kept out of params: those go to the JSON)


def max_ulp(result, reference) -> float:
    res, ref = np.asarray(result), np.asarray(reference)
    if res.shape != ref.shape or res.dtype != ref.dtype:
        return float("nan")
    both_nan = np.isnan(res) & np.isnan(ref)
    diff = np.abs(res.astype(np.float64) - ref.astype(np.float64)) / np.spacing(np.abs(ref)).astype(np.float64)
    diff[both_nan | (res == ref)] = 0.0
    return float(np.max(diff)) if diff.size else 0.0


def ufunc_workload(name: str, dtype: str, n: int) -> Workload:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    args = [rng.uniform(lo, hi, n).astype(dtype) for lo, hi in DOMAINS[name]]
    np_fn = getattr(np, name)
    _ARGS[f"{name} {dtype}"] = args

    def lazy():
        la = harness.lazyarr()
        fn = getattr(la, name)
        return lambda: fn(*[la.array(x) for x in args]).compute()

    tol = 1e-13 if dtype == "float64" else 2e-6
    return Workload(f"{name} {dtype}", [
        contender("numpy", lambda: lambda: np_fn(*args)),
        contender("lazyarr", lazy),
    ], params={"n": n, "dtype": dtype, "domain": DOMAINS[name], "function": name}, rtol=tol)


def build(cfg: harness.Config) -> list[Workload]:
    n = N_QUICK if cfg.quick else N_FULL
    return [ufunc_workload(name, dtype, n) for dtype in DTYPES for name in DOMAINS]


def _table(out: dict) -> str:
    rows = {}
    for wl in out["workloads"]:
        fn, dtype = wl["params"]["function"], wl["params"]["dtype"]
        r = {c["name"]: c for c in wl["contenders"] if c["status"] == "ok"}
        if "lazyarr" in r:
            rows.setdefault(fn, {})[dtype] = (r["lazyarr"]["ratio_vs_baseline"], r["lazyarr"]["paired_ratio_median"],
                                             wl.get("max_ulp"), r["numpy"]["median_s"])
    t = lambda v: "" if v is None else f"{v:.3g}"
    lines = [f"== lazyarr / numpy per thread (lazyarr threads={out['config']['threads']}; median ratio, paired "
             "per-round ratio, max ulp vs NumPy, NumPy's time)"]
    head = f"  {'ufunc':<10}" + "".join(f"{d + ' ratio':>15}{'paired':>8}{'ulp':>7}{'numpy':>10}" for d in DTYPES)
    lines.append(head)
    from bench.report import fmt_time
    for fn, by in rows.items():
        cells = ""
        for d in DTYPES:
            if d in by:
                ratio, paired, ulp, np_s = by[d]
                mark = "" if ratio <= 1.0 else " *"
                cells += f"{ratio:>13.2f}{mark:<2}{paired:>8.2f}{t(ulp):>7}{fmt_time(np_s):>10}"
            else:
                cells += f"{'':>40}"
        lines.append(f"  {fn:<10}{cells}")
    slower = sum(1 for by in rows.values() for v in by.values() if v[0] > 1.0)
    lines.append(f"  (* slower than NumPy: {slower} of {sum(len(by) for by in rows.values())})")
    return "\n".join(lines)


def run_suite(cfg: harness.Config) -> dict:
    """The harness's suite with 1 thread unless --threads says otherwise; the max-ulp column; the table."""
    import numba

    previous = numba.get_num_threads()
    if cfg.threads is None:
        cfg.threads = 1
    try:
        out = harness.run_suite(SUITE, build, cfg, save_results=False)
    finally:
        harness.configure_threads(previous)  # run_all's later suites: the thread count they had
    la = harness.lazyarr()
    for wl in out["workloads"]:
        args = _ARGS.pop(wl["name"])
        if any(c["name"] == "lazyarr" and c["status"] == "ok" for c in wl["contenders"]):
            fn = wl["params"]["function"]
            wl["max_ulp"] = max_ulp(getattr(la, fn)(*[la.array(x) for x in args]).compute(), getattr(np, fn)(*args))
    print(_table(out))
    harness.save(out, cfg, SUITE)
    return out


def main(argv=None) -> dict:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    return run_suite(harness.config_from_args(args))


if __name__ == "__main__":
    main()
