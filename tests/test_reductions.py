"""Reductions against NumPy: every reduction x axis form x keepdims x dtype family, NaN and empty inputs,
fused producers, multi-stage graphs; accuracy of float sums against math.fsum."""
from __future__ import annotations

import math

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, Stage, plan
from oracle import assert_same
from values import sample
from values import seeded_rand

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
    assert X.sum(where=np.ones((2, 3), bool)) == 6.0  # where=: fused (surface/reductions)


def test_out_argument():
    x = np.random.default_rng(7).random((8, 9))
    buf = np.empty(9)
    assert la.array(x).sum(axis=0, out=buf) is buf
    check(buf, x.sum(axis=0), 1e-12, "out")


def test_producer_is_fused_into_the_reduction_kernel():
    a, b = seeded_rand(1, 1000), seeded_rand(2, 1000)
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
    assert kinds == ["RowKernel"]  # (rowfuse, #14) mean, variance and the scaling in one kernel
    text = e.explain()
    assert "row kernel (sum, sum)" in text and "1 fused kernel" in text
    check(e.compute(), (x - x.mean(0)) / x.std(0), 1e-12, "standardisation")


def test_parallel_reductions(parallel_threshold):
    parallel_threshold(0)
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


# --- the row-split loop (outer_split) ---------------------------------------------------------------------
# Kernels are keyed by structure, dtype, rank and array layout, not by size: every C-ordered 2-d input below
# shares one kernel per (reduction, dtype), so the shapes cost no extra compilation.

SPLIT_REDUCTIONS = ["sum", "prod", "min", "max", "any", "all", "argmin", "argmax"]
SPLIT_DTYPES = [np.dtype(c) for c in ("?", "i2", "u8", "f2", "f4", "f8", "c8")]
# 1000 rows: 15 ranges of 66 or 67 rows (not a multiple); 130 rows: 2 ranges; kept widths 7 and 3.
SPLIT_SHAPES = [(1000, 7), (130, 3)]


@pytest.fixture
def always_parallel(parallel_threshold):
    """Small inputs run parallel kernels, so the split loop is chosen without 10^5-element arrays."""
    parallel_threshold(0)


def split_borders(rows: int, kept: int) -> list[int]:
    """The first row of each range (and `rows`): where partials meet."""
    from lazyarr.runtime.evaluate import split_chunks
    n = split_chunks(kept, rows)
    return [c * rows // n for c in range(n + 1)]


def split_input(name: str, dt: np.dtype, shape: tuple, seed: int) -> np.ndarray:
    """Edge values (NaN, inf, extremes) for comparisons and integer sums; finite values near 1 for float
    products and normal values for float sums, whose rounding depends on the order of the additions."""
    n = math.prod(shape)
    if dt.kind in "fc" and name in ("sum", "prod"):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=n) + (1j * rng.normal(size=n) if dt.kind == "c" else 0)
        if name == "prod":
            x = 0.9 + np.abs(x) % 0.2  # 1000 factors near 1: no overflow in any precision
        return x.astype(dt).reshape(shape)
    return sample(dt, n, seed=seed).reshape(shape)


def split_expected(name: str, x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """NumPy's result. float16 sums and products accumulate in float64 here (NumPy's rounds each step to
    float16), so the reference is NumPy's in float64, rounded once."""
    if x.dtype == np.float16 and name in ("sum", "prod"):
        return getattr(x.astype(np.float64), name)(axis=axis, keepdims=keepdims).astype(np.float16)
    return getattr(x, name)(axis=axis, keepdims=keepdims)


def split_tolerance(name: str, dt: np.dtype) -> float:
    if dt == np.float16 and name in ("sum", "prod"):
        return 1e-3  # one float16 rounding of the float64 result, either way
    return tolerance(name, dt)


def test_split_loop_is_chosen_for_tall_axis0_reductions():
    from lazyarr.runtime.evaluate import SPLIT_CHUNKS, split_chunks
    x = np.zeros((4000, 2500))  # pages are never touched: explain() generates source only
    assert "# loop=outer_split " in la.array(x).sum(axis=0).explain()
    assert split_chunks(2500, 4000) == SPLIT_CHUNKS
    # Too few rows per range for partials to pay, or (serial) too small: the tile loop.
    assert "# loop=outer " in la.array(np.zeros((32, 300_000))).sum(axis=0).explain()
    assert "# loop=outer " in la.array(np.zeros((64, 33))).sum(axis=0).explain()
    # A huge kept width: partials would need too much memory.
    assert split_chunks(10**7, 4000) == 1


@pytest.mark.parametrize("dt", SPLIT_DTYPES, ids=str)
def test_split_loop_matches_numpy_for_every_reduction(dt, always_parallel):
    for name in SPLIT_REDUCTIONS:
        for seed, shape in enumerate(SPLIT_SHAPES, start=1):
            x = split_input(name, dt, shape, seed)
            X = la.array(x)
            if seed == 1 and not (dt.kind == "c" and name not in ("sum", "prod", "any", "all")):
                assert "# loop=outer_split " in getattr(X, name)(axis=0).explain(), f"{name}({dt})"
            for keepdims in (False, True):
                what = f"{name}({dt}, {shape}, keepdims={keepdims})"
                check(getattr(X, name)(axis=0, keepdims=keepdims).compute(),
                      split_expected(name, x, 0, keepdims), split_tolerance(name, dt), what)


@pytest.mark.parametrize("layout", ["fortran", "width 1", "strided", "reversed", "broadcast"])
def test_split_loop_over_every_layout(layout, always_parallel):
    def view(base):
        return {"fortran": np.asfortranarray(base[:1000, :7]), "width 1": base[:, :1].copy(),
                "strided": base[::2, ::3], "reversed": base[::-1, ::-1],
                "broadcast": np.broadcast_to(base[:1, :7], (1000, 7))}[layout]

    for name in SPLIT_REDUCTIONS:
        x = view(split_input(name, np.dtype("f8"), (2000, 21), seed=5))
        X = la.array(x)
        if name == "sum":
            assert "# loop=outer_split " in X.sum(axis=0).explain()
        check(getattr(X, name)(axis=0).compute(), getattr(x, name)(axis=0), tolerance(name, x.dtype),
              f"{name} {layout}")


def test_split_loop_with_axis_tuples_and_kept_outer_axes(always_parallel):
    # (0, 1): 1200 rows of 5 (split); 1: 30 rows of 5 for each of 40 (too few: the tile loop); and 700
    # rows of 5 for each of 3 (split, with a kept axis outside the rows).
    cases = [((40, 30, 5), (0, 1)), ((40, 30, 5), 1), ((3, 700, 5), 1)]
    for shape, axis in cases:
        for name in SPLIT_REDUCTIONS:
            if name.startswith("arg") and isinstance(axis, tuple):
                continue
            x = split_input(name, np.dtype("f8"), shape, seed=6)
            X = la.array(x)
            if shape[1] == 700:
                assert "# loop=outer_split " in getattr(X, name)(axis=axis).explain()
            for keepdims in (False, True):
                check(getattr(X, name)(axis=axis, keepdims=keepdims).compute(),
                      getattr(x, name)(axis=axis, keepdims=keepdims), tolerance(name, x.dtype),
                      f"{name} axis={axis} keepdims={keepdims} of {shape}")


def test_split_loop_fuses_the_producer(always_parallel):
    x = split_input("max", np.dtype("f8"), (1000, 7), seed=8)
    x[~np.isfinite(x)] = 0.5
    mean = x.mean(axis=0)
    X = la.array(x)
    for name in ("sum", "max", "argmax"):
        e = getattr((X - mean) ** 2, name)(axis=0)
        assert "# loop=outer_split " in e.explain()
        check(e.compute(), getattr((x - mean) ** 2, name)(axis=0), 1e-12 if name == "sum" else 0, name)


def test_split_loop_keeps_numpys_nan_and_first_occurrence_rules(always_parallel):
    rows = 1000
    b = split_borders(rows, 7)
    assert len(b) > 3 and b[1] != rows // 2
    x = np.random.default_rng(9).random((rows, 7))
    x[[b[1] + 3, b[-2]], 0] = np.nan  # NaNs in two ranges: the first one wins argmin/argmax
    x[rows - 1, 1] = np.nan  # in the last row of the last range only
    x[[b[1] - 1, b[1]], 2] = 5.0  # a tie across the first border: the earlier row wins
    x[[b[1], b[2]], 2] = -5.0  # a tie at the first rows of two ranges
    x[:, 3] = 0.0  # all equal: row 0
    x[[10, b[3] + 1], 4] = [np.inf, np.nan]  # inf before a NaN in a later range
    x[:, 5] = -np.inf
    x[[b[2] - 1, b[2], b[-2]], 6] = [np.inf, np.inf, -np.inf]
    x[b[-2] + 1, 6] = -np.inf
    X = la.array(x)
    for name in ("min", "max", "argmin", "argmax", "sum", "any", "all"):
        check(getattr(X, name)(axis=0).compute(), getattr(x, name)(axis=0), 0 if name != "sum" else 1e-12, name)


def test_split_loop_results_do_not_depend_on_the_thread_count(always_parallel):
    x = np.random.default_rng(10).lognormal(0, 3, (1000, 7))
    X = la.array(x)
    with la.num_threads(1):
        one = X.sum(axis=0).compute()
    assert_same(X.sum(axis=0).compute(), one, what="sum with every thread vs one")


def test_split_float_sum_is_at_least_as_accurate_as_numpys_row_by_row_sum():
    x = np.random.default_rng(11).lognormal(0, 3, (20_000, 8)) * np.where(np.arange(8) % 2, 1, -1)
    exact = np.array([math.fsum(x[:, j]) for j in range(8)])
    X = la.array(x)
    assert "# loop=outer_split " in X.sum(axis=0).explain()
    ours, theirs = X.sum(axis=0).compute(), x.sum(axis=0)
    assert np.sum(np.abs(ours - exact)) <= np.sum(np.abs(theirs - exact)) + 1e-12 * np.sum(np.abs(exact))
