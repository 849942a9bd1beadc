"""The NumPy surface: everyday functions beyond plain ufuncs, lazyarr against NumPy (and numexpr where it can).

Each workload is one NumPy call (or a short chain) on 10**7 elements (``--quick``: 10**5), written once as a
function of ``np`` and its arrays:

    numpy      fn(*arrays)                                          (baseline of every ratio)
    numexpr    the same computation as a numexpr string, where numexpr has the operations
    lazyarr    fn(*[la.array(x) for x in arrays]) computed (tuples computed element by element), the graph
               built inside the timed call

Functions lazyarr does not run natively go through its NumPy fallback (one NumPyFallbackWarning, silenced
here): such a row shows the fallback's cost, which is why the suite exists. Target (issue #13): at least
NumPy's speed on every row, at least 1.5x on the fused ones (``fused`` in the table).

    python bench/bench_surface.py                 # 2 threads unless --threads, 10**7 -> bench/results/surface.json
    python bench/bench_surface.py --quick         # smoke test
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numexpr as ne
import numpy as np

from bench import harness
from bench.harness import Workload, contender

SUITE = "surface"
N_FULL, N_QUICK = 10**7, 10**5


def _computed(value):
    """A lazyarr result as NumPy values: LazyArrays computed, tuples (histogram's) element by element."""
    if isinstance(value, tuple):
        return tuple(_computed(v) for v in value)
    return value.compute() if hasattr(value, "compute") else value


def _lazy(fn, arrays):
    def factory():
        la = harness.lazyarr()

        def call():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", la.NumPyFallbackWarning)
                return _computed(fn(*[la.array(a) for a in arrays]))
        return call
    return factory


def _workload(name, fn, arrays, numexpr=None, fused=False, rtol=1e-12, atol=0.0, generated=None):
    """`generated`: a lazyarr function of no arrays (the arange rows), in place of fn on wrapped inputs."""
    contenders = [contender("numpy", lambda: lambda: fn(*arrays))]
    if numexpr is not None:
        env = {f"a{i}": a for i, a in enumerate(arrays)}
        contenders.append(contender("numexpr", lambda: lambda: ne.evaluate(numexpr, local_dict=env)))
    if generated is None:
        contenders.append(contender("lazyarr", _lazy(fn, arrays)))
    else:
        def factory():
            la = harness.lazyarr()
            if not hasattr(la, "arange"):
                raise harness.Skip("this lazyarr has no generator nodes (la.arange)")
            return lambda: _computed(generated(la))
        contenders.append(contender("lazyarr", factory))
    return Workload(name, contenders, params={"n": int(sum(a.size for a in arrays[:1])) or None, "fused": fused},
                    rtol=rtol, atol=atol)


def build(cfg: harness.Config) -> list[Workload]:
    n = N_QUICK if cfg.quick else N_FULL
    rng = np.random.default_rng(13)
    x, y = rng.random(n), rng.random(n)
    with_nans = x.copy()
    with_nans[rng.random(n) < 0.05] = np.nan
    rows = rng.random((n // 2500, 2500))
    rows_nan = rows.copy()
    rows_nan[rng.random(rows.shape) < 0.05] = np.nan
    counts = rng.integers(0, 1000, n)
    edges = np.sort(rng.random(1000))
    xp, fp = np.linspace(0, 1, 1000), rng.random(1000)
    near = x + rng.normal(0, 1e-9, n)
    step = 1.0 / n
    return [
        _workload("nansum", np.nansum, [with_nans], numexpr="sum(where(a0 == a0, a0, 0))", fused=True, rtol=1e-9),
        _workload("nanmax", np.nanmax, [with_nans], fused=True),
        _workload("nanmin(axis=1)", lambda a: np.nanmin(a, axis=1), [rows_nan], fused=True),
        _workload("nanmean(axis=1)", lambda a: np.nanmean(a, axis=1), [rows_nan], fused=True, rtol=1e-12),
        _workload("histogram(100 bins)", lambda a: np.histogram(a, bins=100, range=(0, 1)), [x]),
        _workload("bincount", np.bincount, [counts]),
        _workload("searchsorted", lambda a: np.searchsorted(edges, a), [x]),
        _workload("interp", lambda a: np.interp(a, xp, fp), [x]),
        _workload("diff", np.diff, [x], fused=True),
        _workload("sum(diff**2)", lambda a: (np.diff(a) ** 2).sum(), [x], fused=True, rtol=1e-9),
        _workload("roll", lambda a: np.roll(a, 3), [x]),
        _workload("isclose", lambda a, b: np.isclose(a, b), [x, near],
                  numexpr="abs(a0 - a1) <= 1e-08 + 1e-05 * abs(a1)", fused=True),
        _workload("round(2)", lambda a: np.round(a, 2), [x], fused=True),
        _workload("median", np.median, [x]),
        _workload("linalg.norm(axis=1)", lambda a: np.linalg.norm(a, axis=1), [rows], fused=True, rtol=1e-12),
        _workload("sin(arange).sum()", lambda a: np.sin(np.arange(n) * step).sum(), [x], fused=True, rtol=1e-9,
                  generated=lambda la: np.sin(la.arange(n) * step).sum()),
    ]


def run_suite(cfg: harness.Config) -> dict:
    """The harness's suite with 2 threads unless --threads says otherwise (the issue's setting)."""
    if cfg.threads is None:
        cfg.threads = 2
    return harness.run_suite(SUITE, build, cfg)


def main(argv=None) -> dict:
    args = harness.parser(__doc__.splitlines()[0]).parse_args(argv)
    return run_suite(harness.config_from_args(args))


if __name__ == "__main__":
    main()
