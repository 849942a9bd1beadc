"""float32 vector math in float32 lanes: the functions of ``vecmath.py`` (same names, same ``(value, ok)``
contract) with float32 arithmetic throughout, so a float32 loop runs twice as many elements per instruction as
the float64 path and never converts.

Every constant is an ``np.float32`` (or ``np.int32``) global: Numba types a Python float as float64, and one
float64 constant would widen the whole computation. Accuracy: within 2 ULP of the correctly rounded result
(NumPy's float32 budgets are 2 to 4 ULP: its umath-validation-set tables), measured by tests/test_vecmath.py
and tests/test_vecmath32_lanes.py; where ok is False the kernel recomputes the block with the C library's float32
function, as for float64.

The methods are float64's with shorter polynomials (fitted by tools/fit_vecmath32.py, or Taylor where that is
short enough) and these differences:
- sin, cos, tan: pi/2 in four parts, the first two with 11 bits so that for |x| <= 2**13 the first two
  reduction steps are exact; tan is sin/cos in float32 (its budget is 4 ULP).
- sinh, cosh: exp(|x|) as an unevaluated sum hi + lo (2**k*(1 + p) with the rounding of 1 + p kept), so
  (E -+ 1/E)/2 rounds about once; small |x| by an odd polynomial (sinh). tanh: e/(e + 2), e = expm1(2|x|).
- log, log1p, log2, log10: no division (x = 2**k*m, m in [2/3, 4/3), a polynomial for log1p(m - 1)).
- arctan2 and arctanh (#14 f32lanes) in float32 lanes too: arctanh one log of an exact quotient's parts (#14 s14
  tanh); arctan and arctan2 (#14 div32) by one quotient, min/max of (|x|, 1) or (|x|, |y|), and one polynomial on
  [0, 1].
- arcsinh, arccosh (#14 f32hyp): one log of a double-float sum a + sqrt(a*a +- 1), the root corrected by its residual;
  cbrt: a polynomial for m**(-1/3) and one division-free Newton step.
"""
from decimal import Decimal, getcontext
from fractions import Fraction
from math import factorial

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic

from lazyarr.kernels import vecmath as V64
from lazyarr.kernels import vecmath_tables as T
from lazyarr.kernels.numpy_scalar import fma

_jit = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
F = np.float32
I = np.int32


def _f32(*hexes):
    return tuple(F(float.fromhex(h)) for h in hexes)


def _split(value: Decimal, bits: int = 24) -> tuple:
    """value as hi + lo float32s, hi with `bits` significant bits (so small multiples of it are exact)."""
    exponent = int(np.floor(np.log2(float(abs(value)))))
    scale = Decimal(2) ** (bits - 1 - exponent)
    hi = Decimal(int((value * scale).to_integral_value())) / scale
    return F(float(hi)), F(float(value - hi))


@intrinsic
def _as_float32(typingctx, bits):
    """The float32 whose bit pattern is the int32 `bits` (a register move, so it vectorises)."""
    if bits != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float32))

    return types.float32(types.int32), codegen


@intrinsic
def _as_int32(typingctx, x):
    """The int32 with the bit pattern of the float32 `x`."""
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int32))

    return types.int32(types.float32), codegen


_ZERO, _HALF, _ONE, _TWO, _THREE = F(0.0), F(0.5), F(1.0), F(2.0), F(3.0)
_I1, _I23, _I127 = I(1), I(23), I(127)
_ABS_MASK, _SIGN_MASK = I(0x7FFFFFFF), I(-0x80000000)


@_jit
def _copysign(value, sign):
    """|value| with the sign bit of `sign` (bit operations: vectorises, keeps -0.0 and NaN signs)."""
    return _as_float32(I((_as_int32(value) & _ABS_MASK) | (_as_int32(sign) & _SIGN_MASK)))


@_jit
def _pow2(k):
    """2**k for a float32 integer k in [-126, 127]."""
    return _as_float32(I((I(k) + _I127) << _I23))  # Numba widens int32 arithmetic to int64


# --- exp, exp2, expm1 ----------------------------------------------------------------------------------------
getcontext().prec = 60
_LN2 = Decimal(2).ln()
_LN2_HI, _LN2_LO = _split(_LN2)
_INV_LN2 = F(float(1 / _LN2))
# expm1(r) = r + r*r*E(r), |r| <= ln(2)/2 (tools/fit_vecmath32.py: 2**-29 relative)
_E0, _E1, _E2, _E3, _E4, _E5 = _f32("0x1.0000000000000p-1", "0x1.5555560000000p-3", "0x1.5554ea0000000p-5",
                                    "0x1.1110e00000000p-7", "0x1.6d43160000000p-10", "0x1.a124e40000000p-13")
_EXP_LOW, _EXP_HIGH = F(-87.0), F(88.0)  # exp is a normal, finite float32 with k in [-126, 127] between these


@_jit
def _expm1_poly(r):
    return fma(r * r, _E0 + r * (_E1 + r * (_E2 + r * (_E3 + r * (_E4 + r * _E5)))), r)


@_jit
def _exp_parts(x):
    """(k, p): exp(x) = 2**k * (1 + p), |p| <= ~0.42, for x in [-87, 88]."""
    k = np.rint(x * _INV_LN2)
    r = fma(-k, _LN2_HI, x)
    r = fma(-k, _LN2_LO, r)
    return k, _expm1_poly(r)


@_jit
def exp(x):
    """(exp(x) within 2 ULP, ok) for a float32 x; ok False outside [-87, 88] and for NaN."""
    ok = (x >= _EXP_LOW) & (x <= _EXP_HIGH)
    k, p = _exp_parts(x if ok else _ZERO)
    scale = _pow2(k)
    return fma(scale, p, scale), ok


@_jit
def _exp_hi_lo(a):
    """exp(a) = hi + lo (lo: the rounding error of hi, to ~2**-40 relative) for a in [0, 88]."""
    k, p = _exp_parts(a)
    one_p = _ONE + p
    scale = _pow2(k)
    return one_p * scale, ((p - (one_p - _ONE)) * scale)  # one_p - 1 is exact: one_p is in [0.7, 1.5]


_EXP2_LOW, _EXP2_HIGH = F(-126.0), F(127.0)


@_jit
def exp2(x):
    """(exp2(x) within 2 ULP, ok) for a float32 x: x = k + r, 2**r = 1 + expm1(r*ln 2); exact for integers."""
    ok = (x >= _EXP2_LOW) & (x <= _EXP2_HIGH)
    x = x if ok else _ZERO
    k = np.rint(x)
    r = x - k
    t = r * _LN2_HI
    tl = fma(r, _LN2_HI, -t) + r * _LN2_LO
    p = _expm1_poly(t)
    scale = _pow2(k)
    return fma(scale, fma(tl, _ONE + p, p), scale), ok


_EXPM1_LOW = F(-18.0)  # below, expm1(x) rounds to -1.0 in float32


@_jit
def expm1(x):
    """(expm1(x) within 2 ULP, ok) for a float32 x: 2**k*expm1(r) + (2**k - 1) in one rounding."""
    ok = x <= _EXP_HIGH
    xc = min(max(x, _EXPM1_LOW), _EXP_HIGH) if ok else _ZERO
    k, p = _exp_parts(xc)
    scale = _pow2(k)
    value = fma(scale, p, scale - _ONE)
    value = -_ONE if x < _EXPM1_LOW else value
    return (x if x == _ZERO else value), ok


# --- sinh, cosh, tanh ----------------------------------------------------------------------------------------
# sinh(x) = x + x*z*P(z), |x| <= 1 (tools/fit_vecmath32.py)
_SH0, _SH1, _SH2, _SH3 = _f32("0x1.5555560000000p-3", "0x1.11111e0000000p-7", "0x1.a009000000000p-13",
                              "0x1.78a70e0000000p-19")
_SINH_SMALL, _TANH_ONE = F(1.0), F(10.0)  # beyond _TANH_ONE, tanh rounds to +-1


@_jit
def sinh(x):
    """(sinh(x) within 2 ULP, ok) for a float32 x; ok False for |x| > 88 and NaN."""
    a = abs(x)
    ok = a <= _EXP_HIGH
    z = x * x
    small = fma(x * z, _SH0 + z * (_SH1 + z * (_SH2 + z * _SH3)), x)
    hi, lo = _exp_hi_lo(a if ok else _ZERO)
    large = _HALF * (hi + (lo - _ONE / hi))
    return (small if a <= _SINH_SMALL else _copysign(large, x)), ok


@_jit
def cosh(x):
    """(cosh(x) within 2 ULP, ok) for a float32 x; ok False for |x| > 88 and NaN."""
    a = abs(x)
    ok = a <= _EXP_HIGH
    hi, lo = _exp_hi_lo(a if ok else _ZERO)
    return _HALF * (hi + (lo + _ONE / hi)), ok


# tanh's exp (#14 div32): the division was ~10% of its time (0.32 -> 0.29 ns per element with it made a multiply;
# vdivps on 16 lanes takes ~3 cycles of throughput on this Zen 5). The rest: exp's polynomial as float32 products and
# sums (no FMA contraction: ten instructions for five Horner steps) and k by rint and a conversion. Here k and 2**k by
# the shifter 1.5*2**23 + 127 (k + 127 in the low mantissa bits, shifted into the exponent field), the same
# polynomial with FMAs by Estrin's scheme, and ln 2 as one float32 in the reduction (|2x| <= 20).
_EXP_SHIFTER = F(1.5 * 2.0 ** 23 + 127.0)
_LN2_F32 = F(float(_LN2))


@_jit
def _expm1_estrin(r):
    """expm1(r) = r + r*r*E(r) for |r| <= ln(2)/2: _expm1_poly's coefficients with an FMA per step, Estrin's scheme."""
    r2 = r * r
    return fma(r2, fma(r2, fma(r2, fma(r, _E5, _E4), fma(r, _E3, _E2)), fma(r, _E1, _E0)), r)


@_jit
def tanh(x):
    """(tanh(x) within 2 ULP, ok) for a float32 x: e/(e + 2) with e = expm1(2|x|) in one rounding, every x (#14
    f32lanes: the odd polynomial below 0.55 and exp as hi + lo above, both computed for every element, cost 40%
    more; max 2 ULP over every float32, NumPy's budget 2)."""
    a = abs(x)
    ok = a == a
    u = _TWO * min(a, _TANH_ONE)   # NaN stays NaN: its block is recomputed (ok), so no select to a safe value
    shifted = fma(u, _INV_LN2, _EXP_SHIFTER)     # k + 127 + 1.5*2**23, k = u/ln 2 rounded to an integer
    k = shifted - _EXP_SHIFTER
    scale = _as_float32(I(_as_int32(shifted) << _I23))   # 2**k: the shifter's own bits shift out
    # k <= 29: ln 2's float32 rounding moves r by at most 6e-8, a relative 6e-8 of E = exp(2|x|), of which tanh =
    # 1 - 2/(E + 1) keeps about 2/E (every positive float32: the same maximum and 2-ULP count as ln 2 in two parts)
    r = fma(-k, _LN2_F32, u)
    p = _expm1_estrin(r)
    e = fma(scale, p, scale - _ONE)  # scale - 1 exact for k <= 24; beyond, 1 is below half an ULP of e
    # x = +-0: e = 0 and e/(e + 2) = +0, signed by x; subnormal x: e = 2x exactly and 2 + e rounds to 2, so x itself
    return _copysign(e / (e + _TWO), x), ok


# --- log, log1p, log2, log10 ---------------------------------------------------------------------------------
# x = 2**k * m with m in [2/3, 4/3) (the bits of x minus those of 2/3, split at the exponent: integer operations
# only), and log1p(r), r = m - 1 (exact), by r + r*r*LOG1P(r) (tools/fit_vecmath32.py: 2**-26.6 relative), Estrin's
# scheme. No division (#14 f32lanes: the s = f/(2 + f) of the float64 method cost a vdivps per 16 elements, ~25% of
# log's time on AVX-512): max 1 ULP for log, 2 for log2 and log10, whose budgets are 3 and 4; log1p: 2 (budget 2).
_LOG1P = _f32("-0x1.0000000000000p-1", "0x1.55552c0000000p-2", "-0x1.ffffb60000000p-3", "0x1.99bf860000000p-3",
              "-0x1.5578320000000p-3", "0x1.1fdcf00000000p-3", "-0x1.f758960000000p-4", "0x1.1990bc0000000p-3",
              "-0x1.fcd0360000000p-4")
_Q0, _Q1, _Q2, _Q3, _Q4, _Q5, _Q6, _Q7, _Q8 = _LOG1P
_LN2_HI_LOG, _LN2_LO_LOG = _split(_LN2, 16)  # k * hi exact for |k| < 2**8
_TWO_THIRDS_BITS, _MANTISSA, _HIGH_BITS = I(0x3F2AAAAB), I(0x007FFFFF), I(-0x00800000)
_TWO_M23, _ONE_BITS = F(2.0 ** -23), I(0x3F800000)
_SMALLEST_NORMAL, _LARGEST = F(np.finfo(np.float32).tiny), F(np.finfo(np.float32).max)


@_jit
def _log1p_core(r):
    """log1p(r) for |r| <= 1/3 (within ~0.6 ULP): r + r*r*LOG1P(r), Estrin's scheme."""
    r2 = r * r
    p = (fma(r, _Q1, _Q0) + r2 * fma(r, _Q3, _Q2)) + (r2 * r2) * (fma(r, _Q5, _Q4) + r2 * (fma(r, _Q7, _Q6) + r2 * _Q8))
    return fma(r2, p, r)


@_jit
def _log_parts(x):
    """(k, r) for a positive normal x: x = 2**k * (1 + r), k a float32 integer, -1/3 <= r < 1/3, both exact."""
    bits = _as_int32(x) - _TWO_THIRDS_BITS
    # k = bits >> 23 as a float, by a mask and an exact conversion (k*2**23 has at most 8 significant bits): Numba
    # does integer arithmetic in int64, and LLVM kept the shift in 64-bit lanes (#14 f32hyp: ~10% of cbrt's time)
    return F(I(bits & _HIGH_BITS)) * _TWO_M23, _as_float32(I((bits & _MANTISSA) + _TWO_THIRDS_BITS)) - _ONE


@_jit
def _normal(x):
    return (x >= _SMALLEST_NORMAL) & (x <= _LARGEST)


@_jit
def log(x):
    """(log(x) within 1 ULP, ok) for a float32 x; ok False for zero, negative, subnormal, non-finite x."""
    ok = _normal(x)
    k, r = _log_parts(x if ok else _ONE)
    return fma(k, _LN2_HI_LOG, _log1p_core(r) + k * _LN2_LO_LOG), ok


_LOG1P_LIMIT = F(2.0 ** 126)  # u below: 2**-k is a normal float32 (u = 1 + x >= 2**-24, so k >= -24)


@_jit
def log1p(x):
    """(log1p(x) within 2 ULP, ok) for a float32 x: u = 1 + x (rounded) only gives k, and r = x*2**-k + (2**-k - 1)
    is formed from x in one rounding (exactly where k == 0), so the rounding of u is not lost. For k > 24,
    2**-k - 1 rounds to -1 and r is m - 1 of x itself, off by 2**-k (below 2**-25 of the result). ok False for
    x <= -1, NaN and u >= 2**126."""
    u = _ONE + x
    ok = (x > -_ONE) & (u < _LOG1P_LIMIT)
    k_bits = I((_as_int32(u if ok else _ONE) - _TWO_THIRDS_BITS) & _HIGH_BITS)  # k << 23 (no shift: _log_parts)
    scale = _as_float32(I(_ONE_BITS - k_bits))  # 2**-k
    r = fma(x if ok else _ZERO, scale, scale - _ONE)
    k = F(k_bits) * _TWO_M23
    value = fma(k, _LN2_HI_LOG, _log1p_core(r) + k * _LN2_LO_LOG)
    return (x if x == _ZERO else value), ok


_LN10 = Decimal(10).ln()
_INV_LN2_HI = _split(1 / _LN2)[0]
_INV_LN10_HI, _INV_LN10_LO = _split(1 / _LN10)
_LOG10_2_HI, _LOG10_2_LO = _split(_LN2 / _LN10, 16)


@_jit
def log2(x):
    """(log2(x) within 2 ULP, ok) for a float32 x: k + log1p(r)/ln 2; exact for powers of 2 (r == 0)."""
    ok = _normal(x)
    k, r = _log_parts(x if ok else _ONE)
    return fma(_log1p_core(r), _INV_LN2_HI, k), ok  # one rounding (1/ln 2's low part: below 2**-25 of the result)


@_jit
def log10(x):
    """(log10(x) within 2 ULP, ok) for a float32 x: k*log10(2) + log1p(r)/ln 10."""
    ok = _normal(x)
    k, r = _log_parts(x if ok else _ONE)
    p = _log1p_core(r)
    return fma(k, _LOG10_2_HI, fma(p, _INV_LN10_HI, fma(p, _INV_LN10_LO, k * _LOG10_2_LO))), ok


# --- sin, cos, tan -------------------------------------------------------------------------------------------
_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534")
_P1 = _split(_PI / 2, 11)[0]
_P2 = _split(_PI / 2 - Decimal(float(_P1)), 11)[0]
_P3 = F(float(_PI / 2 - Decimal(float(_P1)) - Decimal(float(_P2))))
_P4 = F(float(_PI / 2 - Decimal(float(_P1)) - Decimal(float(_P2)) - Decimal(float(_P3))))
_TWO_OVER_PI = F(float(2 / _PI))
_TRIG_LIMIT = F(2.0 ** 13)    # |k| < 2**13: k*_P1 and k*_P2 are exact
_CANCELLED = F(2.0 ** -28)    # a reduced argument below this (k != 0): the exact path (pi/2 to ~70 bits)
_S1, _S2, _S3, _S4 = (F(float(Fraction((-1) ** k, factorial(2 * k + 1)))) for k in range(1, 5))
_C2, _C3, _C4, _C5 = (F(float(Fraction((-1) ** k, factorial(2 * k)))) for k in range(2, 6))


@_jit
def _reduce(x):
    """(r, k, ok): x = k*pi/2 + r, |r| <= ~pi/4."""
    k = np.rint(x * _TWO_OVER_PI)
    r = fma(-k, _P1, x)   # exact for |k| < 2**13 (Sterbenz)
    r = fma(-k, _P2, r)   # exact too: both terms are multiples of the smaller one's last bit
    r = fma(-k, _P3, r)
    r = fma(-k, _P4, r)
    ok = (abs(x) <= _TRIG_LIMIT) & ((k == _ZERO) | (abs(r) >= _CANCELLED))
    r = x if k == _ZERO else r
    return r, I(k if ok else _ZERO), ok


@_jit
def _sin_poly(r, z):
    return fma(r * z, _S1 + z * (_S2 + z * (_S3 + z * _S4)), r)


@_jit
def _cos_poly(z):
    half = _HALF * z
    w = _ONE - half
    return w + (((_ONE - w) - half) + z * z * (_C2 + z * (_C3 + z * (_C4 + z * _C5))))


@_jit
def sin(x):
    """(sin(x) within 2 ULP, ok) for a float32 x; ok False for |x| > 2**13, near multiples of pi/2, non-finite."""
    r, k, ok = _reduce(x)
    z = r * r
    q = k & I(3)
    value = _cos_poly(z) if q & _I1 else _sin_poly(r, z)
    value = -value if q & I(2) else value
    return (x if x == _ZERO else value), ok


@_jit
def cos(x):
    """(cos(x) within 2 ULP, ok) for a float32 x; ok as for sin."""
    r, k, ok = _reduce(x)
    z = r * r
    q = (k + _I1) & I(3)
    value = _cos_poly(z) if q & _I1 else _sin_poly(r, z)
    return (-value if q & I(2) else value), ok


@_jit
def tan(x):
    """(tan(x) within 3 ULP, ok) for a float32 x; ok as for sin: sin(r)/cos(r), -cos(r)/sin(r) in odd quadrants."""
    r, k, ok = _reduce(x)
    z = r * r
    s = _sin_poly(r, z)
    c = _cos_poly(z)
    value = (-c / s) if k & _I1 else s / c
    return (x if x == _ZERO else value), ok


# --- arctan, arcsin, arccos ----------------------------------------------------------------------------------
# arcsin(s) = s + s*z*B(z), z <= 1/4 (tools/fit_vecmath32.py)
_B0, _B1, _B2, _B3, _B4, _B5, _B6 = _f32("0x1.5555560000000p-3", "0x1.33331e0000000p-4", "0x1.6dc0f00000000p-5",
                                         "0x1.efedf80000000p-6", "0x1.82db240000000p-6", "0x1.5a80a00000000p-7",
                                         "0x1.fb7ca40000000p-6")
_PIO2_HI, _PIO2_LO = _split(_PI / 2)
_PI_HI, _PI_LO = _split(_PI)


# arctan and arctan2 with one quotient (#14 div32): t = min/max in [0, 1] (arctan: of |x| and 1; arctan2: of |x| and
# |y|, the octant's reduction), arctan(t) = t + t*z*ATAN_WIDE(z) on the whole of [0, 1] (tools/fit_vecmath32.py:
# 2**-26.4 relative to t; Estrin's scheme), then base +- arctan(t) with base 0, pi/2 or pi as hi + lo constants
# (|y| > |x|: pi/2 -+ arctan(t); x < 0: pi - arctan(t)), the head sum base_hi + t by Fast2Sum (base_hi >= 1 >= t, or
# base_hi == 0). The method before (float64's, #14 f32lanes) reduced to |t| <= 0.4375 in five intervals: two
# quotients (arctan) or four (arctan2, which took y/x as a double-float first) and chains of selects per element.
_ATAN_WIDE = _f32("-0x1.5555560000000p-2", "0x1.9999560000000p-3", "-0x1.2489520000000p-3", "0x1.c62cda0000000p-4",
                  "-0x1.6dd8fe0000000p-4", "0x1.2006f80000000p-4", "-0x1.9115a40000000p-5", "0x1.aefb2c0000000p-6",
                  "-0x1.2ba6b60000000p-7", "0x1.86406c0000000p-10")
_W0, _W1, _W2, _W3, _W4, _W5, _W6, _W7, _W8, _W9 = _ATAN_WIDE
# t == 1 (|y| == |x|, |x| == 1) by a select: the polynomial's float32 roundings put 1 + tail(1) 1 ULP below pi/4
# (moving the last coefficient to fix that cost accuracy next to 1: 3x as many 2-ULP results of arctan2)
_PIO4, _PI3O4 = F(float(_PI / 4)), F(float(_PI * 3 / 4))


@_jit
def _atan_wide_tail(t):
    """arctan(t) - t for 0 <= t <= 1: t*z*ATAN_WIDE(z), z = t*t, Estrin's scheme."""
    z = t * t
    z2 = z * z
    z4 = z2 * z2
    p = fma(z4, fma(z4, fma(z, _W9, _W8), fma(z2, fma(z, _W7, _W6), fma(z, _W5, _W4))),
            fma(z2, fma(z, _W3, _W2), fma(z, _W1, _W0)))
    return (t * z) * p


@_jit
def arctan(x):
    """(arctan(x) within 1 ULP, ok) for a float32 x: t = min(|x|, 1)/max(|x|, 1) and one polynomial on [0, 1];
    pi/2 - arctan(t) for |x| > 1."""
    a = abs(x)
    steep = a > _ONE
    t = (_ONE if steep else a) / (a if steep else _ONE)   # a/1 is a itself
    st = -t if steep else t
    tail = _atan_wide_tail(t)
    hi = _PIO2_HI if steep else _ZERO
    h = hi + st                        # Fast2Sum, as arctan2's
    e = (hi - h) + st
    value = h + (e + ((_PIO2_LO if steep else _ZERO) + (-tail if steep else tail)))
    return _copysign(_PIO4 if t == _ONE else value, x), True


@_jit
def _asin_parts(a):
    """For 0 <= a <= 1: (small, s, tail), as vecmath's."""
    small = a <= _HALF
    z = a * a if small else (_ONE - a) * _HALF
    s = a if small else np.sqrt(z)
    c = fma(-s, s, z) / (s + s)
    c = _ZERO if (small | (z == _ZERO)) else c
    tail = s * z * (_B0 + z * (_B1 + z * (_B2 + z * (_B3 + z * (_B4 + z * (_B5 + z * _B6)))))) + c
    return small, s, tail


@_jit
def arcsin(x):
    """(arcsin(x) within 2 ULP, ok) for a float32 x; ok False outside [-1, 1] and for NaN."""
    a = abs(x)
    ok = a <= _ONE
    small, s, tail = _asin_parts(a if ok else _ZERO)
    h = _PIO2_HI - _TWO * s
    e = (_PIO2_HI - h) - _TWO * s          # exact: h is within a factor 2 of pi/2 or the subtraction is exact
    value = (s + tail) if small else h + ((e + _PIO2_LO) - _TWO * tail)
    return _copysign(value, x), ok


@_jit
def arccos(x):
    """(arccos(x) within 2 ULP, ok) for a float32 x; ok False outside [-1, 1] and for NaN."""
    # (margin, session 14) two selects where there were eight, and a Fast2Sum for the TwoSum: the same bits. With
    # sgn = +-1 from x's sign bit, arccos = base + cf*(s + tail): |x| <= 1/2: pi/2 - sgn*(s + tail) (cf = -sgn);
    # above: 2*(s + tail) for x > 0, pi - 2*(s + tail) for x < 0 (cf = 2 sgn, base = pi/2 (1 - sgn), both parts of
    # pi being twice pi/2's). |cf*s| <= 1 is below base unless base == 0, so h's error is a Fast2Sum. No select of a:
    # a lane whose ok is False computes garbage (a NaN from the square root: never a trap), its block runs again.
    a = abs(x)
    ok = a <= _ONE
    small, s, tail = _asin_parts(a)
    sgn = _copysign(_ONE, x)
    cf = -sgn if small else _TWO * sgn
    b = _ONE if small else _ONE - sgn      # 1, 0 or 2: base's parts are exact multiples of pi/2's
    base_hi = _PIO2_HI * b
    term = cf * s
    h = base_hi + term
    e = term - (h - base_hi)
    return h + ((e + _PIO2_LO * b) + cf * tail), ok


# --- arcsinh, arccosh, arctanh, arctan2, cbrt (float32 lanes); hypot, power: float32 through float64 lanes -----
# A float32 argument is exact in float64 and its square too (48 bits), so these compute in float64 (with the
# float64 vector functions, or shorter table-driven ones: power's, below) and round once: the result
# is the correctly rounded float32 but for ties closer than 2**-19..2**-25 of its ULP. The C library's float32
# versions do not vectorise; float32 polynomials would save the conversions and are left for later.
_D_ZERO, _D_ONE, _D_MINUS_ONE = 0.0, 1.0, -1.0
_D_PI = float(_PI)


@_jit
def _finite(x):
    return abs(x) <= _LARGEST


# arcsinh, arccosh in float32 lanes (#14 f32hyp): u = a + sqrt(a*a + 1) (x + sqrt(x*x - 1)) as uh + ul: the square
# exact as p + pl (FMA), p +- 1 by Fast2Sum, the square root corrected by its exact residual fma(-s, s, w), the last
# sum by Fast2Sum; then log(u) = log(uh) + ul/uh with the log family's division-free core, and ul/uh as one quotient
# (e + res/(2s))/uh = (2s*e + res)/(2s*uh). Above 2**12, u = 2a to 2**-26 relative: log(a) + ln 2. No series for
# small a: uh = 1 + a is rounded, but its rounding error is in e, so log1p(uh - 1) + ul/uh stays within 1 ULP down
# to 2**-12, below which arcsinh(a) rounds to a. Max 1 ULP (budget 2) on dense sweeps of every range; 1.8x (arcsinh)
# and 1.7x (arccosh) less time per element than the float64-lane versions (docs/vecmath.md, "#14 f32hyp"). (A
# reciprocal by a bit trick and three Newton steps instead of the quotient: 7% slower.)
_HYP_BIG = F(2.0 ** 12)
_ROUNDS_TO_X = F(2.0 ** -12)  # below: arcsinh(a) = a*(1 - a*a/6 + ...), arctanh(a) = a*(1 + a*a/3 + ...) round to a


@_jit
def _log_of_sum(uh, c, big, a):
    """log(uh) + c for uh >= 1 (c ~2**-24 of it), or log(a) + ln 2 where `big`."""
    u = a if big else uh
    k, r = _log_parts(u)
    k = (k + _ONE) if big else k
    return fma(k, _LN2_HI_LOG, _log1p_core(r) + fma(k, _LN2_LO_LOG, _ZERO if big else c))


@_jit
def arcsinh(x):
    """(arcsinh(x) within 1 ULP, ok) for a float32 x: log(a + sqrt(a*a + 1)) of a double-float sum, a = |x|; x itself
    below 2**-12, log(a) + ln 2 above 2**12. ok False for non-finite x."""
    a = abs(x)
    ok = _finite(x)
    ac = min(a, _HYP_BIG)
    p = ac * ac
    pl = fma(ac, ac, -p)
    w_big, w_small = max(p, _ONE), min(p, _ONE)
    wh = w_big + w_small
    wl = ((w_big - wh) + w_small) + pl
    sh = np.sqrt(wh)
    res = fma(-sh, sh, wh) + wl
    uh = sh + ac                         # sh > ac: Fast2Sum
    e = (sh - uh) + ac
    s2 = sh + sh
    value = _log_of_sum(uh, fma(s2, e, res) / (s2 * uh), a > _HYP_BIG, a)
    return (x if a < _ROUNDS_TO_X else _copysign(value, x)), ok  # arcsinh(x) rounds to x (and -0.0 stays)


@_jit
def arccosh(x):
    """(arccosh(x) within 1 ULP, ok) for a float32 x >= 1: log(x + sqrt(x*x - 1)) of a double-float sum; log(x) +
    ln 2 above 2**12. ok False below 1, for NaN and infinity."""
    ok = (x >= _ONE) & _finite(x)
    xc = min(x, _HYP_BIG) if ok else _ONE
    p = xc * xc
    pl = fma(xc, xc, -p)
    wh = p - _ONE                        # p >= 1: Fast2Sum (exact below 2)
    wl = ((p - wh) - _ONE) + pl
    sh = np.sqrt(wh)
    res = fma(-sh, sh, wh) + wl
    uh = xc + sh                         # xc > sh: Fast2Sum
    e = (xc - uh) + sh
    s2 = max(sh + sh, _SMALLEST_NORMAL)  # x == 1: sh == res == 0, so the quotient is 0, not 0/0
    return _log_of_sum(uh, fma(s2, e, res) / (s2 * uh), x > _HYP_BIG, x if ok else _ONE), ok


# arctanh in float32 lanes (#14 f32lanes): 1 + a = uh + ul and 1 - a = dh + dl exactly (Fast2Sum, 1 >= a). Until
# session 14 log(uh) - log(dh) by two of the log family's division-free cores plus ul/uh - dl/dh as one quotient
# (max 2 ULP, NumPy's float32 budget); since #14 s14 tanh one core: (1 + a)/(1 - a) = 2**k (1 + r), r and its
# rounding error from one reciprocal of dh (below): 0.50 -> 0.43 ns per element in the quick kernel, max 1 ULP from
# the correctly rounded result over every positive float32 from 1e-12 to 1 (1.48 ULP from the exact value; 6.6%
# of them not correctly rounded, 20% before). No series below 2**-5 since #14 f32hyp: the rounding of 1 + a is in
# ul, so the log stays within 1 ULP down to 2**-12, below which arctanh(a) rounds to a (x itself: the log alone
# would not give x there, ~7*10^6 floats off by one).


@_jit
def arctanh(x):
    """(arctanh(x) within 2 ULP, ok) for a float32 |x| < 1: log1p(r)/2 + k ln2/2 with (1 + a)/(1 - a) = 2**k (1 + r),
    one log core where the difference of two logs took two (#14 s14 tanh): y = 1/(1 - a), k from the bits of
    1 + 2a*y (rounded: it only picks k, as in log1p), r = (2**-k (1 + a) - (1 - a)) * y with the numerator exact
    (Sterbenz: 2**-k (1 + a) is within a factor 4/3 of 1 - a) and r's rounding error and the low parts of 1 + a and
    1 - a carried as rl, added as rl/(1 + r) ~ rl (1 - r + r*r). x itself below 2**-12."""
    a = abs(x)
    ok = a < _ONE                          # no select of a finite stand-in where not ok (4% of the time): those
    uh = _ONE + a                          # lanes compute garbage, never a trap, and their block runs again
    ul = a - (uh - _ONE)                   # exact: 1 + a = uh + ul
    dh = _ONE - a
    dl = (_ONE - dh) - a                   # exact: 1 - a = dh + dl
    y = _ONE / dh
    k_bits = I((_as_int32(fma(a + a, y, _ONE)) - _TWO_THIRDS_BITS) & _HIGH_BITS)  # k << 23, 1 + q = 2**k m
    scale = _as_float32(I(_ONE_BITS - k_bits))                                    # 2**-k
    k = F(k_bits) * _TWO_M23
    n = fma(scale, uh, -dh)                # exact
    r = n * y
    rl = (fma(-r, dh, n) + (fma(scale, ul, -dl) - r * dl)) * y  # (n + nl)/(dh + dl) - r, first order
    corr = rl * fma(r, r - _ONE, _ONE)     # rl/(1 + r) to ~r**3 relative: rl is ~2**-24 of the result at most
    logs = fma(k, _LN2_HI_LOG, _log1p_core(r) + fma(k, _LN2_LO_LOG, corr))
    return (x if a < _ROUNDS_TO_X else _copysign(_HALF * logs, x)), ok


# cbrt in float32 lanes (#14 f32hyp): |x| = 2**(3q + j) * m, m in [1, 2), j in {0, 1, 2} (e from the exponent
# field converted to a float, q = rint((e - 1)/3): no integer division or shift), M = m * 2**j exact in [1, 8);
# y = CBRT_INV(m) * 2**(-j/3) ~ M**(-1/3) (tools/fit_vecmath32.py: 2**-17.1 relative), t = M*y*y ~ cbrt(M)
# (~2**-16), then one Newton step t - (t**3 - M) * y*y/3, with t**3 - M nearly exact (t*t as hi + lo by FMA)
# and y*y/3 standing in for 1/(3t*t): the step's error is ~2**-14.5 of a ~2**-16 correction, so the result is
# within 0.5 ULP + ~2**-30 relative: max 1 ULP, 0.15% of elements not correctly rounded (5 coefficients: 6%, the
# same time). No division: the float64-lane Halley steps it replaces took two float64 divisions (0.48 -> 0.43 ns
# per element; 0.38 with the exponent taken without a shift).
_CBRT_INV = _f32("0x1.c713e20000000p+0", "-0x1.8dd4be0000000p+0", "0x1.3a267a0000000p+0", "-0x1.2c4b960000000p-1",
                 "0x1.37ce9e0000000p-3", "-0x1.0e87000000000p-6")
_CI0, _CI1, _CI2, _CI3, _CI4, _CI5 = _CBRT_INV
_CBRT_2_M1, _CBRT_2_M2 = F(2.0 ** (-1.0 / 3.0)), F(2.0 ** (-2.0 / 3.0))
_THIRD, _FOUR = F(1.0 / 3.0), F(4.0)
_EXPONENT_BITS, _F128 = I(0x7F800000), F(128.0)
_SHIFTER32 = F(1.5 * 2.0 ** 23)          # e + it rounds e to an integer held in the low mantissa bits (|e| < 2**22)
_I31 = I(31)


@_jit
def cbrt(x):
    """(cbrt(x) within 1 ULP, ok) for a normal or zero float32 x, in float32 lanes: a polynomial start for M**(-1/3)
    and one Newton step; exact cubes stay exact. ok False for subnormal and non-finite x (NumPy's own answers there,
    bit for bit)."""
    # (#14 tancbrt) the polynomial and the residual as FMAs, q by the shifter and 2**q as an integer add to the
    # exponent field (as float64 cbrt does): the same arithmetic up to the roundings of the fused steps
    a = abs(x)
    normal = _normal(a)
    ok = normal | (x == _ZERO)
    bits = _as_int32(a)  # no select: lanes that are not ok compute garbage (never a trap), their block runs again
    e1 = fma(F(I(bits & _EXPONENT_BITS)), _TWO_M23, -_F128)   # e - 1, from the exponent field: no 64-bit shift
    m = _as_float32(I((bits & _MANTISSA) | _ONE_BITS))
    shifted = fma(e1, _THIRD, _SHIFTER32)  # (e - 1)/3 = q + (j - 1)/3: rounds to q, far from a tie
    j1 = fma(-_THREE, shifted - _SHIFTER32, e1)                # j - 1
    big_m = m * (_FOUR if j1 == _ONE else (_TWO if j1 == _ZERO else _ONE))
    m2 = m * m
    y = fma(m2 * m2, fma(m, _CI5, _CI4), fma(m2, fma(m, _CI3, _CI2), fma(m, _CI1, _CI0))) * (
        _CBRT_2_M2 if j1 == _ONE else (_CBRT_2_M1 if j1 == _ZERO else _ONE))
    y2 = y * y
    t = big_m * y2
    t2 = t * t
    residual = fma(fma(t, t, -t2), t, fma(t2, t, -big_m))   # t**3 - M
    t = fma(-residual, y2 * _THIRD, t)                     # in [1, 2]: 2**q by adding q to the exponent field
    # (margin, session 14) +-0.0 by a mask, not a select of x: -bits >> 31 is -1 for a nonzero a (bits in (0, 2**31)),
    # 0 for a zero, whose result keeps only x's sign bit; the same bits, 1.19 -> 1.05 ms per 4*10^6 (the select
    # cost ~12%)
    nonzero = I((-bits) >> _I31)
    value = _as_float32(I(((_as_int32(t) + (_as_int32(shifted) << _I23)) & nonzero) | (_as_int32(x) & _SIGN_MASK)))
    return value, ok


@_jit
def arctan2(y, x):
    """(arctan2(y, x) within 2 ULP, ok) for float32 y, x, in float32 lanes: one quotient t = min/max of |x|, |y| and
    one polynomial for arctan on [0, 1], placed by the octant. ok False for non-finite operands, both zero, and a
    nonzero t below the smallest normal float32 (signed zeros of both, infinities, NaN, underflow: libm). t's own
    rounding (up to 0.8 ULP of the result where arctan(t) is in a lower binade than t, t in [0.5, 0.55)) is not
    corrected: the residual's quotient (small - t*big)/(big*(1 + t*t)) kept the maximum at 1 ULP for 9% more time."""
    ax, ay = abs(x), abs(y)
    big, small = max(ax, ay), min(ax, ay)
    ok = _finite(x) & _finite(y) & (big > _ZERO)
    t = small / big                    # 0/0, inf/inf: NaN where ok is False already (the block goes to libm)
    ok = ok & ((t >= _SMALLEST_NORMAL) | (small == _ZERO))
    steep = ay > ax                    # |y| > |x|: arctan(|y/x|) = pi/2 - arctan(t)
    negative = x < _ZERO               # -0.0 is not: arctan2(y, -0.0) is pi/2 for y != 0, and steep
    hi = _PIO2_HI if steep else (_PI_HI if negative else _ZERO)
    lo = _PIO2_LO if steep else (_PI_LO if negative else _ZERO)
    minus = steep != negative          # base - arctan(t)
    st = -t if minus else t
    tail = _atan_wide_tail(t)
    h = hi + st                        # Fast2Sum: |hi| >= 1 >= t, or hi == 0 (h = st)
    e = (hi - h) + st
    value = h + (e + (lo + (-tail if minus else tail)))
    value = ((_PI3O4 if negative else _PIO4) if t == _ONE else value)   # the diagonals
    return _copysign(value, y), ok


@_jit
def hypot(x, y):
    """(hypot(x, y), ok) for finite float32 x, y: sqrt(x*x + y*y) in float64 (the squares are exact)."""
    ok = _finite(x) & _finite(y)
    xd, yd = np.float64(x), np.float64(y)
    return F(np.sqrt(xd * xd + yd * yd)), ok


# power: table-driven in float64 lanes (#14 tables, docs/vecmath.md). x = 2**k z (z in [OFF, 2 OFF) from the
# bits), log x = k ln 2 + log c + log1p(r) with 1/c and log c from a 16-entry table (z's subinterval: the top 4
# bits of its mantissa), r = z/c - 1 (|r| < 0.044, exact); then t = y log x, and exp(t)
# = 2**(n/16) exp(q) with 2**(j/16) from a third table, |q| <= ln2/32. A 16-entry float64 table fits in two zmm
# registers: on AVX-512 the quick tier looks it up with one permute (``vpermi2pd``: llvm_math.table_load), where
# LLVM's gathers cost ~0.3 ns per element each here; Numba's tier selects among the 16 constants (vecmath.lookup16).
_POW_LIMIT = 700.0  # |y*log(x)| beyond: the float32 result is 0 or inf (|log| of its range <= 104), and 2**(n/16)
# would leave float64's normal range
_LOG_OFF, _TOP12 = T.LOG_OFF_BITS, -(1 << 52)   # z's offset; the sign and exponent field
_TWO_52_BITS, _K_BIAS = 0x4330000000000000, 2.0 ** 52 + 1024.0
_D_LN2 = float(Decimal(2).ln())
_D_SHIFTER = 1.5 * 2.0 ** 52                     # t + it rounds t to an integer held in the low mantissa bits
# log1p(r) = r + r*r*P(r), P of degree 7 fitted on |r| <= 0.0437 (python tools/fit_pow.py; session 14): r*r*P within
# 2**-55.4 absolute, where the Taylor series to r**10 it replaces (one FMA more) reached 2**-53.1: log x within
# ~2**-49 relative next to a table point (|log x| >= 0.015), and t = y log x within ~2**-45 absolute where the
# result is a normal float32 (|t| <= 104)
_PL2, _PL3, _PL4, _PL5, _PL6, _PL7, _PL8, _PL9 = (float.fromhex(h) for h in (
    "-0x1.fffffffffff44p-2", "0x1.55555555554abp-2", "-0x1.000000030047ep-2", "0x1.9999999f0e8aap-3",
    "-0x1.555517f74bf32p-3", "0x1.2492115a17077p-3", "-0x1.00c8b20092d65p-3", "0x1.c8895b79d3ce3p-4"))
# exp(q) = 1 + q + q*q*Q(q), Q of degree 3 fitted on |q| <= ln2/32 (python tools/fit_pow.py; session 14, p32): within
# 2**-45.7 of exp(q), where Taylor to q**6 (one FMA more) reached 2**-51: the float32 result can see neither (t = y
# log x is already ~2**-45 off at |t| ~ 100, its own float64 rounding)
_PE2, _PE3, _PE4, _PE5 = (float.fromhex(h) for h in (
    "0x1.ffffffff57e8ep-2", "0x1.55555555254ecp-3", "0x1.5556b330ee73ap-5", "0x1.1111d8fc2ea59p-7"))
# ln2/16 as one float64 (off by < 2**-58): n times it errs by < 2**-46.8 where the result is a normal float32 (|n| <=
# 2400), by < 2**-44 at |t| = 700 (0 or inf after rounding); n ln2/16 in two parts cost one FMA more
_D_LN2_16 = float(Decimal(2).ln() / 16)


@_jit
def _pow_log_d(a):
    """log(a) to ~2**-49 relative (to 2**-55 absolute, plus the float64 roundings) for a positive normal float64 a
    (garbage, never a trap, for other a)."""
    bits = V64.as_int64(a)
    tmp = bits - _LOG_OFF
    i = (tmp >> T.LOG_SHIFT) & 15                # the 4 bits below z's exponent: z's subinterval
    k = tmp >> 52                                # arithmetic shift: a = 2**k z
    z = V64.as_float64(bits - (tmp & _TOP12))
    # exact, no int64 -> float64 conversion (AVX2); one add where (k + 1024) | 2**52's bits took two (0 <= k + 1024 <
    # 2**52: no carry into the exponent; p32)
    kd = V64.as_float64(k + (_TWO_52_BITS + 1024)) - _K_BIAS
    r = fma(z, V64.lookup16(T.LOG_INVC_T, i), _D_MINUS_ONE)  # exact: 1/c a multiple of 1/16 or 1/32, |r| < 2**-4
    r2 = r * r
    r4 = r2 * r2
    p = fma(r4, fma(r2, fma(r, _PL9, _PL8), fma(r, _PL7, _PL6)),
            fma(r2, fma(r, _PL5, _PL4), fma(r, _PL3, _PL2)))  # Estrin's scheme: three dependent steps
    return fma(kd, _D_LN2, V64.lookup16(T.LOG_C_T, i)) + fma(r2, p, r)


@_jit
def _pow_exp_d(t):
    """exp(t) to ~2**-45 relative for a float64 |t| <= 104, ~2**-44 up to |t| = 700 (no checks)."""
    shifted = fma(t, T.EXP_N_OVER_LN2, _D_SHIFTER)   # n = rint(t * 16/ln 2) in the low mantissa bits
    n = shifted - _D_SHIFTER
    bits = V64.as_int64(shifted)
    q = fma(-n, _D_LN2_16, t)
    # 2**(n/16) = 2**k 2**(j/16), n = 16 k + j: the table's bits of 2**(j/16) less j << 48, plus n << 48 (the
    # shifter's own bits shift out)
    scale = V64.as_float64(V64.lookup16(T.EXP_BITS_T, bits & 15) + (bits << T.EXP_SHIFT))
    q2 = q * q
    p = fma(q2, fma(q2, fma(q, _PE5, _PE4), fma(q, _PE3, _PE2)), q)  # exp(q) - 1, Estrin's scheme
    return fma(scale, p, scale)


@_jit
def power(x, y):
    """(x**y, ok) for float32 x > 0 and finite y: exp(y*log(x)) in float64 with table-driven log and exp; ok False
    for x <= 0, non-finite operands and results far outside float32's range (NumPy's special cases: libm). The
    float64 log is within ~2**-55 absolute, so t = y log x errs by ~2**-45 absolute where the result is a normal
    float32 (|t| <= 104), and the result by ~2**-43 relative before its one rounding to float32 (with the exp's
    2**-45.7 and its one-constant reduction's 2**-46.8, p32): the correctly rounded float32 but for ties closer than
    ~2**-19 of its ULP (NumPy's powf: within 1 ULP). Subnormal x are
    normal float64s: computed here, correctly rounded (the C library's powf is not)."""
    # the log's argument depends on x alone, so where x is the same for a whole row (x[:, None] ** y) LLVM hoists the
    # log out of the row's loop (2.4 -> 5.4 ms for 2000 x 2000 with a select on y's flag in front of it). (session
    # 14) No select at all: a lane whose ok is False gets garbage, never a trap (bit operations, FMAs), and its block
    # is recomputed; |t| <= _POW_LIMIT is False for a non-finite y (t infinite or NaN, also for x = 1)
    t = np.float64(y) * _pow_log_d(np.float64(x))
    ok = (x > _ZERO) & (x <= _LARGEST) & (abs(t) <= _POW_LIMIT)  # x finite: no abs after x > 0 (p32)
    return F(_pow_exp_d(t)), ok
