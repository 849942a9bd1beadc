"""Coefficients of vecmath32's float32 polynomials: Chebyshev fits in 60-digit arithmetic (mpmath), each
coefficient rounded to float32, and the fit's error measured after that rounding.

    python tools/fit_vecmath32.py      # prints the float.hex coefficients pasted into lazyarr/kernels/vecmath32.py

Each polynomial is in z (z = r*r for odd/even functions, z = r otherwise) and gives a correction term that is
small against the result's leading term, so a relative error of 2**-27 in the fit is far below half an ULP of
float32 (2**-24).
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 60


def fit(g, lo, hi, n):
    """Chebyshev fit of g on [lo, hi] with n coefficients, ascending powers, rounded to float32."""
    coeffs = mp.chebyfit(g, [mp.mpf(lo), mp.mpf(hi)], n)
    return [float(np.float32(float(c))) for c in reversed(coeffs)]


def max_error(g, lo, hi, coeffs, weight):
    """max |weight(z) * (P(z) - g(z))| over a fine grid, P with the float32 coefficients (exactly)."""
    worst = mp.mpf(0)
    for i in range(2001):
        z = mp.mpf(lo) + (mp.mpf(hi) - mp.mpf(lo)) * i / 2000
        p = mp.mpf(0)
        for c in reversed(coeffs):
            p = p * z + mp.mpf(c)
        worst = max(worst, abs(weight(z) * (p - g(z))))
    return worst


def _odd(f, lead):
    """(f(r) - lead(r)) / r**3 as a function of z = r*r (its value at 0 by a tiny offset)."""
    def g(z):
        z = max(z, mp.mpf(10) ** -30)
        r = mp.sqrt(z)
        return (f(r) - lead(r)) / (r * z)
    return g


HALF_LN2 = mp.log(2) / 2
FITS = {
    # expm1(r) = r + r*r * EXPM1(r), |r| <= ln(2)/2; weight: relative to expm1(r) ~ r.
    "EXPM1": (lambda r: (mp.expm1(r) - r) / (r * r) if r != 0 else mp.mpf(1) / 2, -HALF_LN2, HALF_LN2, 6,
              lambda r: abs(r)),
    # log1p(r) = r + r*r * LOG1P(r), -1/3 <= r < 1/3 (the log family's core); weight: relative to log1p(r).
    "LOG1P": (lambda r: (mp.log1p(r) - r) / (r * r) if r != 0 else -mp.mpf(1) / 2, mp.mpf(-1) / 3, mp.mpf(1) / 3, 9,
              lambda r: abs(r * r / mp.log1p(r)) if r != 0 else 0),
    # arctan(t) = t + t*z*ATAN_WIDE(z), z = t*t <= 1 (arctan and arctan2 of min/max, #14 div32; weight: relative to t)
    "ATAN_WIDE": (_odd(mp.atan, lambda r: r), 0, 1, 10, lambda z: z),
    # arcsin(s) = s + s*z*ASIN(z), z <= 1/4
    "ASIN": (_odd(mp.asin, lambda r: r), 0, mp.mpf(1) / 4, 7, lambda z: z),
    # cbrt's start: m**(-1/3) for m in [1, 2) (#14 f32hyp: one Newton step follows); weight: relative.
    "CBRT_INV": (lambda m: m ** (-mp.mpf(1) / 3), 1, 2, 6, lambda m: m ** (mp.mpf(1) / 3)),
    # sinh(x) = x + x*z*SINH(z), |x| <= 1
    "SINH": (_odd(mp.sinh, lambda r: r), 0, 1, 4, lambda z: z),
}

if __name__ == "__main__":
    for name, (g, lo, hi, n, weight) in FITS.items():
        coeffs = fit(g, lo, hi, n)
        err = max_error(g, lo, hi, coeffs, weight)
        print(f"# {name}: {n} float32 coefficients, max weighted error {mp.nstr(err, 3)} "
              f"(2**{mp.nstr(mp.log(err, 2), 4) if err else '-inf'})")
        print(f"_{name} = _f32(" + ", ".join(f'"{c.hex()}"' for c in coeffs) + ")")
