"""Issue #14 margin (session 14, docs/vecmath.md "margin"): float64 log10 and log1p on a fitted 8-coefficient series
(``vecmath._LS*``), float32 arccos with two selects, float32 cbrt's signed zeros by a bit mask. Accuracy against
x87 long double within what the session-13 code reached on the same arguments, exact values, and the quick tier
giving the Numba kernel's bits."""
import mpmath as mp
import numpy as np
import pytest
from oracle import assert_same, farther_than_numpy, ulp_distance, ulps_from_exact

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache
from lazyarr.kernels import vecmath

needs_long_double = pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an 80-bit long double")
LS = [vecmath._LS1, vecmath._LS2, vecmath._LS3, vecmath._LS4, vecmath._LS5, vecmath._LS6, vecmath._LS7, vecmath._LS8]


def test_the_log_series_is_the_fit_it_claims():
    # s*z*LS(z) against 2 atanh(s) - 2s over the whole reduced range (|s| <= (sqrt2 - 1)/(sqrt2 + 1)), relative to
    # log1p(f) = 2 atanh(s): 2**-60.7 measured; the 12-term Taylor series it replaced reached 2**-62
    mp.mp.dps = 40
    s_max = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
    worst = mp.mpf(0)
    for s in mp.linspace(s_max / 500, s_max, 500):
        z = s * s
        series = sum(mp.mpf(c) * z ** j for j, c in enumerate(LS))
        worst = max(worst, abs(s * z * series - (2 * mp.atanh(s) - 2 * s)) / (2 * mp.atanh(s)))
    assert worst < mp.mpf(2) ** -60.5
    assert LS[0] == float(mp.mpf(2) / 3)   # the leading term, 2/3, exactly as the series has it (to the last bit)


@needs_long_double
def test_float64_log10_and_log1p_against_long_double():
    rng = np.random.default_rng(1414)
    # log10: every reduced f (m in [sqrt2/2, sqrt2)) for k = 0 and +-1, wide exponents; log1p: u below and above 2,
    # tiny x (u = 1), x near -1, huge x. Bounds: the maxima the session-13 code had on these arguments (0.75, 1.22)
    log10_x = np.concatenate([rng.uniform(0.70, 2.9, 400_000), np.exp(rng.uniform(-700, 700, 200_000)),
                              rng.uniform(0.999, 1.001, 100_000)])
    log1p_x = np.concatenate([rng.uniform(-0.5, 0.5, 200_000), rng.uniform(-0.999, 3.0, 200_000),
                              rng.uniform(-1e-6, 1e-6, 50_000), np.exp(rng.uniform(0, 700, 50_000))])
    for name, x, bound in (("log10", log10_x, 0.76), ("log1p", log1p_x, 1.23)):
        got = getattr(la, name)(la.array(x)).compute()
        dist = ulps_from_exact(got, getattr(np, name)(x.astype(np.longdouble)))
        assert dist.max() <= bound, f"{name}: {dist.max()} ULP at x={x[np.argmax(dist)]!r}"
        far = farther_than_numpy(got, getattr(np, name)(x), name, x, 1)  # NumPy's 1-ULP budget, or closer
        assert far.size == 0, f"{name}: {far.size} values over 1 ULP from NumPy's and farther from exact"


def test_float64_log10_exact_at_powers_of_ten_and_log1p_signed_zeros():
    powers = 10.0 ** np.arange(-307, 309)
    exact = np.abs(np.log10(powers.astype(np.longdouble)) - np.arange(-307, 309)) < 1e-12   # 10**k itself exact
    assert_same(la.log10(la.array(powers)).compute()[exact], np.arange(-307, 309, dtype=np.float64)[exact])
    x = np.tile([0.0, -0.0, 0.5, -0.25, 1e-300, -1e-300], 700)   # no element the fast path refuses
    assert_same(la.log1p(la.array(x)).compute(), np.log1p(x))


def float32_near(value: float, count: int) -> np.ndarray:
    """The `count` float32 on each side of `value` (> 0) and value itself."""
    bits = np.float32(value).view(np.int32) + np.arange(-count, count + 1, dtype=np.int32)
    return bits.view(np.float32)


@needs_long_double
def test_float32_arccos_at_its_branches():
    # |x| = 1/2 (the switch between the two formulas, and cf's and base's choice), x -> +-1 (base 0 or pi, s -> 0),
    # tiny |x| and signed zeros, random: within 2 ULP of the correctly rounded result (the docstring's bound)
    rng = np.random.default_rng(1415)
    near = np.concatenate([float32_near(0.5, 4096), float32_near(1.0, 4096)[:4097], float32_near(1e-20, 64),
                           rng.uniform(0, 1, 200_000).astype(np.float32)])
    x = np.concatenate([near, -near, np.float32([0.0, -0.0])])
    got = la.arccos(la.array(x)).compute()
    exact = np.arccos(x.astype(np.longdouble)).astype(np.float32)
    assert ulp_distance(got, exact).max() <= 2
    ends = np.float32([1.0, -1.0, 0.0, -0.0])
    assert_same(la.arccos(la.array(np.repeat(ends, 500))).compute(),
                np.repeat(np.float32([0.0, np.pi, np.pi / 2, np.pi / 2]), 500))


@needs_long_double
def test_float32_cbrt_signed_zeros_among_ordinary_values():
    # every block has zeros of both signs between normal values: their results are the zeros themselves (the mask
    # keeps x's sign bit alone), the others within 1 ULP of the correctly rounded result (NumPy's own float32 cbrt
    # is 2 ULP off at times); no zero may leak into a neighbour's lane
    rng = np.random.default_rng(1416)
    x = rng.uniform(-100, 100, 50_000).astype(np.float32)
    x[::7] = np.float32(0.0)
    x[3::11] = np.float32(-0.0)
    got = la.cbrt(la.array(x)).compute()
    zero = x == 0
    assert_same(got[zero], x[zero])
    assert np.signbit(got[zero]).tolist() == np.signbit(x[zero]).tolist()
    assert ulp_distance(got[~zero], np.cbrt(x[~zero].astype(np.longdouble)).astype(np.float32)).max() <= 1
    assert (got[~zero] != 0).all()


def test_the_quick_tier_gives_the_numba_kernels_bits(request):
    rng = np.random.default_rng(1417)
    f64 = np.concatenate([rng.uniform(-0.999, 1e3, 20_000), np.exp(rng.uniform(-700, 700, 20_000)),
                          [0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan, 5e-324, 1e-310]])
    f32 = np.concatenate([rng.uniform(-1.5, 1.5, 20_000), rng.uniform(-100, 100, 20_000),
                          [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, np.inf, np.nan, 1e-40, 3e38]]).astype(np.float32)
    rng.shuffle(f64)
    rng.shuffle(f32)

    def run():
        cache.clear_memory()   # the kernels load again: the tier now set makes its own
        a, b = la.array(f64), la.array(f32)
        return la.compute(la.log10(a), la.log1p(a), la.arccos(b), la.cbrt(b))

    config.set_quick_tier(True)
    try:
        quick = run()
    finally:
        config.set_quick_tier(None)
    request.getfixturevalue("numba_tier")
    numba_made = run()
    for name, q, n in zip(("log10", "log1p", "arccos", "cbrt"), quick, numba_made):
        assert q.dtype == n.dtype
        assert (q.view(f"u{q.itemsize}") == n.view(f"u{n.itemsize}")).all(), name
