"""Branch-free sin, cos, tan, arcsin, arccos, arctan, exp, exp2, expm1, log, log2, log10, log1p, sinh, cosh, tanh,
hypot, cbrt, arctan2, arcsinh, arccosh, arctanh and power for float64 that LLVM can vectorise, each with a flag saying
whether its answer is exact enough (the functions after log1p: docs/architecture.md, "More functions, same
scheme", docs/vecmath.md, and each docstring).

Numba lowers ``np.sin`` to a call of the C library's ``sin``, one element at a time (~10 ns here): a loop
that calls it cannot be vectorised, and a fused expression containing it is bound by that call instead of by
memory. These functions are straight-line code (a select instead of every branch), so the loop around them
runs 4 elements per AVX2 instruction (~3 ns per element: ``bench/bench_elementwise.py``).

Each returns ``(value, ok)``. ``ok`` is False where the fast method cannot promise its accuracy: non-finite
or large arguments (|x| > 2**20, where the three-part reduction runs out of bits of pi/2), and arguments so
close to a multiple of pi/2 that the reduced argument lost more than a few bits to cancellation. A kernel
using them (``codegen``: the ``blocked`` loop) recomputes any block holding such an element with the exact
functions, so the result is within 1 ULP of NumPy everywhere (tests/test_vecmath.py measures it).

The method:
- reduce: k = rint(x * 2/pi), r = x - k*pi/2 with pi/2 in three parts, each step one FMA (so each product
  is exact before its subtraction rounds);
- evaluate sin(r) or cos(r) on [-pi/4, pi/4] by their Taylor series (to r**15 and r**16: the first omitted
  term is below 2**-56 relative there), cos with the 1 - r*r/2 step split so its rounding error is carried;
- pick sin or cos and the sign by the quadrant k mod 4.
exp: k = rint(x / ln 2) (by the 1.5*2**52 shifter), r + c = x - k*ln 2 (ln 2's 32-bit head: exact), exp(r) as
1 + r + r*r*Q(r), Q a degree-10 Chebyshev fit in Estrin's scheme (|r| <= 0.35: 2**-61 relative), 1 + r summed
exactly, times 2**k built from the shifter's bits. ok is False outside [-708, 709],
where the result would overflow or be subnormal, and for non-finite x.

log: x = 2**e * m with m in [sqrt(2)/2, sqrt(2)) taken from its bits, f = m - 1 (exact), s = f / (2 + f), and
log(1 + f) = 2*atanh(s) = f - (f*f/2 - s*(f*f/2 + R)) with R = sum 2*s**(2k)/(2k+1), k = 1..12 (s*s <= 0.0295:
the first omitted term is below 2**-62 relative), plus e*ln 2 in two parts. ok is False for zero, negative,
subnormal and non-finite x.
log1p: u = 1 + x rounded, c = (1 + x) - u recovered exactly (x - (u - 1), or 1 - (u - x) when u > 2: both
differences are exact by Sterbenz's lemma), and log1p(x) = log(u) + c/u. ok is False for x <= -1, non-finite x,
and u outside the normal range. log1p and log10 take R from a fitted polynomial of 8 terms (``_LS*``, 2**-60.7
relative; session 14 margin) where log keeps the series.

float16 (carried in float32) is computed in float64 and rounded once; float32 loops call ``vecmath32`` (float32
lanes). hypot, cbrt, arctan2, arcsinh, arccosh, arctanh and power (at the end) are in docs/vecmath.md.
"""
from decimal import Decimal, getcontext
from fractions import Fraction
from math import factorial

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

from lazyarr.kernels import vecmath_tables as T
from lazyarr.kernels.numpy_scalar import fma

# forceinline: LLVM's alwaysinline, so the kernel's loop sees the straight-line body and vectorises it. Numba's
# inline="always" gave the same machine code but inlines at the IR level, re-typing every function per kernel:
# a serial kernel calling sin compiled in ~1.15 s of CPU that way, ~0.6 s this way (parallel: ~2.7 s -> ~1.7 s).
_jit = numba.njit(cache=True, nogil=True, error_model="numpy", forceinline=True)

# pi to 100 digits, split into three doubles whose sum is pi/2 to about 160 bits.
getcontext().prec = 120
_PI = Decimal("3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679")
_HALF_PI = _PI / 2
_P1 = float(_HALF_PI)
_P2 = float(_HALF_PI - Decimal(_P1))
_P3 = float(_HALF_PI - Decimal(_P1) - Decimal(_P2))
_TWO_OVER_PI = float(2 / _PI)

# Taylor coefficients (-1)**k / (2k+1)! for sin (r**3 .. r**15) and (-1)**k / (2k)! for cos (r**4 .. r**16).
_S3, _S5, _S7, _S9, _S11, _S13, _S15 = (float(Fraction((-1) ** k, factorial(2 * k + 1))) for k in range(1, 8))
_C4, _C6, _C8, _C10, _C12, _C14, _C16 = (float(Fraction((-1) ** k, factorial(2 * k))) for k in range(2, 9))
_S17 = float(Fraction(1, factorial(17)))  # tan's series goes one term further than sin's (tan's comment)

_LIMIT = 2.0 ** 20       # beyond, the reduction's three parts of pi/2 are not enough: exact path
_CANCELLED = 2.0 ** -27  # a reduced argument smaller than this (k != 0) may have lost bits: exact path


@_jit
def _reduce(x):
    """(r, k, ok): x = k*pi/2 + r with |r| <= ~pi/4."""
    k = np.rint(x * _TWO_OVER_PI)
    r = fma(-k, _P1, x)
    r = fma(-k, _P2, r)
    r = fma(-k, _P3, r)
    ok = (abs(x) <= _LIMIT) & ((k == 0.0) | (abs(r) >= _CANCELLED))
    r = x if k == 0.0 else r  # exact, and keeps the sign of -0.0
    # k is finite and small wherever ok; elsewhere any integer will do (the exact path replaces the value).
    return r, np.int64(k if ok else 0.0), ok


@_jit
def _sin_poly(r, z):
    # Horner's steps as FMAs (#14 rowjax): one rounding and half the latency per step
    return r + (z * r) * fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, _S15, _S13), _S11), _S9), _S7), _S5), _S3)


@_jit
def _cos_poly(z):
    half = 0.5 * z
    w = 1.0 - half
    tail = z * z * fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, _C16, _C14), _C12), _C10), _C8), _C6), _C4)
    return w + (((1.0 - w) - half) + tail)


@_jit
def _quadrant(r, quadrant):
    """sin(r + quadrant*pi/2)."""
    z = r * r
    value = _cos_poly(z) if quadrant & 1 else _sin_poly(r, z)
    return -value if quadrant & 2 else value


@_jit
def sin(x):
    """(sin(x) within 1 ULP, ok) for a float64 x."""
    r, k, ok = _reduce(x)
    return (x if x == 0.0 else _quadrant(r, k & 3)), ok  # the polynomial's sum would turn -0.0 into +0.0


@_jit
def cos(x):
    """(cos(x) within 1 ULP, ok) for a float64 x."""
    r, k, ok = _reduce(x)
    return _quadrant(r, (k + 1) & 3), ok


# --- exp ---------------------------------------------------------------------------------------------------
_LN2 = Decimal("0.69314718055994530941723212145817656807550013436025525412068000949339362196969471560586332699641868754")
_LN2_HI = float(_LN2)
_LN2_LO = float(_LN2 - Decimal(_LN2_HI))
_INV_LN2 = float(1 / _LN2)
# 1/n! for n = 2 .. 13
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = (float(Fraction(1, factorial(n)))
                                                                  for n in range(2, 14))
# exp's Q(r) = (exp(r) - 1 - r) / r**2 on |r| <= ln(2)/2 (+1e-6), ascending powers r**0 .. r**10: a Chebyshev fit
# (python tools/fit_vecmath.py); 2**-61.4 relative to exp(r) with these double coefficients
_X2, _X3, _X4, _X5, _X6, _X7, _X8, _X9, _X10, _X11, _X12 = (float.fromhex(h) for h in (
    "0x1.0000000000000p-1", "0x1.5555555555557p-3", "0x1.5555555555556p-5", "0x1.11111111100dfp-7",
    "0x1.6c16c16c162d6p-10", "0x1.a01a01abe63b3p-13", "0x1.a01a01a6d7883p-16", "0x1.71de02372bdd3p-19",
    "0x1.27e4db679bec4p-22", "0x1.af4ddddcf06d6p-26", "0x1.1f72fca58cc92p-29"))
_EXP_LOW, _EXP_HIGH = -708.0, 709.0  # exp is a normal, finite float64 between these
_SHIFTER = 1.5 * 2.0 ** 52           # x + it rounds x to an integer held in the low mantissa bits (|x| < 2**51)


@intrinsic
def _as_float64(typingctx, bits):
    """The float64 whose bit pattern is the int64 `bits` (a register move, so it vectorises)."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


@_jit
def exp(x):
    """(exp(x) within 1 ULP, ok) for a float64 x (0.66 ULP measured against long double)."""
    ok = (x >= _EXP_LOW) & (x <= _EXP_HIGH)
    return _exp_normal(x if ok else 0.0), ok  # the select keeps k a small integer in every lane


@_jit
def exp_nonpositive(x):
    """``exp`` for an x known to be <= 0 or NaN (``x - max(x)`` along a row: softmax, logsumexp): no overflow
    to check, and no select, since a lane whose ok is False is never used (its row runs again with the exact
    calls). The same bits as ``exp`` wherever ok; 10-12% less time per element in a staged row loop (#14
    jaxgap, docs/vecmath.md)."""
    return _exp_normal(x), x >= _EXP_LOW


@_jit
def _exp_normal(x):
    """exp(x) for x in [_EXP_LOW, _EXP_HIGH] (a normal, finite result); garbage, never a trap, elsewhere."""
    # k = rint(x / ln 2) by adding 1.5*2**52 (the sum rounds to an integer, half to even as rint does, and keeps
    # it in its low mantissa bits): 2**k is built from those bits, with no float64 -> int64 conversion, which
    # AVX2 does not have in vector form (four scalar conversions per vector; perf #14)
    shifted = x * _INV_LN2 + _SHIFTER
    k = shifted - _SHIFTER
    rh = fma(-k, _LN2_HI_LOG, x)      # exact: k * ln2's 32-bit head is exact and close to x
    rl = -k * _LN2_LO_LOG
    r = rh + rl
    c = (rh - r) + rl                 # r + c = x - k ln 2 to ~2**-100
    # exp(r) - 1 - r = r*r * Q(r), Q a degree-10 fit (2**-61 relative to exp(r), where the Taylor series to r**13
    # it replaced reached 2**-57: one term and one FMA less per element, #14 rowjax), by Estrin's scheme: four
    # dependent steps instead of Horner's ten, so the lanes are bound by throughput, not by FMA latency
    r2 = r * r
    r4 = r2 * r2
    low = fma(r2, fma(r, _X5, _X4), fma(r, _X3, _X2))
    mid = fma(r2, fma(r, _X9, _X8), fma(r, _X7, _X6))
    high = fma(r2, _X12, fma(r, _X11, _X10))
    head = 1.0 + r
    lost = (1.0 - head) + r           # exact (Fast2Sum): 1 + r = head + lost
    small = fma(r2, fma(r4, fma(r4, high, mid), low), lost + fma(c, r, c))  # r*r*Q(r) folded into one FMA
    # times 2**k by adding k to the exponent field of head + small (in [0.7, 1.42]), an integer add where a
    # multiply by a built 2**k took a slot of the FMA ports the polynomial keeps busy: the same bits wherever
    # the result is normal, which is this function's range (#14 lse2: 5% less time per exp, measured). The
    # shifter's own bits shift out of `shifted << 52`, leaving k << 52 (two's complement for k < 0).
    return _as_float64(_as_int64(head + small) + (_as_int64(shifted) << 52))


@intrinsic
def _as_int64(typingctx, x):
    """The int64 with the bit pattern of the float64 `x` (a register move, so it vectorises)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return types.int64(types.float64), codegen


# The bit casts under public names for vecmath32's float64-lane functions (the same intrinsics: the quick tier's
# translator knows them by identity).
as_int64 = _as_int64
as_float64 = _as_float64


# 2/(2k+1): log(1+f) = 2*atanh(s) = 2s + s*R with R = sum_k 2/(2k+1) * s**(2k).
_L1, _L2, _L3, _L4, _L5, _L6, _L7, _L8, _L9, _L10, _L11, _L12 = (float(Fraction(2, 2 * k + 1)) for k in range(1, 13))
_LN2_HI_LOG = float.fromhex("0x1.62e42fee00000p-1")  # ln 2 with 11 trailing zero bits: e * it is exact
_LN2_LO_LOG = float(_LN2 - Decimal(_LN2_HI_LOG))
_SQRT2_BITS = 0x3FF6A09E667F3BCD  # the bits of sqrt(2): above it, m is halved
_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
_SMALLEST_NORMAL = 2.2250738585072014e-308
_LARGEST = 1.7976931348623157e308
_Y_FOR_N = 2.0 ** 1000  # power: the bound of y where it makes the exp's n (see power)


@_jit
def _log1p_parts(x):
    """(k, f, s, z) for a positive normal x = 2**k * (1 + f), 1 + f in [sqrt(2)/2, sqrt(2)): s = f/(2 + f), z = s*s.
    log(1 + f) = f - f*f/2 + s*(f*f/2 + z*R(z)) (``_log1p_join``), R the series of ``_log1p_dd`` or the shorter one."""
    bits = _as_int64(x)
    e = (bits >> 52) - 1023
    mantissa = (bits & _MANTISSA) | _ONE_BITS
    halve = mantissa > _SQRT2_BITS
    mantissa = mantissa - (np.int64(1) << 52) if halve else mantissa
    k = np.float64(e + 1 if halve else e)
    f = _as_float64(mantissa) - 1.0
    s = f / (2.0 + f)
    return k, f, s, s * s


@_jit
def _log1p_join(f, s, r):
    """(hi, lo) = log(1 + f) in double-double from ``_log1p_parts``'s f, s and the series r = z*R(z)."""
    half_f2 = 0.5 * f * f
    hi = f - half_f2                      # |half_f2| <= |f|/2: Fast2Sum, and f - hi is exact
    lo = ((f - hi) - half_f2) + s * (half_f2 + r)
    return hi, lo


@_jit
def log(x):
    """(log(x) within 1 ULP, ok) for a float64 x."""
    ok = (x >= _SMALLEST_NORMAL) & (x <= _LARGEST)
    k, f, s, z = _log1p_parts(x if ok else 1.0)
    # Horner's steps as FMAs (#14 rowjax): one rounding and half the latency per step
    r = z * fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(
        z, _L12, _L11), _L10), _L9), _L8), _L7), _L6), _L5), _L4), _L3), _L2), _L1)
    half_f2 = 0.5 * f * f
    return k * _LN2_HI_LOG - ((half_f2 - (s * (half_f2 + r) + k * _LN2_LO_LOG)) - f), ok


# LS(z) = (2 atanh(s) - 2s)/(s z), z = s*s <= 0.0295, with 8 coefficients fitted (python tools/fit_vecmath.py; margin,
# session 14): s*z*LS within 2**-60.7 of log1p(f) relative, where the series 2/(2k+1) above (12 terms) reached 2**-62:
# four FMAs less per element for log1p and log10, ~0.01 ULP at most (log keeps its series: its row has the margin)
_LS1, _LS2, _LS3, _LS4, _LS5, _LS6, _LS7, _LS8 = (float.fromhex(h) for h in (
    "0x1.5555555555555p-1", "0x1.9999999999a38p-2", "0x1.2492492476cccp-2", "0x1.c71c720159177p-3",
    "0x1.745cf9048dd95p-3", "0x1.3b1c355a8f7a4p-3", "0x1.0fbe95d715ff3p-3", "0x1.0c039c4998b93p-3"))


@_jit
def _log_short(x):
    """log(x) as ``log`` computes it but with the fitted LS (8 coefficients) for the series, for a positive normal
    float64 x (no checks; garbage, never a trap, for other x)."""
    k, f, s, z = _log1p_parts(x)
    r = z * fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, _LS8, _LS7), _LS6), _LS5), _LS4), _LS3), _LS2), _LS1)
    half_f2 = 0.5 * f * f
    return k * _LN2_HI_LOG - ((half_f2 - (s * (half_f2 + r) + k * _LN2_LO_LOG)) - f)


@_jit
def log1p(x):
    """(log1p(x) within 1 ULP, ok) for a float64 x."""
    u = 1.0 + x
    ok = (x > -1.0) & (u >= _SMALLEST_NORMAL) & (u <= _LARGEST)
    lost = (1.0 - (u - x)) if u > 2.0 else (x - (u - 1.0))  # (1 + x) - u, exactly
    # no select of u: a lane whose ok is False is recomputed by the fix-up pass (margin, session 14)
    value = _log_short(u)
    return (x if x == 0.0 else value + lost / u), ok  # x, not 0.0 + x: log1p(-0.0) is -0.0


# --- shared pieces ------------------------------------------------------------------------------------------
@_jit
def _expm1_poly(r):
    """expm1(r) for |r| <= ~0.35: Taylor to r**13 (the first omitted term is below 2**-56 relative)."""
    return r + r * r * (_E2 + r * (_E3 + r * (_E4 + r * (_E5 + r * (_E6 + r * (_E7 + r * (_E8 + r * (_E9 + r * (
        _E10 + r * (_E11 + r * (_E12 + r * _E13)))))))))))


@_jit
def _copysign(value, sign):
    """|value| with the sign bit of `sign` (bit operations: vectorises, keeps -0.0 and NaN signs)."""
    return _as_float64((_as_int64(value) & 0x7FFFFFFFFFFFFFFF) | (_as_int64(sign) & -0x8000000000000000))


# --- expm1, sinh, cosh, tanh ---------------------------------------------------------------------------------
_EXPM1_LOW = -40.0  # below, expm1(x) rounds to -1.0 (exp(x) < 2**-57)


@_jit
def _two_sum(a, b):
    """(s, e): s = a + b rounded and e its exact rounding error (Knuth's TwoSum, any order of magnitude)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@_jit
def _divide(ah, al, bh, bl):
    """(ah + al) / (bh + bl) to about 2**-104 relative, as (hi, lo)."""
    # one division (#14 f64slow): q = ah * (1/bh) is within ~1 ULP of ah/bh, and the correction, the residual
    # a - q*b (the fma product exact, the residual itself exact to its last bit) times 1/bh, takes it back to
    # ~2**-104; two divisions (~0.1 ns per element each on AVX-512) were most of tanh's and tan's excess
    inverse = 1.0 / bh
    q = ah * inverse
    rem = (fma(-q, bh, ah) + al - q * bl) * inverse
    hi = q + rem
    return hi, rem - (hi - q)


@_jit
def _reduce_by_ln2(x):
    """(shifted, r, c) with x = k*ln 2 + (r + c), r + c to ~2**-100, k = rint(x / ln 2) by the 1.5*2**52 shifter
    (`shifted`'s low bits hold k: 2**k from them with no float64 -> int64 conversion), for _expm1_dd and
    _expm1_parts."""
    shifted = x * _INV_LN2 + _SHIFTER
    k = shifted - _SHIFTER
    rh = fma(-k, _LN2_HI, x)          # exact: the difference fits in 53 bits
    rl = -k * _LN2_LO
    r = rh + rl
    return shifted, r, (rh - r) + rl  # (Fast2Sum)


@_jit
def _expm1_dd(x):
    """expm1(x) as an unevaluated sum (hi, lo), |lo| <= ulp(hi)/2, for finite x in [-40, 709] (no checks):
    x = k*ln 2 + r, expm1(x) = 2**k * expm1(r) + (2**k - 1)."""
    # (#14 rowjax) k = rint(x / ln 2) by the 1.5*2**52 shifter, as in exp: the same k, so the same bits, and
    # 2**k from the shifter's bits with no float64 -> int64 conversion (four scalar ones per vector under AVX2).
    # (Estrin's scheme for the polynomial was faster still, but its extra roundings took expm1 past 1 ULP.)
    shifted, r, c = _reduce_by_ln2(x)
    # Horner's steps as FMAs (#14 rowjax): one rounding and half the latency per step
    tail = r * r * fma(r, fma(r, fma(r, fma(r, fma(r, fma(r, fma(r, fma(r, fma(r, fma(r, fma(
        r, _E13, _E12), _E11), _E10), _E9), _E8), _E7), _E6), _E5), _E4), _E3), _E2)
    ph = r + tail                     # expm1(r) = ph + pl; |tail| < |r|, so Fast2Sum
    pl = ((r - ph) + tail) + (c + c * r)  # expm1(r + c) ~ expm1(r) + c*exp(r)
    scale = _as_float64((_as_int64(shifted) + 1023) << 52)  # the shifter's own bits shift out
    s, e = _two_sum(scale - 1.0, scale * ph)  # scale - 1.0 is exact for |k| <= 53, scale*ph is exact
    e = e + scale * pl
    hi = s + e
    return hi, e - (hi - s)


@_jit
def expm1(x):
    """(expm1(x) within 1 ULP, ok) for a float64 x."""
    ok = x <= _EXP_HIGH               # False for NaN and for x where expm1 overflows or nearly does
    xc = min(max(x, _EXPM1_LOW), _EXP_HIGH) if ok else 0.0
    value, _ = _expm1_dd(xc)
    value = -1.0 if x < _EXPM1_LOW else value
    return (x if x == 0.0 else value), ok  # -0.0 stays -0.0


@_jit
def _reduce_abs_by_ln2(x):
    """(k, r, c, ok) with |x| = k*ln 2 + (r + c), r + c to ~2**-100, for sinh and cosh; ok: |x| <= _EXP_HIGH (k is
    0 where not, which keeps it a small integer in every lane)."""
    a = abs(x)
    ok = a <= _EXP_HIGH
    a = a if ok else 0.0
    k = np.rint(a * _INV_LN2)
    rh = fma(-k, _LN2_HI, a)                   # exact, as in _expm1_dd
    rl = -k * _LN2_LO
    r = rh + rl
    return k, r, (rh - r) + rl, ok


@_jit
def sinh(x):
    """(sinh(x) within 1 ULP, ok) for a float64 x: cosh's method with the odd signs (#14 f64slow: no division
    and no expm1 in double-double, where (t + t/(t + 1))/2 with t = expm1(|x|) took 1.9x NumPy's time): with
    |x| = k*ln 2 + (r + c), B = 2**(k-1), b = 2**(-k-1), ce and so the even and odd parts of expm1(r) beyond r,
        sinh|x| = (B - b) + (B*r + b*r) + B*(ce + so + c(1 + r)) - b*(ce - so - c(1 - r)),
    the first four terms summed exactly (B*r and b*r are exact products; for k = 0 they are 0 and r, so small x
    lose nothing to cancellation), the rest below ~0.2 of the result."""
    k, r, c, ok = _reduce_abs_by_ln2(x)
    z = r * r
    # Horner's steps as FMAs: ce and so are independent chains of six
    ce = z * fma(z, fma(z, fma(z, fma(z, fma(z, _E12, _E10), _E8), _E6), _E4), _E2)
    so = (r * z) * fma(z, fma(z, fma(z, fma(z, fma(z, _E13, _E11), _E9), _E7), _E5), _E3)
    # twice B and b, and the sum halved at the end (exact): B*r and b*r, with B = b = 1/2 at k = 0, would lose
    # the last bit of a subnormal x (a select of x itself below 2**-28 did it too, at 0.17 ns per element)
    big = _as_float64((np.int64(k) + 1023) << 52)                                   # 2**k
    small = _as_float64((1023 - np.int64(min(k, _COSH_SMALL_SCALE))) << 52)        # 2**-k
    s1, e1 = _fast_two_sum(big, -small)
    s2, e2 = _fast_two_sum(big * r, small * r)
    s, e3 = _fast_two_sum(s1, s2)
    lo = (e1 + e2 + e3) + (big * ((ce + so) + c * (1.0 + r)) - small * ((ce - so) - c * (1.0 - r)))
    return (x if x == 0.0 else _copysign(0.5 * (s + lo), x)), ok


_COSH_SMALL_SCALE = 1000.0  # beyond, 2**(-k-1) would be subnormal; the term it scales is below 2**-2000 of cosh


@_jit
def _fast_two_sum(a, b):
    """(s, e): s = a + b rounded and e its exact rounding error, for |a| >= |b| (Dekker's Fast2Sum)."""
    s = a + b
    return s, b - (s - a)


@_jit
def cosh(x):
    """(cosh(x) within 1 ULP, ok) for a float64 x, without a division: |x| = k*ln 2 + (r + c) (c the reduction's
    rounding error), exp(+-r) = 1 +- r + ce +- so with ce, so the even and odd parts of expm1(r) beyond r (one
    polynomial's work), and with B = 2**(k-1), b = 2**(-k-1):
        cosh = (B + b) + (B*r - b*r) + B*(ce + so + c(1 + r)) + b*(ce - so - c(1 - r)).
    The first four terms are summed exactly (B*r and b*r are exact products), the rest is below 0.08 of the
    result, so the answer is one rounding plus ~0.1 ULP."""
    k, r, c, ok = _reduce_abs_by_ln2(x)
    z = r * r
    ce = z * (_E2 + z * (_E4 + z * (_E6 + z * (_E8 + z * (_E10 + z * _E12)))))
    so = r * z * (_E3 + z * (_E5 + z * (_E7 + z * (_E9 + z * (_E11 + z * _E13)))))
    big = _as_float64((np.int64(k) + 1022) << 52)                                   # 2**(k-1)
    small = _as_float64((1022 - np.int64(min(k, _COSH_SMALL_SCALE))) << 52)        # 2**(-k-1)
    s1, e1 = _fast_two_sum(big, small)
    s2, e2 = _fast_two_sum(big * r, -(small * r))
    s, e3 = _fast_two_sum(s1, s2)
    lo = (e1 + e2 + e3) + (big * ((ce + so) + c * (1.0 + r)) + small * ((ce - so) - c * (1.0 - r)))
    return s + lo, ok


_TANH_ONE = 22.0  # beyond, tanh(x) rounds to +-1 (1 - tanh < 2**-62)


@_jit
def _expm1_parts(x):
    """expm1(x) as s + e, not renormalised (|e| within an ULP or so of s), for finite x in [-40, 709]: _expm1_dd
    with exp's degree-10 fit by Estrin's scheme for its polynomial (#14 f64slow: four dependent steps where Horner's
    took eleven; for tanh, whose budget is NumPy's 2 ULP, not for expm1 itself: docs/vecmath.md)."""
    shifted, r, c = _reduce_by_ln2(x)
    r2 = r * r
    r4 = r2 * r2
    low = fma(r2, fma(r, _X5, _X4), fma(r, _X3, _X2))
    mid = fma(r2, fma(r, _X9, _X8), fma(r, _X7, _X6))
    high = fma(r2, _X12, fma(r, _X11, _X10))
    tail = r2 * fma(r4, fma(r4, high, mid), low)
    ph = r + tail                     # expm1(r) = ph + pl; |tail| < |r|, so Fast2Sum
    pl = ((r - ph) + tail) + (c + c * r)  # expm1(r + c) ~ expm1(r) + c*exp(r)
    scale = _as_float64((_as_int64(shifted) + 1023) << 52)  # the shifter's own bits shift out
    # scale - 1.0 is exact for |k| <= 53, scale*ph is exact, and |scale - 1| >= |scale*ph| for every k (k = 0: 0 and
    # ph; |k| >= 1: 2**k - 1 >= 0.41 * 2**k, or 1 - 2**k >= 0.5 > 0.21): a Fast2Sum, three additions fewer than
    # _expm1_dd's TwoSum, the same bits (#14 s14 tanh)
    s, e = _fast_two_sum(scale - 1.0, scale * ph)
    return s, e + scale * pl


@_jit
def tanh(x):
    """(tanh(x) within 1 ULP, ok) for a float64 x: t = expm1(2|x|), tanh = t/(t + 2) in double-double.
    No select after the quotient (#14 s14 tanh): |x| >= 22 (and infinity) is clamped to 22, whose quotient rounds
    to exactly 1.0, and +-0.0 gives 0/2 = 0 with x's sign; the two selects that did this took ~0.18 of 1.05 ns per
    element (x and |x| kept alive to the end of the chain, in every interleaved copy)."""
    a = abs(x)
    # min(22, NaN) is 22 in Numba's min and in the translation (the first operand unless the second is smaller): a
    # finite lane for NaN, whose ok is False, with no select of its own
    th, tl = _expm1_parts(2.0 * min(_TANH_ONE, a))
    dh, dl = _fast_two_sum(max(th, 2.0), min(th, 2.0))  # th >= 0: the TwoSum's bits in five operations, not six
    qh, _ = _divide(th, tl, dh, dl + tl)
    return _copysign(qh, x), a == a   # only NaN goes to the exact path


# --- arctan, tan, arcsin, arccos -----------------------------------------------------------------------------
# Chebyshev fits from tools/fit_vecmath.py (ascending powers of z = t*t).
_ATAN = tuple(float.fromhex(h) for h in (
    "-0x1.5555555555555p-2",
    "0x1.99999999998c5p-3",
    "-0x1.2492492485503p-3",
    "0x1.c71c71bd2b8bcp-4",
    "-0x1.745d154c84f7ap-4",
    "0x1.3b1375ce5bdc6p-4",
    "-0x1.110c9ce7b0572p-4",
    "0x1.e170800a46210p-5",
    "-0x1.ab59b417b2d3fp-5",
    "0x1.7001816fd063fp-5",
    "-0x1.0f62bba6a2558p-5",
    "0x1.e4167464d3de8p-7",
))
_ASIN = tuple(float.fromhex(h) for h in (
    "0x1.5555555555555p-3",
    "0x1.3333333333388p-4",
    "0x1.6db6db6dac1e0p-5",
    "0x1.f1c71c7a52ba3p-6",
    "0x1.6e8ba123e494cp-6",
    "0x1.1c4efce23019fp-6",
    "0x1.c990ad3d8fdcap-7",
    "0x1.7b027ee1dd585p-7",
    "0x1.3b49de7121487p-7",
    "0x1.31622469ce5adp-7",
    "0x1.8f193743418ffp-9",
    "0x1.406192d124629p-6",
    "-0x1.3b416bb7d9257p-6",
    "0x1.e529c6fce9bb4p-6",
))
_A0, _A1, _A2, _A3, _A4, _A5, _A6, _A7, _A8, _A9, _A10, _A11 = _ATAN
_B0, _B1, _B2, _B3, _B4, _B5, _B6, _B7, _B8, _B9, _B10, _B11, _B12, _B13 = _ASIN


def _hi_lo(value: Decimal) -> tuple[float, float]:
    hi = float(value)
    return hi, float(value - Decimal(hi))


_ATAN_HALF = _hi_lo(Decimal("0.46364760900080611621425623146121440202853705428612026381093308872019786416574170530060028398488789256"))
_ATAN_ONE = _hi_lo(_PI / 4)
_ATAN_THREE_HALVES = _hi_lo(Decimal("0.98279372324732906798571061101466601449687745363162855676142508831798807154979603538970653437281731110"))
_PIO2_HI, _PIO2_LO = _hi_lo(_HALF_PI)
_PI_HI, _PI_LO = _hi_lo(_PI)


@_jit
def _atan_poly(t):
    """arctan(t) - t for |t| <= 0.4375."""
    z = t * t
    # Horner's steps as FMAs (#14 rowjax): one rounding and half the latency per step
    return t * z * fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(
        z, _A11, _A10), _A9), _A8), _A7), _A6), _A5), _A4), _A3), _A2), _A1), _A0)


@_jit
def arctan(x):
    """(arctan(x) within 1 ULP, ok) for a float64 x: |x| is reduced to t = (|x| - c)/(1 + c|x|) with c one of
    0, 1/2, 1, 3/2, inf (picked by selects: |t| <= 0.4375), arctan(|x|) = arctan(c) + arctan(t)."""
    a = abs(x)
    # t = (n1*a + n0) / (d1*a + d0): the numerator is exact in every interval (Sterbenz).
    i1 = a >= 0.4375
    i2 = a >= 0.6875
    i3 = a >= 1.1875
    i4 = a >= 2.4375
    n1 = 2.0 if i3 else (1.0 if i2 else (2.0 if i1 else 1.0))
    n0 = -3.0 if i3 else (-1.0 if i2 else (-1.0 if i1 else 0.0))
    d1 = 3.0 if i3 else (1.0 if i2 else (1.0 if i1 else 0.0))
    d0 = 2.0 if i3 else (1.0 if i2 else (2.0 if i1 else 1.0))
    hi = _PIO2_HI if i4 else (_ATAN_THREE_HALVES[0] if i3 else (_ATAN_ONE[0] if i2 else (
        _ATAN_HALF[0] if i1 else 0.0)))
    lo = _PIO2_LO if i4 else (_ATAN_THREE_HALVES[1] if i3 else (_ATAN_ONE[1] if i2 else (
        _ATAN_HALF[1] if i1 else 0.0)))
    t = (-1.0 / a) if i4 else fma(n1, a, n0) / fma(d1, a, d0)  # -1/a: 0*inf would be NaN
    value = hi + (t + (_atan_poly(t) + lo))
    return _copysign(value, x), True  # NaN: the selects pass it through; +-inf: pi/2


@_jit
def tan(x):
    """(tan(x) within 1 ULP, ok) for a float64 x (ok as for sin): sin(r)/cos(r), or -cos(r)/sin(r) in odd
    quadrants, with r, sin(r), cos(r) and the quotient in double-double (tan is ill-conditioned enough near
    pi/4 that each single rounding would show)."""
    # (#14 tancbrt) k by the shifter (its low bits hold k: the quadrant's parity without a float -> int conversion),
    # and r + rl by three FMAs and a subtraction where a TwoSum and its corrections took eleven operations
    shifted = x * _TWO_OVER_PI + _SHIFTER
    k = shifted - _SHIFTER
    r1 = fma(-k, _P1, x)                     # exact
    rh = fma(-k, _P2, r1)
    # r1 - rh is exact (Sterbenz: |k*P2| < 2**-33 where |rh| >= 2**-27 or k = 0), so rl = rh's rounding error - k*P3,
    # and rh + rl = x - k*pi/2 to ~2**-100 relative
    rl = fma(-k, _P3, fma(-k, _P2, r1 - rh))
    ok = (abs(x) <= _LIMIT) & ((k == 0.0) | (abs(rh) >= _CANCELLED))
    z = rh * rh
    # both polynomials by Estrin's scheme with FMAs (#14 f64slow): tan is bound by its dependency chain (reduce,
    # polynomial, quotient), and Horner's six multiplies and adds in a row were its longest part
    z2 = z * z
    z4 = z2 * z2
    hr = 0.5 * rh                            # exact
    ch = fma(-hr, rh, 1.0)                   # 1 - r*r/2, one rounding (#14 tancbrt)
    # (sin's series to r**15 left r**17/17!, 2**-53.8 of sin(r) at r = pi/4: tan was up to 1.42 ULP off there
    # against long double, 0.07% of the elements of [-1.5, 1.5]; hence the r**17 term)
    # (#14 tancbrt: the products and sums below as FMAs, fewer operations and roundings)
    sp = fma(rh * z, fma(z4, fma(z2, fma(z, _S17, _S15), fma(z, _S13, _S11)), fma(z2, fma(z, _S9, _S7), fma(
        z, _S5, _S3))), rl * ch)  # rl*cos(rh) as rl*(1 - z/2): rl alone was 2**-55 of sin off at pi/4
    sh = rh + sp
    sl = (rh - sh) + sp                      # sin(rh + rl) = sh + sl
    # 1 - r*r/2's rounding carried (#14 f64slow): 2**-53 of r*r/2 is ~0.4 ULP of the quotient near pi/4, where tan
    # was up to 1.2 ULP off against long double on [-100, 100] even with sin's r**17 term; (1 - ch) - r*r/2 is that
    # rounding, exact but for its own ~2**-53 (1 - ch exact by Sterbenz; #14 tancbrt: two operations less)
    cl = fma(-rh, rl, fma(z2, fma(z4, fma(z2, _C16, fma(z, _C14, _C12)), fma(z2, fma(z, _C10, _C8), fma(
        z, _C6, _C4))), fma(-hr, rh, 1.0 - ch)))
    c = ch + cl                              # normalised: cos(rh + rl) = ch + cl, |cl| <= ulp(ch)/2
    cl = cl - (c - ch)
    ch = c
    odd = (_as_int64(shifted) & 1) == 1
    qh, _ = _divide(-ch if odd else sh, -cl if odd else sl, sh if odd else ch, sl if odd else cl)
    return (x if x == 0.0 else qh), ok


@_jit
def _asin_poly(s, z):
    """arcsin(s) - s for z = s*s <= 0.25."""
    # Horner's steps as FMAs (#14 rowjax): one rounding and half the latency per step
    return s * z * fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(
        z, _B13, _B12), _B11), _B10), _B9), _B8), _B7), _B6), _B5), _B4), _B3), _B2), _B1), _B0)


@_jit
def _asin_parts(a):
    """For 0 <= a <= 1: (small, s, tail). small (a <= 1/2): arcsin(a) = s + tail. Otherwise
    arcsin(a) = pi/2 - 2*(s + tail) with s + tail = arcsin(sqrt((1 - a)/2)) (sqrt's rounding error included)."""
    small = a <= 0.5
    z = a * a if small else (1.0 - a) * 0.5  # 1 - a is exact for a >= 1/2
    s = a if small else np.sqrt(z)
    c = fma(-s, s, z) / (s + s)               # s + c = sqrt(z) to ~2**-105 (0 where s is exact)
    c = 0.0 if (small | (z == 0.0)) else c
    return small, s, _asin_poly(s, z) + c


@_jit
def arcsin(x):
    """(arcsin(x) within 1 ULP, ok) for a float64 x; ok is False outside [-1, 1] and for NaN."""
    a = abs(x)
    ok = a <= 1.0
    small, s, tail = _asin_parts(a if ok else 0.0)
    h, e = _two_sum(_PIO2_HI, -2.0 * s)
    value = (s + tail) if small else h + ((e + _PIO2_LO) - 2.0 * tail)
    return _copysign(value, x), ok


@_jit
def arccos(x):
    """(arccos(x) within 1 ULP, ok) for a float64 x; ok is False outside [-1, 1] and for NaN.
    |x| <= 1/2: pi/2 - arcsin(x); x > 1/2: 2*arcsin(sqrt((1 - x)/2)); x < -1/2: pi - that."""
    a = abs(x)
    ok = a <= 1.0
    small, s, tail = _asin_parts(a if ok else 0.0)
    negative = x < 0.0
    # small: pi/2 - (x + tail*sign(x)); large: base -+ 2*(s + tail), base 0 or pi.
    sx = -s if (small & negative) else s
    tx = -tail if (small & negative) else tail
    base_hi = _PIO2_HI if small else (_PI_HI if negative else 0.0)
    base_lo = _PIO2_LO if small else (_PI_LO if negative else 0.0)
    m = -1.0 if (small | negative) else 1.0   # sign of the arcsin term
    f = 1.0 if small else 2.0
    h, e = _two_sum(base_hi, m * f * sx)
    return h + ((e + base_lo) + m * f * tx), ok


# --- log2, log10, exp2 ---------------------------------------------------------------------------------------
def _inverse(value: Decimal) -> tuple[float, float]:
    return _hi_lo(1 / value)


getcontext().prec = 120
_LN10 = Decimal(10).ln()
_INV_LN2_HI, _INV_LN2_LO = _inverse(_LN2)
_INV_LN10_HI, _INV_LN10_LO = _inverse(_LN10)
_LOG10_2 = _LN2 / _LN10
_LOG10_2_HI = float.fromhex(float(_LOG10_2).hex()[:-8] + float(_LOG10_2).hex()[-4:])  # 11 trailing zero bits
_LOG10_2_LO = float(_LOG10_2 - Decimal(_LOG10_2_HI))


@_jit
def _log1p_dd(x):
    """(k, hi, lo) for a positive normal x: log(x) = k*ln 2 + (hi + lo), |hi| <= ~0.35, lo ~2**-53 * hi."""
    k, f, s, z = _log1p_parts(x)
    # Horner's steps as FMAs (#14 rowjax): one rounding and half the latency per step
    r = z * fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(
        z, _L12, _L11), _L10), _L9), _L8), _L7), _L6), _L5), _L4), _L3), _L2), _L1)
    hi, lo = _log1p_join(f, s, r)
    return k, hi, lo


@_jit
def log2(x):
    """(log2(x) within 1 ULP, ok) for a float64 x; exact for powers of 2; ok as for log."""
    ok = (x >= _SMALLEST_NORMAL) & (x <= _LARGEST)
    # k + log1p(f)/ln 2 in double-double: k is an integer and |log1p(f)/ln 2| <= 0.5, so k + ph is a Fast2Sum
    # (no k*l products: Numba cannot fold k*0.0, which would be NaN for an infinite k).
    k, hi, lo = _log1p_dd(x if ok else 1.0)
    ph = hi * _INV_LN2_HI
    pl = fma(hi, _INV_LN2_HI, -ph) + (hi * _INV_LN2_LO + lo * _INV_LN2_HI)
    s, e = _fast_two_sum(k, ph)
    return s + (e + pl), ok


@_jit
def _log1p_dd_short(x):
    """_log1p_dd with the fitted LS (8 coefficients, ~2**-60.7 relative) for its series (margin, session 14)."""
    k, f, s, z = _log1p_parts(x)
    r = z * fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, _LS8, _LS7), _LS6), _LS5), _LS4), _LS3), _LS2), _LS1)
    hi, lo = _log1p_join(f, s, r)
    return k, hi, lo


@_jit
def log10(x):
    """(log10(x) within 1 ULP, ok) for a float64 x; exact for powers of 10 (their error is far below half an
    ULP); ok as for log."""
    ok = (x >= _SMALLEST_NORMAL) & (x <= _LARGEST)
    # k log10(2) + log1p(f)/ln 10 in double-double, ~2**-60 relative; since margin (session 14) the sum k * log10(2)_hi
    # + ph is a Fast2Sum where a TwoSum was (_scaled_log, now gone), since |ph| <= 0.35/ln 10
    # < 0.16 is below log10(2)_hi = 0.30 for k != 0 (k = 0: 0 + ph, exact); no select of x: a lane whose ok is
    # False is recomputed by the fix-up pass
    k, hi, lo = _log1p_dd_short(x)
    ph = hi * _INV_LN10_HI
    pl = fma(hi, _INV_LN10_HI, -ph) + (hi * _INV_LN10_LO + lo * _INV_LN10_HI)
    s, e = _fast_two_sum(k * _LOG10_2_HI, ph)  # k * _LOG10_2_HI is exact (11 trailing zero bits)
    return s + ((e + pl) + k * _LOG10_2_LO), ok


_EXP2_LOW, _EXP2_HIGH = -1021.0, 1023.0


@_jit
def exp2(x):
    """(exp2(x) within 1 ULP, ok) for a float64 x: x = k + r (exact), 2**r = exp(r*ln 2) with r*ln 2 in
    double-double, times 2**k from its bits; exact for integers; ok False outside [-1021, 1023] and for NaN."""
    ok = (x >= _EXP2_LOW) & (x <= _EXP2_HIGH)
    x = x if ok else 0.0
    k = np.rint(x)
    r = x - k
    th = r * _LN2_HI
    tl = fma(r, _LN2_HI, -th) + r * _LN2_LO
    p = _expm1_poly(th)
    scale = _as_float64((np.int64(k) + 1023) << 52)
    return (1.0 + (p + tl * (1.0 + p))) * scale, ok


# --- table lookups (#14 tables) -------------------------------------------------------------------------------
@_jit
def lookup16(table, i):
    """table[i] for a tuple of 16 numbers (kernels/vecmath_tables.py) and 0 <= i < 16, by a tree of selects on i's
    bits: in Numba's vectorised loop a load from an array at a per-lane index is a gather (~0.3 ns per element on
    Zen 5), the tree 15 blends of constants (three lookups: 0.70 against 0.89 ns per element). The quick tier's
    translator emits a call of it as a load from the table (on AVX-512 one permute per 8 lanes,
    compiler/llvm_math.table_load): the same entry, so the same bits."""
    b0 = (i & 1) != 0
    b1 = (i & 2) != 0
    b2 = (i & 4) != 0
    b3 = (i & 8) != 0
    a0 = table[1] if b0 else table[0]
    a1 = table[3] if b0 else table[2]
    a2 = table[5] if b0 else table[4]
    a3 = table[7] if b0 else table[6]
    a4 = table[9] if b0 else table[8]
    a5 = table[11] if b0 else table[10]
    a6 = table[13] if b0 else table[12]
    a7 = table[15] if b0 else table[14]
    c0 = a1 if b1 else a0
    c1 = a3 if b1 else a2
    c2 = a5 if b1 else a4
    c3 = a7 if b1 else a6
    d0 = c1 if b2 else c0
    d1 = c3 if b2 else c2
    return d1 if b3 else d0


# --- hypot, cbrt, arctan2 ------------------------------------------------------------------------------------
_HYPOT_HIGH, _HYPOT_LOW = 2.0 ** 500, 2.0 ** -500  # the squares of the larger operand stay normal and finite


@_jit
def hypot(x, y):
    """(hypot(x, y) within 1 ULP, ok): sqrt of x*x + y*y summed in double-double, then one Newton correction
    (h + (s - h*h)/(2h)); ok False for NaN, infinities and a larger operand outside [2**-500, 2**500]."""
    a, b = abs(x), abs(y)
    big, small = max(a, b), min(a, b)
    ok = (x == x) & (y == y) & (big <= _HYPOT_HIGH) & ((big >= _HYPOT_LOW) | (big == 0.0))
    big = big if ok else 1.0
    small = small if ok else 0.0
    bh = big * big
    sh = small * small
    s, e = _two_sum(bh, sh)
    e = e + (fma(big, big, -bh) + fma(small, small, -sh))
    h = np.sqrt(s + e)
    value = h + (fma(-h, h, s) + e) / (h + h)
    return (big if small == 0.0 else value), ok


# cbrt without a division (#14 tancbrt): |x| = 2**(3q + j) * m, m in [1, 2) and j in {0, 1, 2} from the bits (the
# exponent as a float by the 2**52 trick, q = rint((e - 1)/3) by the shifter: no int <-> float conversion, which AVX2
# lacks for int64), M = m * 2**j in [1, 8) exact. y = CBRT_INV(m) ~ m**(-1/3) (degree 6, 2**-19.8 relative,
# tools/fit_vecmath.py), one division-free Newton step for the inverse root, y + y(1 - m y**3)/3 (2**-38.6), times
# 2**(-j/3): y ~ M**(-1/3); t = M*y*y ~ cbrt(M) (delta ~ 2**-37.6), then one Newton step for the root with y*y/3
# standing in for 1/(3t*t): t - (t**3 - M) y*y/3, t**3 - M from t*t as hi + lo (FMAs, nearly exact). That step
# leaves 2*delta**2 ~ 2**-74 relative before its one rounding: correctly rounded on every random argument tried (as
# the method before), exact for exact cubes. (Degree 5, 2**-17.1, took the same time but left ~1 element in 10**5 one
# ULP off.) 2**q joins as an integer add to the exponent field (the root is in [1, 2]). It replaces FreeBSD's start
# (an int64 multiply, a division) and two Newton steps with a division each: three divisions per element.
_CBRT_INV = tuple(float.fromhex(h) for h in (
    "0x1.e06ace3bcd690p+0", "-0x1.f8d8df0124d79p+0", "0x1.f42d6e5134ed7p+0", "-0x1.408b36a012018p+0",
    "0x1.f6f559ea1d3edp-2", "-0x1.b854af22808a8p-4", "0x1.49ddc1b060193p-7"))
_CI0, _CI1, _CI2, _CI3, _CI4, _CI5, _CI6 = _CBRT_INV
_CBRT_2_M1, _CBRT_2_M2 = 2.0 ** (-1.0 / 3.0), 2.0 ** (-2.0 / 3.0)  # seeds only: their rounding is irrelevant
_CBRT_THIRD = 1.0 / 3.0
_TWO52_BITS = 0x4330000000000000              # the bits of 2**52: OR-ing an 11-bit integer n in gives 2**52 + n
_TWO52_BIAS = 2.0 ** 52 + 1024.0              # and the exponent's bias, plus one
_SIGN_BIT = -0x8000000000000000


@_jit
def cbrt(x):
    """(cbrt(x) within 0.5 ULP + 2**-20, ok): a polynomial start for m**(-1/3), a Newton step for it and one for the
    root, no division (#14 tancbrt); exact for exact cubes; ok False for subnormal and non-finite x."""
    a = abs(x)
    ok = ((a >= _SMALLEST_NORMAL) & (a <= _LARGEST)) | (x == 0.0)
    bits = _as_int64(a)  # no select: lanes that are not ok compute garbage (never a trap), their block runs again
    e1 = _as_float64((bits >> 52) | _TWO52_BITS) - _TWO52_BIAS   # e - 1, e the unbiased exponent: exact
    m = _as_float64((bits & _MANTISSA) | _ONE_BITS)
    shifted = fma(e1, _CBRT_THIRD, _SHIFTER)       # (e - 1)/3 = q + (j - 1)/3: rounds to q, far from a tie
    j1 = fma(-3.0, shifted - _SHIFTER, e1)         # j - 1
    big_m = m * (4.0 if j1 == 1.0 else (2.0 if j1 == 0.0 else 1.0))
    m2 = m * m
    y = fma(m2 * m2, fma(m2, _CI6, fma(m, _CI5, _CI4)), fma(m2, fma(m, _CI3, _CI2), fma(m, _CI1, _CI0)))
    # the inverse root's Newton step on m itself (m y**3 = M (y 2**(-j/3))**3), so 2**(-j/3) is off the chain
    y = fma(y * _CBRT_THIRD, fma(-(m * y), y * y, 1.0), y) * (
        _CBRT_2_M2 if j1 == 1.0 else (_CBRT_2_M1 if j1 == 0.0 else 1.0))
    y2 = y * y
    t = big_m * y2
    t2 = t * t
    residual = fma(fma(t, t, -t2), t, fma(t2, t, -big_m))  # t**3 - M
    t = fma(-residual, y2 * _CBRT_THIRD, t)                # in [1, 2]: 2**q by adding q to the exponent field
    value = _as_float64((_as_int64(t) + (_as_int64(shifted) << 52)) | (_as_int64(x) & _SIGN_BIT))
    return (x if x == 0.0 else value), ok


_ATAN2_HIGH, _ATAN2_LOW = 2.0 ** 500, 2.0 ** -500


@_jit
def arctan2(y, x):
    """(arctan2(y, x) within 2 ULP, ok): q = y/x as hi + lo, arctan(hi) + lo/(1 + hi*hi), plus pi with the sign
    of y where x < 0 (added in double-double); ok False for x == 0, NaN, infinities, operands outside
    [2**-500, 2**500] (y == 0 allowed): signed zeros and infinities get the C library's answers."""
    ax, ay = abs(x), abs(y)
    ok = (ax >= _ATAN2_LOW) & (ax <= _ATAN2_HIGH) & (((ay >= _ATAN2_LOW) & (ay <= _ATAN2_HIGH)) | (y == 0.0))
    x = x if ok else 1.0
    y = y if ok else 0.0
    qh = y / x
    ql = fma(-qh, x, y) / x
    t, _ = arctan(qh)
    t_lo = ql / (1.0 + qh * qh)
    pi_hi = _copysign(_PI_HI, y)
    pi_lo = _copysign(_PI_LO, y)
    s, e = _two_sum(pi_hi, t)
    turned = s + ((e + pi_lo) + t_lo)
    return (turned if x < 0.0 else t + t_lo), ok


# --- arcsinh, arccosh, arctanh -------------------------------------------------------------------------------
@_jit
def _log_sum(uh, ul):
    """log(uh + ul) for a positive normal uh and |ul| <= ulp(uh), to ~2**-60 relative (|ul|/uh added as the
    first-order term of log(1 + ul/uh))."""
    k, hi, lo = _log1p_dd(uh)
    s, e = _two_sum(k * _LN2_HI_LOG, hi)  # k * _LN2_HI_LOG is exact
    return s + (e + ((lo + ul / uh) + k * _LN2_LO_LOG))


@_jit
def _sqrt_dd(ph, pl):
    """sqrt(ph + pl) as (hi, lo) for ph > 0: sqrt's residual by FMA."""
    sh = np.sqrt(ph)
    return sh, (fma(-sh, sh, ph) + pl) / (sh + sh)


_HYP_SMALL, _HYP_LARGE, _HYP_LIMIT = 2.0 ** -28, 2.0 ** 28, 2.0 ** 1000


# atanh(s) = s + s*z*ATANH(z), z = s*s <= 0.0300 (|s| <= 0.1716 and a hair: the rounded comparisons choosing k): a
# Chebyshev fit of degree 7 (python tools/fit_vecmath.py: 2**-60.6 relative to atanh(s) with these coefficients;
# degree 6, 2**-57.2, took the maximum from 0.53 to 0.55 ULP for no measurable time), where the Taylor series to
# s**21 took ten coefficients (#14 s14 tanh)
_ATANH = tuple(float.fromhex(h) for h in (
    "0x1.5555555555555p-2", "0x1.9999999999a4ep-3", "0x1.24924924736ddp-3", "0x1.c71c720742c1ep-4",
    "0x1.745cf692c6200p-4", "0x1.3b1cb90bb738fp-4", "0x1.0fb0f07f1be07p-4", "0x1.0c90f788b03b1p-4"))
_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = _ATANH


@_jit
def _atanh_poly(z):
    """ATANH(z), (atanh(s) - s)/(s*z) for z = s*s <= 0.0300, by Estrin's scheme."""
    z2 = z * z
    return fma(z2 * z2, fma(z2, fma(z, _T7, _T6), fma(z, _T5, _T4)), fma(z2, fma(z, _T3, _T2), fma(z, _T1, _T0)))


@_jit
def _log_plus(x, corr):
    """log(x) + corr for a positive normal x and a small corr (a first-order term ul/x), ~2**-60 relative: _log_sum
    with its series R = 2*z*ATANH(z) by Estrin's scheme (four dependent steps where _log1p_dd's Horner took twelve)
    and the quotient ul/x left to the caller (#14 s14 tanh: arcsinh folds it into its one other division)."""
    k, f, s, z = _log1p_parts(x)
    r = (z + z) * _atanh_poly(z)          # 2*atanh(s) = 2s + s*r: |s| <= 0.1716, the fit's interval
    hi, lo = _log1p_join(f, s, r)
    h, e2 = _fast_two_sum(k * _LN2_HI_LOG, hi)  # exact product; |k ln 2| >= 0.69 > |hi| unless k == 0
    return h + (e2 + ((lo + corr) + k * _LN2_LO_LOG))


@_jit
def arcsinh(x):
    """(arcsinh(x) within 1 ULP, ok): log(a + sqrt(a*a + 1)) with a = |x|, the sum in double-double; a > 2**28:
    log(2a); a < 2**-28: x. ok False for NaN and |x| > 2**1000.
    (#14 s14 tanh: with S = sqrt(a*a + 1) = sh + sl and a + sh = uh + ul, log(a + S) = log(uh) + (ul + sl)/uh, and
    (ul + sl)/uh = (2 sh ul + res)/(2 sh uh) with res = a*a + 1 - sh*sh: one division where sqrt's residual and the
    log's first-order term took one each; the divider, shared with sqrt and log's own s = f/(2 + f), is what bound
    the loop.)"""
    a = abs(x)
    ok = a <= _HYP_LIMIT              # no select of a finite stand-in where not ok (~6% of the time, #14 s14 tanh):
    am = min(a, _HYP_LARGE)           # NaN and |x| > 2**1000 compute garbage, never a trap, and their block runs again
    a2h = am * am
    ph, pl = _two_sum(1.0, a2h)
    sh = np.sqrt(ph)
    res = fma(-sh, sh, ph) + (pl + fma(am, am, -a2h))    # a*a + 1 - sh*sh, to ~2**-104 of a*a + 1
    uh, ul = _fast_two_sum(sh, am)                      # sh >= a: the TwoSum's bits, three additions fewer
    twice = sh + sh
    large = a > _HYP_LARGE
    corr = fma(ul, twice, res) / (twice * uh)             # (ul + sl)/uh, the first-order term of the log
    value = _log_plus(a + a if large else uh, 0.0 if large else corr)
    return _copysign(a if a < _HYP_SMALL else value, x), ok  # +-0.0 too (no select of x: #14 s14 tanh)


@_jit
def arccosh(x):
    """(arccosh(x) within 1 ULP, ok): log(x + sqrt(x*x - 1)) with x*x - 1 exact in double-double; x > 2**28:
    log(2x). ok False for x < 1, NaN and x > 2**1000."""
    ok = (x >= 1.0) & (x <= _HYP_LIMIT)
    x = x if ok else 1.0
    xm = min(x, _HYP_LARGE)
    x2h = xm * xm
    ph, pl = _two_sum(x2h, -1.0)
    ph = ph if xm > 1.0 else 1.0       # x == 1: any positive value (the result is selected away)
    sh, sl = _sqrt_dd(ph, pl + fma(xm, xm, -x2h))
    uh, ul = _two_sum(xm, sh)
    # (#14 lse2) one log of the selected argument, where the log of both (medium, and large's 2x) was computed in
    # every lane and one thrown away: the same values, half the logs (arcsinh so changed lost its vectorisation,
    # measured 0.65 -> 1.5x NumPy, and keeps both)
    large = x > _HYP_LARGE
    value = _log_sum(x + x if large else uh, 0.0 if large else ul + sl)
    return (0.0 if x == 1.0 else value), ok


_SQRT2 = float(Decimal(2).sqrt())
_EXPONENT_BITS = 0x7FF0000000000000
_EXPONENT_ONE = 1 << 52                      # one more in the exponent field
_ONE_BITS_TWICE = 2 * _ONE_BITS              # bits(2**k) = this - (the exponent field of 2**-k)
_TWO_52_1023 = 2.0 ** 52 + 1023.0            # minus (2**52 with a biased exponent e ORed in): -(e - 1023)
_LN2_HI_HALF, _LN2_LO_HALF = _LN2_HI_LOG / 2, _LN2_LO_LOG / 2  # k * the head is exact (k <= 55)
@_jit
def arctanh(x):
    """(arctanh(x) within 1 ULP, ok): with a = |x| and u = (1 + a)/(1 - a) = 2**k * v, v in [sqrt(2)/2, sqrt(2)],
    arctanh(a) = log(u)/2 = k*ln(2)/2 + atanh(s), s = (v - 1)/(v + 1) = ((1 + a) - 2**k (1 - a)) / ((1 + a) +
    2**k (1 - a)) in double-double, |s| <= 0.172, atanh(s) = s + s*z*ATANH(z). ok False for |x| >= 1 and NaN.
    (#14 f64slow: one division, where the quotient u in double-double, then log's own s = f/(2 + f), then
    log_sum's correction ul/uh took three; k comes from the exponent of 1 - a and the mantissas of 1 + a and 1 - a.
    #14 s14 tanh: 1 + a is in [1, 2], so only 1 - a's exponent counts; a degree-7 fit for the series; the quotient
    left unnormalised; no select for +-0.0.)"""
    a = abs(x)
    ok = a < 1.0
    a = a if ok else 0.0
    ph = 1.0 + a
    pl = a - (ph - 1.0)                # exact: 1 + a = ph + pl (Fast2Sum, 1 >= a)
    dh = 1.0 - a
    dl = (1.0 - dh) - a                # exact: 1 - a = dh + dl
    bits = _as_int64(dh)
    m2 = _as_float64((bits & _MANTISSA) | _ONE_BITS)
    # u = (ph/m2) * 2**-e, ph in [1, 2] (2 only for a = 1 - 2**-53, which rounds up: then too ph/m2 is in (1/2, 2]),
    # m2 in [1, 2): k is -e, plus or minus 1 where ph/m2 is beyond sqrt(2) (a rounded comparison: v may end a hair
    # outside [sqrt(2)/2, sqrt(2)], which the series' margin covers)
    up = ph > _SQRT2 * m2
    down = m2 > _SQRT2 * ph
    k = (_TWO_52_1023 - _as_float64((bits >> 52) | _TWO_52_BITS)) + (
        (1.0 if up else 0.0) - (1.0 if down else 0.0))      # 0 <= k <= 55, exact
    # 2**k from the exponent field by integer operations (one cycle each), not from k: it is on the chain to the
    # division, k only on the way to the final sum
    scale = _as_float64((_ONE_BITS_TWICE - (bits & _EXPONENT_BITS)) + (
        (_EXPONENT_ONE if up else 0) - (_EXPONENT_ONE if down else 0)))
    nh = ph - scale * dh               # exact (Sterbenz: ph / (2**k dh) is within a rounding of v)
    nl = pl - scale * dl               # exact where it matters: nh == 0 only for a < 2**-53 (nl = 2a)
    eh, ee = _two_sum(ph, scale * dh)
    # s = sh + sl, left unnormalised (|sl| within an ULP or so of sh): _divide less its last two additions
    inverse = 1.0 / eh
    sh = nh * inverse
    sl = (fma(-sh, eh, nh) + nl - sh * (ee + (pl + scale * dl))) * inverse
    z = sh * sh
    tail = sl + (z * sl + (sh * z) * _atanh_poly(z))
    h, e = _fast_two_sum(k * _LN2_HI_HALF, sh)  # exact: k ln2/2 >= 0.34 > |sh|, or k = 0
    value = h + (e + (tail + k * _LN2_LO_HALF))
    return _copysign(value, x), ok    # +-0.0: every term is 0 (no select: #14 s14 tanh)


# --- power ---------------------------------------------------------------------------------------------------
# x**y = exp(y*log|x|), with log|x| to ~2**-66 relative and y*log|x| as a double-double: |y log x| reaches 745
# where the result is a normal float64, so an error e in the exponent is a relative error e of the result, and
# a plain float64 log (2**-53 relative: 2**-43 absolute at 745) would be ~1000 ULP off (docs/vecmath.md).
#
#
# log (#14 tables): the method of ARM optimized-routines' and glibc's pow with a 16-entry table
# (kernels/vecmath_tables.py): |x| = 2**k z, log = k ln 2 + log c + log1p(z/c - 1), r = z/c - 1 exact; on AVX-512
# the quick tier looks each table up with one permute per 8 lanes (compiler/llvm_math.table_load), Numba's kernel
# by selects (lookup16). It replaces a division, a double-double s and a 17th-degree series. exp (session 14) is
# table-driven too: 2**(j/16) and its rounding error from two 16-entry tables, and 1 + r kept unrounded by one FMA
# (the result is fma(scale, tmp, scale)), where the branch-free exp summed 1 + r + r*r/2 in double-double after a
# 12th-degree polynomial (docs/vecmath.md, "Session 14: power").
_TOP12 = -(1 << 52)                             # 0xfff0000000000000: the sign and exponent field
_SIGN_BIT = -(1 << 63)                          # 0x8000000000000000
_TWO_52_BITS = 0x4330000000000000               # the bits of 2**52: OR-ing an integer below 2**52 in adds it
_TWO_52_1024 = 2.0 ** 52 + 1024.0
# log1p(r) - r + r*r/2 - r**3/3 = r**4 P(r), P of degree 10 fitted on |r| <= 0.0437 (python tools/fit_pow.py;
# session 14): within 2**-79 absolute, 2**-73 of log x where it is smallest next to a table point (|log x| >=
# 0.015), where the Taylor series to r**15 it replaces (one FMA more) reached 2**-76
_G4, _G5, _G6, _G7, _G8, _G9, _G10, _G11, _G12, _G13, _G14 = (float.fromhex(h) for h in (
    "-0x1.0000000000000p-2", "0x1.999999999999ap-3", "-0x1.5555555555556p-3", "0x1.24924924909a2p-3",
    "-0x1.fffffffffcd7dp-4", "0x1.c71c71edabe54p-4", "-0x1.999999bdc0620p-4", "0x1.745c631369087p-4",
    "-0x1.5554ac64d38a0p-4", "0x1.3c83ea012c5a3p-4", "-0x1.25eb804d30eecp-4"))
# exp(r) - 1 - r = r*r Q(r), Q of degree 5 fitted on |r| <= ln(2)/32 (tools/fit_pow.py; session 14): within 2**-64
# of exp(r), where Taylor to r**8 (one FMA more) reached 2**-68
_Q2, _Q3, _Q4, _Q5, _Q6, _Q7 = (float.fromhex(h) for h in (
    "0x1.0000000000001p-1", "0x1.5555555555556p-3", "0x1.55555554e9468p-5", "0x1.11111110e10a8p-7",
    "0x1.6c17ed4cc653cp-10", "0x1.a01b0c2edc54bp-13"))
_THIRD_HI, _THIRD_LO = _hi_lo(Decimal(1) / Decimal(3))
_POW_RANGE = 708.0  # power: |th| and |t1| up to this (_pow_range_ok)


@_jit
def _pow_log(a):
    """(hi, lo, t1): log(a) as hi + lo, to ~2**-66 relative, for a positive normal finite float64 a; hi to r**4, lo
    the rest, unnormalised (|lo| <= 2**-18.8 |hi|; session 15 vm3): a = 2**k z, log a = k ln 2 + log c + log1p(z/c -
    1), 1/c and log c (hi + lo) from 16-entry tables, r = z/c - 1 exact (|r| <= 0.0437), t1 = k ln 2 + log c's head
    exact. (session 17 pow64) t1 is also the caller's range test of a: |t1| <= 708 only for a positive normal a in
    [2**-1021, 2**1021] (and up to about 2**+-1021.4); zero, subnormal, infinite, NaN and negative a (any sign bit)
    give |t1| >= 708.39 (``_pow_range_ok``): garbage in hi and lo there, never a trap."""
    bits = _as_int64(a)
    tmp = bits - T.LOG_OFF_BITS
    i = (tmp >> T.LOG_SHIFT) & 15               # the 4 bits below z's exponent field: its subinterval
    k = tmp >> 52                               # arithmetic shift: a = 2**k z with z in [OFF, 2 OFF)
    z = _as_float64(bits - (tmp & _TOP12))
    # k as a float64 by the 2**52 trick (k + 1024 in [1, 2047] added into 2**52's mantissa: no carry, so one add
    # where an add and an OR were; p32): exact, and no int64 -> float64 conversion, which AVX2 does not have in
    # vector form
    kd = _as_float64(k + (_TWO_52_BITS + 1024)) - _TWO_52_1024
    r = fma(z, lookup16(T.LOG_INVC_T, i), -1.0)  # exact: 1/c a multiple of 1/16 or 1/32, |r| < 2**-4
    t1 = fma(kd, T.LOG_LN2_HI, lookup16(T.LOG_C_HI_T, i))  # exact: both multiples of 2**-43 below 2**10
    t2 = t1 + r
    lo1 = fma(kd, T.LOG_LN2_LO, lookup16(T.LOG_C_LO_T, i))
    lo2 = (t1 - t2) + r                         # Fast2Sum: |t1| >= log(17/16) > |r| unless t1 == 0 (then 0)
    # -r*r/2 as FMAs with -0.5 (session 14: exact scalings folded, the same bits with three operations less)
    r2 = r * r
    r2l = fma(r, r, -r2)                        # r*r = r2 + r2l exactly
    hi = fma(r2, -0.5, t2)                      # t2 - r*r/2 rounded once (-0.5 r2 is exact)
    lo4 = fma(r2, -0.5, t2 - hi)                # Fast2Sum's error, exact: |r2/2| <= 0.001 is below |t2| >= 0.016 (or
    #                                             t2 == r)
    lo34 = fma(r2l, -0.5, lo4)                  # plus the rounding error of -r*r/2, -r2l/2
    # r**3/3 (up to 2.8e-5) in double-double: rounded once it would err by 2**-68, 2**-62 of log x next to a table
    # point (|log x| >= 0.015), 0.25 ULP of x**y at |y log x| = 700 (measured 0.96 ULP without)
    ch = r2 * r
    cl = fma(r2, r, -ch) + r2l * r              # r**3 = ch + cl to ~2**-104 relative
    qh = ch * _THIRD_HI
    ql = fma(ch, _THIRD_HI, -qh) + fma(ch, _THIRD_LO, cl * _THIRD_HI)
    h3 = hi + qh
    lo5 = (hi - h3) + qh                        # Fast2Sum: |qh| <= |r|/1000 is below |hi|
    r4 = r2 * r2
    # (session 15, vm3) r**4 G4 = -r**4/4 joins the head (its rounding as r4's, as before: 2**-73 absolute), so that
    # what is left in lo is below r**5/5 (3.2e-8, 2**-18.8 of the head) and the head is ready before the polynomial
    q4 = r4 * _G4
    h4 = h3 + q4
    lo6 = (h3 - h4) + q4                        # Fast2Sum: r**4/4 <= 0.0011 |r| is below |h3|
    # r**4 (G5 r + ... + G14 r**10) by Estrin's scheme: four dependent steps
    p = fma(r4, fma(r4, fma(r2, _G14, fma(r, _G13, _G12)), fma(r2, fma(r, _G11, _G10), fma(r, _G9, _G8))),
            fma(r2, fma(r, _G7, _G6), r * _G5))
    lo = ((lo1 + lo2) + lo34) + fma(r4, p, (lo5 + lo6) + ql)  # the polynomial, the latest term, added last
    # not normalised (session 15, vm3): the exp takes th = y h4 before the polynomial is done, and y lo (|lo| <= r**5/5
    # <= 2**-18.8 |h4|, |h4| >= 0.015 next to a table point, so |y lo| <= 700 * 2**-18.8 = 0.0015) as part of its
    # reduced argument's low half
    return h4, lo, t1


@_jit
def _pow_exp(th, tl, shifted):
    """exp(th + tl) for |th| <= 709 and |tl| <= 0.0015 (session 14: a 16-entry table), `shifted` n + the shifter
    with n = rint(th 16/ln 2) or one off (session 15 vm3: the caller's): th = (16 k + j) ln2/16 + rh with rh exact,
    |rh| <= ln2/32 + 2**-40, exp = 2**k 2**(j/16) exp(rh + rl) with 2**(j/16) = T_j (1 + tau_j)
    from two tables; the result is fma(scale, tmp, scale), scale = 2**k T_j, so 1 + tmp is never rounded: about 0.5
    ULP plus 2**-59 relative (tmp's one rounding)."""
    # n = rint(th * 16/ln 2) by the 1.5*2**52 shift: its low bits are n as an integer, with no float64 -> int64
    # conversion (none in AVX2's vector set)
    # (session 15, vm3) shifted = rint(th 16/ln 2) + the shifter, or one off (the caller's: from y 16/ln 2
    # times the log's head, not waiting for th): |rh| <= ln2/32 + 2**-40 either way, and rh below exact
    n = shifted - _SHIFTER
    rh = fma(-n, T.EXP_LN2_HI_N, th)              # exact: n * ln2/16's 39-bit head is exact, rh a multiple of
    #                                               ulp(th) or 2**-43 below 2**-5
    # rh + rl = th + tl - n ln2/16 (rl rh**2/2 matters, so the polynomial takes r = rh + rl)
    # (session 15, vm3) tl holds y times the log's unnormalised low part (up to 0.0015), so |r| <= ln2/32 + 0.0015 =
    # 0.0232 (Q's error there 2**-62.2 of the result, 2**-64.4 at ln2/32), and rl may exceed |rh| (session 17 pow64:
    # no Fast2Sum of the two any more, see tmp below)
    rl = fma(-n, T.EXP_LN2_LO_N, tl)
    r = rh + rl                                   # rounded: only for the terms of degree >= 2 (below)
    bits = _as_int64(shifted)
    j = bits & 15
    # 2**(n/16) = 2**k 2**(j/16), n = 16 k + j: the table's bits of T_j less j << 48, plus n << 48 (the shifter's own
    # bits shift out)
    scale = _as_float64(lookup16(T.EXP_BITS_T, j) + (bits << T.EXP_SHIFT))
    r2 = r * r
    r4 = r2 * r2
    # exp(r) - 1 - r = r**2 Q(r), Q of degree 5 (2**-64 of the result, |r| <= 0.0217), by Estrin's scheme
    q = fma(r4, fma(r, _Q7, _Q6), fma(r2, fma(r, _Q5, _Q4), fma(r, _Q3, _Q2)))
    # exp(rh + rl)(1 + tau) - 1 = rh + rl + r**2 Q + tau (1 + r) with r = rh + rl rounded (its error e, |e| <= 2**-59,
    # changes r**2 Q and tau r by < 2**-63); tmp's rounding, ulp(0.0225)/2 = 2**-59 relative, is this function's one
    # extra error. (session 17 pow64) The linear part rh + rl is summed last, unrounded before: where r's rounding error
    # e was recovered by a Fast2Sum and added to tau (c = tau + e, then c (1 + r)), on the chain of the polynomial's
    # last term; one operation less, the same error bound
    tau = lookup16(T.EXP_TAIL_T, j)
    tmp = rh + (rl + fma(r2, q, fma(tau, r, tau)))
    return fma(scale, tmp, scale)


@_jit
def _pow_range_ok(th, t1):
    """Whether x**y = exp(th + tl) is a normal float64 computed here, from the head th = y log|x| (NaN for a non-finite
    y) and the log's t1 = k ln 2 + log c of |x| (session 17 pow64): |th| <= 708 keeps exp(th + tl) normal and finite
    (|tl| <= 0.0015), and |t1| <= 708 holds for every positive normal x in [2**-1021, 2**1021] (up to about
    2**+-1021.4) but for none outside: a zero or subnormal x has k <= -1022 with z < 1 (log c <= 0), an infinite or NaN x
    k >= 1024, and an x with its sign bit set k >= 1025 or k <= -1023 (its bits wrap around the table's offset): |t1| >=
    708.39 for all of them (tests/test_vecmath_power_pass.py checks it over bit patterns). Conservative at both ends: x
    beyond about 2**+-1021.4 goes to the C library. max keeps a NaN th (acc NaN: no v > NaN), so a NaN is never ok."""
    return max(abs(th), abs(t1)) <= _POW_RANGE


@_jit
def _pow_magnitude(a, y):
    """(a**y, ok) for a = |x| (or x itself: ``power_positive``): exp(y log a) with the exponent in double-double; ok
    as ``_pow_range_ok``."""
    # (session 14) no select in front of the log and the exp: a lane whose ok is False gets garbage, never a trap
    # (bit operations, FMAs; no division), and its block is recomputed; the flags meet only in the final ok, and the
    # sign is a bit operation: on AVX-512 each select and each flag kept alive across the body was a mask register
    # (eight in all), spilled and reloaded through general registers (~3 mask instructions per element)
    lh, ll, t1 = _pow_log(a)                      # of x alone: hoisted out of a row where x is fixed (x[:, None] ** y)
    th = y * lh
    tl = fma(y, ll, fma(y, lh, -th))              # (session 17 pow64) one FMA where a multiply and an add were
    # n for the exp from (y 16/ln 2) lh: one multiply less on the way from the log to the exp than th 16/ln 2
    # (s16 sweepd) y clamped to +-2**1000 for n alone: y 16/ln 2 overflowed to inf for |y| > 7.8e306, and inf times
    # lh = 0 (x = +-1) made n, so the result, NaN where th = 0 is in range (1.0 ** 1.8e308 is 1.0). Any clamped lane
    # with lh != 0 has |th| >= 2**948, rejected by the range test; the clamp is off the log's critical path
    yn = min(max(y, -_Y_FOR_N), _Y_FOR_N)
    value = _pow_exp(th, tl, fma(yn * T.EXP_N_OVER_LN2, lh, _SHIFTER))
    # no test of y: a non-finite y makes th infinite or NaN (NaN for y = inf and log|x| = 0), which the range test of
    # th rejects (p32). (session 17 pow64) x's range by the log's t1: four operations where there were seven
    return value, _pow_range_ok(th, t1)


@_jit
def power(x, y):
    """(x**y within 1 ULP, ok) for float64 x, y: exp(y*log|x|) with the exponent in double-double, negated for
    x < 0 and odd integer y. ok is False where NumPy's special values (IEEE pow: zeros, infinities, NaN, x < 0
    with non-integer y) or results outside the normal range need the C library, and for subnormal x (and x beyond
    about 2**+-1021.4: ``_pow_range_ok``)."""
    value, ok = _pow_magnitude(abs(x), y)
    # the sign: x's sign bit where y is an odd integer. y - 2 rint(y/2) is exact for every finite y: +-1.0 for odd y
    # (bits 0x3ff0.. or 0xbff0.., shifted left by 2: the top bit set), 0.0 for even y (|y| >= 2**53 is even); for a
    # non-integer y the result is used only where x > 0 (sign bit 0)
    odd = _as_int64(fma(-2.0, np.rint(0.5 * y), y)) << 2
    value = _as_float64(_as_int64(value) | (odd & _as_int64(x) & _SIGN_BIT))  # exp(..) > 0: its sign bit is 0
    return value, ok & ((x > 0.0) | (np.rint(y) == y))


@_jit
def power_positive(x, y):
    """``power`` for x > 0 only: ok is also False for every x with its sign bit set (``_pow_range_ok``: the log of x's
    own bits), and there is no sign to make (session 17 pow64). The quick tier's first pass of a block (compiler/
    llvm_math_map.py, ``FIRST_PASS``): where its ok is True its value is ``power``'s, bit for bit (the same operations
    on the same |x|, and no sign bit to OR in), so a block it computes needs neither the sign nor the integer test of
    y; a block with a negative x (or any other element not ok) is computed again by ``power``, then by the C library.
    The sign and the integer test were ~8% of the kernel's time once x's range came from t1 (1.20-1.22 -> 1.11-1.16
    ns per element in L2, docs/vecmath.md "Session 17 (pow64)")."""
    return _pow_magnitude(x, y)


# vector functions with a cheaper first pass for the quick tier's blocks (see power_positive): op -> function name
FIRST_PASS = {"power": "power_positive"}
