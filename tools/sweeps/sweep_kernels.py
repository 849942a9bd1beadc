"""Run the PolyBench/NPBench-style kernels of ``kernel_suite.py`` as NumPy, under ``@la.fuse`` (first call,
second call with new values, a call with another shape) and in lazy mode (``la.array`` inputs, results
computed), and compare every returned value and every argument afterwards (mutated or not) with NumPy's.

``python tools/sweeps/sweep_kernels.py [--tiny] [name ...]`` prints one line per kernel and dtype: the worst
outcome per mode (bits / close: error in eps units / DIFF / RAISE), the fused function's traces, warnings
(E: EagerWarning, F: NumPyFallbackWarning, other classes by name), and the second call's time against NumPy's
(best of 3, 2 threads), then counts. ``--tiny`` uses the test sizes.
"""
from __future__ import annotations

import argparse
import collections
import copy
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernel_suite  # noqa: E402
from harness import concrete, difference, wrap  # noqa: E402

import lazyarr as la  # noqa: E402

SEEDS = (16, 17)


def inputs(k, n, dtype, seed):
    return k.make(np.random.default_rng(seed), n, np.dtype(dtype))


def fresh(args):
    return copy.deepcopy(args)


def _error(got, want, tol, dtype) -> str | None:
    """None where got matches want within tol (eps units of the kernel's dtype, max-norm); else why not."""
    d = difference(got, want)
    if d is None:
        return None
    if isinstance(want, (list, tuple)) and isinstance(got, type(want)) and len(got) == len(want):
        errs = [_error(g, w, tol, dtype) for g, w in zip(got, want)]
        bad = [e for e in errs if e and not e.startswith("close")]
        return bad[0] if bad else max((e for e in errs if e), key=lambda e: float(e.split()[1]))
    if not tol or not isinstance(want, (np.ndarray, np.generic)) or any(
            w in d.split()[:2] for w in ("type", "dtype", "shape", "byteorder")):
        return d
    g, w = np.asarray(got), np.asarray(want)
    if w.dtype.kind not in "fc" or (np.isnan(g) != np.isnan(w)).any():
        return d
    ok = ~np.isnan(w)
    eps = np.finfo(np.dtype(dtype) if np.dtype(dtype).kind in "fc" else w.dtype).eps
    scale = max(float(np.abs(w[ok]).max()) if ok.any() else 0.0, np.finfo(w.dtype).tiny)
    err = float(np.abs(g[ok].astype(np.complex128) - w[ok]).max()) / scale / eps if ok.any() else 0.0
    return f"close {err:.3g}" if err <= tol else f"values {err:.3g} eps (allowed {tol}): {d}"


def check(got, want, tol, dtype) -> str:
    """'bits', 'close <eps>' or what differs. got/want: (result, arguments after the call)."""
    e = _error(got, want, tol, dtype)
    return "bits" if e is None else e


class Record(collections.namedtuple("Record", "name dtype numpy fused lazy traces warned t_numpy t_fused t_lazy")):
    """One kernel at one dtype: each mode's worst outcome, fuse's traces and warnings, warm times (best of 3)."""


def _worst(outcomes):
    order = lambda o: (0 if o == "bits" else 1 if o.startswith("close") else 2,  # noqa: E731
                       float(o.split()[1]) if o.startswith("close") else 0)
    return max(outcomes, key=order)


def numpy_answer(fn, args):
    a = fresh(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fn(*a)
    return r, a


def _arrays_after(args):
    return [a for a in args if isinstance(a, np.ndarray)]


def run_fused(fused, args):
    a = fresh(args)
    r = fused(*a)
    return r, a


def run_lazy(fn, args):
    a = wrap(fresh(args))
    r = fn(*a)
    return concrete(r), [x.compute() if isinstance(x, la.LazyArray) else x for x in a]


def _outcome(runner, args, want, k, dtype):
    try:
        got, after = runner(args)
    except Exception as exc:  # noqa: BLE001 - the outcome is the exception
        return f"RAISE {type(exc).__name__}: {str(exc)[:200]}"
    return check((got, _arrays_after(after)), (want[0], _arrays_after(want[1])), k.tol, dtype)


def best_of(fn, args, repeat=3):
    best = np.inf
    for _ in range(repeat):
        a = fresh(args)
        t = time.perf_counter()
        fn(*a)
        best = min(best, time.perf_counter() - t)
    return best


def _calls_to_decide() -> int:
    from lazyarr.tracer import speed_probe
    return speed_probe.CALLS_TO_DECIDE


def sweep_one(k, dtype, sizes, timing=True) -> Record:
    """k at dtype: NumPy, fused (traced call, replayed call with new values, another shape), lazy."""
    runs = [inputs(k, sizes[0], dtype, SEEDS[0]), inputs(k, sizes[0], dtype, SEEDS[1]),
            inputs(k, sizes[1], dtype, SEEDS[0])]
    wants = [numpy_answer(k.fn, a) for a in runs]
    fused = la.fuse(k.fn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f_out = [_outcome(lambda a: run_fused(fused, a), a, w, k, dtype) for a, w in zip(runs, wants)]
        l_out = [_outcome(lambda a: run_lazy(k.fn, a), a, w, k, dtype) for a, w in zip(runs[::2], wants[::2])]
    kinds = collections.Counter("E" if issubclass(w.category, la.EagerWarning) else
                                "F" if issubclass(w.category, la.NumPyFallbackWarning) else w.category.__name__
                                for w in caught if not issubclass(w.category, RuntimeWarning))
    t_np = t_f = t_l = None
    if timing and f_out[1] != "RAISE" and not f_out[1].startswith("RAISE"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(_calls_to_decide()):  # (s17) la.fuse's speed probe has chosen by then
                fused(*fresh(runs[1]))
            t_np, t_f = best_of(k.fn, runs[1]), best_of(fused, runs[1])
            if not l_out[0].startswith("RAISE"):  # (s18) lazy mode too: la.array arguments, results computed
                lazy = lambda *a: concrete(k.fn(*wrap(a)))  # noqa: E731
                lazy(*fresh(runs[1]))
                t_l = best_of(lazy, runs[1])
    return Record(k.name, dtype, "ok", _worst(f_out), _worst(l_out), fused.cache_info().traces,
                  "".join(f"{c}{n}" for c, n in sorted(kinds.items())), t_np, t_f, t_l)


def bad(outcome: str) -> bool:
    return not (outcome == "bits" or outcome.startswith("close"))


def line(r: Record) -> str:
    ratio = f"{r.t_fused / r.t_numpy:6.2f}x" if r.t_numpy else "     -"
    lazy_ratio = f"{r.t_lazy / r.t_numpy:6.2f}x" if r.t_numpy and r.t_lazy else "     -"
    tn = f"{r.t_numpy * 1e3:8.2f}" if r.t_numpy else "       -"
    return (f"{r.name:26s} {r.dtype:10s} fused={r.fused[:60]:14s} lazy={r.lazy[:60]:14s} traces={r.traces:<3d} "
            f"warn={r.warned or '-':8s} numpy={tn} ms  fused/numpy={ratio}  lazy/numpy={lazy_ratio}")


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--tiny", action="store_true")
    p.add_argument("names", nargs="*")
    opts = p.parse_args(argv)
    la.set_num_threads(2)
    records = []
    for k in kernel_suite.KERNELS:
        if opts.names and k.name not in opts.names:
            continue
        for dt in k.dtypes:
            t0 = time.perf_counter()
            r = sweep_one(k, dt, k.test_n if opts.tiny else k.tool_n)
            records.append(r)
            print(line(r), f"[{time.perf_counter() - t0:.1f} s]", flush=True)
            for mode, o in (("fused", r.fused), ("lazy", r.lazy)):
                if bad(o):
                    print(f"    {mode}: {o}", flush=True)
    summary(records)
    return records


def summary(records):
    n = len(records)
    cnt = lambda f: sum(map(f, records))  # noqa: E731
    print(f"\n{n} kernel x dtype runs ({len({r.name for r in records})} kernels)")
    for mode in ("fused", "lazy"):
        outs = [getattr(r, mode) for r in records]
        print(f"  {mode}: bits {sum(o == 'bits' for o in outs)}, close {sum(o.startswith('close') for o in outs)},"
              f" differ {sum(o.startswith('values') or not (o == 'bits' or o.startswith(('close', 'RAISE'))) for o in outs)},"
              f" raise {sum(o.startswith('RAISE') for o in outs)}")
    print(f"  fused warned EagerWarning: {cnt(lambda r: 'E' in r.warned)}, NumPyFallbackWarning: "
          f"{cnt(lambda r: 'F' in r.warned)}; traced more than once per signature (3 calls, 2 signatures): "
          f"{cnt(lambda r: r.traces > 2)}")
    for mode, field in (("fused", "t_fused"), ("lazy", "t_lazy")):
        ratios = sorted(getattr(r, field) / r.t_numpy for r in records if r.t_numpy and getattr(r, field))
        if ratios:
            print(f"  {mode}/NumPy warm: median {np.median(ratios):.2f}x, faster than NumPy in "
                  f"{sum(x < 1 for x in ratios)}/{len(ratios)}, over 5x in {sum(x > 5 for x in ratios)}")


if __name__ == "__main__":
    main()
