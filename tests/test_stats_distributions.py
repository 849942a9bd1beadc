"""la.stats' continuous distributions (api/distributions.py, api/continuous.py) against scipy.stats itself.

Two oracles. The graph a method builds, evaluated by NumPy node by node (graph/reference.py), must be SciPy's
answer bit for bit: the same checks, fill values, dtypes and operations in the same order, for every
distribution x method x parameter set (scalars, arrays that broadcast, invalid values, float32). The compiled
kernels compute NumPy's exp/log/power/arctan2 with lazyarr's own vector math (docs/vecmath.md), so against
SciPy they agree within a few ULP, and bit for bit where a method is scipy.special calls and arithmetic only.
Kernels are shared: one compute per distribution and parameter kind, with every method in it.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats as st

import lazyarr as la
from lazyarr.api.distributions import TABLE
from lazyarr.graph import reference
from oracle import assert_same, ulp_distance

METHODS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")
NAMES = sorted(TABLE)

# Standardised points: both ends of every support (0, 1, +-inf), just inside and outside them, nan.
Z = np.array([-np.inf, -40.0, -3.0, -1.0, -1e-300, -0.0, 0.0, 5e-324, 1e-8, 0.25, 0.5, 0.999, 1.0, 1.0 + 2**-52,
              1.5, 3.0, 38.0, 1e300, np.inf, np.nan])
Q = np.array([0.0, 5e-324, 1e-300, 1e-8, 0.025, 0.25, 0.5, 0.75, 0.975, 1 - 2**-53, 1.0, -0.1, 1.5, -np.inf,
              np.nan])
# Valid shape values per distribution, and a column of them with an invalid entry (<= 0 or nan) to broadcast.
GOOD = {"lognorm": (0.75,), "gamma": (2.5,), "beta": (0.5, 3.0), "t": (3.5,), "chi2": (4.0,), "f": (2.5, 7.0),
        "weibull_min": (1.7,), "pareto": (2.5,)}
COLUMNS = {"lognorm": ([0.3, 1.0, 2.5, -1.0, np.nan],), "gamma": ([0.5, 1.0, 7.5, 0.0, -2.0],),
           "beta": ([0.5, 1.0, 2.5, 4.0, -1.0], [3.0, 0.5, 1.0, np.nan, 2.0]),
           "t": ([1.0, 2.5, 30.0, np.inf, 0.0],), "chi2": ([1.0, 2.0, 5.5, 60.0, -1.0],),
           "f": ([1.0, 2.5, 30.0, 4.0, -1.0], [2.0, 0.5, 12.0, 0.0, 5.0]),
           "weibull_min": ([0.5, 1.0, 3.0, -1.0, np.nan],), "pareto": ([0.5, 1.0, 3.0, 0.0, np.nan],)}


def parameter_sets(name: str):
    """(label, shapes, keywords, float32?): the cases every method of `name` is checked on."""
    shapes = GOOD.get(name, ())
    columns = tuple(np.array(c)[:, None] for c in COLUMNS.get(name, ()))
    scale_row = np.array([1.5, 0.5, 2.0, 1.0, -1.0])[:, None]
    yield "defaults", shapes, {}, False
    yield "loc_scale", shapes, {"loc": 0.5, "scale": 1.5}, False
    yield "bad_scale", shapes, {"loc": 0.5, "scale": -1.5}, False
    yield "zero_scale", shapes, {"scale": 0.0}, False
    yield "nan_loc", shapes, {"loc": np.nan}, False
    if shapes:
        yield "bad_shape", (-1.0,) + shapes[1:], {"loc": 0.5}, False
        yield "nan_shape", shapes[:-1] + (np.nan,), {}, False
        yield "shape_columns", columns, {"loc": 0.25, "scale": 2.0}, False
        yield "shape_columns_f32", tuple(c.astype(np.float32) for c in columns), {}, True
    yield "array_loc_scale", shapes, {"loc": np.array([[-1.0], [0.0], [0.5], [np.nan], [2.0]]),
                                      "scale": scale_row}, False
    yield "f32_scale", shapes, {"scale": np.float32(2.5)}, True


def points(method: str, f32: bool) -> np.ndarray:
    if method in ("ppf", "isf"):
        values = Q
    else:  # the standardised points as x for the loc/scale pairs used below (and between)
        values = np.unique(np.concatenate([Z, Z * 1.5 + 0.5, Z * 2.0 + 0.25]))
    return values.astype(np.float32) if f32 else values


def scipy_answer(name, method, x, shapes, kw):
    """SciPy's value, or the exception it raises (Boost's beta pdf overflows at x = 0 for a < 1: OverflowError)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(getattr(st, name), method)(x, *shapes, **kw)
        except ArithmeticError as exc:
            return exc


def lazy(name, method, x, shapes, kw):
    return getattr(getattr(la.stats, name), method)(la.array(x), *shapes, **kw)


def cases(name):
    for label, shapes, kw, f32 in parameter_sets(name):
        for method in METHODS:
            x = points(method, f32)
            yield f"{name}.{method}[{label}]", method, x, shapes, kw


@pytest.mark.parametrize("name", NAMES)
def test_the_graph_is_scipys_computation_bit_for_bit(name):
    """NumPy evaluating lazyarr's graph gives SciPy's bits: every check, fill value, dtype and operation."""
    failures = []
    for what, method, x, shapes, kw in cases(name):
        want = scipy_answer(name, method, x, shapes, kw)
        node = lazy(name, method, x, shapes, kw)._node
        if isinstance(want, Exception):
            with pytest.raises(type(want)):  # the same SciPy function raises it (a stage between kernels)
                reference.evaluate([node])
            continue
        got = reference.evaluate([node])[0]
        try:
            assert_same(np.asarray(got), np.asarray(want), what=what)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


# lazyarr's exp, log, log1p, power, arctan2 against NumPy's (SVML-style on AVX-512): each within ~1-2 ULP, more
# where a method subtracts two such results (weibull_min's -expm1(-x**c), pareto's 1 - x**-b near 1).
ULP = 4


def _close(got, want, what):
    """Within ULP, or (cancellation) within 4 * eps of the larger term, for results in [-1, 1] (probabilities)."""
    with np.errstate(all="ignore"):
        dist = ulp_distance(got, want)
        bad = (dist > ULP) & ~((np.abs(got - want) <= 4 * np.finfo(np.float64).eps) & (np.abs(want) <= 1))
    assert not bad.any(), (f"{what}: {bad.sum()} values differ: got {got[bad][:4]}, SciPy {want[bad][:4]} "
                           f"({dist[bad][:4]} ULP)")
    assert got.dtype == want.dtype and got.shape == want.shape, what


@pytest.mark.parametrize("kind", ["scalars", "arrays"])
@pytest.mark.parametrize("name", NAMES)
def test_kernels_match_scipy(name, kind):
    """Every method compiled (one la.compute per distribution and parameter kind) against scipy.stats."""
    label = "loc_scale" if kind == "scalars" else ("shape_columns" if name in GOOD else "array_loc_scale")
    shapes, kw, f32 = next((s, k, f) for lab, s, k, f in parameter_sets(name) if lab == label)
    exprs, wants, whats = [], [], []
    for method in METHODS:
        x = points(method, f32)
        exprs.append(lazy(name, method, x, shapes, kw))
        wants.append(scipy_answer(name, method, x, shapes, kw))
        whats.append(f"{name}.{method}[{label}]")
    for got, want, what in zip(la.compute(*exprs), wants, whats):
        _close(got, np.asarray(want), what)
