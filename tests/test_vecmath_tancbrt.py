"""float64 cbrt and tan, float32 cbrt as rewritten in #14 tancbrt (docs/vecmath.md, "Session 14: tancbrt"), on the
arguments their new paths single out, against x87 long double:

- cbrt: |x| = 2**(3q + j) m with j in {0, 1, 2} from the exponent (the shifter's q), a division-free start and two
  Newton steps on M = 2**j m in [1, 8), and 2**q added to the root's exponent field: every exponent of both signs at
  the ends of its mantissa range (where j changes and where the root of M ~ 8 rounds up to 2.0, so the integer add
  crosses into the next binade), exact cubes spread over the exponents;
- tan: r + rl = x - k pi/2 by three FMAs (r1 - rh exact by Sterbenz) and the quadrant's parity from the shifter's
  bits: arguments next to multiples of pi/2 up to the fast path's limit 2**20, both parities and signs, where r is
  small and its tail rl matters most.

Both tiers give the same bits (tests/test_quick_math.py has cbrt and tan); these run on the quick tier."""

import numpy as np
import pytest

import lazyarr as la

pytestmark = pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an 80-bit long double")


def ulps_from_exact(got, exact, dtype) -> np.ndarray:
    """|got - exact| in units of the last place of `exact` rounded to `dtype`."""
    spacing = np.spacing(np.abs(exact.astype(dtype))).astype(np.longdouble)
    return np.asarray(np.abs(got.astype(np.longdouble) - exact) / spacing, np.float64)


def mantissa_edges(dtype) -> np.ndarray:
    """2**e * m for every normal exponent e and m in {1, 1 + ulp, 1.5, 2 - ulp} (the largest finite at the top), both
    signs."""
    info = np.finfo(dtype)
    one = dtype(1.0)
    ms = np.array([one, np.nextafter(one, dtype(2)), dtype(1.5), np.nextafter(dtype(2), one)], dtype)
    exps = np.arange(info.minexp, info.maxexp)
    x = (ms[None, :] * np.ldexp(np.ones(len(exps), dtype), exps)[:, None]).ravel()
    return np.concatenate([x, -x])


def test_cbrt_float64_on_every_exponent_and_mantissa_edge_within_half_an_ulp():
    # the method leaves ~2**-74 relative before its one rounding: correctly rounded but within 2**-20 ULP of a tie;
    # long double's own cbrt is within 2**-11 of a float64 ULP, hence the 0.501
    rng = np.random.default_rng(1401)
    x = np.concatenate([mantissa_edges(np.float64),
                        np.exp(rng.uniform(-708, 709, 100_000)) * rng.choice([-1.0, 1.0], 100_000),
                        rng.uniform(1.0, 8.0, 100_000)])
    got = la.cbrt(la.array(x)).compute()
    dist = ulps_from_exact(got, np.cbrt(x.astype(np.longdouble)), np.float64)
    worst = int(np.argmax(dist))
    assert dist.max() <= 0.501, f"cbrt: {dist.max()} ULP at x={x[worst]!r}"
    assert np.array_equal(np.signbit(got), np.signbit(x))


def test_cbrt_float64_exact_cubes_on_every_exponent_and_the_root_that_rounds_up_to_two():
    rng = np.random.default_rng(1402)
    roots = rng.integers(1, 2**17, 4000).astype(np.float64) * np.ldexp(1.0, rng.integers(-340, 324, 4000))
    roots = np.concatenate([roots, -roots, [np.ldexp(1.0, -340), np.ldexp(1.0, 341)]])
    assert np.array_equal(la.cbrt(la.array(roots ** 3)).compute(), roots)
    # cbrt(8 - ulp) rounds to 2: t = 2.0 exactly, and 2**q's integer add carries into the next exponent
    q = np.arange(-340, 341)
    x = np.ldexp(np.nextafter(8.0, 0.0), 3 * q)
    assert np.array_equal(la.cbrt(la.array(x)).compute(), np.ldexp(2.0, q))


def test_cbrt_float32_on_every_exponent_and_mantissa_edge_within_one_ulp():
    x = mantissa_edges(np.float32)
    got = la.cbrt(la.array(x)).compute()
    assert got.dtype == np.float32
    dist = ulps_from_exact(got, np.cbrt(x.astype(np.longdouble)), np.float32)
    worst = int(np.argmax(dist))
    assert dist.max() <= 1.0, f"cbrt: {dist.max()} ULP at x={x[worst]!r}"
    q = np.arange(-42, 42)
    x = np.ldexp(np.nextafter(np.float32(8), np.float32(0)), 3 * q).astype(np.float32)
    assert np.array_equal(la.cbrt(la.array(x)).compute(), np.ldexp(np.float32(2), q).astype(np.float32))


def test_tan_float64_next_to_multiples_of_half_pi_up_to_the_fast_paths_limit():
    # k up to 2**20 * 2/pi, both parities and signs; r from 2**-26 (just above the cancellation bound, where rl is
    # ~2**-53 of r and a lost tail would be ~1 ULP) to pi/4; NumPy's budget is 1 ULP from the correctly rounded value
    rng = np.random.default_rng(1403)
    k = np.concatenate([np.arange(1, 200), rng.integers(200, 667_000, 3000)]).astype(np.float64)
    k = np.concatenate([k, -k])
    r = np.exp(rng.uniform(np.log(2.0**-26), np.log(np.pi / 4), k.size)) * rng.choice([-1.0, 1.0], k.size)
    half_pi = np.longdouble(np.pi) / 2 + np.longdouble(1.2246467991473532e-16) / 2  # pi/2 to ~2**-70
    x = (k.astype(np.longdouble) * half_pi + r.astype(np.longdouble)).astype(np.float64)
    x = x[np.abs(x) <= 2.0**20]
    got = la.tan(la.array(x)).compute()
    dist = ulps_from_exact(got, np.tan(x.astype(np.longdouble)), np.float64)
    worst = int(np.argmax(dist))
    assert dist.max() <= 1.5, f"tan: {dist.max()} ULP at x={x[worst]!r}"
    assert np.mean(dist > 0.5) < 0.06  # mostly correctly rounded (~2-3% are not on random arguments)


@pytest.mark.parametrize("dt", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
def test_a_row_program_with_cbrt_runs_on_the_quick_tier_with_numbas_bits(dt):
    # cbrt has the tier's exact pass since #14 tancbrt (llvm_math._cbrt_exact): row kernels take it too
    from lazyarr import config
    from lazyarr.compiler import cache
    from lazyarr.runtime import llvm_launch

    rng = np.random.default_rng(1404)
    x = (rng.standard_normal((16, 3000)) * 100).astype(dt)
    x[5, 7], x[9, 100], x[11, 3], x[12, 4] = np.nan, np.finfo(dt).smallest_subnormal, -np.inf, -0.0  # exact pass

    def program(X):
        c = np.cbrt(X)
        return c - c.max(axis=1, keepdims=True)

    got = {}
    try:
        for quick in (True, False):
            config.set_quick_tier(quick)
            cache.clear_memory()  # the full path, so the tier now set makes its kernel
            before = llvm_launch.row_kernels()
            got[quick] = np.asarray(program(la.array(x)))
            assert llvm_launch.row_kernels() == before + quick
    finally:
        config.set_quick_tier(None)
    assert got[True].tobytes() == got[False].tobytes()
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got[True], program(x), rtol=1e-5 if dt == np.float32 else 1e-14, atol=1e-3)
