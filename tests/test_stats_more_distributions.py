"""(s16 stats2) la.stats' new distributions (api/more_distributions.py) and every other scipy.stats method and
distribution, against scipy.stats itself.

The graph a method builds, evaluated by NumPy node by node (graph/reference.py), must be SciPy's answer: the
same checks, fill values, dtypes and shapes. NumPy's own exp/log loops do not give one answer per value (the
lanes of a vector that holds an inf or a nan take another path than SciPy's compressed array: np.exp of the
same value gave 0.7 and 0.7000000000000001), so values are compared within 2 ULP (or 2**-50 absolute, for
logs of values near 1); nan, inf and zero patterns exactly. The compiled kernels within the session-15 budget.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats as st

import lazyarr as la
from lazyarr.api.distribution_tables import DISCRETE, TABLE
from lazyarr.api.fallback import NumPyFallbackWarning
from lazyarr.api.more_distributions import MORE, MORE_DISCRETE
from lazyarr.graph import reference
from oracle import ulp_distance

pytestmark = [pytest.mark.filterwarnings("ignore:Error in function boost:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore::lazyarr.api.fallback.NumPyFallbackWarning")]

METHODS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")
NAMES = [d.name for d in MORE]
Z = np.array([-np.inf, -40.0, -3.0, -1.0, -1e-300, -0.0, 0.0, 5e-324, 1e-8, 0.25, 0.5, 0.999, 1.0, 1.0 + 2**-52,
              1.5, 3.0, 38.0, 1e300, np.inf, np.nan])
Q = np.array([0.0, 5e-324, 1e-300, 1e-8, 0.025, 0.25, 0.5, 0.75, 0.975, 1 - 2**-53, 1.0, -0.1, 1.5, np.nan])
# a valid shape set, and a column with invalid entries (for each shape) to broadcast against x
GOOD = {"foldnorm": (0.7,), "invgamma": (2.5,), "lomax": (1.5,), "fisk": (3.0,), "powerlaw": (0.5,),
        "exponweib": (2.0, 1.5), "gompertz": (0.8,), "gennorm": (1.5,), "dweibull": (1.2,), "triang": (0.3,),
        "truncexpon": (2.0,), "genpareto": (-0.25,), "invgauss": (0.6,), "skewnorm": (3.0,),
        "nakagami": (1.5,), "rice": (1.2,)}
COLUMN = [0.5, 1.0, 2.5, 0.0, -1.0, np.nan]
COLUMNS = {"triang": [0.0, 0.3, 1.0, 0.5, -0.5, 1.5], "genpareto": [0.5, -0.5, 0.0, 2.0, -2.0, np.inf],
           "skewnorm": [0.0, -2.0, 4.0, 1.0, np.inf, np.nan], "rice": [0.0, 0.5, 3.0, 1.0, -1.0, np.nan],
           "foldnorm": [0.0, 0.5, 3.0, 1.0, -1.0, np.nan]}


def parameter_sets(name):
    shapes = GOOD.get(name, ())
    yield "defaults", shapes, {}
    yield "loc_scale", shapes, {"loc": 0.5, "scale": 1.5}
    yield "bad_scale", shapes, {"loc": 0.5, "scale": -1.5}
    yield "nan_loc", shapes, {"loc": np.nan}
    yield "array_loc_scale", shapes, {"loc": np.array([[-1.0], [0.0], [np.nan]]),
                                      "scale": np.array([[1.5], [0.0], [2.0]])}
    if shapes:
        column = np.array(COLUMNS.get(name, COLUMN))[:, None]
        yield "shape_columns", tuple(column for _ in shapes), {"loc": 0.25, "scale": 2.0}
        yield "f32_column", tuple(column.astype(np.float32) for _ in shapes), {}


def points(method):
    return Q if method in ("ppf", "isf") else np.unique(np.concatenate([Z, Z * 1.5 + 0.5]))


def scipy_answer(dist, method, x, shapes, kw):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(getattr(dist, method)(x, *shapes, **kw))


def close(got, want, what, ulp=2):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    with np.errstate(all="ignore"):
        dist = ulp_distance(got, want)
        budget = ulp * np.maximum(1.0, np.nan_to_num(np.abs(np.log(np.abs(want))), posinf=0.0))
        bad = (dist > budget) & ~(np.abs(got - want) <= 2**-50)
    assert not bad.any(), f"{what}: got {got[bad][:4]}, SciPy {want[bad][:4]} ({dist[bad][:4]} ULP)"


@pytest.mark.parametrize("name", NAMES)
def test_the_graph_is_scipys_computation(name):
    """NumPy evaluating lazyarr's graph: SciPy's checks, fills, dtypes, shapes, and values (within NumPy's own
    lane differences)."""
    own = TABLE[name].scipy_own
    failures = []
    for label, shapes, kw in parameter_sets(name):
        for method in METHODS:
            if method in own:
                continue
            x = points(method)
            if label == "f32_column":
                x = x.astype(np.float32)
            want = scipy_answer(getattr(st, name), method, x, shapes, kw)
            node = getattr(getattr(la.stats, name), method)(la.array(x), *shapes, **kw)._node
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = reference.evaluate([node])[0]
            try:
                close(got, want, f"{name}.{method}[{label}]")
            except AssertionError as exc:
                failures.append(str(exc))
    assert not failures, "\n".join(failures)


def test_kernels_match_scipy():
    """Every fused method of every new distribution, compiled (one la.compute), against scipy.stats."""
    exprs, wants, whats = [], [], []
    for name in NAMES:
        for method in METHODS:
            if method in TABLE[name].scipy_own:
                continue
            x = points(method)
            shapes, kw = GOOD.get(name, ()), {"loc": 0.5, "scale": 1.5}
            exprs.append(getattr(getattr(la.stats, name), method)(la.array(x), *shapes, **kw))
            wants.append(scipy_answer(getattr(st, name), method, x, shapes, kw))
            whats.append(f"{name}.{method}")
    for got, want, what in zip(la.compute(*exprs), wants, whats):
        close(got, want, what, ulp=4)


def test_methods_scipy_computes_numerically_are_scipys_own():
    """foldnorm's ppf (SciPy's root finding), invgauss's and skewnorm's private-ufunc code: SciPy's bits, with the
    fallback's warning; frozen too."""
    q = np.array([0.0, 0.01, 0.5, 0.9, 1.0, np.nan])
    x = np.array([-1.0, 0.0, 0.3, 1.0, 4.0, np.nan])
    for name, method, arg, shapes in (("foldnorm", "ppf", q, (0.7,)), ("foldnorm", "logcdf", x, (0.7,)),
                                      ("invgauss", "isf", q, (0.6,)), ("wald", "ppf", q, ()),
                                      ("skewnorm", "cdf", x, (3.0,)), ("skewnorm", "ppf", q, (-2.0,))):
        got = getattr(getattr(la.stats, name), method)(la.array(arg), *shapes, loc=0.5)
        want = getattr(getattr(st, name), method)(arg, *shapes, loc=0.5)
        np.testing.assert_array_equal(np.asarray(got), want)
    frozen = la.stats.foldnorm(0.7, scale=2.0).isf(la.array(q))
    np.testing.assert_array_equal(np.asarray(frozen), st.foldnorm(0.7, scale=2.0).isf(q))


# -- discrete ---------------------------------------------------------------------------------------------------
K = np.array([-np.inf, -3, -1, -0.5, 0, 0.5, 1, 2, 3, 4.0, 7, 10, 25, np.inf, np.nan])
DQ = np.array([0, 1e-300, 0.01, 0.25, 0.5, 0.75, 0.99, 1, -0.1, 1.5, np.nan])
DISCRETE_CASES = {
    "geom": [(0.3,), (np.array([[0.3], [1.0], [0.0], [1.5], [np.nan]]),)],
    "nbinom": [(3, 0.4), (np.array([[2.5], [0.0], [4.0]]), np.array([[0.3], [1.0], [0.0]]))],
    "bernoulli": [(0.3,), (np.array([[0.3], [1.0], [0.0], [1.5]]),)],
    "randint": [(1, 7), (np.array([[-2.0], [1.5], [3], [5]]), 5)],
    "hypergeom": [(20, 7, 12), (np.array([[20], [10], [5], [6.5]]), 7, 5)],
    "logser": [(0.6,), (np.array([[0.3], [1.0], [0.9]]),)],
    "dlaplace": [(0.8,), (np.array([[0.3], [-1.0], [2.0]]),)],
    "poisson": [(2.5,), (np.array([[2.5], [-1.0], [0.0]]),)],
    "binom": [(10, 0.3), (np.array([[10], [2.5], [4]]), 0.3)],
}
DISCRETE_METHODS = ("pmf", "logpmf", "cdf", "sf", "logcdf", "logsf", "ppf", "isf")


def test_discrete_records_cover_scipys():
    assert {d.name for d in MORE_DISCRETE} | {"poisson", "binom"} == set(DISCRETE) == set(DISCRETE_CASES)


@pytest.mark.parametrize("name", sorted(DISCRETE_CASES))
def test_discrete_graph_is_scipys_computation(name):
    """Every rv_discrete method (logcdf, logsf, isf new for all) with float and integer k, loc, invalid and nan
    shapes broadcast: SciPy's fills, dtypes and values; the methods SciPy sums or loops over are its own."""
    failures = []
    for shapes in DISCRETE_CASES[name]:
        for kw in ({}, {"loc": 1.5}):
            for method in DISCRETE_METHODS:
                if method in DISCRETE[name].scipy_own and shapes is not DISCRETE_CASES[name][0]:
                    continue  # (SciPy's own, once: its summation for logser.isf(q; p=[[.3],[1],[.9]]) runs minutes)
                for x in ((DQ,) if method in ("ppf", "isf") else (K, np.arange(-2, 12))):
                    want = scipy_answer(getattr(st, name), method, x, shapes, kw)
                    result = getattr(getattr(la.stats, name), method)(la.array(x), *shapes, **kw)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        got = reference.evaluate([result._node])[0]
                    try:
                        close(got, want, f"{name}.{method}{shapes}{kw}", ulp=4)
                    except AssertionError as exc:
                        failures.append(str(exc))
    assert not failures, "\n".join(failures)


def test_discrete_kernels_match_scipy():
    exprs, wants, whats = [], [], []
    for name, cases in DISCRETE_CASES.items():
        shapes = cases[0]
        for method in DISCRETE_METHODS:
            x = DQ if method in ("ppf", "isf") else K
            exprs.append(getattr(getattr(la.stats, name), method)(la.array(x), *shapes, loc=1.0))
            wants.append(scipy_answer(getattr(st, name), method, x, shapes, {"loc": 1.0}))
            whats.append(f"{name}.{method}")
    for got, want, what in zip(la.compute(*exprs), wants, whats):
        close(got, want, what, ulp=4)


# -- every other method, every other distribution -----------------------------------------------------------------
def _same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


A = np.array([0.5, 1.5, 4.0, -1.0])
OTHER_CALLS = [  # (method, args before the shapes, keywords)
    ("mean", (), {}), ("var", (), {}), ("std", (), {}), ("median", (), {}), ("entropy", (), {}),
    ("interval", (0.9,), {}), ("stats", (), {"moments": "mvsk"}), ("moment", (3,), {}), ("support", (), {}),
]


def test_every_other_method_is_scipys_answer():
    """mean, var, moment, interval, stats, ... of la.stats' distributions (table or not), frozen too: SciPy's
    own on the values, the fallback's warning once; a LazyArray parameter to scipy.stats itself too."""
    for name in ("gamma", "rayleigh", "poisson", "vonmises", "levy_stable"):
        dist = getattr(st, name)
        shapes = {"gamma": (A,), "rayleigh": (), "poisson": (A,), "vonmises": (A,), "levy_stable": (1.5, 0.3)}[name]
        lazy_shapes = tuple(la.array(s) if isinstance(s, np.ndarray) else s for s in shapes)
        for method, before, kw in OTHER_CALLS:
            if name == "levy_stable" and method in ("entropy", "moment", "stats"):
                continue  # (slow numerical integration in SciPy)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = getattr(dist, method)(*before, *shapes, loc=0.5, **kw)
                _same(getattr(getattr(la.stats, name), method)(*before, *lazy_shapes, loc=0.5, **kw), want)
                _same(getattr(dist, method)(*before, *lazy_shapes, loc=0.5, **kw), want)
                if name not in ("levy_stable",):
                    frozen = getattr(la.stats, name)(*lazy_shapes, loc=0.5)
                    _same(getattr(frozen, method)(*before, **kw), getattr(dist(*shapes, loc=0.5), method)(*before, **kw))
    assert la.stats.gamma.shapes == ("a",) and la.stats.vonmises.numargs == 1
    with pytest.warns(NumPyFallbackWarning):
        import lazyarr.api.fallback as fb
        fb.warned.discard("scipy.stats.t.expect")
        got = la.stats.t.expect(lambda v: v * v, args=(5.0,))
    assert got == st.t.expect(lambda v: v * v, args=(5.0,))
    rvs = la.stats.norm.rvs(loc=la.array(A), size=4, random_state=np.random.default_rng(3))
    _same(rvs, st.norm.rvs(loc=A, size=4, random_state=np.random.default_rng(3)))
    with pytest.raises(AttributeError):
        la.stats.gamma.no_such_method
    with pytest.raises(AttributeError):
        la.stats.no_such_distribution


@pytest.mark.parametrize("lazy_arguments", [False, True])
def test_other_methods_inside_fuse(lazy_arguments):
    """moment wrote a traced array into NumPy's array (TracingError); now a graph break, SciPy's bits; the new
    records fuse with no break; the methods SciPy computes numerically are its own."""
    x = np.linspace(0.05, 0.95, 7)

    @la.fuse
    def f(q, c):
        return (st.gamma.moment(2, c), st.rayleigh.cdf(q, scale=c) + st.geom.logsf(q * 10, 0.3),
                st.foldnorm.ppf(q, c), st.nakagami(c).interval(0.5))

    conv = la.array if lazy_arguments else (lambda v: v)
    for c in (x + 0.5, x + 1.5):
        got = f(conv(x), conv(c))
        want = (st.gamma.moment(2, c), st.rayleigh.cdf(x, scale=c) + st.geom.logsf(x * 10, 0.3),
                st.foldnorm.ppf(x, c), st.nakagami(c).interval(0.5))
        _same(got[0], want[0])
        close(got[1], want[1], "rayleigh.cdf + geom.logsf", ulp=4)
        _same(got[2], want[2])
        _same(tuple(got[3]), want[3])


def test_new_record_inside_fuse_is_one_kernel():
    x = np.linspace(0.0, 6.0, 301)

    @la.fuse
    def g(v, c):
        return st.lomax.logpdf(v, c, scale=2.0) * st.gompertz.sf(v, c) + st.geom.pmf(v, 0.25)

    want = st.lomax.logpdf(x, 1.5, scale=2.0) * st.gompertz.sf(x, 1.5) + st.geom.pmf(x, 0.25)
    close(g(x, 1.5), want, "fused lomax * gompertz + geom", ulp=8)
    assert "1 fused kernel(s)" in g.explain(x, 1.5)
