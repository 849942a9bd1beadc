"""Coefficients of vecmath's arctan, arcsin and exp polynomials: Chebyshev fits in 80-digit arithmetic (mpmath).

    python tools/fit_vecmath.py        # prints the float.hex coefficients pasted into lazyarr/kernels/vecmath.py

arctan(t) = t + t*z*A(z), z = t*t <= 0.4375**2 (the largest reduced argument);
arcsin(s) = s + s*z*B(z), z = s*s <= 0.25 (|x| > 0.5 is reduced to s = sqrt((1 - |x|)/2)).
arctanh's atanh(s) = s + s*z*ATANH(z), z = s*s <= 0.0300 (degree 7: 2**-60.6 relative to atanh(s)).
exp(r) = 1 + r + r*r*Q(r), |r| <= ln(2)/2 (+1e-6 for the rounding of k) (#14 rowjax: 11 terms where the Taylor
series needed 12 for less accuracy).
cbrt's start (#14 tancbrt): CBRT_INV(m) ~ m**(-1/3) on m in [1, 2), degree 6 (2**-19.8 relative; a Newton step for the
inverse root and one for the root follow).
A, B and Q are smooth on their intervals, so their Chebyshev interpolants are within a few percent of the best
polynomial; the degrees are chosen so the fit's error relative to the whole result is below 2**-59.
"""
import mpmath as mp

mp.mp.dps = 80


def fit(g, hi, n, lo=0):
    coeffs, err = mp.chebyfit(g, [mp.mpf(lo), mp.mpf(hi)], n, error=True)
    return [float(c) for c in reversed(coeffs)], err  # ascending powers


def atan_g(z):
    t = mp.sqrt(z)
    return (mp.atan(t) - t) / (z * t)


def asin_g(z):
    s = mp.sqrt(z)
    return (mp.asin(s) - s) / (z * s)


def atanh_g(z):
    t = mp.sqrt(z)
    return (mp.atanh(t) - t) / (z * t)


def exp_q(r):
    return mp.mpf(1) / 2 if r == 0 else (mp.exp(r) - 1 - r) / (r * r)


def exp_error(coeffs, h, points=4001):
    """max |1 + r + r*r*Q(r) - exp(r)| / exp(r) over [-h, h], Q with the double coefficients `coeffs`."""
    worst = mp.mpf(0)
    for i in range(points):
        r = -h + 2 * h * i / (points - 1)
        q = sum(mp.mpf(c) * r ** j for j, c in enumerate(coeffs))
        worst = max(worst, abs((1 + r + r * r * q - mp.exp(r)) / mp.exp(r)))
    return worst


if __name__ == "__main__":
    h = mp.log(2) / 2 + mp.mpf("1e-6")
    coeffs, _ = fit(exp_q, h, 11, lo=-h)
    print(f"# EXP: Q of degree 10, error relative to exp(r): 2**{mp.nstr(mp.log(exp_error(coeffs, h), 2), 4)}")
    print("_X2 .. _X12 = (" + ", ".join(f'"{c.hex()}"' for c in coeffs) + ")")
    # ATANH: float64 arctanh's s, |s| <= 0.1716 and a hair (#14 s14 tanh)
    for name, g, hi, n in [("ATAN", atan_g, mp.mpf(7) / 16 * mp.mpf(7) / 16, 12), ("ASIN", asin_g, 0.25, 14),
                           ("ATANH", atanh_g, mp.mpf("0.0300"), 8)]:
        coeffs, err = fit(g, hi, n)
        print(f"# {name}: degree {n - 1} in z, max abs error of the fit {mp.nstr(err, 3)} "
              f"(relative to the result: below {mp.nstr(err * hi, 3)})")
        print(f"_{name} = (" + ", ".join(f'float.fromhex("{c.hex()}")' for c in coeffs) + ")")
    coeffs, _ = fit(lambda m: m ** (-mp.mpf(1) / 3), 2, 7, lo=1)
    worst = max(abs(sum(mp.mpf(c) * m ** j for j, c in enumerate(coeffs)) * mp.cbrt(m) - 1) for m in mp.linspace(1, 2, 3001))
    print(f"# CBRT_INV: degree 6 in m, max error relative to m**(-1/3) 2**{mp.nstr(mp.log(worst, 2), 4)}")
    print("_CBRT_INV = (" + ", ".join(f'"{c.hex()}"' for c in coeffs) + ")")
    # LS (margin, session 14): float64 log1p's and log10's series, 2*atanh_g on z = s*s <= ((sqrt2 - 1)/(sqrt2 + 1))**2
    # (their s = f/(2 + f)), 8 coefficients (ATANH's above, doubled, would need one multiply more per element); the
    # error that counts is s*z*(LS - 2 atanh_g) relative to log1p(f) = 2 atanh(s)
    s_max = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
    coeffs, _ = fit(lambda z: 2 * atanh_g(z), s_max ** 2 * (1 + mp.mpf(2) ** -40), 8)
    worst = max(abs(s * s * s * (sum(mp.mpf(c) * (s * s) ** j for j, c in enumerate(coeffs)) - 2 * atanh_g(s * s)))
                / (2 * mp.atanh(s)) for s in mp.linspace(s_max / 4000, s_max, 4000))
    print(f"# LS: degree 7 in z, max error relative to log1p(f) 2**{mp.nstr(mp.log(worst, 2), 4)}")
    print("_LS = (" + ", ".join(f'"{c.hex()}"' for c in coeffs) + ")")
