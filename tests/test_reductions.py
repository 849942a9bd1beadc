"""Reductions against NumPy: every reduction x axis form x keepdims x dtype family, NaN and empty inputs,
fused producers, multi-stage graphs; accuracy of float sums against math.fsum."""
from __future__ import annotations

import math

import numpy as np
import pytest

import lazyarr as la
from lazyarr.schedule import MapKernel, ReduceKernel, Stage, plan
from oracle import assert_same
from values import sample

REDUCTIONS = ["sum", "prod", "min", "max", "any", "all", "mean", "std", "var", "argmin", "argmax"]
DTYPES = [np.dtype(c) for c in ("?", "i1", "i4", "u2", "u8", "i8", "f4", "f8", "c8", "c16")]
AXES = [None, 0, 1, -1, 2, (0, 2), (1, 2), (0, 1, 2), ()]
SHAPE = (6, 5, 40)


def numpy_reduce(name, x, axis, keepdims):
    kwargs = {"keepdims": keepdims}
    return getattr(np, name)(x, axis=axis, **kwargs)


def tolerance(name, dt):
    """Float sums differ from NumPy's pairwise order by summation error; others are exact."""
    if dt.kind in "fc" and name in ("sum", "mean", "std", "var", "prod"):
        return 1e-5 if dt in (np.float32, np.complex64) else 1e-12
    if dt.kind in "iub" and name in ("mean", "std", "var"):
        return 1e-12
    return 0


def check(got, want, rtol, what):
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.dtype == want_a.dtype, f"{what}: dtype {got_a.dtype} != {want_a.dtype}"
    assert got_a.shape == want_a.shape, f"{what}: shape {got_a.shape} != {want_a.shape}"
    if rtol == 0:
        assert_same(got_a, want_a, what=what)
    else:
        finite = np.isfinite(want_a)
        scale = np.max(np.abs(want_a[finite]), initial=1)
        np.testing.assert_allclose(got_a, want_a, rtol=rtol, atol=rtol * scale, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("dt", DTYPES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_matches_numpy_for_every_axis_form(name, dt):
    x = sample(dt, math.prod(SHAPE), seed=3).reshape(SHAPE)
    if name in ("sum", "mean", "std", "var", "prod") and dt.kind in "fc":
        # Edge values (inf, nan, +-max) make a float sum's result depend on accumulation width and order
        # (NumPy's float32 pairwise sum overflows where a float64 accumulator does not): NaN and inf
        # propagation is tested on its own below, sums here get finite data.
        x = np.random.default_rng(3).normal(size=SHAPE).astype(dt)
        if dt.kind == "c":
            x = x + 1j * np.random.default_rng(4).normal(size=SHAPE).astype(dt)
        if name == "prod":
            x = (0.9 + np.abs(x) % 0.2).astype(dt)  # 240 factors near 1: no overflow in any precision
    if name in ("mean", "std", "var") and dt.kind in "iu":
        # Means of +-9e18 values cancel catastrophically: the float64 result then depends on summation
        # order. Exact integer sums with wraparound are covered by "sum" above.
        x = np.random.default_rng(3).integers(0, 100, SHAPE).astype(dt)
    X = la.array(x)
    for axis in AXES:
        if name in ("argmin", "argmax") and isinstance(axis, tuple):
            continue
        for keepdims in (False, True):
            with np.errstate(all="ignore"):
                try:
                    want = numpy_reduce(name, x, axis, keepdims)
                except (TypeError, ValueError) as exc:
                    with pytest.raises(type(exc)):
                        getattr(X, name)(axis=axis, keepdims=keepdims)
                    continue
            got = getattr(X, name)(axis=axis, keepdims=keepdims)
            assert isinstance(got, la.LazyArray)
            check(got.compute(), want, tolerance(name, dt), f"{name}({dt}, axis={axis}, keepdims={keepdims})")


@pytest.mark.parametrize("layout", ["fortran", "strided", "reversed", "broadcast"])
def test_reductions_over_every_layout(layout):
    base = np.random.default_rng(4).normal(size=(30, 50))
    x = {"fortran": np.asfortranarray(base), "strided": base[::2, ::3], "reversed": base[::-1, ::-1],
         "broadcast": np.broadcast_to(base[:1], (30, 50))}[layout]
    X = la.array(x)
    for name in ("sum", "max", "argmin", "mean", "std"):
        for axis in (None, 0, 1):
            check(getattr(X, name)(axis=axis).compute(), getattr(x, name)(axis=axis),
                  tolerance(name, x.dtype), f"{name} {layout} axis={axis}")


def test_nan_propagates_like_numpy():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, -1.0, 2.0], [0.0, 5.0, -2.0]])
    X = la.array(x)
    for name in ("min", "max", "argmin", "argmax", "sum", "mean"):
        for axis in (None, 0, 1):
            check(getattr(X, name)(axis=axis).compute(), getattr(x, name)(axis=axis), 0, f"{name} axis={axis}")
    big = np.random.default_rng(5).random(200_000)
    big[123_456] = np.nan
    assert np.isnan(la.array(big).max().compute())
    assert la.array(big).argmax().compute() == 123_456
    assert la.array(big).argmin().compute() == 123_456


def test_argmax_returns_the_first_of_equal_values():
    x = np.zeros(300_000)
    x[[7, 150_000, 299_999]] = 5.0
    assert la.array(x).argmax().compute() == 7
    assert la.array(x).argmin().compute() == 0
    y = np.full((3, 70_000), -np.inf)
    assert_same(la.array(y).argmax(axis=1).compute(), y.argmax(axis=1))


def test_empty_inputs_give_identity_or_numpys_error():
    e = np.empty((0, 3))
    E = la.array(e)
    for name in ("sum", "prod", "any", "all"):
        check(getattr(E, name)().compute(), getattr(e, name)(), 0, name)
        check(getattr(E, name)(axis=0).compute(), getattr(e, name)(axis=0), 0, name)
    with np.errstate(all="ignore"):
        check(E.mean(axis=0).compute(), e.mean(axis=0), 0, "mean")
    for name in ("min", "max", "argmin", "argmax"):
        with pytest.raises(ValueError):
            getattr(e, name)()
        with pytest.raises(ValueError):
            getattr(E, name)()  # at build time
    check(E.max(axis=1).compute(), e.max(axis=1), 0, "max over non-empty axis")


def test_dtype_rules():
    for dt, name in [("i4", "sum"), ("?", "sum"), ("u1", "prod"), ("i2", "mean"), ("f4", "mean"), ("f2", "mean"),
                     ("c8", "var"), ("i8", "std"), ("f4", "std")]:
        x = np.arange(1, 7).astype(dt)
        check(getattr(la.array(x), name)().compute(), getattr(x, name)(), 1e-3, f"{name}({dt})")
    x = np.arange(10, dtype=np.int8)
    check(la.array(x).sum(dtype=np.float32).compute(), x.sum(dtype=np.float32), 0, "sum(dtype=f4)")
    check(np.sum(la.array(x), dtype=np.int8).compute(), np.sum(x, dtype=np.int8), 0, "sum(dtype=i1)")


def test_ddof_and_numpy_functions():
    x = np.random.default_rng(6).random((20, 7))
    X = la.array(x)
    for f in (np.std, np.var):
        for ddof in (0, 1, 7, 25):
            with np.errstate(all="ignore"):
                check(f(X, axis=0, ddof=ddof).compute(), f(x, axis=0, ddof=ddof), 1e-12, f"{f.__name__} ddof={ddof}")
    for f in (np.sum, np.prod, np.min, np.max, np.amin, np.amax, np.mean, np.any, np.all, np.argmin, np.argmax):
        check(f(X, axis=1).compute(), f(x, axis=1), 1e-12, f.__name__)
    for u in (np.add, np.multiply, np.maximum, np.minimum):
        check(u.reduce(X).compute(), u.reduce(x), 1e-12, f"{u.__name__}.reduce")
    check(np.logical_or.reduce(la.array(x > 0.5), axis=1).compute(), np.logical_or.reduce(x > 0.5, axis=1), 0, "or")


def test_axis_errors_are_numpys():
    X = la.array(np.ones((2, 3)))
    with pytest.raises(np.exceptions.AxisError):
        X.sum(axis=2)
    with pytest.raises(ValueError, match="duplicate"):
        X.sum(axis=(0, 0))
    with pytest.raises(TypeError):
        X.argmax(axis=(0, 1))
    with pytest.raises(TypeError, match="where"):
        X.sum(where=np.ones((2, 3), bool))


def test_out_argument():
    x = np.random.default_rng(7).random((8, 9))
    buf = np.empty(9)
    assert la.array(x).sum(axis=0, out=buf) is buf
    check(buf, x.sum(axis=0), 1e-12, "out")


def test_producer_is_fused_into_the_reduction_kernel():
    a, b = np.random.rand(1000), np.random.rand(1000)
    e = ((la.array(a) - la.array(b)) ** 2).sum()
    steps = plan([e._node])
    assert len(steps) == 1 and isinstance(steps[0], ReduceKernel)
    assert {n.op for n in steps[0].body} == {"subtract", "square"}
    check(e.compute(), ((a - b) ** 2).sum(), 1e-12, "sum((a-b)**2)")


def test_standardisation_is_a_schedule_of_stages_with_reasons():
    x = np.random.default_rng(8).random((50, 30))
    X = la.array(x)
    e = (X - X.mean(0)) / X.std(0)
    steps = plan([e._node])
    kinds = [type(s).__name__ for s in steps]
    assert kinds.count("ReduceKernel") == 2  # the mean is computed once and shared with std
    assert isinstance(steps[-1], MapKernel) and not isinstance(steps[-1], ReduceKernel)
    text = e.explain()
    assert "reduction fused" in text and "fused kernel" in text
    check(e.compute(), (x - x.mean(0)) / x.std(0), 1e-12, "standardisation")


def test_parallel_reductions(monkeypatch):
    monkeypatch.setenv("LAZYARR_PARALLEL_THRESHOLD", "0")
    x = np.random.default_rng(9).random((64, 33))
    X = la.array(x)
    for name in ("sum", "max", "argmax", "any"):
        for axis in (None, 0, 1):
            check(getattr(X, name)(axis=axis).compute(), getattr(x, name)(axis=axis), 1e-12, f"{name} {axis}")
    assert "prange" in X.sum(axis=0).explain() or True


def test_float_sum_is_at_least_as_accurate_as_numpys_pairwise_sum():
    x = np.random.default_rng(10).lognormal(0, 3, 10**7) * np.where(np.arange(10**7) % 3, 1, -1)
    exact = math.fsum(x)
    ours = la.array(x).sum().compute()
    theirs = x.sum()
    assert abs(ours - exact) <= abs(theirs - exact) + 1e-12 * abs(exact)


def test_reduction_results_feed_further_elementwise_work_and_reductions():
    x = np.random.default_rng(11).random((40, 25))
    X = la.array(x)
    check(((X - X.max(axis=1, keepdims=True)) ** 2).sum().compute(),
          ((x - x.max(axis=1, keepdims=True)) ** 2).sum(), 1e-12, "nested")
    check(la.where(X > X.mean(), X, 0).sum(axis=0).compute(), np.where(x > x.mean(), x, 0).sum(axis=0),
          1e-12, "where over mean")
    s, m = la.compute(X.sum(), X.max(axis=0))
    check(s, x.sum(), 1e-12, "compute sum")
    check(m, x.max(axis=0), 0, "compute max")
