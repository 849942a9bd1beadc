"""Sweep lazyarr over dask arrays against NumPy: the calls of the other sweeps (methods, reductions over every
axis form, small calls, updates, every ufunc over the dtype matrix, scipy.special, scipy.stats, linalg) on
LazyArrays made by ``la.array(dask.array.from_array(x, chunks))`` under several chunkings, compared with NumPy
on the same data (harness.py: type, dtype, shape, bits; a few ULP for transcendental functions). Every lazy
result is computed twice, by ``compute()`` and by ``to_dask().compute()``, which must agree bit for bit, and
``to_dask()`` must be a dask array (docs/dask.md).

``python tools/sweeps/sweep_dask.py [part ...]`` prints the failures and the counts (docs/dask.md,
"Sweep against NumPy (session 16)"); tests/test_dask_sweep.py runs a slice of it.
"""
from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import Tally, difference  # noqa: E402

import dask  # noqa: E402
import dask.array as da  # noqa: E402

import lazyarr as la  # noqa: E402


def _split(n: int, how: str) -> tuple:
    """One axis' chunks: the whole axis, two uneven pieces, pieces of 1, or with empty pieces."""
    if how == "one" or n == 0:
        return (n,)
    if how == "uneven":
        return (n,) if n == 1 else (n - n // 3 - 1, n // 3 + 1) if n > 2 else (1, 1)
    if how == "ones":
        return (1,) * n
    if how == "empty":
        return (0, n // 2, 0, n - n // 2)
    raise ValueError(how)


# name -> how each axis is cut: "first"/"last": that axis uneven (or empty), the others whole
CHUNKINGS = {
    "one chunk": lambda shape: tuple(_split(n, "one") for n in shape),
    "uneven first axis": lambda shape: tuple(_split(n, "uneven" if d == 0 else "one") for d, n in enumerate(shape)),
    "uneven last axis": lambda shape: tuple(_split(n, "uneven" if d == len(shape) - 1 else "one")
                                            for d, n in enumerate(shape)),
    "uneven every axis": lambda shape: tuple(_split(n, "uneven") for n in shape),
    "chunks of 1": lambda shape: tuple(_split(n, "ones") for n in shape),
    "empty chunks": lambda shape: tuple(_split(n, "empty" if d == 0 else "uneven") for d, n in enumerate(shape)),
}
ALL = list(CHUNKINGS)
TWO = ["uneven every axis", "chunks of 1"]


def wrapper(chunking: str):
    """NumPy arrays -> LazyArrays over dask arrays cut by `chunking` (dicts, lists, tuples wrapped inside)."""
    cut = CHUNKINGS[chunking]

    def wrap(inputs):
        if isinstance(inputs, np.ndarray):
            return la.array(da.from_array(inputs, chunks=cut(inputs.shape)))
        if isinstance(inputs, dict):
            return {k: wrap(v) for k, v in inputs.items()}
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(wrap(v) for v in inputs)
        return inputs
    return wrap


class ToDaskDiffers(AssertionError):
    """``to_dask().compute()`` did not give ``compute()``'s answer (or to_dask() was not a dask array)."""


def concrete(result):
    """A lazy result computed both ways (compute() and to_dask().compute()), which must agree bit for bit."""
    if isinstance(result, la.LazyArray):
        value = result.compute()
        lowered = result.to_dask()
        if not isinstance(lowered, da.Array):
            raise ToDaskDiffers(f"to_dask() gave {type(lowered).__name__}, not a dask array")
        # (dask computes a 0-d array where compute() gives NumPy's scalar: only dtype, shape and bits count)
        d = difference(np.asarray(lowered.compute()), np.asarray(value))
        if d:
            raise ToDaskDiffers(f"to_dask().compute() differs from compute(): {d}")
        return value
    if isinstance(result, tuple) and hasattr(result, "_fields"):
        return type(result)(*(concrete(r) for r in result))
    if isinstance(result, (list, tuple)):
        return type(result)(concrete(r) for r in result)
    return result


_TRACE = os.environ.get("SWEEP_TRACE") == "1"  # each call's name on stderr before it runs (to find a crash)


def check(t: Tally, name: str, call, inputs, ulp: float, chunkings):
    for c in chunkings:
        if _TRACE:
            print(f"{name} <{c}>", file=sys.stderr, flush=True)
        t.check(f"{name} <{c}>", call, inputs, ulp, wrapper=wrapper(c), concrete_of=concrete)


# --- the other sweeps' calls ------------------------------------------------------------------------------

def sweep_methods(t: Tally, dts=("f8",), chunkings=ALL, calls=None):
    import sweep_methods as sm
    for dt in dts:
        x = sm.matrix(dt)
        m = np.resize(np.array([True, False, True, True, False]), x.size).reshape(x.shape)
        for name, call, *ulp in calls or sm.MATRIX_CALLS:
            check(t, f"{name} [{np.dtype(dt)}]", call, {"x": x, "m": m}, ulp[0] if ulp else 0, chunkings)


def sweep_axes(t: Tally, dts=("f8", "i1"), chunkings=ALL):
    import sweep_methods as sm
    for dt in dts:
        base = (np.arange(60).reshape(3, 4, 5) % 7 - 3).astype(dt)
        for lname, x in (("C", base), ("T", base.transpose(2, 0, 1))):
            for name in ["sum", "prod", "min", "max", "mean", "std", "any", "all", "argmax", "argmin"]:
                for axis in (None, 0, 1, 2, -1, (0, 2), (2, 0), (0, 1, 2)):
                    if name.startswith("arg") and isinstance(axis, tuple):
                        continue
                    for keepdims in (False, True):
                        check(t, f"{name}(axis={axis}, keepdims={keepdims}) [{dt}, {lname}]",
                              lambda a, n=name, ax=axis, k=keepdims: getattr(a["x"], n)(axis=ax, keepdims=k),
                              {"x": x}, sm.SUMS, chunkings)


def sweep_small(t: Tally, chunkings=TWO, calls=None):
    import sweep_methods as sm
    inputs = {"v": np.array([1.5, -2.0, np.nan, 0.0, 3.25]), "z": np.array(2.5), "s": np.array([7.0]),
              "i": np.array([0, 3, 1, 1, 4]), "e": np.zeros(0), "iz": np.array(3)}
    for name, call, ulp in calls or sm.SMALL_CALLS:
        check(t, name, call, inputs, ulp, chunkings)


def sweep_updates(t: Tally, dts=("?", "i1", "i8", "u8", "f2", "f4", "f8", "c16"), chunkings=TWO):
    import sweep_methods as sm
    for dt in dts:
        x = sm.sweep_vector(dt)
        w = sm.sweep_vector(dt)[::-1].copy()
        for name, call in sm.UPDATES:
            check(t, f"{name} [{np.dtype(dt)}]", call, {"x": x, "w": w, "i": np.array([0, 2])}, 0, chunkings)


def sweep_ufuncs(t: Tally, chunkings=("uneven first axis", "chunks of 1", "empty chunks")):
    """Every ufunc (one and two inputs) over the 14 dtypes' edge values."""
    import sweep_ufuncs as su
    for u in su.ufuncs():
        for dt in su.DTYPES:
            x = su.edges(dt)
            if u.nin == 1:
                check(t, f"{u.__name__}({dt})", lambda a, u=u: u(a["x"]), {"x": x}, su.ulp_of(u, dt), chunkings)
            elif u.nin == 2:
                x, y = su.pair(x, x)
                check(t, f"{u.__name__}({dt},{dt})", lambda a, u=u: u(a["x"], a["y"]), {"x": x, "y": y},
                      su.ulp_of(u, dt), chunkings)


def sweep_mixed(t: Tally, chunkings=("uneven first axis",)):
    """Mixed dtypes, Python and NumPy scalars on either side, 2-D against 1-D (broadcast over dask blocks)."""
    import itertools
    import sweep_ufuncs as su
    for name in su.MIXED_UFUNCS:
        u = getattr(np, name)
        for d1, d2 in itertools.permutations(su.DTYPES, 2):
            x, y = su.pair(su.edges(d1), su.edges(d2))
            check(t, f"{name}({d1},{d2})", lambda a, u=u: u(a["x"], a["y"]), {"x": x, "y": y}, su.ulp_of(u, d1),
                  chunkings)
    for name in su.SCALAR_UFUNCS:
        u = getattr(np, name)
        for dt in su.DTYPES:
            x = su.edges(dt)
            for s in su.SCALARS:
                check(t, f"{name}({dt},{s!r})", lambda a, u=u, s=s: u(a["x"], s), {"x": x}, su.ulp_of(u, dt),
                      chunkings)
                check(t, f"{name}({s!r},{dt})", lambda a, u=u, s=s: u(s, a["x"]), {"x": x}, su.ulp_of(u, dt),
                      chunkings)
    for dt in su.DTYPES:
        x = np.resize(su.edges(dt), (3, 8))
        for name in ("add", "multiply", "maximum", "less", "true_divide", "arctan2"):
            u = getattr(np, name)
            check(t, f"{name}(2-D {dt}, row)", lambda a, u=u: u(a["x"], a["x"][1]), {"x": x}, su.ulp_of(u, dt),
                  ALL)
            check(t, f"{name}(2-D {dt}, column numpy)", lambda a, u=u, c=x[:, :1].copy(): u(a["x"], c), {"x": x},
                  su.ulp_of(u, dt), ALL)


def sweep_ufunc_methods(t: Tally, chunkings=("uneven first axis", "chunks of 1")):
    import sweep_ufuncs as su
    for name in su.METHOD_UFUNCS:
        u = getattr(np, name)
        for dt in su.DTYPES:
            x = su.edges(dt)
            x = x[: x.size - x.size % 2]
            calls = {"reduce": lambda a, u=u: u.reduce(a["x"]),
                     "reduce 2-D axis1": lambda a, u=u: u.reduce(a["x"].reshape(2, -1), axis=1),
                     "reduce keepdims": lambda a, u=u: u.reduce(a["x"].reshape(2, -1), axis=0, keepdims=True),
                     "accumulate": lambda a, u=u: u.accumulate(a["x"]),
                     "outer": lambda a, u=u: u.outer(a["x"][:4], a["x"][-3:]),
                     "reduce dtype": lambda a, u=u: u.reduce(a["x"], dtype=np.float64)}
            for cname, call in calls.items():
                ulp = 8 if name in ("add", "multiply", "logaddexp", "hypot", "power", "true_divide", "subtract") else 0
                check(t, f"{name}.{cname} [{dt}]", call, {"x": x}, ulp, chunkings)


# --- scipy.special, scipy.stats, linalg --------------------------------------------------------------------

def _lazy(a) -> bool:
    return any(isinstance(v, la.LazyArray) for v in a.values())


def sweep_special(t: Tally, chunkings=("uneven first axis", "chunks of 1")):
    import scipy.special as sp
    names = sorted(n for n, o in vars(sp).items() if isinstance(o, np.ufunc) and not n.startswith("_")
                   and not n.startswith("mathieu"))  # SciPy itself crashes on some mathieu inputs
    rng = np.random.default_rng(16)
    base = np.concatenate([rng.uniform(-5, 5, 8), rng.uniform(0, 1, 4), [0.0, -0.0, 1.0, 0.5, np.inf, np.nan, 30.5]])
    for name in names:
        uf = getattr(sp, name)
        for dt in ("f8", "f4"):
            x = base.astype(dt)
            inputs = {f"x{k}": (x if k == 0 else np.abs(x[::-1])) for k in range(uf.nin)}
            check(t, f"special.{name}({dt})", lambda a, uf=uf: uf(*a.values()), inputs, 4, chunkings)


def sweep_stats(t: Tally, chunkings=("uneven first axis", "chunks of 1")):
    import scipy.stats
    x = np.array([[-2.0, -0.5, 0.0, 0.25], [0.5, 1.0, 2.5, 7.0], [np.nan, np.inf, 0.75, 3.0]])
    q = np.array([[0.0, 0.1, 0.5, 1.0], [0.25, 0.9, 0.999, 1e-9], [np.nan, 2.0, 0.3, 0.7]])
    k = np.array([[0, 1, 2, 3], [4, 5, 10, -1], [7, 0, 2, 1]])
    shapes = {"norm": (), "expon": (), "logistic": (), "laplace": (), "cauchy": (), "uniform": (),
              "lognorm": (0.7,), "gamma": (2.5,), "beta": (2.0, 3.5), "t": (3.5,), "chi2": (4.0,), "f": (3.0, 7.0),
              "weibull_min": (1.5,), "gumbel_r": (), "pareto": (2.5,)}
    for dist, args in shapes.items():
        for method in ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"):
            arg = q if method in ("ppf", "isf") else x

            def call(a, dist=dist, method=method, args=args):
                stats = la.stats if _lazy(a) else scipy.stats
                return getattr(getattr(stats, dist), method)(a["x"], *args, loc=0.5, scale=a["s"])
            check(t, f"stats.{dist}.{method}", call, {"x": arg, "s": np.array([1.5, 2.0, 0.5, 1.0])}, 8, chunkings)
    for dist, args in {"poisson": (2.5,), "binom": (10, 0.3)}.items():
        for method in ("pmf", "logpmf", "cdf", "sf"):
            def call(a, dist=dist, method=method, args=args):
                stats = la.stats if _lazy(a) else scipy.stats
                return getattr(getattr(stats, dist), method)(a["k"], *args)
            check(t, f"stats.{dist}.{method}", call, {"k": k}, 8, chunkings)


LINALG_CALLS = [
    ("inv", lambda a: np.linalg.inv(a["s"])), ("solve", lambda a: np.linalg.solve(a["s"], a["b"])),
    ("det", lambda a: np.linalg.det(a["s"])), ("slogdet", lambda a: tuple(np.linalg.slogdet(a["s"]))),
    ("cholesky", lambda a: np.linalg.cholesky(a["p"])), ("eigvalsh", lambda a: np.linalg.eigvalsh(a["p"])),
    ("svdvals", lambda a: np.linalg.svd(a["s"], compute_uv=False)), ("pinv", lambda a: np.linalg.pinv(a["r"])),
    ("matrix_power", lambda a: np.linalg.matrix_power(a["s"], 3)), ("matrix_rank", lambda a: np.linalg.matrix_rank(a["r"])),
    ("norm", lambda a: np.linalg.norm(a["r"])), ("norm axis", lambda a: np.linalg.norm(a["r"], axis=0)),
    ("norm ord=1", lambda a: np.linalg.norm(a["s"], ord=1)), ("norm inf", lambda a: np.linalg.norm(a["r"], ord=np.inf, axis=1)),
    ("norm 2", lambda a: np.linalg.norm(a["s"], ord=2)), ("norm nuc", lambda a: np.linalg.norm(a["s"], ord="nuc")),
    ("multi_dot", lambda a: np.linalg.multi_dot([a["r"], a["r"].T, a["s"]])),
    ("kron", lambda a: np.kron(a["s"][:2, :2], a["s"][:2])), ("cross", lambda a: np.cross(a["r"][:, :3], a["r"][:, 1:4])),
    ("vdot", lambda a: np.vdot(a["r"], a["r"])), ("convolve", lambda a: np.convolve(a["b"], a["r"][0])),
    ("r @ r.T", lambda a: a["r"] @ a["r"].T), ("s @ b", lambda a: a["s"] @ a["b"]), ("b @ s", lambda a: a["b"] @ a["s"]),
    ("einsum ij,jk", lambda a: np.einsum("ij,jk->ik", a["s"], a["s"])), ("trace", lambda a: np.trace(a["s"])),
    ("fft", lambda a: np.fft.fft(a["r"], axis=1)), ("rfft", lambda a: np.fft.rfft(a["b"])),
]


def sweep_linalg(t: Tally, chunkings=ALL):
    rng = np.random.default_rng(16)
    s = rng.standard_normal((4, 4))
    inputs = {"s": s, "p": s @ s.T + 4 * np.eye(4), "b": rng.standard_normal(4), "r": rng.standard_normal((4, 6))}
    for name, call in LINALG_CALLS:
        check(t, name, call, inputs, 16, chunkings)


# --- @la.fuse called with dask arrays (docs/fuse.md: runs lazily, array results come back as dask arrays) ---------

# calls whose array results a fused call with dask arguments returns as ndarrays (docs/dask.md: computed at the
# call from the dask arrays' values, they have no dask leaf left under them, like results of NumPy arguments alone)
FUSE_COMPUTED_AT_THE_CALL = ("compress", "unique", "unique counts", "nonzero", "argwhere", "real imag", "x[m]", "x[[]]",
                             "x[np.array([], int)]", "choose", "bincount")


class NotDask(AssertionError):
    """A fused function called with dask arrays returned an array that is not a dask array."""


def _dask_results(result):
    """A fused call's results over dask arrays computed: each array result must be a dask array."""
    if isinstance(result, da.Array):
        return result.compute()
    if isinstance(result, (np.ndarray, la.LazyArray)):
        raise NotDask(f"a fused call with dask arguments returned a {type(result).__name__}")
    if isinstance(result, tuple) and hasattr(result, "_fields"):
        return type(result)(*(_dask_results(r) for r in result))
    if isinstance(result, (list, tuple)):
        return type(result)(_dask_results(r) for r in result)
    return result


def dask_wrapper(chunking: str):
    """NumPy arrays -> dask arrays cut by `chunking` (not wrapped: the fused function takes them as they are)."""
    cut = CHUNKINGS[chunking]

    def wrap(inputs):
        if isinstance(inputs, np.ndarray):
            return da.from_array(inputs, chunks=cut(inputs.shape))
        if isinstance(inputs, dict):
            return {k: wrap(v) for k, v in inputs.items()}
        return inputs
    return wrap


def sweep_fuse(t: Tally, chunkings=("uneven every axis",), calls=None):
    """The methods part's calls as fused functions of (x, m), called with dask arrays. Only calls whose NumPy
    answer is an array (or a tuple of arrays) are kept: a 0-d or Python result over dask arrays is dask's
    business (the fused call returns what the function returns over ``la.array(dask)``, computed as dask)."""
    import sweep_methods as sm
    x = sm.matrix("f8")
    m = np.resize(np.array([True, False, True, True, False]), x.size).reshape(x.shape)
    for name, call, *ulp in calls or sm.MATRIX_CALLS:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                want = call({"x": x.copy(), "m": m})
            except Exception:
                continue
        if not (isinstance(want, np.ndarray) and want.ndim) and not (
                isinstance(want, (tuple, list)) and want and all(isinstance(w, np.ndarray) and w.ndim for w in want)):
            continue
        if name == "iter":  # np.asarray(row) in the function itself: an ndarray, as over dask arrays
            continue
        fused = la.fuse(lambda x, m, call=call: call({"x": x, "m": m}))

        def run(a, call=call, fused=fused):
            if isinstance(a["x"], np.ndarray):
                return call(a)
            return fused(a["x"], a["m"])
        for c in chunkings:
            t.check(f"fuse {name} <{c}>", run, {"x": x, "m": m}, ulp[0] if ulp else 0, wrapper=dask_wrapper(c),
                    concrete_of=_dask_results)


PARTS = {
    "methods": lambda t: sweep_methods(t),
    "methods-dtypes": lambda t: sweep_methods(t, ("?", "i1", "i8", "u8", "f2", "f4", "c16"), TWO),
    "axes": sweep_axes, "small": sweep_small, "updates": sweep_updates, "ufuncs": sweep_ufuncs,
    "mixed": sweep_mixed, "ufunc-methods": sweep_ufunc_methods, "special": sweep_special, "stats": sweep_stats,
    "linalg": sweep_linalg, "fuse": sweep_fuse,
}

if __name__ == "__main__":
    dask.config.set(scheduler="threads")
    for part in sys.argv[1:] or PARTS:
        t, t0 = Tally(), time.time()
        with np.errstate(all="ignore"):
            PARTS[part](t)
        print(t.report(f"{part} ({time.time() - t0:.0f} s)"), flush=True)
