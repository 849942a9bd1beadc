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


# tanh on a table (session 15, vm3; docs/vecmath.md "Session 15: vm3"): NumPy's AVX-512 float32 tanh (SVML's method)
# has no exp and no division, a degree-6 polynomial per interval of |x| with its coefficients looked up in registers,
# ~0.18 ns per element here, where e/(e + 2) with e = expm1(2|x|) took ~0.3. The same here: 32 intervals of |x| by
# its exponent and top two mantissa bits (i = (bits(t) - bits(3/64)) >> 21, t = |x| clamped to [3/64, 10]): [0,
# 7/128), quarter binades up to 10, and [10, inf) where tanh is 1.0 in float32 (from ~9.01). Each entry of a table
# below is one interval's (python tools/fit_tanh32.py: Chebyshev fits, float32 coefficients, at most 0.85 ULP of fit
# error before the float32 evaluation). Seven coefficients and the centre: eight lookups of 32 float32, on the quick
# tier one vpermi2ps per 16 lanes each, on Numba's 31 selects each (vecmath.lookup32).
_TANH_CENTRE = _f32("0x0.0p+0", "0x1.e000000000000p-5", "0x1.2000000000000p-4", "0x1.6000000000000p-4",
                    "0x1.a000000000000p-4", "0x1.e000000000000p-4", "0x1.2000000000000p-3", "0x1.6000000000000p-3",
                    "0x1.a000000000000p-3", "0x1.e000000000000p-3", "0x1.2000000000000p-2", "0x1.6000000000000p-2",
                    "0x1.a000000000000p-2", "0x1.e000000000000p-2", "0x1.2000000000000p-1", "0x1.6000000000000p-1",
                    "0x1.a000000000000p-1", "0x1.e000000000000p-1", "0x1.2000000000000p+0", "0x1.6000000000000p+0",
                    "0x1.a000000000000p+0", "0x1.e000000000000p+0", "0x1.2000000000000p+1", "0x1.6000000000000p+1",
                    "0x1.a000000000000p+1", "0x1.e000000000000p+1", "0x1.2000000000000p+2", "0x1.6000000000000p+2",
                    "0x1.a000000000000p+2", "0x1.e000000000000p+2", "0x1.2000000000000p+3", "0x1.4000000000000p+3")
_TANH_C0 = _f32("0x0.0p+0", "0x1.df73920000000p-5", "0x1.1f86be0000000p-4", "0x1.5f22d20000000p-4",
                "0x1.9e93560000000p-4", "0x1.ddd0920000000p-4", "0x1.1e1dd00000000p-3", "0x1.5c93080000000p-3",
                "0x1.9a5f1c0000000p-3", "0x1.d7665c0000000p-3", "0x1.18a39a0000000p-2", "0x1.52c2c60000000p-2",
                "0x1.8a87e20000000p-2", "0x1.bfae6a0000000p-2", "0x1.0508700000000p-1", "0x1.3157e00000000p-1",
                "0x1.5789000000000p-1", "0x1.77d8380000000p-1", "0x1.9e5cb60000000p-1", "0x1.c278a60000000p-1",
                "0x1.d9c6fa0000000p-1", "0x1.e8789e0000000p-1", "0x1.f4bfd60000000p-1", "0x1.fbd50a0000000p-1",
                "0x1.fe767a0000000p-1", "0x1.ff6f180000000p-1", "0x1.ffdfa80000000p-1", "0x1.fffba00000000p-1",
                "0x1.ffff680000000p-1", "0x1.ffffec0000000p-1", "0x1.fffffe0000000p-1", "0x1.0000000000000p+0")
_TANH_C1 = _f32("0x1.0000000000000p+0", "0x1.fe3f080000000p-1", "0x1.fd7a220000000p-1", "0x1.fc3cbe0000000p-1",
                "0x1.fac13e0000000p-1", "0x1.f9085a0000000p-1", "0x1.f601ca0000000p-1", "0x1.f12b000000000p-1",
                "0x1.eb715a0000000p-1", "0x1.e4dfb20000000p-1", "0x1.d98b360000000p-1", "0x1.c7f7240000000p-1",
                "0x1.b3ff2e0000000p-1", "0x1.9e23ae0000000p-1", "0x1.7aeae60000000p-1", "0x1.49e6c00000000p-1",
                "0x1.197fce0000000p-1", "0x1.d834d20000000p-2", "0x1.6150020000000p-2", "0x1.cea7440000000p-3",
                "0x1.265e340000000p-3", "0x1.6fcfa60000000p-4", "0x1.64108a0000000p-5", "0x1.09a7a80000000p-6",
                "0x1.88ef6e0000000p-8", "0x1.21a7b40000000p-9", "0x1.02c03c0000000p-11", "0x1.1834740000000p-14",
                "0x1.2f61b40000000p-17", "0x1.48779c0000000p-20", "0x1.060ca80000000p-24", "0x0.0p+0")
_TANH_C2 = _f32("-0x1.c34b320000000p-35", "-0x1.ddcf240000000p-5", "-0x1.1e1c0a0000000p-4", "-0x1.5c8e360000000p-4",
                "-0x1.9a54160000000p-4", "-0x1.d750040000000p-4", "-0x1.18883c0000000p-3", "-0x1.5279fe0000000p-3",
                "-0x1.89e5100000000p-3", "-0x1.be6cb80000000p-3", "-0x1.038f720000000p-2", "-0x1.2daf9a0000000p-2",
                "-0x1.4ff7140000000p-2", "-0x1.6a1d3a0000000p-2", "-0x1.825df80000000p-2", "-0x1.897d280000000p-2",
                "-0x1.79c0e00000000p-2", "-0x1.5aa21c0000000p-2", "-0x1.1defac0000000p-2", "-0x1.970e080000000p-3",
                "-0x1.10646e0000000p-3", "-0x1.5ee8920000000p-4", "-0x1.5c3d8e0000000p-5", "-0x1.077e0c0000000p-6",
                "-0x1.87c1660000000p-8", "-0x1.2155b60000000p-9", "-0x1.02aeca0000000p-11", "-0x1.1830dc0000000p-14",
                "-0x1.2f600e0000000p-17", "-0x1.4876260000000p-20", "-0x1.05bf4a0000000p-24", "0x0.0p+0")
_TANH_C3 = _f32("-0x1.5555520000000p-2", "-0x1.50ab260000000p-2", "-0x1.4ea1600000000p-2", "-0x1.4b5ad00000000p-2",
                "-0x1.4774280000000p-2", "-0x1.42f17c0000000p-2", "-0x1.3b134e0000000p-2", "-0x1.2ea3fc0000000p-2",
                "-0x1.202a340000000p-2", "-0x1.0fdf040000000p-2", "-0x1.e91ee60000000p-3", "-0x1.98587e0000000p-3",
                "-0x1.4271f40000000p-3", "-0x1.d71f6a0000000p-4", "-0x1.bd0b840000000p-5", "0x1.d76aa80000000p-7",
                "0x1.072cca0000000p-4", "0x1.84349c0000000p-4", "0x1.c68d840000000p-4", "0x1.97d80c0000000p-4",
                "0x1.33df200000000p-4", "0x1.a85c1c0000000p-5", "0x1.bbce5e0000000p-6", "0x1.5994740000000p-7",
                "0x1.0396400000000p-8", "0x1.80e7280000000p-10", "0x1.5860760000000p-12", "0x1.7529e60000000p-15",
                "0x1.9410440000000p-18", "0x1.b57aaa0000000p-21", "0x1.5680940000000p-25", "0x0.0p+0")
_TANH_C4 = _f32("-0x1.ccad5e0000000p-18", "0x1.3ce71a0000000p-5", "0x1.7aa8e20000000p-5", "0x1.cb9e180000000p-5",
                "0x1.0d59460000000p-4", "0x1.33cb700000000p-4", "0x1.6b179e0000000p-4", "0x1.afb1060000000p-4",
                "0x1.ed90080000000p-4", "0x1.11f6e80000000p-3", "0x1.3316e00000000p-3", "0x1.50369a0000000p-3",
                "0x1.5c35ac0000000p-3", "0x1.5864ea0000000p-3", "0x1.3a4d4a0000000p-3", "0x1.e982480000000p-4",
                "0x1.4716ea0000000p-4", "0x1.626a1c0000000p-5", "0x1.ac41b00000000p-9", "-0x1.5dd5e40000000p-6",
                "-0x1.9d2a820000000p-6", "-0x1.55d6520000000p-6", "-0x1.93cb2e0000000p-7", "-0x1.4e3bb60000000p-8",
                "-0x1.00779c0000000p-9", "-0x1.7f36140000000p-11", "-0x1.5838900000000p-13", "-0x1.75504c0000000p-16",
                "-0x1.9445ce0000000p-19", "-0x1.b5b6620000000p-22", "-0x1.59bd820000000p-26", "0x0.0p+0")
_TANH_C5 = _f32("0x1.11c9760000000p-3", "0x1.09294a0000000p-3", "0x1.05b7b60000000p-3", "0x1.0038080000000p-3",
                "0x1.f3699a0000000p-4", "0x1.e473360000000p-4", "0x1.ca8d1c0000000p-4", "0x1.a25f920000000p-4",
                "0x1.74a4b20000000p-4", "0x1.428aca0000000p-4", "0x1.e3c8d40000000p-5", "0x1.05c5660000000p-5",
                "0x1.8484a00000000p-8", "-0x1.1920fa0000000p-6", "-0x1.642aee0000000p-5", "-0x1.f85e600000000p-5",
                "-0x1.00b0d40000000p-4", "-0x1.b2aa820000000p-5", "-0x1.0675a40000000p-5", "-0x1.37c11c0000000p-7",
                "0x1.6db0200000000p-10", "0x1.2d87e00000000p-8", "0x1.04a04e0000000p-8", "0x1.f5f54a0000000p-10",
                "0x1.93f5960000000p-11", "0x1.32dca60000000p-12", "0x1.1e7bdc0000000p-14", "0x1.375f560000000p-17",
                "0x1.514b2a0000000p-20", "0x1.6d35280000000p-23", "0x1.48f86c0000000p-27", "0x0.0p+0")
_TANH_C6 = _f32("-0x1.e246980000000p-8", "-0x1.64a7360000000p-6", "-0x1.a8d4200000000p-6", "-0x1.008bc00000000p-5",
                "-0x1.2ae2e60000000p-5", "-0x1.5327ee0000000p-5", "-0x1.8b0ec00000000p-5", "-0x1.cc38ee0000000p-5",
                "-0x1.00a7880000000p-4", "-0x1.14ae180000000p-4", "-0x1.25e5ac0000000p-4", "-0x1.260fa00000000p-4",
                "-0x1.0f2c560000000p-4", "-0x1.cdca020000000p-5", "-0x1.313da80000000p-5", "-0x1.7c5c180000000p-7",
                "0x1.da08ca0000000p-8", "0x1.162eb00000000p-6", "0x1.2ed8ea0000000p-6", "0x1.67766c0000000p-7",
                "0x1.0da2f40000000p-8", "0x1.5399ac0000000p-11", "-0x1.79ac400000000p-11", "-0x1.1df85c0000000p-11",
                "-0x1.fe41a00000000p-13", "-0x1.90ae260000000p-14", "-0x1.7876320000000p-16", "-0x1.9aa9fe0000000p-19",
                "-0x1.bd11ee0000000p-22", "-0x1.e1ef840000000p-25", "-0x1.a54f6a0000000p-29", "0x0.0p+0")
_TANH_LOW, _TANH_LOW_BITS, _TANH_SHIFT, _I31 = F(0.046875), I(0x3D400000), I(21), I(31)


@_jit
def tanh(x):
    """(tanh(x) within 2 ULP, ok) for a float32 x: C0 + y*(C1 + ... + y*C6), y = |x| - centre of |x|'s interval,
    the eight numbers from 32-entry tables; ok False for NaN only (max 1.32 ULP from the correctly rounded result
    over every float32, NumPy's budget 2)."""
    a = abs(x)
    ok = a == a
    m = min(a, _TANH_ONE)           # 10 and beyond: interval 31 (C0 = 1, the rest 0: y = 0, no inf * 0); NaN stays
    t = max(m, _TANH_LOW)           # below 3/64: interval 0 (centre 0, C0 = 0, C1 = 1: tiny and subnormal x give x)
    i = I(I(_as_int32(t) - _TANH_LOW_BITS) >> _TANH_SHIFT) & _I31   # NaN: some interval (its block is libm's)
    y = m - V64.lookup32(_TANH_CENTRE, i)   # exact: m and the centre within a factor 2 (Sterbenz), or the centre 0
    p = fma(V64.lookup32(_TANH_C6, i), y, V64.lookup32(_TANH_C5, i))
    p = fma(p, y, V64.lookup32(_TANH_C4, i))
    p = fma(p, y, V64.lookup32(_TANH_C3, i))
    p = fma(p, y, V64.lookup32(_TANH_C2, i))
    p = fma(p, y, V64.lookup32(_TANH_C1, i))
    p = fma(p, y, V64.lookup32(_TANH_C0, i))   # x = +-0: +0 here, signed by the copysign
    return _copysign(p, x), ok


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
