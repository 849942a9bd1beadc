"""The 32-interval table of float32 tanh (``vecmath32.tanh``, docs/vecmath.md "Session 15: vm3"): for each interval
of |x| a polynomial of degree 6 around its centre, Chebyshev fits in 60-digit arithmetic (mpmath), each coefficient
rounded to float32, and the fit's error measured after that rounding.

    python tools/fit_tanh32.py      # prints the float.hex tables pasted into lazyarr/kernels/vecmath32.py

The intervals follow |x|'s bits, as NumPy's AVX-512 float32 tanh (SVML's method) does: i = (bits(t) - bits(3/64)) >>
21 with t = max(|x|, 3/64) clamped to 10, so interval 0 is [0, 7/128), intervals 1..30 are quarter binades (the
exponent and the top two mantissa bits) from 7/128 to 10, and interval 31 is [10, inf), where tanh is 1.0 in float32
(from ~9.01 on). tanh(|x|) = C0 + y*(C1 + y*(... + y*C6)), y = min(|x|, 10) - centre: exact (Sterbenz: |x| and the
centre within a factor 2), Horner's scheme with FMAs. Interval 0's centre is 0 with C0 = 0 and C1 = 1 exactly, so
subnormal and tiny x give x itself and +-0 gives +-0.
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 60

N = 32
DEGREE = 6
BASE_BITS = 0x3D400000          # 3/64 = 0.046875: interval 0 is everything below BASE + (1 << 21)
SHIFT = 21                      # 23 - 2: the exponent and the top two mantissa bits
TOP = 10.0                      # |x| is clamped to it: interval 31, where tanh rounds to 1


def as_float(bits: int) -> float:
    return float(np.int32(bits).view(np.float32))


def interval(i: int) -> tuple:
    """(low, high, centre) of interval i as exact floats (high = inf for the last)."""
    if i == 0:
        return 0.0, as_float(BASE_BITS + (1 << SHIFT)), 0.0
    if i == N - 1:
        return TOP, float("inf"), TOP
    low, high = as_float(BASE_BITS + (i << SHIFT)), as_float(BASE_BITS + ((i + 1) << SHIFT))
    return low, high, (low + high) / 2   # the midpoint of a quarter binade: a float32 (one bit more than its ends)


def fit(i: int) -> list:
    """The 7 float32 coefficients (ascending powers of y) of interval i."""
    low, high, centre = interval(i)
    if i == N - 1:
        return [1.0] + [0.0] * DEGREE
    if i == 0:
        # tanh(y) = y + y*y*h(y): C0 = 0 and C1 = 1 exactly, h fitted (degree 4)
        def h(y):
            y = max(y, mp.mpf(10) ** -30)
            return (mp.tanh(y) - y) / (y * y)
        coeffs = mp.chebyfit(h, [mp.mpf(0), mp.mpf(high)], DEGREE - 1)
        return [0.0, 1.0] + [float(np.float32(float(c))) for c in reversed(coeffs)]
    coeffs = mp.chebyfit(lambda y: mp.tanh(mp.mpf(centre) + y), [mp.mpf(low - centre), mp.mpf(high - centre)],
                         DEGREE + 1)
    return [float(np.float32(float(c))) for c in reversed(coeffs)]


def ulp32(v) -> mp.mpf:
    """The float32 ULP at |v| (v normal, below 1)."""
    return mp.mpf(2) ** (int(mp.floor(mp.log(abs(v), 2))) - 23)


def max_error(i: int, coeffs: list) -> mp.mpf:
    """max |P(y) - tanh(centre + y)| in float32 ULPs of tanh over a grid of the interval (P with the float32
    coefficients, exactly): the fit's part of the error, before the float32 evaluation's roundings."""
    low, high, centre = interval(i)
    if i == N - 1:
        return mp.mpf(0)
    worst = mp.mpf(0)
    for k in range(1, 1001):
        x = mp.mpf(low) + (mp.mpf(high) - mp.mpf(low)) * k / 1000
        y = x - mp.mpf(centre)
        p = mp.mpf(0)
        for c in reversed(coeffs):
            p = p * y + mp.mpf(c)
        worst = max(worst, abs(p - mp.tanh(x)) / ulp32(mp.tanh(x)))
    return worst


def main() -> None:
    tables = [fit(i) for i in range(N)]
    centres = [interval(i)[2] for i in range(N)]
    for i in range(N):
        low, high, _ = interval(i)
        print(f"# {i:2d} [{low:.6g}, {high:.6g}): fit error {float(max_error(i, tables[i])):.3f} ULP")
    print("_TANH_CENTRE = _f32(" + ", ".join(f'"{float(c).hex()}"' for c in centres) + ")")
    for j in range(DEGREE + 1):
        print(f"_TANH_C{j} = _f32(" + ", ".join(f'"{t[j].hex()}"' for t in tables) + ")")


if __name__ == "__main__":
    main()
