"""Issue #13's whole list, one call each: every function runs natively on LazyArrays (fused or a NumPy stage,
never through the fallback: NumPyFallbackWarning is an error here) with NumPy's answer, type, dtype and shape.

The detailed tests of each family (dtypes, axes, keepdims, empty and 0-d inputs, NaN placement, structure)
are in tests/test_surface_*.py; this file is the checklist that keeps the surface from shrinking.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazyarr as la
from oracle import assert_same

X = np.array([[3.5, -1.0, 0.25, 2.0], [0.0, 7.25, -2.5, 2.0], [1.0, 1.0, 4.0, -0.5]])
XN = np.where(X == 2.0, np.nan, X)  # a NaN in two rows
V = np.array([0.5, -1.5, 2.0, 3.25, -0.75])
I = np.array([5, 3, 0, 5, 9, 2], dtype=np.int64)
SQ = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.25], [0.5, 0.25, 2.0]])


def concrete(result):
    """LazyArrays computed, containers (tuples, lists, namedtuples) kept: what to compare with NumPy's."""
    if isinstance(result, la.LazyArray):
        return result.compute()
    if isinstance(result, tuple) and hasattr(result, "_fields"):
        return type(result)(*(concrete(r) for r in result))
    if isinstance(result, (list, tuple)):
        return type(result)(concrete(r) for r in result)
    return result


def assert_all_same(got, want, what, ulp):
    if isinstance(want, (list, tuple)):
        assert isinstance(got, type(want)) or type(got).__name__ == type(want).__name__, \
            f"{what}: {type(got).__name__} != NumPy's {type(want).__name__}"
        assert len(got) == len(want), what
        for g, w in zip(got, want):
            assert_all_same(g, w, what, ulp)
    elif isinstance(want, (bool, int, float, complex)) and not isinstance(want, np.generic):
        assert type(got) is type(want) and got == want, f"{what}: {got!r} != NumPy's {want!r}"
    else:
        assert_same(got, want, ulp=ulp, what=what)


def _family(*cases):
    return [pytest.param(c[1], c[2] if len(c) > 2 else 0, id=c[0]) for c in cases]


# (id, call(xp-arrays dict) , ulp). `a` holds the inputs, NumPy's or wrapped: a["X"], a["XN"], ...
ELEMENTWISE = _family(
    ("round", lambda a: np.round(a["X"], 1)), ("around", lambda a: np.around(a["X"] * 10, -1)),
    ("fix", lambda a: np.fix(a["X"])), ("nan_to_num", lambda a: np.nan_to_num(a["XN"], nan=-9.0)),
    ("isclose", lambda a: np.isclose(a["X"], a["X"] + 1e-9)), ("sinc", lambda a: np.sinc(a["X"]), 2),
    ("heaviside", lambda a: np.heaviside(a["X"], 0.5)), ("angle", lambda a: np.angle(a["X"])),
    ("polyval", lambda a: np.polyval([1.0, 2.0, 3.0], a["X"])),
    ("select", lambda a: np.select([a["X"] > 1, a["X"] < 0], [a["X"], -a["X"]], 7.0)),
    ("piecewise", lambda a: np.piecewise(a["X"], [a["X"] < 0, a["X"] >= 0], [-1.0, 1.0])),
    ("ufunc.outer", lambda a: np.multiply.outer(a["V"], a["V"])), ("outer", lambda a: np.outer(a["V"], a["X"])),
    ("triu", lambda a: np.triu(a["X"], 1)), ("tril", lambda a: np.tril(a["X"], -1)),
)

REDUCTIONS = _family(
    ("nansum", lambda a: np.nansum(a["XN"], axis=0)), ("nanprod", lambda a: np.nanprod(a["XN"], axis=1)),
    ("nanmean", lambda a: np.nanmean(a["XN"], axis=0)), ("nanvar", lambda a: np.nanvar(a["XN"], axis=1), 2),
    ("nanstd", lambda a: np.nanstd(a["XN"]), 2), ("nanmin", lambda a: np.nanmin(a["XN"], axis=0)),
    ("nanmax", lambda a: np.nanmax(a["XN"])), ("nanargmin", lambda a: np.nanargmin(a["XN"], axis=1)),
    ("nanargmax", lambda a: np.nanargmax(a["XN"])), ("ptp", lambda a: np.ptp(a["X"], axis=1)),
    ("average", lambda a: np.average(a["X"], axis=0, weights=[1.0, 2.0, 3.0]), 2),
    ("average returned", lambda a: np.average(a["X"], axis=1, returned=True), 2),
    ("count_nonzero", lambda a: np.count_nonzero(a["X"], axis=1)), ("trace", lambda a: np.trace(a["X"], 1)),
    ("norm", lambda a: np.linalg.norm(a["X"]), 2), ("norm axis=1", lambda a: np.linalg.norm(a["X"], axis=1), 2),
    ("norm ord=1", lambda a: np.linalg.norm(a["V"], ord=1)),
    ("sum where=", lambda a: np.sum(a["X"], axis=0, where=a["X"] > 0)),
    ("max initial=", lambda a: np.max(a["X"], axis=1, initial=5.0)),
    ("allclose", lambda a: np.allclose(a["X"], a["X"] + 1e-10)),
    ("array_equal", lambda a: np.array_equal(a["XN"], a["XN"], equal_nan=True)),
    ("array_equiv", lambda a: np.array_equiv(a["V"], a["V"])),
    ("trapezoid", lambda a: np.trapezoid(a["X"], axis=1)), ("cov", lambda a: np.cov(a["X"]), 4),
    ("corrcoef", lambda a: np.corrcoef(a["X"]), 4), ("cumsum", lambda a: np.cumsum(a["X"], axis=1)),
    ("cumprod", lambda a: np.cumprod(a["X"], axis=0)), ("add.accumulate", lambda a: np.add.accumulate(a["I"])),
    ("nancumsum", lambda a: np.nancumsum(a["XN"], axis=1)),
)

VIEWS = _family(
    ("flip", lambda a: np.flip(a["X"], 1)), ("fliplr", lambda a: np.fliplr(a["X"])),
    ("flipud", lambda a: np.flipud(a["X"])), ("rot90", lambda a: np.rot90(a["X"])),
    ("swapaxes", lambda a: np.swapaxes(a["X"], 0, 1)), ("moveaxis", lambda a: np.moveaxis(a["X"], 0, -1)),
    ("transpose axes", lambda a: np.transpose(a["X"][None], (2, 0, 1))),
    ("diagonal", lambda a: np.diagonal(a["X"], 1)), ("diff", lambda a: np.diff(a["X"], n=2, axis=1)),
    ("diff prepend", lambda a: np.diff(a["V"], prepend=0.0)), ("gradient", lambda a: np.gradient(a["X"])),
    ("roll", lambda a: np.roll(a["X"], 2, axis=1)), ("tile", lambda a: np.tile(a["V"], 2)),
    ("repeat", lambda a: np.repeat(a["X"], 2, axis=0)),
    *[(f"pad {m}", lambda a, m=m: np.pad(a["X"], 1, mode=m)) for m in ("constant", "edge", "reflect", "wrap")],
    ("concatenate", lambda a: np.concatenate([a["X"], a["X"]])), ("stack", lambda a: np.stack([a["V"], a["V"]])),
    ("vstack", lambda a: np.vstack([a["X"], a["X"]])), ("hstack", lambda a: np.hstack([a["V"], a["V"]])),
    ("dstack", lambda a: np.dstack([a["X"], a["X"]])), ("column_stack", lambda a: np.column_stack([a["V"], a["V"]])),
    ("append", lambda a: np.append(a["X"], a["X"], axis=0)), ("split", lambda a: np.split(a["X"], 2, axis=1)),
    ("array_split", lambda a: np.array_split(a["V"], 3)), ("atleast_1d", lambda a: np.atleast_1d(a["X"])),
    ("atleast_2d", lambda a: np.atleast_2d(a["V"])), ("atleast_3d", lambda a: np.atleast_3d(a["X"])),
    ("broadcast_arrays", lambda a: np.broadcast_arrays(a["X"], a["X"][0])),
    ("meshgrid", lambda a: np.meshgrid(a["V"], a["V"][:3])), ("take", lambda a: np.take(a["X"], [2, 0], axis=1)),
    ("take_along_axis", lambda a: np.take_along_axis(a["X"], np.array([[0], [3], [1]]), axis=1)),
)

SEARCHING = _family(
    ("searchsorted", lambda a: np.searchsorted(np.sort(V), a["V"])),
    ("digitize", lambda a: np.digitize(a["V"], [-1.0, 0.0, 2.0])),
    ("interp", lambda a: np.interp(a["V"], [-2.0, 0.0, 4.0], [1.0, 0.0, 2.0])),
    ("histogram", lambda a: np.histogram(a["V"], bins=3)), ("histogram2d", lambda a: np.histogram2d(a["V"], a["V"], bins=2)),
    ("bincount", lambda a: np.bincount(a["I"], minlength=12)), ("sort", lambda a: np.sort(a["X"], axis=0)),
    ("argsort", lambda a: np.argsort(a["V"])), ("partition", lambda a: np.partition(a["V"], 2)),
    ("argpartition", lambda a: np.argpartition(a["V"], 2)[2:3]), ("lexsort", lambda a: np.lexsort((a["V"], a["V"] > 0))),
    ("median", lambda a: np.median(a["X"], axis=1)), ("percentile", lambda a: np.percentile(a["X"], [25, 50])),
    ("quantile", lambda a: np.quantile(a["X"], 0.3, axis=0)), ("nanmedian", lambda a: np.nanmedian(a["XN"], axis=0)),
    ("nanpercentile", lambda a: np.nanpercentile(a["XN"], 40)),
)

DATA_DEPENDENT = _family(
    ("unique", lambda a: np.unique(a["I"])), ("unique counts", lambda a: np.unique(a["I"], return_counts=True)),
    ("unique_values", lambda a: np.unique_values(a["I"])), ("unique_counts", lambda a: np.unique_counts(a["I"])),
    ("unique_inverse", lambda a: np.unique_inverse(a["I"])), ("unique_all", lambda a: np.unique_all(a["I"])),
    ("nonzero", lambda a: np.nonzero(a["X"] > 1)), ("argwhere", lambda a: np.argwhere(a["X"] > 1)),
    ("flatnonzero", lambda a: np.flatnonzero(a["X"])), ("extract", lambda a: np.extract(a["X"] > 1, a["X"])),
    ("compress", lambda a: np.compress([True, False, True], a["X"], axis=0)),
    ("lazy mask", lambda a: a["X"][a["X"] > 0.5]), ("numpy mask", lambda a: a["X"][X > 0.5]),
)

GATHERS = _family(
    ("lazy index", lambda a: a["V"][a["I"] % 5]),
    ("logp[arange, labels]", lambda a: a["X"][np.arange(3), a["I"][:3] % 4]),
    ("take lazy index", lambda a: np.take(a["X"], a["I"][:2] % 4, axis=1)),
)

LINALG = _family(
    ("einsum fused", lambda a: np.einsum("ij,ij->i", a["X"], a["X"])), ("einsum", lambda a: np.einsum("ij,kj->ik", a["X"], a["X"])),
    ("kron", lambda a: np.kron(a["V"][:2], a["X"])), ("cross", lambda a: np.cross(a["X"][:, :3], a["SQ"])),
    ("inner", lambda a: np.inner(a["X"], a["X"])), ("vdot", lambda a: np.vdot(a["X"], a["X"])),
    ("solve", lambda a: np.linalg.solve(a["SQ"], a["V"][:3]), 8), ("inv", lambda a: np.linalg.inv(a["SQ"]), 8),
    ("det", lambda a: np.linalg.det(a["SQ"]), 8), ("eigh", lambda a: np.linalg.eigh(a["SQ"]).eigenvalues, 8),
    ("svd", lambda a: np.linalg.svd(a["SQ"], compute_uv=False), 8), ("qr", lambda a: np.linalg.qr(a["SQ"]).R, 8),
    ("fft", lambda a: np.fft.fft(a["V"]), 8), ("rfft", lambda a: np.fft.rfft(a["X"], axis=1), 8),
    ("convolve", lambda a: np.convolve(a["V"], a["V"][:3])), ("correlate", lambda a: np.correlate(a["V"], a["V"][:2], "full")),
)

METHODS = _family(
    ("item", lambda a: a["X"].item(1, 2)), ("tolist", lambda a: a["X"].tolist()), ("round m", lambda a: a["X"].round(1)),
    ("cumsum m", lambda a: a["X"].cumsum(axis=0)), ("cumprod m", lambda a: a["V"].cumprod()),
    ("nonzero m", lambda a: (a["X"] > 1).nonzero()), ("argsort m", lambda a: a["V"].argsort()),
    ("searchsorted m", lambda a: (a["V"] * 0 + np.sort(V)).searchsorted(0.0)),
    ("repeat m", lambda a: a["V"].repeat(2)), ("take m", lambda a: a["X"].take([1, 3], axis=1)),
    ("diagonal m", lambda a: a["X"].diagonal()), ("trace m", lambda a: a["X"].trace()),
    ("swapaxes m", lambda a: a["X"].swapaxes(0, 1)), ("nbytes", lambda a: a["X"].nbytes),
    ("itemsize", lambda a: a["X"].itemsize), ("iter", lambda a: [row for row in a["X"]]),
    ("__index__", lambda a: [10, 20, 30][a["I"][4] - 7]), ("__format__", lambda a: f"{a['V'][0]:.3f}"),
    ("float", lambda a: float(a["V"][1])), ("int", lambda a: int(a["I"][0])), ("complex", lambda a: complex(a["V"][2])),
    ("astype copy=False", lambda a: a["X"].astype(np.float64, copy=False)),
)


def _run(call, ulp):
    want = call({"X": X, "XN": XN, "V": V, "I": I, "SQ": SQ})
    lazy = {k: la.array(v) for k, v in (("X", X), ("XN", XN), ("V", V), ("I", I), ("SQ", SQ))}
    with warnings.catch_warnings():
        warnings.simplefilter("error", la.NumPyFallbackWarning)
        got = concrete(call(lazy))
    assert_all_same(got, want, "", ulp)


@pytest.mark.parametrize("call, ulp", ELEMENTWISE + REDUCTIONS + VIEWS)
def test_fused_and_view_functions(call, ulp):
    _run(call, ulp)


@pytest.mark.parametrize("call, ulp", SEARCHING + DATA_DEPENDENT + GATHERS)
def test_searching_counting_and_data_dependent_shapes(call, ulp):
    _run(call, ulp)


@pytest.mark.parametrize("call, ulp", LINALG + METHODS)
def test_linear_algebra_and_methods(call, ulp):
    _run(call, ulp)


CREATION = [
    ("zeros", lambda xp: xp.zeros((2, 3))), ("ones", lambda xp: xp.ones(4, dtype=np.int32)),
    ("full", lambda xp: xp.full((2, 2), 7.5)), ("empty shape", lambda xp: xp.empty((3, 2)).shape),
    ("arange", lambda xp: xp.arange(2, 11, 3)), ("arange float", lambda xp: xp.arange(0.5, 2.0, 0.1)),
    ("linspace", lambda xp: xp.linspace(0, 1, 7)), ("linspace no endpoint", lambda xp: xp.linspace(-2, 3, 6, endpoint=False)),
    ("logspace", lambda xp: xp.logspace(0, 3, 4)), ("geomspace", lambda xp: xp.geomspace(1, 1000, 4)),
    ("eye", lambda xp: xp.eye(3, 4, k=1)), ("identity", lambda xp: xp.identity(3)), ("tri", lambda xp: xp.tri(3, 4, -1)),
    ("indices", lambda xp: xp.indices((2, 3))), ("asarray", lambda xp: xp.asarray([[1, 2], [3, 4]])),
    ("array(list)", lambda xp: xp.array([1.5, 2.5])),
    ("zeros_like", lambda xp: xp.zeros_like(xp.asarray(X))), ("full_like", lambda xp: xp.full_like(xp.asarray(I), 3)),
    ("sin(arange).sum()", lambda xp: np.sin(xp.arange(10) * 0.5).sum()),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in CREATION])
def test_creation_functions(call):
    want = call(np)
    with warnings.catch_warnings():
        warnings.simplefilter("error", la.NumPyFallbackWarning)
        got = concrete(call(la))
    assert_all_same(got, want, "", 1)
