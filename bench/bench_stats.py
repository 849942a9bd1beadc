"""scipy.stats' distributions against la.stats (lazy) and scipy.stats inside @la.fuse, on the same inputs.

    python bench/bench_stats.py [--n 1000000] [--rounds 5] [--threads 2]

Each round times SciPy, lazy and fused in turn (alternating, so load changes hit all three alike) and prints the
median wall time and the median process CPU time (``time.process_time``: all threads) per call. Kernels are
compiled (or loaded from the disk cache) before timing; the first call of each is not timed.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import scipy.stats as st

import lazyarr as la

CASES = [  # (distribution, method, shape parameters, loc, scale, input kind)
    ("gamma", "cdf", (2.5,), 0.0, 1.5, "x"),
    ("gamma", "logpdf", (2.5,), 0.0, 1.5, "x"),
    ("t", "ppf", (3.5,), 0.0, 1.0, "q"),
    ("t", "pdf", (3.5,), 0.5, 2.0, "x"),
    ("lognorm", "cdf", (0.75,), 0.0, 1.0, "x"),
    ("weibull_min", "logsf", (1.7,), 0.0, 2.0, "x"),
    ("expon", "pdf", (), 0.0, 2.0, "x"),
    ("logistic", "cdf", (), 1.0, 0.5, "x"),
    ("beta", "cdf", (2.0, 3.0), 0.0, 1.0, "q"),
    ("chi2", "sf", (4.0,), 0.0, 1.0, "x"),
    ("poisson", "pmf", (3.5,), 0.0, None, "k"),  # (discrete: no scale)
    # (s16 stats2) new records
    ("rayleigh", "logpdf", (), 0.0, 2.0, "x"),
    ("lomax", "sf", (1.5,), 0.0, 2.0, "x"),
    ("genpareto", "cdf", (0.25,), 0.0, 1.5, "x"),
    ("gennorm", "cdf", (1.5,), 1.0, 2.0, "x"),
    ("invgauss", "logcdf", (0.6,), 0.0, 2.0, "x"),
    ("geom", "logsf", (0.3,), 0.0, None, "k"),
    ("nbinom", "logpmf", (3.0, 0.4), 0.0, None, "k"),
]


def timed(fn, rounds_out: list, cpu_out: list) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    rounds_out.append(time.perf_counter() - wall)
    cpu_out.append(time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated distribution names (default: all)")
    args = parser.parse_args()
    la.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    inputs = {"x": rng.gamma(2.0, 1.5, args.n), "q": rng.random(args.n), "k": rng.poisson(3.5, args.n)}
    print(f"n={args.n}, {args.threads} thread(s), median of {args.rounds} rounds; wall (process CPU) per call")
    print(f"{'method':<22} {'scipy':>18} {'la.stats lazy':>18} {'@la.fuse':>18}  speedup lazy / fuse")
    for name, method, shapes, loc, scale, kind in CASES:
        if args.only and name not in args.only.split(","):
            continue
        x = inputs[kind]
        kw = {"loc": loc} if scale is None else {"loc": loc, "scale": scale}
        scipy_call = lambda: getattr(getattr(st, name), method)(x, *shapes, **kw)  # noqa: E731
        lazy_call = lambda: getattr(getattr(la.stats, name), method)(la.array(x), *shapes, **kw).compute()  # noqa
        fused = la.fuse(lambda x, *shapes: getattr(getattr(st, name), method)(x, *shapes, **kw))
        fuse_call = lambda: fused(x, *shapes)  # noqa: E731
        want = scipy_call()
        for call in (lazy_call, fuse_call):  # compile (or load) and check before timing
            got = call()
            assert np.allclose(got, want, rtol=1e-12, atol=0, equal_nan=True), (name, method)
        times = {k: ([], []) for k in ("scipy", "lazy", "fuse")}
        for _ in range(args.rounds):
            for key, call in (("scipy", scipy_call), ("lazy", lazy_call), ("fuse", fuse_call)):
                timed(call, *times[key])
        med = {k: (statistics.median(w), statistics.median(c)) for k, (w, c) in times.items()}
        cells = [f"{med[k][0] * 1e3:7.2f} ({med[k][1] * 1e3:6.2f}) ms" for k in ("scipy", "lazy", "fuse")]
        print(f"{name + '.' + method:<22} {cells[0]:>18} {cells[1]:>18} {cells[2]:>18}  "
              f"{med['scipy'][0] / med['lazy'][0]:5.2f}x / {med['scipy'][0] / med['fuse'][0]:5.2f}x")


if __name__ == "__main__":
    main()
