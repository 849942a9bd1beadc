"""Branch-free sin and cos that LLVM can vectorise, each with a flag saying whether its answer is exact enough.

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
float32 (and float16, carried in float32) are computed in float64 and rounded once, so they are nearly
correctly rounded.
"""
from decimal import Decimal, getcontext
from fractions import Fraction
from math import factorial

import numba
import numpy as np

from .scalar import fma

_jit = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")

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
    return r + (z * r) * (_S3 + z * (_S5 + z * (_S7 + z * (_S9 + z * (_S11 + z * (_S13 + z * _S15))))))


@_jit
def _cos_poly(z):
    half = 0.5 * z
    w = 1.0 - half
    tail = z * z * (_C4 + z * (_C6 + z * (_C8 + z * (_C10 + z * (_C12 + z * (_C14 + z * _C16))))))
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
    return _quadrant(r, k & 3), ok


@_jit
def cos(x):
    """(cos(x) within 1 ULP, ok) for a float64 x."""
    r, k, ok = _reduce(x)
    return _quadrant(r, (k + 1) & 3), ok
