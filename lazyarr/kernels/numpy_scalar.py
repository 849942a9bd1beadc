"""Scalar functions that generated kernels call where Numba's own ufunc lowering differs from NumPy.

Each exists because a differential test against NumPy found a difference (or a crash: Numba's integer
``np.floor_divide`` raises SIGFPE on ``INT_MIN // -1``). They are plain ``njit`` functions so that kernels
importing this module stay disk-cacheable; kernels are inlined copies of them after LLVM optimisation.
"""
import math

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic, overload

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


# --- wrapping integer arithmetic ---------------------------------------------------------------------------
# NumPy's integer + - * wrap around. Numba emits `mul nsw` for np.multiply on signed ints and `add/sub/mul nsw`
# for Python's operators on int64: "no signed wrap", so an overflow is poison and LLVM may assume it never
# happens. It did: a fused int8 product summed in int64 lost its wraparound (sext(trunc(mul nsw)) folded to a
# wide multiply). These emit the plain instructions, in the first operand's type.

def _wrapping(opname: str):
    @intrinsic
    def op(typingctx, a, b):
        if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
            return None

        def codegen(context, builder, signature, args):
            x, y = args
            y = context.cast(builder, y, b, a)  # wraps or extends as NumPy's casts do
            return getattr(builder, opname)(x, y)

        return a(a, b), codegen

    return op


wrapping_add = _wrapping("add")
wrapping_sub = _wrapping("sub")
wrapping_mul = _wrapping("mul")


# --- integer division: NumPy returns 0 for x // 0 and x % 0, and INT_MIN // -1 wraps to INT_MIN ----------

@_jit
def int_floor_divide(a, b):
    if b == 0:
        return a - a  # zero of the operand type
    if b == -1:
        return wrapping_sub(a - a, a)  # wraps INT_MIN to INT_MIN, as NumPy
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
    result = like(a, 1)  # in a's own type: each product wraps as NumPy's loop does
    base = a
    while b > 0:
        if b & 1:
            result = wrapping_mul(result, base)
        b >>= 1
        if b > 0:
            base = wrapping_mul(base, base)
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


@_jit
def half_nextafter(x, y):
    """nextafter in half precision, on float32 carriers."""
    if x != x or y != y:
        return x + y
    if x == y:
        return y
    if x == 0:
        bits = np.int64(1) | (np.int64(0x8000) if y < 0 else np.int64(0))
        return half_bits_to_float(bits)
    bits = np.int64(half_float_to_bits(x))
    bits += 1 if (x < y) == (x > 0) else -1
    return half_bits_to_float(bits)


@_jit
def half_spacing(x):
    if x != x or x == np.inf or x == -np.inf:
        return x - x + np.float32(np.nan)
    if x == 0:
        return half_bits_to_float(1)
    if x < 0:
        # NumPy's float16 spacing of a negative value is the (positive) gap towards zero, unlike float32/64.
        return round_to_half(half_nextafter(x, np.float32(0.0)) - x)
    return round_to_half(half_nextafter(x, np.float32(np.inf)) - x)


# --- small ufuncs NumPy has and Numba does not ----------------------------------------------------------

@_jit
def heaviside(x, h0):
    if x != x:
        return x
    if x == 0:
        return h0
    return 1.0 if x > 0 else 0.0


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
        # like(a, 1), not the literal 1: uint64 - int64 is float64 in Numba, and the function's return type
        # with it, which rounded every uint64 shift above 2**53 (s15 sweep).
        return a - a - like(a, 1) if a < 0 else a - a
    return a >> b


# --- helpers for type-generic float code: literals must not widen float32 to float64 -------------------

def like(x, value):
    """`value` as a constant of x's Numba type (njit code only)."""
    raise NotImplementedError


@overload(like)
def _like_impl(x, value):
    nbtype = x
    return lambda x, value: nbtype(value)


@intrinsic
def fma(typingctx, a, b, c):
    """Fused multiply-add a*b + c with one rounding (llvm.fma), as NumPy's FMA-contracted loops compute."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        ty = context.get_value_type(a)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ty, [ty] * 3), f"llvm.fma.f{a.bitwidth}")
        return builder.call(fn, args)

    return a(a, b, c), codegen


@intrinsic
def num_threads(typingctx):
    """Numba's ``get_num_threads()`` (this thread's setting) by symbol, for the reason given below."""
    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(cgutils.intp_t, []), "get_num_threads")
        return builder.call(fn, [])

    return types.intp(), codegen


@intrinsic
def set_parallel_chunksize(typingctx, n):
    """Numba's ``set_parallel_chunksize(n)`` for the calling thread; returns the previous chunk size.

    Numba's own jit versions of these two call the threading library through ctypes pointers, dynamic globals
    that stop Numba from caching the kernel on disk. This calls the same C function by the symbol name Numba registers
    when it starts its threads (which a parallel kernel does before it runs, also when loaded from disk)."""
    if not isinstance(n, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(i64, [i64]), "set_parallel_chunksize")
        return builder.call(fn, [context.cast(builder, args[0], n, types.uint64)])

    return types.uint64(n), codegen


# --- sign, reciprocal, lcm, ldexp, spacing, angles: where Numba's lowering differs from NumPy ----------

@_jit
def sign(x):
    # NumPy: +0 for both zeros, NaN stays NaN, and unsigned values are never negative.
    if x > 0:
        return like(x, 1)
    if x < 0:
        return like(x, -1)
    if x == 0:
        return like(x, 0)
    return x


@_jit
def uint_reciprocal(x):
    # NumPy computes 1.0 / x and converts; 1/0 = inf converts to 0 for unsigned types on x86.
    if x == 0:
        return x
    return x - x + (1 if x == 1 else 0)


def reciprocal_of_zero(x):
    """NumPy's ``reciprocal(0)`` for x's signed integer type (njit code only)."""
    raise NotImplementedError


@overload(reciprocal_of_zero)
def _reciprocal_of_zero_impl(x):
    # NumPy converts 1.0 / 0 = inf with x86's 32- or 64-bit conversion, whose "indefinite" answer is the
    # minimum of that width: int32 and int64 give their minimum, int8 and int16 its low bits, 0.
    nbtype, value = x, (-(1 << (x.bitwidth - 1)) if x.bitwidth >= 32 else 0)
    return lambda x: nbtype(value)


@_jit
def int_reciprocal(x):
    # NumPy computes 1.0 / x and converts: 1 and -1 are their own reciprocals, other values truncate to 0.
    if x == 0:
        return reciprocal_of_zero(x)
    return x if x == 1 or x == -1 else x - x


@_jit
def lcm(a, b):
    # |a| / gcd * |b| in the operand type, wrapping on overflow as NumPy does.
    a, b = abs(a), abs(b)
    g = np.gcd(a, b)
    if g == 0:
        return a - a
    return wrapping_mul(a // g, b)


@_jit
def ldexp(x, e):
    # Any exponent beyond +-2**12 already over/underflows every float; clamping keeps it in C int range.
    if e > 4096:
        e = 4096
    elif e < -4096:
        e = -4096
    return np.ldexp(x, np.int32(e))


@_jit
def spacing(x):
    if x != x or x == np.inf or x == -np.inf:
        return x - x + np.nan
    if x == 0:
        return np.nextafter(like(x, 0.0), like(x, 1.0))
    return np.nextafter(x, like(x, math.copysign(np.inf, x))) - x


@_jit
def rad2deg(x):
    return x * (like(x, 180.0) / like(x, np.pi))


@_jit
def deg2rad(x):
    return x * (like(x, np.pi) / like(x, 180.0))


@_jit
def float_floor_divide(a, b):
    # NumPy's floor division for floats: from fmod, so inf // 1 is nan and the result is exact.
    if b == 0:
        return a / b
    mod = np.fmod(a, b)
    div = (a - mod) / b
    if mod != 0 and ((b < 0) != (mod < 0)):
        div -= like(a, 1.0)
    if div != 0:
        floordiv = np.floor(div)
        if div - floordiv > like(a, 0.5):
            floordiv += like(a, 1.0)
        return floordiv
    return math.copysign(like(a, 0.0), a / b)


@_jit
def float_remainder(a, b):
    # NumPy's remainder for floats: the sign of the divisor, and a zero result takes the divisor's sign.
    if b == 0:
        return np.fmod(a, b)
    mod = np.fmod(a, b)
    if mod != 0:
        if (b < 0) != (mod < 0):
            mod += b
    else:
        mod = math.copysign(like(a, 0.0), b)
    return mod


@_jit
def half_maximum(a, b):
    # float16 (in its float32 carrier): NumPy's half loop is scalar C, `a >= b || isnan(a) ? a : b`, so a tie
    # of zeros gives the first operand, unlike the float32/float64 SIMD loops (s15 sweep)
    return a if a >= b or a != a else b


@_jit
def half_minimum(a, b):
    return a if a <= b or a != a else b


@_jit
def float_maximum(a, b):
    # NaN propagates; on ties NumPy returns the second operand (so maximum(-0.0, 0.0) is 0.0).
    if a != a:
        return a
    if b != b:
        return b
    return a if a > b else b


@_jit
def float_minimum(a, b):
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b


@_jit
def float_to_uint64(x):
    # What C's (uint64_t)double compiles to on x86-64, which is what NumPy's cast does: values below 2**63
    # convert as signed (so -2.7 becomes 2**64 - 2), larger ones are offset by 2**63.
    if x < 9.223372036854775808e18:
        return np.uint64(np.int64(x))
    return np.uint64(np.int64(x - 9.223372036854775808e18)) ^ np.uint64(0x8000000000000000)


# --- complex arithmetic with NumPy's exact formulas (FMA-contracted on this CPU, Smith's division) ------

@_jit
def cmul(a, b):
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    return complex(fma(ar, br, -(ai * bi)), fma(ar, bi, ai * br))


@_jit
def cdiv(a, b):
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    abs_br, abs_bi = abs(br), abs(bi)
    if abs_br >= abs_bi:
        if abs_br == 0 and abs_bi == 0:
            return complex(ar / abs_br, ai / abs_br)
        rat = bi / br
        scl = like(br, 1.0) / (br + bi * rat)
        return complex((ar + ai * rat) * scl, (ai - ar * rat) * scl)
    rat = br / bi
    scl = like(br, 1.0) / (bi + br * rat)
    return complex((ar * rat + ai) * scl, (ai * rat - ar) * scl)


@_jit
def crecip(z):
    zr, zi = z.real, z.imag
    one = like(zr, 1.0)
    if abs(zi) <= abs(zr):
        r = zi / zr
        d = zr + zi * r
        return complex(one / d, -r / d)
    r = zr / zi
    d = zr * r + zi
    return complex(r / d, -one / d)


@_jit
def cabs(z):
    """|z| as NumPy's SIMD loop computes it (larger * sqrt(1 + r*r), r = smaller / larger). (mandel3 #15)
    Selects, no early returns: a branch per element kept LLVM from vectorising the loop, 5x NumPy's time on a
    complex grid (mandelbrot's ``np.abs(z)``). The special cases in NumPy's order: an infinite part makes both
    infinite (inf + j*nan is inf), then a NaN part makes both NaN; no division where larger is 0 or both are
    infinite."""
    re, im = abs(z.real), abs(z.imag)
    inf, nan = like(re, np.inf), like(re, np.nan)
    im_was_inf = im == inf
    im = inf if re == inf else im
    re = inf if im_was_inf else re
    re_is_nan, im_is_nan = re != re, im != im
    im = nan if re_is_nan else im
    re = nan if im_is_nan else re
    big = re if re > im else im
    small = im if re > im else re
    divides = not (big == 0 or small == inf)
    q = small / big if divides else like(re, 0.0)
    return big * np.sqrt(fma(q, q, like(q, 1.0)))


# --- arg-reductions: first index of the extreme value; the first NaN wins, as in NumPy -----------------

@_jit
def argmax_update(best, best_i, v, i):
    if best_i >= 0 and (best != best or not (v > best or v != v)):
        return best, best_i
    return v, np.int64(i)


@_jit
def argmin_update(best, best_i, v, i):
    if best_i >= 0 and (best != best or not (v < best or v != v)):
        return best, best_i
    return v, np.int64(i)


# --- surface/gathers: an integer index read inside a fused kernel (compiler/schedule.py's in-kernel gathers) ---

@_jit
def gather_index(i, n, err):
    """Index `i` into an axis of length `n` as NumPy reads it: a negative index counts from the end. An index
    still outside [0, n) is NumPy's IndexError: a parallel loop cannot raise, so it sets ``err[0]`` (only ever
    to 1, so threads racing on it agree) and reads element 0 instead; the runtime raises after the kernel."""
    j = np.int64(i)
    if j < 0:
        j += n
    if j < 0 or j >= n:
        err[0] = 1
        return np.int64(0)
    return j
