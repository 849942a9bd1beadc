"""float64 power (lazyarr/kernels/vecmath.py, `power`): a branch-free x**y that LLVM vectorises, within 1 ULP of
the exact result (measured against x87 long double and against NumPy's libm pow), NumPy's special values bit
for bit (IEEE pow: the libm fix-up pass), in flat, n-d and reduction-producer kernels and inside a parallel
kernel whose blocks take both passes. Every flat case computes the same expression `la.power(X, Y)` on float64
operands, so the flat tests share one kernel (docs/vecmath.md, "float64 power")."""
import numpy as np
import pytest

import lazyarr as la
from oracle import assert_same, libm, ulp_distance

rng = np.random.default_rng(1414)
N = 60_000


def lazy_power(x, y):
    return la.power(la.array(x), la.array(y)).compute()


def log_uniform(low, high, n=N):
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


# (x range, log-uniform?), y range: large exponents with x near 1, |y log x| up to the edges of the normal range.
RANGES = [((0.1, 10), (-5, 5)), ((1e-300, 1e300), (-1.02, 1.02)), ((0.5, 2), (-1000, 1000)),
          ((1 - 1e-6, 1 + 1e-6), (-1e8, 1e8)), ((0.9, 1.1), (-7000, 7000)), ((1e-5, 1e5), (-60, 60))]


def random_case(x_range, y_range):
    x = log_uniform(*x_range)
    y = rng.uniform(*y_range, x.size)
    return x, y


def test_power_float64_uses_the_vector_path(numba_tier):  # Numba's kernel source (#14 quick math)
    source = la.power(la.array(np.ones(10)), la.array(np.ones(10))).explain()
    assert "V.power(" in source and "np.power(" in source  # the fast pass and the libm fix-up pass


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an 80-bit long double")
@pytest.mark.parametrize("x_range, y_range", RANGES)
def test_power_within_0_55_ulp_of_the_exact_result(x_range, y_range):
    x, y = random_case(x_range, y_range)
    with np.errstate(all="ignore"):
        exact = np.power(x.astype(np.longdouble), y.astype(np.longdouble))
        rounded = exact.astype(np.float64)
    normal = np.isfinite(rounded) & (np.abs(rounded) >= np.finfo(np.float64).tiny)
    got = lazy_power(x, y)
    spacing = np.spacing(np.abs(rounded[normal])).astype(np.longdouble)
    dist = np.asarray(np.abs(got[normal].astype(np.longdouble) - exact[normal]) / spacing, np.float64)
    worst = int(np.argmax(dist))
    assert dist.max() <= 0.55, f"{dist.max()} ULP at x={x[normal][worst]!r}, y={y[normal][worst]!r}"


@pytest.mark.parametrize("x_range, y_range", RANGES)
def test_power_within_one_ulp_of_numpy(x_range, y_range):
    x, y = random_case(x_range, y_range)
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    got = lazy_power(x, y)
    assert ulp_distance(got, want).max() <= 1
    assert np.array_equal(np.isinf(got), np.isinf(want)) and np.array_equal(got == 0, want == 0)


def test_negative_bases_with_integer_exponents_in_the_fast_pass():
    x = -log_uniform(0.01, 100)
    y = rng.integers(-40, 41, x.size).astype(np.float64)
    y[:8] = [2.0 ** 53, -(2.0 ** 53), 2.0 ** 60, 1.0, -1.0, 3.0, 0.0, -0.0]
    x[:8] = [-1.0, -1.0, -1.0, -2.5, -2.5, -3.0, -7.0, -7.0]
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    got = lazy_power(x, y)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    assert ulp_distance(got, want).max() <= 1
    assert_same(got[:8], want[:8])


def test_exact_results_are_exact():
    bases = np.array([2.0, 3.0, 10.0, 0.5, 4.0, 1.5, 7.0, 1.0])
    x = np.repeat(bases, 25)
    y = np.tile(np.arange(-12.0, 13.0), bases.size)
    x = np.concatenate([x, [4.0, 9.0, 16.0, 0.25, 2.0, 2.0, 2.0 ** -1000]])
    y = np.concatenate([y, [0.5, 0.5, 0.25, -0.5, 1023.0, -1022.0, 1.0]])
    exact = np.array([float(np.longdouble(a) ** np.longdouble(b)) for a, b in zip(x, y)])
    representable = np.array([np.longdouble(a) ** np.longdouble(b) == np.longdouble(e) for a, b, e in zip(x, y, exact)])
    got = lazy_power(x, y)
    assert_same(got[representable], exact[representable])
    assert representable.sum() > 150


# IEEE pow's special values (C99 Annex F, NumPy's libm): every pair of these, each among ordinary values so a
# block holds elements of both passes.
SPECIAL_X = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-310, 2.0 ** -1022, -(2.0 ** -1022),
             0.5, -0.5, 2.0, -2.0, 1.7976931348623157e308, -1.7976931348623157e308, 1e300, -3.0]
SPECIAL_Y = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5, 2.5, np.inf, -np.inf, np.nan, 2.0 ** 53,
             2.0 ** 53 + 2, 1e300, -1e300, 1075.0, -1075.0, 1024.0, -1074.0, 5e-324]


def test_special_value_grid_is_numpys_bit_for_bit():
    grid_x, grid_y = (a.ravel() for a in np.meshgrid(SPECIAL_X, SPECIAL_Y))
    x = np.concatenate([grid_x, rng.uniform(0.5, 2, 3000)])
    y = np.concatenate([grid_y, rng.uniform(-3, 3, 3000)])
    order = rng.permutation(x.size)
    x, y = x[order], y[order]
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    got = lazy_power(x, y)
    special = np.isin(order, np.arange(grid_x.size))
    assert_same(got[special], libm("power", x[special], y[special]), what="power")  # the C library's pow
    assert ulp_distance(got, want).max() <= 1


def test_overflow_and_underflow_edges_are_numpys():
    # |y log x| just inside and outside the range where the fast pass promises a normal result
    x = np.full(12, 2.0)
    y = np.array([1023.0, 1023.999, 1024.0, 1025.0, -1021.0, -1022.0, -1022.5, -1074.0, -1075.0, -1076.0, 1e5, -1e5])
    x = np.concatenate([x, [np.e, np.e, np.e, np.e], rng.uniform(0.5, 2, 2000)])
    y = np.concatenate([y, [709.0, 709.7, 709.8, -708.5], rng.uniform(-3, 3, 2000)])
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    got = lazy_power(x, y)
    assert_same(got[:16], libm("power", x[:16], y[:16]))  # the C library's pow (oracle.libm)
    assert ulp_distance(got, want).max() <= 1


def test_fix_up_inside_one_parallel_kernel(parallel_threshold):
    parallel_threshold(1000)
    x = rng.uniform(0.2, 5, 200_000)
    y = rng.uniform(-8, 8, x.size)
    bad = [17, 54_321, 77_000, 123_456, 199_999]
    x[bad] = [np.nan, -2.0, 0.0, np.inf, 1e-310]
    y[bad] = [1.0, 0.5, -1.0, -2.0, 2.0]
    X, Y = la.array(x), la.array(y)
    powers, scaled = la.compute(la.power(X, Y), la.exp(X) * la.power(Y, 2.0))  # two kernels' worth, both passes
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    assert_same(powers[bad], want[bad])
    assert ulp_distance(powers, want).max() <= 1
    assert ulp_distance(scaled, np.exp(x) * y ** 2).max() <= 2  # exp within 1, then the product's rounding


def test_strided_operands_and_reduction_producers_use_it():
    x = rng.uniform(0.5, 3, (60, 80))
    y = rng.uniform(-4, 4, (60, 80))
    x[7, 10], y[7, 10] = -1.5, 0.5  # NaN: the n-d kernel's fix-up pass
    X, Y = la.array(x)[:, ::2], la.array(y)[:, ::2]
    strided = la.power(X, Y)
    assert "V.power(" in strided.explain()
    with np.errstate(invalid="ignore"):
        want = np.power(x[:, ::2], y[:, ::2])
    got = strided.compute()
    assert np.isnan(got[7, 5])
    assert ulp_distance(got, want).max() <= 1
    total = la.power(la.array(x[:, :40]), la.array(y[:, :40])).sum(axis=1)
    assert "V.power(" in total.explain()
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(total.compute(), np.power(x[:, :40], y[:, :40]).sum(axis=1), rtol=1e-14)
