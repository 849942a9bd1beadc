"""Table-driven float32 ``power`` (#14 tables, docs/vecmath.md): ``kernels/vecmath_tables.py``'s tables as their
construction promises, the function correctly rounded (but for near ties) across every table index boundary of the
log (z's 16 subintervals, at many exponents) and of the exp (n = rint(t * 16/ln 2) changing), exact results where
the method gives them, and the quick tier's lookups: permutes on AVX-512 (no gathers), plain loads elsewhere, both
the bits of Numba's kernel (which selects among the entries: vecmath.lookup16)."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache, llvm_tier
from lazyarr.kernels import llvm_glue, vecmath_tables as T
from lazyarr.runtime import llvm_launch

pytestmark = pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an 80-bit long double")


def as_float(bits: int) -> float:
    return float(np.int64(bits).view(np.float64))


def test_tables_follow_their_construction():
    mpmath.mp.prec = 120
    for i in range(T.LOG_N):
        low, high = as_float(T.LOG_OFF_BITS + (i << T.LOG_SHIFT)), as_float(T.LOG_OFF_BITS + ((i + 1) << T.LOG_SHIFT))
        invc = Fraction(float(T.LOG_INVC[i]))
        assert (invc * (16 if invc >= 1 else 32)).denominator == 1
        for z in (low, np.nextafter(high, 0), as_float(T.LOG_OFF_BITS + (i << T.LOG_SHIFT) + 0x123456789AB)):
            r = Fraction(z) * invc - 1
            assert abs(r) < Fraction(7, 160) and Fraction(float(r)) == r  # |r| < 0.044 and fma(z, 1/c, -1) exact
        assert T.LOG_C_HI[i] + T.LOG_C_LO[i] == T.LOG_C[i] and (Fraction(T.LOG_C_HI[i]) * 2 ** 43).denominator == 1
        assert abs(mpmath.mpf(T.LOG_C_HI[i]) + mpmath.mpf(T.LOG_C_LO[i]) + mpmath.log(T.LOG_INVC[i])) < 2.0 ** -95
        assert T.LOG_C[i] == float(-mpmath.log(mpmath.mpf(float(T.LOG_INVC[i]))))  # rounded to nearest
        if low <= 1.0 < high:                                     # x near 1: log x = log1p(r), no cancellation
            assert T.LOG_INVC[i] == 1.0 and T.LOG_C[i] == 0.0
    for table in ("LOG_INVC", "LOG_C", "LOG_C_HI", "LOG_C_LO", "EXP_BITS"):  # lookup16's tuples: the same entries
        assert np.array_equal(np.array(getattr(T, table + "_T")), getattr(T, table))
    for j in range(T.EXP_N):
        scale = as_float(int(T.EXP_BITS[j]) + (j << T.EXP_SHIFT))
        assert scale == float(mpmath.mpf(2) ** (mpmath.mpf(j) / T.EXP_N))
        assert as_float(int(T.EXP_BITS[j]) + ((j - 3 * T.EXP_N) << T.EXP_SHIFT)) == scale / 8  # n = 16 k + j
    hi = Fraction(T.EXP_LN2_HI_N)
    assert (hi * 2 ** 43).denominator == 1 and hi * 2 ** 43 < 2 ** 39  # n * hi exact for |n| < 2**14
    assert abs(Fraction(T.EXP_LN2_LO_N)) < Fraction(1, 2 ** 44)


def correctly_rounded_power(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    exact = np.power(x.astype(np.longdouble), y.astype(np.longdouble))
    with np.errstate(over="ignore", under="ignore"):
        return exact, exact.astype(np.float32)


def ulps_from_exact(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    spacing = np.spacing(np.abs(exact.astype(np.float32))).astype(np.longdouble)
    return np.asarray(np.abs(got.astype(np.longdouble) - exact) / spacing, np.float64)


def log_edges() -> np.ndarray:
    """float32 arguments on both sides of each of the log table's 16 subinterval edges (and a few ULP away), at
    exponents from the smallest normal float32 to the largest."""
    edges = np.array([as_float(T.LOG_OFF_BITS + (i << T.LOG_SHIFT)) for i in range(T.LOG_N + 1)])
    scaled = np.concatenate([edges * 2.0 ** e for e in (-126, -100, -37, -8, -1, 0, 1, 9, 40, 100, 126)])
    near = scaled.astype(np.float32).view(np.int32)
    return np.concatenate([(near + d).view(np.float32) for d in range(-3, 4)])


def test_float32_power_across_the_log_table_boundaries_is_correctly_rounded():
    rng = np.random.default_rng(1416)
    x = np.repeat(log_edges(), 6)
    y = np.concatenate([np.tile(np.float32([-2.5, -1.0, 0.5, 3.0]), len(x) // 6),
                        rng.uniform(-1.5, 1.5, 2 * len(x) // 6).astype(np.float32)])
    exact, rounded = correctly_rounded_power(x, y)
    got = la.power(la.array(x), la.array(y)).compute()
    inside = np.isfinite(rounded) & (np.abs(rounded) >= np.finfo(np.float32).tiny)
    assert inside.mean() > 0.8  # some powers of the extreme exponents overflow or underflow (NumPy's libm: below)
    assert ulps_from_exact(got[inside], exact[inside]).max() <= 0.501  # within 2**-11 ULP of a tie
    assert np.count_nonzero(got[inside] != rounded[inside]) <= 2
    gone = ~np.isfinite(rounded) | (rounded == 0)
    assert np.array_equal(got[gone], rounded[gone])  # overflow to inf, underflow to 0: the C library's


def test_float32_power_across_the_exp_table_boundaries_is_correctly_rounded():
    # x = 2: t = y ln 2, and n = rint(t * 16/ln 2) = rint(16 y) changes at y = (m + 1/2)/16; x = 3: t = y ln 3
    # reaches the boundaries at other fractions of ln2/16; y near them, one ULP apart, up to |t| ~ 88
    m = np.arange(-2000, 2000)
    y2 = ((m + 0.5) / 16).astype(np.float32)
    y3 = ((m + 0.5) / 16 * np.log(2) / np.log(3)).astype(np.float32)
    ys = np.concatenate([(v.view(np.int32) + d).view(np.float32) for v in (y2, y3) for d in (-1, 0, 1)])
    x = np.concatenate([np.full(3 * len(m), 2.0), np.full(3 * len(m), 3.0)]).astype(np.float32)
    exact, rounded = correctly_rounded_power(x, ys)
    got = la.power(la.array(x), la.array(ys)).compute()
    inside = np.isfinite(rounded) & (np.abs(rounded) >= np.finfo(np.float32).tiny)
    assert ulps_from_exact(got[inside], exact[inside]).max() <= 0.501
    assert np.count_nonzero(got[inside] != rounded[inside]) <= 2


def test_float32_power_at_the_ends_of_float32_s_range_is_correctly_rounded():
    # (p32) the exp reduces t by n ln2/16 with ln2/16 as one float64 (off by < 2**-58) and its polynomial is of degree
    # 5 (2**-45.7): both errors grow toward the largest |t| of a normal or subnormal float32 result, |t| in [87,
    # 103.9] (|n| up to 2400), which random arguments of the other tests seldom reach. x across the exponents, y
    # chosen so that t = y log x lands there; subnormal results too (rounded once from the float64 result)
    rng = np.random.default_rng(1420)
    x = np.exp(rng.uniform(np.log(1e-30), np.log(1e30), 300_000)).astype(np.float32)
    x = x[np.abs(np.log(x.astype(np.float64))) > 1e-3]
    t = np.where(rng.random(x.size) < 0.5, rng.uniform(86.0, 88.73, x.size), rng.uniform(-103.9, -86.0, x.size))
    y = (t / np.log(x.astype(np.float64))).astype(np.float32)
    exact, rounded = correctly_rounded_power(x, y)
    got = la.power(la.array(x), la.array(y)).compute()
    normal = np.isfinite(rounded) & (np.abs(rounded) >= np.finfo(np.float32).tiny)
    subnormal = (rounded != 0) & ~normal & np.isfinite(rounded)
    assert normal.sum() > 100_000 and subnormal.sum() > 50_000
    # within 2**-13 ULP of a tie (the bound: ~2**-43 relative; with Q's last term dropped, 2**-34.5, this fails)
    assert ulps_from_exact(got[normal], exact[normal]).max() <= 0.5001
    assert np.count_nonzero(got[normal] != rounded[normal]) <= 2
    assert np.count_nonzero(got[subnormal] != rounded[subnormal]) <= 2


def test_float32_power_exact_results():
    k = np.arange(-126, 128)
    twos = la.power(la.array(np.full(k.size, 2.0, np.float32)), la.array(k.astype(np.float32))).compute()
    assert np.array_equal(twos, (2.0 ** k).astype(np.float32))
    rng = np.random.default_rng(1417)
    x = np.exp(rng.uniform(-80, 80, 20_000)).astype(np.float32)
    for y, want in ((1.0, x), (0.0, np.ones_like(x)), (2.0, (x.astype(np.float64) ** 2).astype(np.float32))):
        got = la.power(la.array(x), la.array(np.full(x.size, y, np.float32))).compute()
        finite = np.isfinite(want) & (want >= np.finfo(np.float32).tiny)
        assert np.array_equal(got[finite], want[finite]), y
    squares = np.float32([4, 9, 16, 25, 1e6, 0.25])
    assert np.array_equal(la.power(la.array(squares), la.array(np.full(6, 0.5, np.float32))).compute(),
                          np.sqrt(squares))


@pytest.fixture
def quick_tier():
    config.set_quick_tier(True)
    yield
    config.set_quick_tier(None)


def quick_power(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x**y on the quick tier, the kernel made anew (not one another test left in memory)."""
    cache.clear_memory()
    before = llvm_launch.launches()
    result = la.power(la.array(x), la.array(y)).compute()
    assert llvm_launch.launches() == before + 1, "the quick tier ran"
    return result


def table_edge_arguments() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1418)
    x = log_edges()
    x = np.concatenate([x, np.float32([np.nan, np.inf, 0.0, -0.0, -2.0, 1e-45, 1.0])])
    y = rng.uniform(-30, 30, x.size).astype(np.float32)
    y[-3:] = [np.nan, 3.0, np.inf]
    return x, y


def test_quick_tier_looks_the_tables_up_with_permutes_on_avx512_and_plain_loads_elsewhere(quick_tier, monkeypatch,
                                                                                        request):
    x, y = table_edge_arguments()
    texts = []
    real_ir_for = llvm_tier.ir_for
    monkeypatch.setattr(llvm_tier, "ir_for", lambda *a: texts.append(real_ir_for(*a)) or texts[-1])
    permuted = quick_power(x, y)
    if llvm_glue.has_avx512():
        _, optimised = llvm_glue.object_code(texts[-1])
        assert "llvm.x86.avx512.vpermi2var" in optimised and "masked.gather" not in optimised
    monkeypatch.setattr(llvm_glue, "has_avx512", lambda: False)  # the tables as loads, as on AVX2 machines
    loaded = quick_power(x, y)
    assert "lazyarr_lut_" not in texts[-1] and "lazyarr_table_" in texts[-1]
    request.getfixturevalue("numba_tier")
    cache.clear_memory()
    numba_made = la.power(la.array(x), la.array(y)).compute()
    assert permuted.tobytes() == loaded.tobytes() == numba_made.tobytes()


def float64_log_edges() -> np.ndarray:
    edges = np.array([as_float(T.LOG_OFF_BITS + (i << T.LOG_SHIFT)) for i in range(T.LOG_N + 1)])
    scaled = np.concatenate([edges * 2.0 ** e for e in (-1000, -300, -1, 0, 1, 60, 1000)])
    return np.concatenate([np.nextafter(scaled, np.where(d < 0, 0.0, np.inf)) if d else scaled
                           for d in (-1, 0, 1)] + [scaled * (1 + 2.0 ** -40), scaled * (1 - 2.0 ** -40)])


def assert_power_within_0_55_ulp_on_both_tiers(x, y, normal_share: float, request):
    """The quick tier's float64 power of (x, y) within 0.55 ULP of the long-double result wherever that is a finite
    normal float64 (at least `normal_share` of the pairs), and Numba's tier giving the same bits."""
    exact = np.power(x.astype(np.longdouble), y.astype(np.longdouble))
    with np.errstate(over="ignore", under="ignore"):
        rounded = exact.astype(np.float64)
    got = quick_power(x, y)
    inside = np.isfinite(rounded) & (np.abs(rounded) >= np.finfo(np.float64).tiny)
    assert inside.mean() > normal_share
    spacing = np.spacing(np.abs(rounded[inside])).astype(np.longdouble)
    dist = np.asarray(np.abs(got[inside].astype(np.longdouble) - exact[inside]) / spacing, np.float64)
    assert dist.max() <= 0.55, f"{dist.max()} ULP at x={x[inside][np.argmax(dist)]!r}, y={y[inside][np.argmax(dist)]!r}"
    request.getfixturevalue("numba_tier")
    cache.clear_memory()
    assert la.power(la.array(x), la.array(y)).compute().tobytes() == got.tobytes()


def test_float64_power_across_the_log_table_boundaries_within_0_55_ulp(quick_tier, request):
    # next to a table point |log x| is smallest relative to its parts (log c and r of opposite signs): y up to
    # |y log x| ~ 700 there, where an error of the log is an error of the result 700 times over
    rng = np.random.default_rng(1419)
    x = np.repeat(float64_log_edges(), 4)
    scale = 650 / np.maximum(np.abs(np.log(x)), 1e-300)
    y = np.where(np.arange(x.size) % 2 == 0, rng.uniform(-5, 5, x.size), rng.uniform(-1, 1, x.size) * scale)
    assert_power_within_0_55_ulp_on_both_tiers(x, y, 0.8, request)


# --- session 14: float64 power's exp on the 16-entry table (docs/vecmath.md, "Session 14: power") ----------------
def test_exp_tail_is_each_entry_s_rounding_error():
    mpmath.mp.prec = 120
    assert np.array_equal(np.array(T.EXP_TAIL_T), T.EXP_TAIL)
    for j in range(T.EXP_N):
        scale = mpmath.mpf(as_float(int(T.EXP_BITS[j]) + (j << T.EXP_SHIFT)))
        exact = mpmath.mpf(2) ** (mpmath.mpf(j) / T.EXP_N)
        assert abs(T.EXP_TAIL[j]) < 2.0 ** -53 and abs(scale * (1 + mpmath.mpf(T.EXP_TAIL[j])) - exact) < 2.0 ** -105
    assert T.EXP_TAIL[0] == 0.0


def exp_edge_exponents(x: float, t_max: float = 708.0) -> np.ndarray:
    """y such that t = y log x lies on both sides of every point where n = rint(t * 16/ln 2) changes (t = (m + 1/2)
    ln2/16), one and two ULP away, for |t| <= t_max."""
    m = np.arange(-int(t_max * 16 / np.log(2)), int(t_max * 16 / np.log(2)))
    y = (m + 0.5) * (np.log(2) / 16) / np.log(x)
    bits = y.view(np.int64)
    return np.concatenate([(bits + d).view(np.float64) for d in (-2, -1, 0, 1, 2)])


def test_float64_power_across_the_exp_table_boundaries_within_0_55_ulp(quick_tier, request):
    # every j = n mod 16 and every k up to the ends of the normal range; x = 2 puts t on the boundaries at exact
    # multiples of ln 2/16 (t = y ln 2), x = 3 and 0.7 at other fractions (and t of both signs for each y sign)
    x = np.concatenate([np.full(exp_edge_exponents(v).size, v) for v in (2.0, 3.0, 0.7)])
    y = np.concatenate([exp_edge_exponents(v) for v in (2.0, 3.0, 0.7)])
    assert_power_within_0_55_ulp_on_both_tiers(x, y, 0.99, request)


def test_float64_power_signs_of_negative_bases_with_large_integer_exponents(quick_tier, request):
    # the sign is x's sign bit where y - 2 rint(y/2) is +-1: odd integers up to 2**53 - 1, even ones from 2**53 on
    odd = [2.0 ** 53 - 1, 2.0 ** 52 + 1, 2.0 ** 52 + 3, 2.0 ** 51 + 1, 2.0 ** 51 - 1, 1.0, 3.0, 1025.0]
    even = [2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 60, 2.0 ** 52, 2.0 ** 52 + 2, 2.0, 0.0, 1024.0]
    ys = np.array(odd + even + [-v for v in odd + even])
    # every result a normal number, so no element sends the block to the C library (whose signs are right anyway)
    bases = np.array([-1.0, -(1 + 2.0 ** -52), -(1 - 2.0 ** -53), -(1 - 2.0 ** -52), -(1 + 2.0 ** -51)])
    x, y = (a.ravel() for a in np.meshgrid(bases, ys))
    got = quick_power(x, y)
    want = np.power(x, y)
    assert np.all(np.isfinite(want) & (np.abs(want) >= 2.0 ** -1000))
    assert np.array_equal(np.signbit(got), np.signbit(want)) and np.count_nonzero(np.signbit(got)) == 5 * 16
    assert np.all(np.abs(got.view(np.int64) - want.view(np.int64)) <= 1)  # within 1 ULP
    assert np.array_equal(got[x == -1.0], want[x == -1.0])  # exactly +-1
    request.getfixturevalue("numba_tier")
    cache.clear_memory()
    assert la.power(la.array(x), la.array(y)).compute().tobytes() == got.tobytes()
