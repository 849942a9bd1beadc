"""Scalar functions that generated kernels call where Numba's own ufunc lowering differs from NumPy.

Each exists because a differential test against NumPy found a difference (or a crash: Numba's integer
``np.floor_divide`` raises SIGFPE on ``INT_MIN // -1``). They are plain ``njit`` functions so that kernels
importing this module stay disk-cacheable; kernels are inlined copies of them after LLVM optimisation.
"""
import math

import numba
import numpy as np
from numba.extending import overload

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


# --- integer division: NumPy returns 0 for x // 0 and x % 0, and INT_MIN // -1 wraps to INT_MIN ----------

@_jit
def int_floor_divide(a, b):
    if b == 0:
        return a - a  # zero of the operand type
    if b == -1:
        return -a  # wraps INT_MIN to INT_MIN, as NumPy
    q = a // b
    return q


@_jit
def int_remainder(a, b):
    if b == 0 or b == -1:
        return a - a
    return a % b


@_jit
def int_fmod(a, b):
    if b == 0 or b == -1:
        return a - a
    r = a % b
    # C truncated remainder: the result takes the sign of the dividend.
    if r != 0 and ((r < 0) != (a < 0)):
        r -= b
    return r


@_jit
def int_power(a, b):
    if b < 0:
        raise ValueError("Integers to negative integer powers are not allowed.")
    result = a - a + 1
    base = a
    while b > 0:
        if b & 1:
            result = result * base
        b >>= 1
        if b > 0:
            base = base * base
    return result


# --- float16: carried as float32 holding a value exactly representable in half precision -----------------

@_jit
def round_to_half(x):
    """Round a float to the nearest float16 value (ties to even); returns float32."""
    v = np.float64(x)
    a = abs(v)
    if a != a:
        return np.float32(v)
    if a < 6.103515625e-05:  # below 2**-14 halves are subnormal with a fixed quantum of 2**-24
        return np.float32(math.copysign(np.rint(a * 16777216.0) / 16777216.0, v))
    bits = np.int64(np.float64(a).view(np.int64))
    lsb = (bits >> 42) & 1
    bits = (bits + 0x1FFFFFFFFFF + lsb) & ~np.int64(0x3FFFFFFFFFF)
    r = np.int64(bits).view(np.float64)
    if r > 65504.0:
        r = np.inf
    return np.float32(math.copysign(r, v))


@_jit
def half_bits_to_float(h):
    """Decode IEEE binary16 bits (uint16) to float32."""
    h = np.int64(h)
    sign = -1.0 if (h >> 15) & 1 else 1.0
    exp = (h >> 10) & 0x1F
    frac = h & 0x3FF
    if exp == 0:
        return np.float32(sign * math.ldexp(np.float64(frac), -24))
    if exp == 31:
        return np.float32(sign * np.inf) if frac == 0 else np.float32(np.nan)
    return np.float32(sign * math.ldexp(np.float64(frac + 1024), exp - 25))


@_jit
def half_float_to_bits(x):
    """Encode a float32 that already holds a half-precision value as binary16 bits (uint16)."""
    v = np.float64(x)
    sign = np.uint16(0x8000) if math.copysign(1.0, v) < 0 else np.uint16(0)
    a = abs(v)
    if a != a:
        return np.uint16(sign | 0x7E00)
    if a == np.inf:
        return np.uint16(sign | 0x7C00)
    if a < 6.103515625e-05:
        return np.uint16(sign | np.uint16(np.int64(a * 16777216.0)))
    m, e = math.frexp(a)  # a = m * 2**e, 0.5 <= m < 1
    frac = np.int64((m * 2.0 - 1.0) * 1024.0)
    return np.uint16(sign | np.uint16(((e + 14) << 10) | frac))


# --- small ufuncs NumPy has and Numba does not ----------------------------------------------------------

@_jit
def heaviside(x, h0):
    if x != x:
        return x
    if x == 0:
        return h0
    return x - x + (1 if x > 0 else 0)


@_jit
def bitwise_count(x):
    v = np.uint64(abs(np.int64(x))) if x < 0 else np.uint64(x)
    n = 0
    while v:
        v &= v - np.uint64(1)
        n += 1
    return np.uint8(n)


@_jit
def clip(x, lo, hi):
    # NumPy's clip propagates a NaN from any of its three operands, in this order.
    if x != x:
        return x
    if lo != lo:
        return lo
    if hi != hi:
        return hi
    return min(max(x, lo), hi)


# --- shifts: NumPy defines over-wide and negative shift counts (C leaves them undefined) -------------------

def _bits(x):
    """Bit width of an integer scalar's type (usable in njit code only)."""
    raise NotImplementedError


@overload(_bits)
def _bits_impl(x):
    width = np.uint64(x.bitwidth)
    return lambda x: width


@_jit
def left_shift(a, b):
    if b < 0 or np.uint64(b) >= _bits(a):
        return a - a
    return a << b


@_jit
def right_shift(a, b):
    if b < 0 or np.uint64(b) >= _bits(a):
        return a - a - 1 if a < 0 else a - a
    return a >> b
