"""scipy.special / scipy.stats workloads: lazyarr's fused kernels vs SciPy.

    norm.isf(B)        10**7 float64: scipy.stats.norm.isf (generic distribution machinery, one core)
                       vs scipy.special.ndtri (the C function it wraps, one core) vs lazyarr's fused kernel
                       with all threads and with one thread (the per-thread comparison with ndtri).
    ndtri(B)*2+erf(B)  10**7 float64: two scipy.special calls and arithmetic, NumPy/SciPy vs one kernel.

    python bench/bench_special.py            # full sizes, writes bench/results/special.json
    python bench/bench_special.py --quick    # smoke test
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import scipy.special as sp
import scipy.stats as st

from bench import harness
from bench.harness import Workload, contender

SUITE = "special"
N_FULL, N_QUICK = 10**7, 10**5


def norm_isf_workload(b) -> Workload:
    def lazy(threads=None):
        def factory():
            la = harness.lazyarr()

            def run():
                if threads is None:
                    return la.stats.norm.isf(la.array(b)).compute()
                with la.num_threads(threads):
                    return la.stats.norm.isf(la.array(b)).compute()

            return run
        return factory

    return Workload("norm.isf(B)", [
        contender("scipy.stats", lambda: lambda: st.norm.isf(b)),
        contender("scipy.special.ndtri", lambda: lambda: -sp.ndtri(b), note="the kernel alone, one core"),
        contender("lazyarr", lazy()),
        contender("lazyarr 1 thread", lazy(1)),
    ], params={"n": b.size, "dtype": str(b.dtype)}, rtol=0, atol=0, baseline="scipy.stats")


def special_mix_workload(b) -> Workload:
    def lazy():
        la = harness.lazyarr()
        return lambda: (sp.ndtri(la.array(b)) * 2 + sp.erf(la.array(b))).compute()

    return Workload("ndtri(B)*2+erf(B)", [
        contender("numpy+scipy", lambda: lambda: sp.ndtri(b) * 2 + sp.erf(b)),
        contender("lazyarr", lazy),
    ], params={"n": b.size, "dtype": str(b.dtype)}, rtol=0, atol=0, baseline="numpy+scipy")


def build(cfg: harness.Config) -> list[Workload]:
    rng = np.random.default_rng(0)
    b = rng.random(N_QUICK if cfg.quick else N_FULL)
    return [norm_isf_workload(b), special_mix_workload(b)]


def main(argv=None) -> dict:
    return harness.main(SUITE, build, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
